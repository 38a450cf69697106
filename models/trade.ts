import type { MarginMode, OrderType, PositionSide } from './order.js';

export type TradeStatus =
  | 'planned'
  | 'opening' // entry orders sent, nothing filled yet
  | 'open' // position exists and is protected
  | 'closing'
  | 'closed'
  | 'cancelled' // no entry ever filled
  | 'failed';

/** What a user wants traded: the output of planning, the input of execution. */
export interface TradeIntent {
  userId: number;
  accountId: number;
  signalId: number | null;
  symbol: string;
  side: PositionSide;
  entryType: OrderType;
  /** Limit entries with their quantities (base units). Market: one leg, price = reference. */
  entries: { price: number | null; quantity: number }[];
  entryTrigger: 'above' | 'below' | null;
  leverage: number;
  marginMode: MarginMode;
  stopLoss: number | null;
  /** Take-profit legs: price and share of the position (0..1, summing to 1). */
  takeProfits: { price: number; share: number }[];
  /** The user explicitly allowed a trade without a stop-loss. */
  allowNoStop: boolean;
}

export interface Trade {
  id: number;
  userId: number;
  accountId: number;
  signalId: number | null;
  symbol: string;
  side: PositionSide;
  status: TradeStatus;
  leverage: number;
  marginMode: MarginMode;
  entryPrice: number | null;
  quantity: number;
  stopLoss: number | null;
  takeProfits: number[];
  realizedPnl: number;
  fees: number;
  openedAt: number | null;
  closedAt: number | null;
}
