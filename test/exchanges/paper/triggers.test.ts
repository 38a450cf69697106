import { describe, expect, it } from 'vitest';
import { OrderRejected, type OrderRequest } from '../../../models/index.js';
import { cids, setupPaper } from './helpers.js';

const cid = cids('trig');
const btc = (r: Partial<OrderRequest> & Pick<OrderRequest, 'side' | 'type' | 'quantity'>): OrderRequest => ({ symbol: 'BTC/USDT', clientOrderId: cid(), ...r });

describe('Paper triggers', () => {
  it('turns an entry with attached stop-loss/take-profit into position protection, and fires the stop at its price', async () => {
    const { paper, feed } = await setupPaper();
    await paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.1, stopLoss: 59_000, takeProfit: 62_000 }));
    expect((await paper.fetchPositions())[0]).toMatchObject({ stopLoss: 59_000, takeProfit: 62_000 });
    feed.set('BTC/USDT', 59_100);
    expect(await paper.fetchPositions()).toHaveLength(1);
    feed.set('BTC/USDT', 58_800);
    expect(await paper.fetchPositions()).toEqual([]);
    const stop = paper.fills()[1];
    expect(stop).toMatchObject({ reason: 'stop-loss', side: 'sell', price: 59_000, quantity: 0.1, realizedPnl: -100, fee: 3.245, liquidity: 'taker' });
    expect(await paper.fetchBalance()).toEqual({ currency: 'USDT', total: 9893.455, free: 9893.455, used: 0 });
    const stopOrder = await paper.fetchOrder('BTC/USDT', { id: stop?.orderId as string });
    expect(stopOrder).toMatchObject({ status: 'filled', reduceOnly: true, triggerPrice: 59_000, clientOrderId: null });
    // The take-profit went away with the position: a later rally fills nothing.
    feed.set('BTC/USDT', 63_000);
    expect(paper.fills()).toHaveLength(2);
  });

  it('fires a take-profit of a short at its price', async () => {
    const { paper, feed } = await setupPaper();
    await paper.placeOrder(btc({ side: 'sell', type: 'market', quantity: 0.1, stopLoss: 61_000, takeProfit: 58_000 }));
    feed.set('BTC/USDT', 57_000);
    expect(paper.fills()[1]).toMatchObject({ reason: 'take-profit', side: 'buy', price: 58_000, realizedPnl: 200, fee: 3.19 });
    expect(await paper.fetchPositions()).toEqual([]);
  });

  it('rejects attached protection on the wrong side of the entry', async () => {
    const { paper } = await setupPaper();
    await expect(paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.1, stopLoss: 60_500 }))).rejects.toThrow(/stop-loss 60500 of a buy entry on BTC\/USDT must be below 60000/);
    await expect(paper.placeOrder(btc({ side: 'sell', type: 'limit', quantity: 0.1, price: 61_000, takeProfit: 61_500 }))).rejects.toThrow(OrderRejected);
    expect(await paper.fetchPositions()).toEqual([]);
  });

  it('moves, fires and removes a stop set with setPositionProtection', async () => {
    const { paper, feed } = await setupPaper();
    await paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.1 }));
    await paper.setPositionProtection('BTC/USDT', 'long', { stopLoss: 59_000 });
    await paper.setPositionProtection('BTC/USDT', 'long', { stopLoss: 59_500 });
    expect((await paper.fetchPositions())[0]?.stopLoss).toBe(59_500);
    feed.set('BTC/USDT', 59_600);
    expect(await paper.fetchPositions()).toHaveLength(1);
    feed.set('BTC/USDT', 59_400);
    expect(paper.fills()[1]).toMatchObject({ reason: 'stop-loss', price: 59_500, realizedPnl: -50 });
    expect(await paper.fetchPositions()).toEqual([]);
  });

  it('removes a stop with null and leaves the take-profit when it is undefined', async () => {
    const { paper, feed } = await setupPaper();
    await paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.1, stopLoss: 59_000, takeProfit: 61_000 }));
    await paper.setPositionProtection('BTC/USDT', 'long', { stopLoss: null });
    expect((await paper.fetchPositions())[0]).toMatchObject({ stopLoss: null, takeProfit: 61_000 });
    feed.set('BTC/USDT', 58_000);
    expect(await paper.fetchPositions()).toHaveLength(1);
  });

  it('rejects a stop-loss on the wrong side of the current price, with the reason', async () => {
    const { paper } = await setupPaper();
    await paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.1 }));
    await expect(paper.setPositionProtection('BTC/USDT', 'long', { stopLoss: 60_500 })).rejects.toThrow(/stop-loss 60500 for a long position must be below the current price 60000/);
    await expect(paper.setPositionProtection('BTC/USDT', 'long', { takeProfit: 59_000 })).rejects.toThrow(OrderRejected);
    await expect(paper.setPositionProtection('BTC/USDT', 'short', { stopLoss: 61_000 })).rejects.toThrow(/no short position/);
    await expect(paper.setPositionProtection('BTC/USDT', 'long', { stopLoss: 50_000 })).rejects.toThrow(/liquidation price 54271.4/);
    expect((await paper.fetchPositions())[0]?.stopLoss).toBeNull();
  });

  it('fires a partial take-profit for its quantity and keeps the rest protected', async () => {
    const { paper, feed } = await setupPaper();
    await paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.1, stopLoss: 59_000 }));
    await paper.setPositionProtection('BTC/USDT', 'long', { takeProfit: 61_000, quantity: 0.04 });
    feed.set('BTC/USDT', 61_200);
    const [pos] = await paper.fetchPositions();
    expect(pos).toMatchObject({ quantity: 0.06, stopLoss: 59_000, takeProfit: null, margin: 360 });
    expect(paper.fills()[1]).toMatchObject({ reason: 'take-profit', quantity: 0.04, price: 61_000, realizedPnl: 40 });
  });

  it('places a standalone trigger order that waits for the cross and then fills as market', async () => {
    const { paper, feed } = await setupPaper();
    const o = await paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.1, triggerPrice: 61_000, triggerDirection: 'above' }));
    expect(o).toMatchObject({ status: 'open', triggerPrice: 61_000 });
    expect((await paper.fetchBalance()).used).toBe(0);
    feed.set('BTC/USDT', 60_900);
    expect(paper.fills()).toHaveLength(0);
    feed.set('BTC/USDT', 61_500);
    expect(await paper.fetchOrder('BTC/USDT', { id: o.id })).toMatchObject({ status: 'filled', averagePrice: 61_000, fee: 3.355 });
    expect((await paper.fetchPositions())[0]).toMatchObject({ side: 'long', entryPrice: 61_000 });
  });

  it('turns a triggered stop-limit into a resting maker order when it is not marketable', async () => {
    const { paper, feed } = await setupPaper();
    const o = await paper.placeOrder(btc({ side: 'buy', type: 'limit', quantity: 0.1, price: 60_900, triggerPrice: 61_000 }));
    feed.set('BTC/USDT', 61_200);
    expect(await paper.fetchOrder('BTC/USDT', { id: o.id })).toMatchObject({ status: 'open' });
    expect((await paper.fetchBalance()).used).toBe(609);
    feed.set('BTC/USDT', 60_800);
    expect(paper.fills()[0]).toMatchObject({ orderId: o.id, price: 60_900, liquidity: 'maker' });
  });

  it('fills a triggered marketable limit as taker at the trigger price', async () => {
    const { paper, feed } = await setupPaper();
    await paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.1 }));
    await paper.placeOrder(btc({ side: 'sell', type: 'limit', quantity: 0.1, price: 58_800, triggerPrice: 59_000, triggerDirection: 'below', reduceOnly: true }));
    feed.set('BTC/USDT', 58_500);
    expect(paper.fills()[1]).toMatchObject({ price: 59_000, liquidity: 'taker', realizedPnl: -100 });
    expect(await paper.fetchPositions()).toEqual([]);
  });

  it('rejects a trigger that is already crossed', async () => {
    const { paper } = await setupPaper();
    await expect(paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.1, triggerPrice: 59_000, triggerDirection: 'above' }))).rejects.toThrow(/already crossed/);
  });

  it('walks an up candle low before high and a down candle high before low', async () => {
    const up = await setupPaper();
    await up.paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.1, stopLoss: 59_000, takeProfit: 61_000 }));
    up.paper.applyCandle('BTC/USDT', { open: 60_000, high: 61_100, low: 58_900, close: 60_500 });
    expect(up.paper.fills().map((f) => f.reason)).toEqual(['order', 'stop-loss']);

    const down = await setupPaper();
    await down.paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.1, stopLoss: 59_000, takeProfit: 61_000 }));
    down.paper.applyCandle('BTC/USDT', { open: 60_000, high: 61_100, low: 58_900, close: 59_500 });
    expect(down.paper.fills().map((f) => f.reason)).toEqual(['order', 'take-profit']);
  });

  it('fills resting limits in the order the candle path reaches them', async () => {
    const { paper } = await setupPaper();
    await paper.placeOrder(btc({ side: 'buy', type: 'limit', quantity: 0.1, price: 59_500, clientOrderId: 'grid-buy' }));
    await paper.placeOrder(btc({ side: 'sell', type: 'limit', quantity: 0.1, price: 60_500, clientOrderId: 'grid-sell' }));
    paper.applyCandle('BTC/USDT', { open: 60_000, high: 60_600, low: 59_400, close: 60_300 });
    expect(paper.fills().map((f) => [f.clientOrderId, f.price, f.realizedPnl])).toEqual([
      ['grid-buy', 59_500, 0],
      ['grid-sell', 60_500, 100],
    ]);
    expect(await paper.fetchPositions()).toEqual([]);
  });
});
