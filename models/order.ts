export type Side = 'buy' | 'sell';
export type PositionSide = 'long' | 'short';
export type OrderType = 'market' | 'limit';
export type MarginMode = 'isolated' | 'cross';
export type OrderRole = 'entry' | 'take-profit' | 'stop-loss' | 'close';

export type OrderStatus =
  | 'pending' // stored locally, not yet acknowledged by the exchange
  | 'open'
  | 'partially_filled'
  | 'filled'
  | 'cancelled'
  | 'rejected'
  | 'expired'
  | 'unknown'; // sent, outcome unknown: reconcile by client order id

export function entrySide(side: PositionSide): Side {
  return side === 'long' ? 'buy' : 'sell';
}
export function exitSide(side: PositionSide): Side {
  return side === 'long' ? 'sell' : 'buy';
}

/** A request to place an order. Quantities are in base units. */
export interface OrderRequest {
  symbol: string;
  side: Side;
  type: OrderType;
  quantity: number;
  /** Limit price (limit orders); reference price for HyperLiquid market orders. */
  price?: number;
  reduceOnly?: boolean;
  /** Deterministic id: a retry or a duplicate signal never places a second order. */
  clientOrderId: string;
  /** Attached stop-loss trigger price (becomes the position's stop when filled). */
  stopLoss?: number;
  /** Attached take-profit trigger price. */
  takeProfit?: number;
  /**
   * A conditional (trigger) order: rests until the price crosses `triggerPrice`
   * in `triggerDirection`, then becomes `type` at `price` (or market).
   */
  triggerPrice?: number;
  triggerDirection?: 'above' | 'below';
  postOnly?: boolean;
}

export interface Order {
  id: string;
  clientOrderId: string | null;
  symbol: string;
  side: Side;
  type: OrderType;
  status: OrderStatus;
  price: number | null;
  quantity: number;
  filled: number;
  averagePrice: number | null;
  reduceOnly: boolean;
  triggerPrice: number | null;
  /** Fee paid in quote currency so far. */
  fee: number;
  timestamp: number;
}

export function isOpenStatus(s: OrderStatus): boolean {
  return s === 'pending' || s === 'open' || s === 'partially_filled' || s === 'unknown';
}

/**
 * One execution (trade) of ours on the exchange, as its fills history reports
 * it: what a stop, take-profit, liquidation or manual close really got.
 * Quantities in base units; price and fee in the quote (settle) currency.
 */
export interface Fill {
  orderId: string;
  clientOrderId: string | null;
  symbol: string;
  side: Side;
  price: number;
  quantity: number;
  /** Fee paid in quote currency (negative for a maker rebate). */
  fee: number;
  /** The fill reduced a position (reduce-only order, position stop/TP, liquidation); undefined when the exchange does not say. */
  reduceOnly?: boolean;
  timestamp: number;
}
