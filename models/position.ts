import type { MarginMode, PositionSide } from './order.js';

export interface Position {
  symbol: string;
  side: PositionSide;
  /** Base units, always positive. */
  quantity: number;
  entryPrice: number;
  markPrice: number | null;
  leverage: number;
  marginMode: MarginMode;
  margin: number | null;
  unrealizedPnl: number;
  liquidationPrice: number | null;
  /** Stop-loss trigger resting on the exchange for this position, if any. */
  stopLoss: number | null;
  takeProfit: number | null;
  timestamp: number;
}

export function pnl(side: PositionSide, entry: number, exit: number, quantity: number): number {
  return (side === 'long' ? exit - entry : entry - exit) * quantity;
}
