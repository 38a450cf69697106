import { describe, expect, it } from 'vitest';
import { toBalance, toMarket, toOrder, toOrderStatus, toPosition, toTicker } from '../../../exchanges/ccxt/map.js';

describe('toOrderStatus', () => {
  it.each([
    ['open', 0, 1, 'open'],
    ['open', 0.4, 1, 'partially_filled'],
    ['closed', 1, 1, 'filled'],
    ['canceled', 0.2, 1, 'cancelled'],
    ['rejected', 0, 1, 'rejected'],
    ['expired', 0, 1, 'expired'],
    [undefined, 0, 1, 'unknown'],
  ] as const)('%s filled %d/%d -> %s', (s, f, a, expected) => expect(toOrderStatus(s, f, a)).toBe(expected));
});

describe('toOrder', () => {
  it('fills an acknowledgement (ids only) from the request', () => {
    const o = toOrder({ id: '1', clientOrderId: 'c1' }, 'BTC/USDT', { symbol: 'BTC/USDT', side: 'sell', type: 'limit', quantity: 0.5, price: 100, reduceOnly: true, clientOrderId: 'c1' }, 42);
    expect(o).toEqual({ id: '1', clientOrderId: 'c1', symbol: 'BTC/USDT', side: 'sell', type: 'limit', status: 'open', price: 100, quantity: 0.5, filled: 0, averagePrice: null, reduceOnly: true, triggerPrice: null, fee: 0, timestamp: 42 });
  });
  it('reads a full ccxt order', () => {
    const o = toOrder({ id: '2', type: 'market', side: 'buy', amount: 2, filled: 2, average: 10.5, status: 'closed', fee: { cost: 0.01 }, timestamp: 7, triggerPrice: 0 }, 'ETH/USDT');
    expect(o).toMatchObject({ status: 'filled', averagePrice: 10.5, fee: 0.01, timestamp: 7, triggerPrice: null, clientOrderId: null });
  });
});

describe('toPosition', () => {
  it('skips empty entries and treats 0 TP/SL as none', () => {
    expect(toPosition({ symbol: 'X', side: 'long', contracts: 0 }, 'X/USDT')).toBeNull();
    const p = toPosition({ symbol: 'X', side: 'short', contracts: 3, contractSize: 1, entryPrice: 2, leverage: 5, stopLossPrice: 0, takeProfitPrice: 1.5, info: { tradeMode: 1 } }, 'X/USDT', 'cross', 9);
    expect(p).toMatchObject({ side: 'short', quantity: 3, marginMode: 'isolated', stopLoss: null, takeProfit: 1.5, timestamp: 9 });
  });
});

describe('toMarket / toBalance / toTicker', () => {
  it('market limits', () => {
    const m = toMarket({ symbol: 'BTC/USDT:USDT', base: 'BTC', quote: 'USDT', settle: 'USDT', precision: { amount: 0.001, price: 0.1 }, limits: { amount: { min: 0.001, max: 100 }, cost: { min: 5 }, leverage: { max: 100 } } }, 'BTC/USDT');
    expect(m).toMatchObject({ tickSize: 0.1, stepSize: 0.001, minQty: 0.001, maxQty: 100, minNotional: 5, maxLeverage: 100, contractSize: 1, active: true });
  });
  it('balance derives the missing side', () => {
    expect(toBalance({ USDC: { total: 100, used: 30 } }, 'USDC')).toEqual({ currency: 'USDC', total: 100, used: 30, free: 70 });
    expect(toBalance({}, 'USDT')).toEqual({ currency: 'USDT', total: 0, used: 0, free: 0 });
  });
  it('ticker falls back to close and reads mark from info', () => {
    expect(toTicker({ close: 5, bid: 4.9, ask: 5.1, info: { markPx: '5.01' }, timestamp: 3 }, 'X/USDT')).toEqual({ symbol: 'X/USDT', last: 5, bid: 4.9, ask: 5.1, mark: 5.01, timestamp: 3 });
  });
});
