import { describe, expect, it } from 'vitest';
import { InvalidOrderSize, MarketNotFound, OrderRejected, type OrderRequest } from '../../../models/index.js';
import { cids, setupPaper } from './helpers.js';

const cid = cids('fills');
const btc = (r: Partial<OrderRequest> & Pick<OrderRequest, 'side' | 'type' | 'quantity'>): OrderRequest => ({ symbol: 'BTC/USDT', clientOrderId: cid(), ...r });

describe('Paper fills', () => {
  it('fills a market order at once at the current price with the taker fee', async () => {
    const { paper } = await setupPaper();
    const order = await paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.1 }));
    expect(order).toMatchObject({ status: 'filled', filled: 0.1, averagePrice: 60_000, fee: 3.3, reduceOnly: false, price: null });
    expect(order.id).toBe('paper-1');
    const [pos] = await paper.fetchPositions();
    expect(pos).toMatchObject({ symbol: 'BTC/USDT', side: 'long', quantity: 0.1, entryPrice: 60_000, leverage: 10, marginMode: 'isolated', margin: 600, unrealizedPnl: 0 });
    expect(await paper.fetchBalance()).toEqual({ currency: 'USDT', total: 9996.7, free: 9396.7, used: 600 });
    expect(paper.fills()).toMatchObject([{ orderId: 'paper-1', price: 60_000, quantity: 0.1, fee: 3.3, liquidity: 'taker', reason: 'order' }]);
  });

  it('applies configured slippage to market orders against the taker', async () => {
    const { paper } = await setupPaper({ slippageBps: 10 });
    const b = await paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.1 }));
    expect(b.averagePrice).toBe(60_060);
    const s = await paper.placeOrder(btc({ side: 'sell', type: 'market', quantity: 0.1 }));
    expect(s.averagePrice).toBe(59_940);
  });

  it('rests a limit order, holds its margin, and fills it as maker at its price when touched', async () => {
    const { paper, feed } = await setupPaper();
    const order = await paper.placeOrder(btc({ side: 'buy', type: 'limit', quantity: 0.1, price: 59_000 }));
    expect(order).toMatchObject({ status: 'open', filled: 0, price: 59_000 });
    expect(await paper.fetchBalance()).toEqual({ currency: 'USDT', total: 10_000, free: 9410, used: 590 });
    feed.set('BTC/USDT', 59_500);
    expect((await paper.fetchOrder('BTC/USDT', { id: order.id }))?.status).toBe('open');
    feed.set('BTC/USDT', 58_900);
    const filled = await paper.fetchOrder('BTC/USDT', { id: order.id });
    expect(filled).toMatchObject({ status: 'filled', filled: 0.1, averagePrice: 59_000, fee: 1.18 });
    expect(paper.fills()[0]).toMatchObject({ liquidity: 'maker', price: 59_000, fee: 1.18 });
    expect(await paper.fetchBalance()).toEqual({ currency: 'USDT', total: 10_000 - 1.18 - 10, free: 9998.82 - 590, used: 590 });
    expect(await paper.fetchOpenOrders()).toEqual([]);
  });

  it('fills a resting limit at the gap price when a candle opens through it', async () => {
    const { paper } = await setupPaper();
    await paper.placeOrder(btc({ side: 'buy', type: 'limit', quantity: 0.1, price: 59_000 }));
    paper.applyCandle('BTC/USDT', { open: 58_500, high: 58_700, low: 58_400, close: 58_600 });
    expect(paper.fills()[0]).toMatchObject({ price: 58_500, liquidity: 'maker', fee: 1.17 });
  });

  it('fills a marketable limit at once as taker at the current price', async () => {
    const { paper } = await setupPaper();
    const order = await paper.placeOrder(btc({ side: 'buy', type: 'limit', quantity: 0.1, price: 60_500 }));
    expect(order).toMatchObject({ status: 'filled', averagePrice: 60_000, fee: 3.3 });
    expect(paper.fills()[0]?.liquidity).toBe('taker');
  });

  it('rejects a post-only limit that would take, and rests one that would not', async () => {
    const { paper } = await setupPaper();
    await expect(paper.placeOrder(btc({ side: 'sell', type: 'limit', quantity: 0.1, price: 59_900, postOnly: true }))).rejects.toThrow(OrderRejected);
    const resting = await paper.placeOrder(btc({ side: 'sell', type: 'limit', quantity: 0.1, price: 60_100, postOnly: true }));
    expect(resting.status).toBe('open');
    expect(await paper.fetchOpenOrders('BTC/USDT')).toHaveLength(1);
  });

  it('charges the maker fee on makers and the taker fee on takers, exactly', async () => {
    const { paper, feed } = await setupPaper({}, { 'ETH/USDT': 3000 });
    await paper.placeOrder({ symbol: 'ETH/USDT', side: 'buy', type: 'limit', quantity: 1.5, price: 2990, clientOrderId: 'maker-1' });
    feed.set('ETH/USDT', 2985);
    await paper.placeOrder({ symbol: 'ETH/USDT', side: 'sell', type: 'market', quantity: 1.5, clientOrderId: 'taker-1' });
    const [maker, taker] = paper.fills();
    expect(maker).toMatchObject({ price: 2990, fee: 0.897, liquidity: 'maker' }); // 4485 * 0.0002
    expect(taker).toMatchObject({ price: 2985, fee: 2.462625, liquidity: 'taker', realizedPnl: -7.5 }); // 4477.5 * 0.00055
    expect((await paper.fetchBalance()).total).toBe(9989.140375);
    expect(paper.engine.account()).toEqual({ walletBalance: 9989.140375, realizedPnl: -7.5, feesPaid: 3.359625 });
  });

  it('rejects quantities and prices off the step or tick, below the minimum, or below the notional', async () => {
    const { paper } = await setupPaper({}, { 'BTC/USDT': 60_000, 'DOGE/USDT': 0.2 });
    await expect(paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.0015 }))).rejects.toThrow(/not a multiple of the step 0.001/);
    await expect(paper.placeOrder(btc({ side: 'buy', type: 'limit', quantity: 0.001, price: 59_000.05 }))).rejects.toThrow(InvalidOrderSize);
    await expect(paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0 }))).rejects.toThrow(InvalidOrderSize);
    await expect(paper.placeOrder(btc({ side: 'buy', type: 'limit', quantity: 0.001 }))).rejects.toThrow(/price must be a positive number/);
    const err = await paper.placeOrder({ symbol: 'DOGE/USDT', side: 'buy', type: 'market', quantity: 24, clientOrderId: 'doge-1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidOrderSize);
    expect((err as InvalidOrderSize).details).toMatchObject({ minNotional: 5, notional: 4.8 });
    await expect(paper.placeOrder({ symbol: 'DOGE/USDT', side: 'buy', type: 'market', quantity: 25, clientOrderId: 'doge-2' })).resolves.toMatchObject({ status: 'filled' });
    expect(paper.fills()).toHaveLength(1);
  });

  it('throws MarketNotFound for an unknown symbol', async () => {
    const { paper } = await setupPaper();
    await expect(paper.market('FOO/USDT')).rejects.toThrow(MarketNotFound);
    await expect(paper.market('FOO/USDT')).rejects.toThrow(/no market "FOO\/USDT"/);
    await expect(paper.fetchTicker('FOO/USDT')).rejects.toThrow(MarketNotFound);
    expect((await paper.market('1000PEPE/USDT')).exchangeSymbol).toBe('1000PEPE/USDT:USDT');
  });

  it('rejects a duplicate client order id, also after the first order finished', async () => {
    const { paper } = await setupPaper();
    await paper.placeOrder(btc({ side: 'buy', type: 'limit', quantity: 0.1, price: 59_000, clientOrderId: 'dup-1' }));
    await expect(paper.placeOrder(btc({ side: 'buy', type: 'limit', quantity: 0.1, price: 58_000, clientOrderId: 'dup-1' }))).rejects.toThrow(/duplicate clientOrderId "dup-1"/);
    await paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.1, clientOrderId: 'dup-2' }));
    await expect(paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.1, clientOrderId: 'dup-2' }))).rejects.toThrow(OrderRejected);
    expect(paper.fills()).toHaveLength(1);
    expect(await paper.fetchOpenOrders()).toHaveLength(1);
  });

  it('finds orders by id or client order id and returns null for unknown ones', async () => {
    const { paper } = await setupPaper();
    const placed = await paper.placeOrder(btc({ side: 'sell', type: 'limit', quantity: 0.1, price: 61_000, clientOrderId: 'find-me' }));
    expect(await paper.fetchOrder('BTC/USDT', { clientOrderId: 'find-me' })).toEqual(placed);
    expect(await paper.fetchOrder('BTC/USDT', { id: placed.id })).toEqual(placed);
    expect(await paper.fetchOrder('BTC/USDT', { clientOrderId: 'nope' })).toBeNull();
    expect(await paper.fetchOrder('ETH/USDT', { clientOrderId: 'find-me' })).toBeNull();
  });

  it('treats cancelling an unknown or finished order as success', async () => {
    const { paper } = await setupPaper();
    await expect(paper.cancelOrder('BTC/USDT', { id: 'paper-999' })).resolves.toBeUndefined();
    const done = await paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.1 }));
    await expect(paper.cancelOrder('BTC/USDT', { id: done.id })).resolves.toBeUndefined();
    expect((await paper.fetchOrder('BTC/USDT', { id: done.id }))?.status).toBe('filled');
    const open = await paper.placeOrder(btc({ side: 'buy', type: 'limit', quantity: 0.1, price: 50_000, clientOrderId: 'cx' }));
    await paper.cancelOrder('BTC/USDT', { clientOrderId: 'cx' });
    expect((await paper.fetchOrder('BTC/USDT', { id: open.id }))?.status).toBe('cancelled');
    expect((await paper.fetchBalance()).used).toBe(600);
  });

  it('places a batch with one result per request, in order', async () => {
    const { paper } = await setupPaper();
    const results = await paper.placeOrders([
      btc({ side: 'buy', type: 'limit', quantity: 0.01, price: 59_000 }),
      btc({ side: 'buy', type: 'limit', quantity: 0.0101, price: 58_000 }),
      btc({ side: 'buy', type: 'limit', quantity: 0.01, price: 57_000 }),
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    const failed = results[1];
    expect(failed && !failed.ok && failed.error).toBeInstanceOf(InvalidOrderSize);
    expect((await paper.fetchOpenOrders('BTC/USDT')).map((o) => o.price)).toEqual([59_000, 57_000]);
  });

  it('amends a resting order, and fills it as taker when the new price is marketable', async () => {
    const { paper } = await setupPaper();
    const o = await paper.placeOrder(btc({ side: 'buy', type: 'limit', quantity: 0.1, price: 59_000 }));
    const moved = await paper.amendOrder('BTC/USDT', o.id, { price: 59_500, quantity: 0.2 });
    expect(moved).toMatchObject({ status: 'open', price: 59_500, quantity: 0.2 });
    expect((await paper.fetchBalance()).used).toBe(1190);
    const taken = await paper.amendOrder('BTC/USDT', o.id, { price: 60_100 });
    expect(taken).toMatchObject({ status: 'filled', averagePrice: 60_000 });
    await expect(paper.amendOrder('BTC/USDT', o.id, { price: 59_000 })).rejects.toThrow(/no open order/);
  });

  it('cancels all open orders of a symbol', async () => {
    const { paper } = await setupPaper();
    await paper.placeOrder(btc({ side: 'buy', type: 'limit', quantity: 0.1, price: 59_000 }));
    await paper.placeOrder(btc({ side: 'sell', type: 'limit', quantity: 0.1, price: 61_000 }));
    await paper.placeOrder({ symbol: 'ETH/USDT', side: 'buy', type: 'limit', quantity: 1, price: 2900, clientOrderId: 'eth-keep' });
    await paper.cancelAllOrders('BTC/USDT');
    expect((await paper.fetchOpenOrders()).map((o) => o.clientOrderId)).toEqual(['eth-keep']);
  });

  it('reports a ticker at the feed price', async () => {
    const { paper, feed } = await setupPaper();
    feed.set('BTC/USDT', 60_123.4);
    expect(await paper.fetchTicker('BTC/USDT')).toMatchObject({ symbol: 'BTC/USDT', last: 60_123.4, mark: 60_123.4 });
  });
});
