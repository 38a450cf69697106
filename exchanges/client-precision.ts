/**
 * The client's write-path precision: every quantity and price is rounded with
 * the market's precision and checked against its limits (models/precision.ts
 * normalizeOrder) before anything is sent.
 */
import { InvalidOrderSize, ValidationError, normalizeOrder, roundPrice, type Market, type OrderRequest } from '../models/index.js';

export function assertPositive(name: string, value: number, operation: string): void {
  if (!Number.isFinite(value) || value <= 0) throw new ValidationError(`${operation}: ${name} must be a positive number (got ${value})`);
}

/** Round a request's quantity and prices to the market and check its limits (throws InvalidOrderSize). */
export function normalizeRequest(market: Market, request: OrderRequest): OrderRequest {
  const n = normalizeOrder(market, { quantity: request.quantity, price: request.price ?? null, reduceOnly: request.reduceOnly ?? false });
  const out: OrderRequest = { ...request, quantity: n.quantity };
  if (n.price !== null) out.price = n.price;
  for (const key of ['stopLoss', 'takeProfit', 'triggerPrice'] as const) {
    const v = request[key];
    if (v !== undefined) out[key] = checkedPrice(market, key, v);
  }
  return out;
}

/** A price rounded to the market's tick; InvalidOrderSize when it is not a positive number after rounding. */
export function checkedPrice(market: Market, name: string, value: number): number {
  const rounded = Number.isFinite(value) ? roundPrice(market, value) : NaN;
  if (!(rounded > 0)) {
    throw new InvalidOrderSize(`${name} ${value} is not a valid price at tick ${market.tickSize} for ${market.symbol}`, {
      details: { symbol: market.symbol, tickSize: market.tickSize, [name]: value },
    });
  }
  return rounded;
}
