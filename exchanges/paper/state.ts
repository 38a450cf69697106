/**
 * The Paper exchange's persisted state and its mapping to the shared models.
 * Everything here is plain JSON (numbers, strings, arrays) so a store can
 * write it as-is; `version` guards the format.
 */
import type {
  MarginMode,
  Order,
  OrderStatus,
  OrderType,
  Position,
  PositionSide,
  Side,
} from '../../models/index.js';

export const PAPER_STATE_VERSION = 1;

/** Why an order exists: a client order, or one the exchange made for a position. */
export type PaperOrderOrigin = 'client' | 'stop-loss' | 'take-profit' | 'liquidation';

export interface PaperOrder {
  id: string;
  /** Sequence number behind `id`: fills at the same price go oldest first. */
  seq: number;
  clientOrderId: string | null;
  symbol: string;
  side: Side;
  type: OrderType;
  status: OrderStatus;
  /** Limit price; null for market orders. */
  price: number | null;
  quantity: number;
  filled: number;
  averagePrice: number | null;
  reduceOnly: boolean;
  postOnly: boolean;
  triggerPrice: number | null;
  triggerDirection: 'above' | 'below' | null;
  /** A conditional order whose trigger has fired (it now behaves as a plain order). */
  triggered: boolean;
  /** Attached protection, applied to the position when this entry fills. */
  stopLoss: number | null;
  takeProfit: number | null;
  origin: PaperOrderOrigin;
  /** Margin held for this resting order (the part that would open or increase a position). */
  reservedMargin: number;
  fee: number;
  timestamp: number;
  updatedAt: number;
  /** Why it was rejected or cancelled by the exchange, when it was. */
  reason: string | null;
}

export interface PaperPosition {
  symbol: string;
  side: PositionSide;
  quantity: number;
  entryPrice: number;
  leverage: number;
  marginMode: MarginMode;
  /** Initial margin held for the position (isolated: all it can lose). */
  margin: number;
  stopLoss: number | null;
  takeProfit: number | null;
  /** Quantity the stop-loss / take-profit closes; null = the whole position. */
  stopLossQty: number | null;
  takeProfitQty: number | null;
  liquidationPrice: number | null;
  /** Realized PnL of this position so far (before fees). */
  realizedPnl: number;
  openedAt: number;
  updatedAt: number;
}

export type FillReason = 'order' | 'stop-loss' | 'take-profit' | 'liquidation';

export interface PaperFill {
  id: string;
  orderId: string;
  clientOrderId: string | null;
  symbol: string;
  side: Side;
  quantity: number;
  price: number;
  /** Fee in quote currency (for a liquidation: the forfeited maintenance margin). */
  fee: number;
  liquidity: 'maker' | 'taker';
  /** Realized PnL of the reducing part of this fill, before fees. */
  realizedPnl: number;
  reason: FillReason;
  /** The order was reduce-only, or the fill came from the position's stop / take-profit / liquidation (absent in fills saved before it existed). */
  reduceOnly?: boolean;
  timestamp: number;
}

export interface SymbolSettings {
  leverage: number;
  marginMode: MarginMode;
}

export interface PaperState {
  version: number;
  currency: string;
  /** Deposits + realized PnL - fees. */
  walletBalance: number;
  /** Lifetime realized PnL (before fees) and fees paid. */
  realizedPnl: number;
  feesPaid: number;
  /** Last id sequence number handed out (orders and fills share it). */
  seq: number;
  openOrders: PaperOrder[];
  /** Finished orders, oldest first, bounded. */
  history: PaperOrder[];
  /** Fills, oldest first, bounded. */
  fills: PaperFill[];
  positions: PaperPosition[];
  settings: Record<string, SymbolSettings>;
  /** Last price the engine saw per symbol (the start of the next price move). */
  lastPrices: Record<string, number>;
}

export function emptyState(startingBalance: number, currency = 'USDT'): PaperState {
  return {
    version: PAPER_STATE_VERSION,
    currency,
    walletBalance: startingBalance,
    realizedPnl: 0,
    feesPaid: 0,
    seq: 0,
    openOrders: [],
    history: [],
    fills: [],
    positions: [],
    settings: {},
    lastPrices: {},
  };
}

/** Light structural check of a loaded state; throws on anything malformed. */
export function assertPaperState(value: unknown): asserts value is PaperState {
  const s = value as Partial<PaperState> | null;
  const ok =
    s !== null &&
    typeof s === 'object' &&
    s.version === PAPER_STATE_VERSION &&
    typeof s.currency === 'string' &&
    Number.isFinite(s.walletBalance) &&
    Number.isInteger(s.seq) &&
    Array.isArray(s.openOrders) &&
    Array.isArray(s.history) &&
    Array.isArray(s.fills) &&
    Array.isArray(s.positions) &&
    typeof s.settings === 'object' &&
    s.settings !== null &&
    typeof s.lastPrices === 'object' &&
    s.lastPrices !== null;
  if (!ok) throw new TypeError(`not a Paper exchange state (version ${String(s?.version)})`);
}

export function toOrder(o: PaperOrder): Order {
  return {
    id: o.id,
    clientOrderId: o.clientOrderId,
    symbol: o.symbol,
    side: o.side,
    type: o.type,
    status: o.status,
    price: o.price,
    quantity: o.quantity,
    filled: o.filled,
    averagePrice: o.averagePrice,
    reduceOnly: o.reduceOnly,
    triggerPrice: o.triggerPrice,
    fee: o.fee,
    timestamp: o.timestamp,
  };
}

export function toPosition(p: PaperPosition, mark: number | null, unrealizedPnl: number): Position {
  return {
    symbol: p.symbol,
    side: p.side,
    quantity: p.quantity,
    entryPrice: p.entryPrice,
    markPrice: mark,
    leverage: p.leverage,
    marginMode: p.marginMode,
    margin: p.margin,
    unrealizedPnl,
    liquidationPrice: p.liquidationPrice,
    stopLoss: p.stopLoss,
    takeProfit: p.takeProfit,
    timestamp: p.updatedAt,
  };
}


