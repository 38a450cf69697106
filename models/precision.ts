import { InvalidOrderSize } from './errors.js';
import { roundToStep, type RoundMode } from './decimal.js';
import type { Market } from './market.js';

export function roundPrice(market: Market, price: number, mode: RoundMode = 'nearest'): number {
  return roundToStep(price, market.tickSize, mode);
}

/** Quantities are rounded down by default so an order never exceeds what was sized. */
export function roundQty(market: Market, qty: number, mode: RoundMode = 'down'): number {
  return roundToStep(qty, market.stepSize, mode);
}

export interface NormalizedOrder {
  quantity: number;
  price: number | null;
}

/**
 * Round quantity and price to the market's precision and check its limits.
 * Throws InvalidOrderSize with the market's limits in `details` (never sends a
 * value the exchange would reject for precision). `refPrice` values the
 * notional of a market order. Reduce-only orders skip the notional minimum
 * (exchanges let a position be closed below it).
 */
export function normalizeOrder(
  market: Market,
  input: { quantity: number; price?: number | null; refPrice?: number | null; reduceOnly?: boolean },
): NormalizedOrder {
  const limits = {
    symbol: market.symbol,
    stepSize: market.stepSize,
    tickSize: market.tickSize,
    minQty: market.minQty,
    maxQty: market.maxQty,
    minNotional: market.minNotional,
  };
  if (!Number.isFinite(input.quantity) || input.quantity <= 0) {
    throw new InvalidOrderSize(`quantity must be positive (got ${input.quantity})`, { details: { ...limits, quantity: input.quantity } });
  }
  const price = input.price == null ? null : roundPrice(market, input.price);
  if (price !== null && !(price > 0)) {
    throw new InvalidOrderSize(`price ${input.price} rounds to zero at tick ${market.tickSize}`, { details: { ...limits, price: input.price } });
  }
  const quantity = roundQty(market, input.quantity);
  if (quantity < market.minQty || quantity <= 0) {
    throw new InvalidOrderSize(
      `quantity ${input.quantity} is below the minimum ${market.minQty} ${market.base} for ${market.symbol}`,
      { details: { ...limits, quantity: input.quantity, rounded: quantity } },
    );
  }
  if (market.maxQty !== null && quantity > market.maxQty) {
    throw new InvalidOrderSize(
      `quantity ${quantity} is above the maximum ${market.maxQty} ${market.base} for ${market.symbol}`,
      { details: { ...limits, quantity } },
    );
  }
  const valuePrice = price ?? input.refPrice ?? null;
  if (!input.reduceOnly && valuePrice !== null && quantity * valuePrice < market.minNotional) {
    throw new InvalidOrderSize(
      `order value ${(quantity * valuePrice).toFixed(4)} ${market.quote} is below the minimum ${market.minNotional} for ${market.symbol}`,
      { details: { ...limits, quantity, notional: quantity * valuePrice } },
    );
  }
  return { quantity, price };
}
