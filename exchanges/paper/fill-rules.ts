/**
 * The Paper exchange's fill rules, pure and shared by the Paper adapter and
 * the grid simulator so both fill orders the same way.
 *
 * Inside a candle the price walks open -> low -> high -> close when the candle
 * closes at or above its open, and open -> high -> low -> close otherwise.
 * A limit order fills at its own price when the path touches it; a trigger
 * (stop / take-profit) fires at its trigger price when the path crosses it.
 */
import type { Candle, Side } from '../../models/index.js';

/** The four points of the intra-candle price path. */
export function candlePath(c: Pick<Candle, 'open' | 'high' | 'low' | 'close'>): [number, number, number, number] {
  return c.close >= c.open ? [c.open, c.low, c.high, c.close] : [c.open, c.high, c.low, c.close];
}

/** Does a price move from `from` to `to` touch a resting limit order? */
export function limitTouched(side: Side, limitPrice: number, from: number, to: number): boolean {
  // A buy limit fills when the price comes down to it; a sell limit when it goes up to it.
  return side === 'buy' ? Math.min(from, to) <= limitPrice : Math.max(from, to) >= limitPrice;
}

/** Does a price move from `from` to `to` cross a trigger in the given direction? */
export function triggerCrossed(direction: 'above' | 'below', trigger: number, from: number, to: number): boolean {
  return direction === 'above' ? Math.max(from, to) >= trigger : Math.min(from, to) <= trigger;
}

/** Fill price of a limit order touched on a segment starting at `from` (gap fills at `from` when better). */
export function limitFillPrice(side: Side, limitPrice: number, from: number): number {
  if (side === 'buy') return from < limitPrice ? from : limitPrice;
  return from > limitPrice ? from : limitPrice;
}

/**
 * Fill price of a trigger (stop-loss, take-profit, conditional order) crossed on
 * a segment starting at `from`: the trigger price, or `from` when the segment
 * already starts beyond the trigger (a gap: the first price seen past it).
 */
export function triggerFillPrice(direction: 'above' | 'below', trigger: number, from: number): number {
  if (direction === 'above') return from > trigger ? from : trigger;
  return from < trigger ? from : trigger;
}

/**
 * Liquidation price of a position whose own margin is `margin` (isolated): the
 * price at which margin + unrealized PnL equals the maintenance margin
 * (quantity * price * maintenanceRate). Null for an empty position.
 */
export function liquidationPrice(
  side: 'long' | 'short',
  entry: number,
  quantity: number,
  margin: number,
  maintenanceRate: number,
): number | null {
  if (!(quantity > 0)) return null;
  const perUnit = margin / quantity;
  const price = side === 'long' ? (entry - perUnit) / (1 - maintenanceRate) : (entry + perUnit) / (1 + maintenanceRate);
  return price > 0 ? price : 0;
}
