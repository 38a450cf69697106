/**
 * Checks the Paper exchange makes on incoming values, the way a real exchange
 * does: quantities and prices must already be on the market's step and tick
 * (the unified client rounds before sending), within its limits.
 */
import { InvalidOrderSize, OrderRejected, type Market } from '../../models/index.js';

const EXCHANGE = 'paper';

/** Is `value` a whole multiple of `step` (tolerating binary noise)? */
export function isOnStep(value: number, step: number): boolean {
  if (!(step > 0)) return true;
  const ratio = value / step;
  return Math.abs(ratio - Math.round(ratio)) <= 1e-6;
}

function limits(market: Market): Record<string, unknown> {
  return {
    symbol: market.symbol,
    stepSize: market.stepSize,
    tickSize: market.tickSize,
    minQty: market.minQty,
    maxQty: market.maxQty,
    minNotional: market.minNotional,
  };
}

export function checkQuantity(market: Market, quantity: number, operation: string): void {
  if (typeof quantity !== 'number' || !Number.isFinite(quantity) || quantity <= 0) {
    throw new InvalidOrderSize(`quantity must be a positive number (got ${String(quantity)})`, {
      exchange: EXCHANGE,
      operation,
      details: { ...limits(market), quantity },
    });
  }
  if (!isOnStep(quantity, market.stepSize)) {
    throw new InvalidOrderSize(`quantity ${quantity} is not a multiple of the step ${market.stepSize} for ${market.symbol}`, {
      exchange: EXCHANGE,
      operation,
      details: { ...limits(market), quantity },
    });
  }
  if (quantity < market.minQty - market.stepSize * 1e-6) {
    throw new InvalidOrderSize(`quantity ${quantity} is below the minimum ${market.minQty} ${market.base} for ${market.symbol}`, {
      exchange: EXCHANGE,
      operation,
      details: { ...limits(market), quantity },
    });
  }
  if (market.maxQty !== null && quantity > market.maxQty) {
    throw new InvalidOrderSize(`quantity ${quantity} is above the maximum ${market.maxQty} ${market.base} for ${market.symbol}`, {
      exchange: EXCHANGE,
      operation,
      details: { ...limits(market), quantity },
    });
  }
}

export function checkPrice(market: Market, price: unknown, label: string, operation: string): asserts price is number {
  if (typeof price !== 'number' || !Number.isFinite(price) || price <= 0) {
    throw new InvalidOrderSize(`${label} must be a positive number (got ${String(price)})`, {
      exchange: EXCHANGE,
      operation,
      details: { ...limits(market), [label]: price },
    });
  }
  if (!isOnStep(price, market.tickSize)) {
    throw new InvalidOrderSize(`${label} ${price} is not a multiple of the tick ${market.tickSize} for ${market.symbol}`, {
      exchange: EXCHANGE,
      operation,
      details: { ...limits(market), [label]: price },
    });
  }
}

export function checkNotional(market: Market, quantity: number, price: number, operation: string): void {
  const notional = Number((quantity * price).toFixed(10));
  if (notional < market.minNotional - 1e-9) {
    throw new InvalidOrderSize(
      `order value ${notional.toFixed(4)} ${market.quote} is below the minimum ${market.minNotional} for ${market.symbol}`,
      { exchange: EXCHANGE, operation, details: { ...limits(market), quantity, notional } },
    );
  }
}

export function checkLeverage(market: Market, leverage: number, operation: string): void {
  if (typeof leverage !== 'number' || !Number.isFinite(leverage) || leverage < 1 || !isOnStep(leverage, 0.01)) {
    throw new OrderRejected(`leverage must be a number from 1 to ${market.maxLeverage} in steps of 0.01 (got ${String(leverage)})`, {
      exchange: EXCHANGE,
      operation,
      details: { symbol: market.symbol, leverage, maxLeverage: market.maxLeverage },
    });
  }
  if (leverage > market.maxLeverage) {
    throw new OrderRejected(`leverage ${leverage} is above the maximum ${market.maxLeverage} for ${market.symbol}`, {
      exchange: EXCHANGE,
      operation,
      details: { symbol: market.symbol, leverage, maxLeverage: market.maxLeverage },
    });
  }
}

/** Bybit's orderLinkId: 1-36 characters. */
export function checkClientOrderId(clientOrderId: unknown, operation: string): asserts clientOrderId is string {
  if (typeof clientOrderId !== 'string' || clientOrderId.length === 0 || clientOrderId.length > 36) {
    throw new OrderRejected(`clientOrderId must be a string of 1 to 36 characters (got ${JSON.stringify(clientOrderId)})`, {
      exchange: EXCHANGE,
      operation,
      details: { clientOrderId },
    });
  }
}
