/**
 * mapCcxtError: every relevant ccxt 4.5.84 error class maps to ours (pinned:
 * ccxt's tree changes between versions), exchange codes beat ccxt's class,
 * and benign "already so" answers are recognised.
 */
import ccxt from 'ccxt';
import { describe, expect, it } from 'vitest';
import { exchangeReason, isBenignNoChange, mapCcxtError } from '../../../exchanges/ccxt/base.js';
import { AuthFailed, ExchangeError, type Market } from '../../../models/index.js';

const C = ccxt as unknown as Record<string, new (m: string) => Error>;
const market: Market = {
  symbol: 'BTC/USDT', exchangeSymbol: 'BTC/USDT:USDT', base: 'BTC', quote: 'USDT', settle: 'USDT', tickSize: 0.1, stepSize: 0.001,
  minQty: 0.001, maxQty: 1190, minNotional: 5, maxLeverage: 100, contractSize: 1, takerFee: 0.00055, makerFee: 0.0002, active: true,
};

describe('mapCcxtError: ccxt classes', () => {
  it.each([
    ['AuthenticationError', 'AuthFailed'],
    ['PermissionDenied', 'PermissionDenied'],
    ['AccountNotEnabled', 'PermissionDenied'],
    ['AccountSuspended', 'PermissionDenied'],
    ['RestrictedLocation', 'PermissionDenied'],
    ['InsufficientFunds', 'InsufficientFunds'],
    ['InvalidOrder', 'OrderRejected'],
    ['OrderImmediatelyFillable', 'OrderRejected'],
    ['OrderNotFillable', 'OrderRejected'],
    ['DuplicateOrderId', 'OrderRejected'],
    ['OrderNotFound', 'OrderNotFound'],
    ['BadRequest', 'OrderRejected'],
    ['OperationRejected', 'OrderRejected'],
    ['ArgumentsRequired', 'OrderRejected'],
    ['BadSymbol', 'MarketNotFound'],
    ['NotSupported', 'NotSupported'],
    ['RateLimitExceeded', 'RateLimited'],
    ['DDoSProtection', 'RateLimited'],
    ['ExchangeNotAvailable', 'ExchangeUnavailable'],
    ['OnMaintenance', 'ExchangeUnavailable'],
    ['NetworkError', 'ExchangeUnavailable'],
    ['InvalidNonce', 'ExchangeUnavailable'],
    ['BadResponse', 'ExchangeUnavailable'],
    ['NullResponse', 'ExchangeUnavailable'],
    ['RequestTimeout', 'NetworkTimeout'],
    ['ExchangeError', 'ExchangeError'],
  ])('%s -> %s', (cls, ours) => {
    const Cls = C[cls];
    expect(typeof Cls).toBe('function');
    const mapped = mapCcxtError(new Cls!('somex something happened'), { exchange: 'paper', operation: 'op', market });
    expect(mapped.name).toBe(ours);
    expect(mapped).toBeInstanceOf(ExchangeError);
    expect(mapped.cause).toBeInstanceOf(Cls!);
    expect((mapped as ExchangeError).exchange).toBe('paper');
    expect((mapped as ExchangeError).operation).toBe('op');
  });

  it('retryable only where a retry can help', () => {
    const r = (cls: string) => mapCcxtError(new C[cls]!('x'), { exchange: 'bybit', operation: 'op' }).retryable;
    expect([r('RequestTimeout'), r('RateLimitExceeded'), r('ExchangeNotAvailable')]).toEqual([true, true, true]);
    expect([r('AuthenticationError'), r('InsufficientFunds'), r('InvalidOrder')]).toEqual([false, false, false]);
  });

  it('passes our own errors through and wraps non-ccxt errors', () => {
    const ours = new AuthFailed('x');
    expect(mapCcxtError(ours, { exchange: 'bybit', operation: 'op' })).toBe(ours);
    expect(mapCcxtError(new TypeError('boom'), { exchange: 'bybit', operation: 'op' })).toMatchObject({ name: 'ExchangeError', message: 'bybit op: unexpected error: boom' });
  });
});

const bybit = (retCode: number, retMsg: string, Cls = 'ExchangeError') => new C[Cls]!(`bybit ${JSON.stringify({ retCode, retMsg, result: {}, retExtInfo: {}, time: 1 })}`);

describe('mapCcxtError: Bybit retCodes', () => {
  it.each([
    [10003, 'API key is invalid.', 'AuthenticationError', 'AuthFailed'],
    [10004, 'error sign!', 'AuthenticationError', 'AuthFailed'],
    [10005, 'Permission denied', 'PermissionDenied', 'PermissionDenied'],
    [10006, 'Too many visits!', 'RateLimitExceeded', 'RateLimited'],
    [110007, 'ab not enough for new order', 'InsufficientFunds', 'InsufficientFunds'],
    [10001, 'The number of contracts exceeds minimum limit allowed', 'BadRequest', 'InvalidOrderSize'],
    [10001, 'Qty invalid', 'BadRequest', 'InvalidOrderSize'],
    [10001, 'params error: side invalid', 'BadRequest', 'OrderRejected'],
    [110094, 'Order does not meet minimum order value 5USDT', 'InvalidOrder', 'InvalidOrderSize'],
    [110017, 'current position is zero, cannot fix reduce-only order qty', 'InvalidOrder', 'OrderRejected'],
    [110072, 'OrderLinkedID is duplicate', 'InvalidOrder', 'OrderRejected'],
    [110001, 'order not exists or too late to cancel', 'OrderNotFound', 'OrderNotFound'],
    [110008, 'order has been finished or canceled', 'InvalidOrder', 'OrderNotFound'],
    [10002, 'invalid request, please check your server timestamp or recv_window param', 'InvalidNonce', 'ExchangeUnavailable'],
    [10016, 'Server error', 'ExchangeError', 'ExchangeUnavailable'],
  ])('%i %s -> %s', (code, msg, ccxtCls, ours) => {
    const e = mapCcxtError(bybit(code, msg, ccxtCls), { exchange: 'bybit', operation: 'placeOrder', market });
    expect(e.name).toBe(ours);
    expect(e.message).toContain(msg);
    expect(e.details).toMatchObject({ exchangeCode: String(code), reason: msg });
  });

  it('110072 is flagged as a duplicate client order id', () => {
    expect(mapCcxtError(bybit(110072, 'OrderLinkedID is duplicate', 'InvalidOrder'), { exchange: 'bybit', operation: 'placeOrder' }).details).toMatchObject({ duplicateClientOrderId: true });
  });

  it('size errors carry the market limits', () => {
    const e = mapCcxtError(bybit(10001, 'Qty invalid', 'BadRequest'), { exchange: 'bybit', operation: 'placeOrder', market });
    expect(e.message).toContain('[min qty 0.001, step 0.001, max qty 1190, tick 0.1, min notional 5 USDT]');
    expect(e.details).toMatchObject({ minQty: 0.001, stepSize: 0.001, maxQty: 1190, tickSize: 0.1, minNotional: 5 });
  });

  it('benign answers: leverage / margin mode / TP-SL not modified', () => {
    expect(isBenignNoChange(bybit(110043, 'Set leverage not modified', 'BadRequest'))).toBe(true);
    expect(isBenignNoChange(bybit(110026, 'Cross/isolated margin mode is not modified', 'MarginModeAlreadySet'))).toBe(true);
    expect(isBenignNoChange(bybit(34040, 'not modified'))).toBe(true);
    expect(isBenignNoChange(new C.MarginModeAlreadySet!('x'))).toBe(true);
    expect(isBenignNoChange(bybit(110007, 'ab not enough for new order', 'InsufficientFunds'))).toBe(false);
    expect(isBenignNoChange(new C.BadRequest!('leverage invalid'))).toBe(false);
  });
});

const hl = (body: unknown, Cls = 'ExchangeError') => new C[Cls]!(`hyperliquid ${JSON.stringify(body)}`);
const status = (error: string) => ({ status: 'ok', response: { type: 'order', data: { statuses: [{ error }] } } });

describe('mapCcxtError: HyperLiquid answers', () => {
  it.each([
    [{ status: 'err', response: 'User or API Wallet 0xabc does not exist.' }, 'InvalidOrder', 'AuthFailed'],
    [status('Insufficient margin to place order. asset=0'), 'InsufficientFunds', 'InsufficientFunds'],
    [status('Order must have minimum value of $10. asset=0'), 'InvalidOrder', 'InvalidOrderSize'],
    [status('Order has invalid price.'), 'ExchangeError', 'InvalidOrderSize'],
    [status('Order could not immediately match against any resting orders. asset=0'), 'InvalidOrder', 'SlippageExceeded'],
    [status('Order was never placed, already canceled, or filled. asset=0'), 'OrderNotFound', 'OrderNotFound'],
    [status('Reduce only order would increase position. asset=0'), 'InvalidOrder', 'OrderRejected'],
    [{ status: 'err', response: 'Too many cumulative requests sent (37986 > 10436) for cumulative volume traded $437.92.' }, 'RateLimitExceeded', 'RateLimited'],
  ])('%j -> %s', (body, ccxtCls, ours) => {
    const e = mapCcxtError(hl(body, ccxtCls), { exchange: 'hyperliquid', operation: 'placeOrder', market });
    expect(e.name).toBe(ours);
  });

  it('SlippageExceeded is an OrderRejected', () => {
    const e = mapCcxtError(hl(status('Order could not immediately match against any resting orders. asset=0'), 'InvalidOrder'), { exchange: 'hyperliquid', operation: 'placeOrder' });
    expect(e.code).toBe('order-rejected');
  });
});

describe('exchangeReason', () => {
  it('reads Bybit and HyperLiquid bodies out of ccxt messages', () => {
    expect(exchangeReason(bybit(110007, 'ab not enough'))).toEqual({ code: '110007', message: 'ab not enough' });
    expect(exchangeReason(hl(status('Insufficient margin')))).toEqual({ code: null, message: 'Insufficient margin' });
    expect(exchangeReason(new Error('no body here'))).toEqual({ code: null, message: null });
  });
});
