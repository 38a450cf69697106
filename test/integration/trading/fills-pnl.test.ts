/**
 * Realized PnL of a trade whose position was closed on the exchange while the
 * service was not tracking (a stop, by hand): booked from the exchange's own
 * fills (Paper's fills history), not estimated from the current price.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { trades as tradesRepo } from '../../../db/index.js';
import type { ExchangeAdapter } from '../../../exchanges/index.js';
import type { UserOutcome } from '../../../services/trading/fanout.js';
import { createHarness, signal, type Harness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const tradeIdOf = (o: UserOutcome | undefined): number => {
  if (!o || !('tradeId' in o) || o.tradeId === null) throw new Error(`no trade: ${JSON.stringify(o)}`);
  return o.tradeId;
};

const closedEvent = (userId: number) => h.notifier.of(userId).find((e) => e.type === 'trade-closed') as { realizedPnl: number; fees: number; exitPrice: number | null; estimated: boolean } | undefined;

describe('realized PnL from the exchange fills', () => {
  it('a stop hit while the service was down: reconciliation books Paper\'s own PnL to the cent, not estimated', async () => {
    h = await createHarness();
    const u = await h.addUser();
    const r = await h.post('1', signal({ takeProfits: [55_000], stopLoss: 49_000 }));
    const tradeId = tradeIdOf(r.fanout!.outcomes[0]);
    const paper = h.paper(u.accountId);
    // Down: the price falls through the stop (Paper fires it), then recovers far away.
    h.feed.set('BTC/USDT', 48_000);
    await paper.fetchPositions(['BTC/USDT']);
    expect(await paper.fetchPositions(['BTC/USDT'])).toEqual([]);
    h.feed.set('BTC/USDT', 52_000);
    h.restart();
    const report = await h.trading.reconcile({ startup: true });
    expect(report.errors).toEqual([]);
    const trade = (await tradesRepo.findTrade(h.db, tradeId))!;
    expect(trade.status).toBe('closed');
    const booked = (await paper.fetchBalance()).total - 10_000;
    expect(Number(trade.realized_pnl)).toBeCloseTo(booked, 2);
    expect(booked).toBeLessThan(0);
    const ev = closedEvent(u.userId)!;
    expect(ev.estimated).toBe(false);
    expect(ev.realizedPnl).toBeCloseTo(booked, 2);
    const stopFill = paper.fills().filter((f) => f.reason === 'stop-loss');
    expect(stopFill).toHaveLength(1);
    expect(ev.exitPrice).toBeCloseTo(stopFill[0]!.price, 6);
  });

  it('closed by hand on the exchange: the close fill\'s price and fee, not the price at reconciliation', async () => {
    h = await createHarness();
    const u = await h.addUser();
    const r = await h.post('2', signal());
    const tradeId = tradeIdOf(r.fanout!.outcomes[0]);
    const paper = h.paper(u.accountId);
    h.feed.set('BTC/USDT', 50_300);
    await paper.closePosition('BTC/USDT', 'long', { clientOrderId: 'by-hand-1' });
    h.feed.set('BTC/USDT', 51_500);
    await h.trading.reconcile();
    const trade = (await tradesRepo.findTrade(h.db, tradeId))!;
    const booked = (await paper.fetchBalance()).total - 10_000;
    expect(Number(trade.realized_pnl)).toBeCloseTo(booked, 2);
    expect(Number(trade.fees)).toBeCloseTo(paper.fills().reduce((a, f) => a + f.fee, 0), 8);
    expect(closedEvent(u.userId)).toMatchObject({ estimated: false, exitPrice: 50_300 });
  });

  it('without a fills history the remainder is still estimated (and said so)', async () => {
    h = await createHarness({
      wrap: (_id, paper) =>
        new Proxy(paper, {
          get(target, prop, receiver) {
            if (prop === 'fetchFills') return undefined;
            const v = Reflect.get(target, prop, receiver);
            return typeof v === 'function' ? v.bind(target) : v;
          },
        }) as ExchangeAdapter,
    });
    const u = await h.addUser();
    await h.post('3', signal());
    await h.paper(u.accountId).closePosition('BTC/USDT', 'long', { clientOrderId: 'by-hand-2' });
    h.feed.set('BTC/USDT', 51_500);
    await h.trading.reconcile();
    expect(closedEvent(u.userId)).toMatchObject({ estimated: true, exitPrice: 51_500 });
  });

  it('a later trade\'s close fill on the same symbol is not attributed to the earlier trade', async () => {
    h = await createHarness();
    const u = await h.addUser();
    const a = tradeIdOf((await h.post('10', signal({ takeProfits: [55_000] }))).fanout!.outcomes[0]);
    const paper = h.paper(u.accountId);
    // Trade A is closed by hand on the exchange at 50 300 (the bot does not look yet).
    h.clock.advance(60_000);
    h.feed.set('BTC/USDT', 50_300);
    await paper.closePosition('BTC/USDT', 'long', { clientOrderId: 'by-hand-a' });
    // Later, another trade of the bot (B) on the same account and symbol opens and closes by its own close order at 51 000.
    const rowA = (await tradesRepo.findTrade(h.db, a))!;
    const { id: _ia, ...tradeFields } = rowA;
    const rowB = await tradesRepo.insertTrade(h.db, { ...tradeFields, signal_id: null, trace_id: 'trace-b', status: 'closed', closed_at: h.clock.now() + 180_000, close_reason: 'manual' });
    const [orderA] = await tradesRepo.listOrdersOfTrade(h.db, a);
    const { id: _io, ...orderFields } = orderA!;
    const closeB = 'st-' + 'b'.repeat(32);
    await tradesRepo.insertOrder(h.db, { ...orderFields, trade_id: rowB.id, client_order_id: closeB, exchange_order_id: null, role: 'close', side: 'sell', reduce_only: 1 });
    h.clock.advance(60_000);
    h.feed.set('BTC/USDT', 50_500);
    await paper.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: Number(rowA.quantity), clientOrderId: 'st-' + 'c'.repeat(32) });
    h.clock.advance(60_000);
    h.feed.set('BTC/USDT', 51_000);
    await paper.closePosition('BTC/USDT', 'long', { clientOrderId: closeB });
    expect(paper.fills().filter((f) => f.side === 'sell').map((f) => f.price)).toEqual([50_300, 51_000]);
    h.clock.advance(60_000);
    await h.trading.reconcile();
    const ta = (await tradesRepo.findTrade(h.db, a))!;
    expect(ta.status).toBe('closed');
    const evA = h.notifier.of(u.userId).find((e) => e.type === 'trade-closed' && 'tradeId' in e && e.tradeId === a) as { exitPrice: number | null; estimated: boolean };
    expect(evA).toMatchObject({ exitPrice: 50_300, estimated: false });
    const byHand = paper.fills().find((f) => f.clientOrderId === 'by-hand-a')!;
    const entryFee = paper.fills()[0]!.fee;
    expect(Number(ta.fees)).toBeCloseTo(entryFee + byHand.fee, 8);
  });
});
