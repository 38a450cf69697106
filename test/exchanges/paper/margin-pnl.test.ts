import { describe, expect, it } from 'vitest';
import { InsufficientFunds, OrderRejected, type OrderRequest } from '../../../models/index.js';
import { cids, setupPaper } from './helpers.js';

const cid = cids('mp');
const btc = (r: Partial<OrderRequest> & Pick<OrderRequest, 'side' | 'type' | 'quantity'>): OrderRequest => ({ symbol: 'BTC/USDT', clientOrderId: cid(), ...r });

describe('Paper margin, leverage and PnL', () => {
  it('books realized PnL and fees on a long closed at a profit', async () => {
    const { paper, feed } = await setupPaper();
    await paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.1 }));
    feed.set('BTC/USDT', 61_000);
    expect((await paper.fetchPositions())[0]).toMatchObject({ unrealizedPnl: 100, markPrice: 61_000 });
    expect((await paper.fetchBalance()).total).toBe(10_096.7);
    const close = await paper.closePosition('BTC/USDT', 'long', { clientOrderId: 'close-1' });
    expect(close).toMatchObject({ side: 'sell', reduceOnly: true, status: 'filled', averagePrice: 61_000, fee: 3.355 });
    expect(paper.fills()[1]?.realizedPnl).toBe(100);
    expect(await paper.fetchBalance()).toEqual({ currency: 'USDT', total: 10_093.345, free: 10_093.345, used: 0 });
    expect(await paper.fetchPositions()).toEqual([]);
  });

  it('books a short partially closed at a profit and then fully at a loss', async () => {
    const { paper, feed } = await setupPaper({}, { 'BTC/USDT': 49_900 });
    await paper.placeOrder(btc({ side: 'sell', type: 'limit', quantity: 0.2, price: 50_000 }));
    feed.set('BTC/USDT', 50_100);
    expect((await paper.fetchPositions())[0]).toMatchObject({ side: 'short', quantity: 0.2, entryPrice: 50_000, margin: 1000 });
    feed.set('BTC/USDT', 49_000);
    await paper.closePosition('BTC/USDT', 'short', { quantity: 0.05, clientOrderId: 'part-1' });
    expect(paper.fills()[1]).toMatchObject({ side: 'buy', quantity: 0.05, realizedPnl: 50, fee: 1.3475 });
    expect((await paper.fetchPositions())[0]).toMatchObject({ quantity: 0.15, margin: 750, entryPrice: 50_000 });
    feed.set('BTC/USDT', 51_000);
    await paper.closePosition('BTC/USDT', 'short', { clientOrderId: 'full-1' });
    expect(paper.fills()[2]).toMatchObject({ quantity: 0.15, realizedPnl: -150, fee: 4.2075 });
    expect(paper.engine.account()).toEqual({ walletBalance: 9892.445, realizedPnl: -100, feesPaid: 7.555 });
    expect(await paper.fetchBalance()).toEqual({ currency: 'USDT', total: 9892.445, free: 9892.445, used: 0 });
  });

  it('averages the entry when a position is increased', async () => {
    const { paper, feed } = await setupPaper();
    await paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.1 }));
    feed.set('BTC/USDT', 57_000);
    await paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.2 }));
    expect((await paper.fetchPositions())[0]).toMatchObject({ quantity: 0.3, entryPrice: 58_000, margin: 1740 });
  });

  it('flips a position with a larger opposite order (one-way mode)', async () => {
    const { paper } = await setupPaper();
    await paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.1 }));
    await paper.placeOrder(btc({ side: 'sell', type: 'market', quantity: 0.3 }));
    expect(await paper.fetchPositions()).toMatchObject([{ side: 'short', quantity: 0.2, entryPrice: 60_000, margin: 1200 }]);
  });

  it('holds isolated margin and refuses an order it cannot fund, with needed and available amounts', async () => {
    const { paper } = await setupPaper({ startingBalance: 1000 });
    const err = await paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.2 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsufficientFunds);
    expect((err as InsufficientFunds).details).toMatchObject({ needed: 1206.6, available: 1000 });
    expect((err as Error).message).toMatch(/needs 1206.6 USDT, 1000 available/);
    await expect(paper.placeOrder(btc({ side: 'buy', type: 'limit', quantity: 0.2, price: 59_000 }))).rejects.toThrow(InsufficientFunds);
    await paper.placeOrder(btc({ side: 'buy', type: 'limit', quantity: 0.1, price: 59_000 }));
    expect(await paper.fetchBalance()).toEqual({ currency: 'USDT', total: 1000, free: 410, used: 590 });
    expect(await paper.fetchPositions()).toEqual([]);
  });

  it('lets a reducing order through without new margin', async () => {
    const { paper } = await setupPaper({ startingBalance: 700 });
    await paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.1 }));
    expect((await paper.fetchBalance()).free).toBe(96.7);
    await expect(paper.placeOrder(btc({ side: 'sell', type: 'market', quantity: 0.1 }))).resolves.toMatchObject({ status: 'filled' });
  });

  it('sets leverage within the market maximum, accepts the same value, and resizes an isolated position margin', async () => {
    const { paper } = await setupPaper();
    await expect(paper.setLeverage('BTC/USDT', 101)).rejects.toThrow(/leverage 101 is above the maximum 100/);
    await expect(paper.setLeverage('BTC/USDT', 0)).rejects.toThrow(OrderRejected);
    await paper.setLeverage('BTC/USDT', 20);
    await expect(paper.setLeverage('BTC/USDT', 20)).resolves.toBeUndefined();
    await paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.1 }));
    expect((await paper.fetchPositions())[0]).toMatchObject({ leverage: 20, margin: 300 });
    await paper.setLeverage('BTC/USDT', 5);
    expect((await paper.fetchPositions())[0]).toMatchObject({ leverage: 5, margin: 1200, liquidationPrice: 48_241.3 });
  });

  it('switches margin mode only without a position', async () => {
    const { paper } = await setupPaper();
    await paper.setMarginMode('BTC/USDT', 'cross', 10);
    await paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.1 }));
    expect((await paper.fetchPositions())[0]?.marginMode).toBe('cross');
    await expect(paper.setMarginMode('BTC/USDT', 'isolated', 10)).rejects.toThrow(/cannot switch/);
    await expect(paper.setMarginMode('BTC/USDT', 'cross', 10)).resolves.toBeUndefined();
  });

  it('counts the unrealized loss of a cross position against free balance', async () => {
    const { paper, feed } = await setupPaper();
    await paper.setMarginMode('BTC/USDT', 'cross', 10);
    await paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.1 }));
    feed.set('BTC/USDT', 59_000);
    expect(await paper.fetchBalance()).toEqual({ currency: 'USDT', total: 9896.7, free: 9296.7, used: 600 });
  });

  it('liquidates an isolated position at its liquidation price and loses its whole margin', async () => {
    const { paper, feed } = await setupPaper();
    await paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.1 }));
    expect((await paper.fetchPositions())[0]?.liquidationPrice).toBe(54_271.4);
    feed.set('BTC/USDT', 54_300);
    expect(await paper.fetchPositions()).toHaveLength(1);
    feed.set('BTC/USDT', 54_000);
    expect(await paper.fetchPositions()).toEqual([]);
    expect(paper.fills()[1]).toMatchObject({ reason: 'liquidation', price: 54_271.4, quantity: 0.1 });
    expect(await paper.fetchBalance()).toEqual({ currency: 'USDT', total: 9396.7, free: 9396.7, used: 0 });
  });

  it('fires a stop-loss before liquidation when it comes first', async () => {
    const { paper, feed } = await setupPaper();
    await paper.placeOrder(btc({ side: 'sell', type: 'market', quantity: 0.1, stopLoss: 65_000 }));
    feed.set('BTC/USDT', 70_000);
    expect(paper.fills()[1]).toMatchObject({ reason: 'stop-loss', price: 65_000, realizedPnl: -500 });
  });

  describe('reduce-only', () => {
    it('rejects a reduce-only order without a position or on the same side', async () => {
      const { paper } = await setupPaper();
      await expect(paper.placeOrder(btc({ side: 'sell', type: 'market', quantity: 0.1, reduceOnly: true }))).rejects.toThrow(/there is no position/);
      await paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.1 }));
      await expect(paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.1, reduceOnly: true }))).rejects.toThrow(OrderRejected);
      await expect(paper.closePosition('BTC/USDT', 'short', { clientOrderId: 'no-short' })).rejects.toThrow(/no short position/);
    });

    it('trims a reduce-only order to the position and never flips', async () => {
      const { paper } = await setupPaper();
      await paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.1 }));
      const o = await paper.placeOrder(btc({ side: 'sell', type: 'market', quantity: 0.3, reduceOnly: true }));
      expect(o).toMatchObject({ quantity: 0.1, filled: 0.1, status: 'filled' });
      expect(await paper.fetchPositions()).toEqual([]);
    });

    it('cancels resting reduce-only orders when the position closes', async () => {
      const { paper } = await setupPaper();
      await paper.placeOrder(btc({ side: 'buy', type: 'market', quantity: 0.1 }));
      const tp = await paper.placeOrder(btc({ side: 'sell', type: 'limit', quantity: 0.1, price: 61_000, reduceOnly: true }));
      expect((await paper.fetchBalance()).used).toBe(600);
      await paper.closePosition('BTC/USDT', 'long', { clientOrderId: 'close-ro' });
      expect((await paper.fetchOrder('BTC/USDT', { id: tp.id }))?.status).toBe('cancelled');
      expect(await paper.fetchOpenOrders()).toEqual([]);
    });

    it('allows a reduce-only close below the minimum notional', async () => {
      const { paper } = await setupPaper({}, { 'DOGE/USDT': 0.2 });
      await paper.placeOrder({ symbol: 'DOGE/USDT', side: 'buy', type: 'market', quantity: 30, clientOrderId: 'doge-open' });
      await expect(paper.closePosition('DOGE/USDT', 'long', { quantity: 10, clientOrderId: 'doge-part' })).resolves.toMatchObject({ filled: 10 });
    });
  });
});
