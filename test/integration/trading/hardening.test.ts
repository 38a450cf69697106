/**
 * Issue-5 follow-up, on the Paper exchange through the real registry/client:
 * the live tracking loop (one snapshot per account per tick), the crash-safe
 * fan-out (a fan-out killed midway resumes on a new service instance),
 * idempotent manual trades, trailing after the last placed target, and one
 * trade per account+symbol.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { signals as signalsRepo, trades as tradesRepo } from '../../../db/index.js';
import { listDeliveries } from '../../../db/repos/trading.js';
import type { ExchangeAdapter } from '../../../exchanges/index.js';
import type { PaperAdapter } from '../../../exchanges/paper/index.js';
import { ExchangeUnavailable, type OrderRequest } from '../../../models/index.js';
import { clientOrderId, orderIdSalt } from '../../../services/ids.js';
import { openManual } from '../../../services/trading/manual.js';
import { createHarness, signal, type Harness } from './harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

/** Exchange requests (local market look-ups excluded). */
const REQUESTS = new Set([
  'fetchTicker', 'fetchCandles', 'fetchBalance', 'fetchPositions', 'fetchOpenOrders', 'fetchOrder', 'placeOrder', 'placeOrders',
  'amendOrder', 'cancelOrder', 'cancelAllOrders', 'setLeverage', 'setMarginMode', 'setPositionProtection', 'closePosition',
]);

interface Call {
  account: string;
  op: string;
  args: unknown[];
}

/** Records every request an account's adapter receives; `fail(account, op)` makes one fail. */
function recorder() {
  const calls: Call[] = [];
  const failing = new Set<string>();
  const wrap = (accountId: string, paper: PaperAdapter): ExchangeAdapter =>
    new Proxy(paper, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== 'function' || !REQUESTS.has(String(prop))) return v;
        return (...args: unknown[]) => {
          calls.push({ account: accountId, op: String(prop), args });
          if (failing.has(`${accountId}:${String(prop)}`)) return Promise.reject(new ExchangeUnavailable('exchange down', { exchange: 'paper', operation: String(prop) }));
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    }) as ExchangeAdapter;
  return {
    calls,
    wrap,
    fail: (account: number, op: string) => failing.add(`${account}:${op}`),
    heal: () => failing.clear(),
    of: (account: number) => calls.filter((c) => c.account === String(account)).map((c) => c.op),
    clear: () => void calls.splice(0, calls.length),
  };
}

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('live tracking loop', () => {
  it('notices a take-profit on the next tick with one snapshot per account; a failing account does not stop the others', async () => {
    const rec = recorder();
    h = await createHarness({ wrap: rec.wrap });
    const a = await h.addUser({ settings: { breakevenAfterTp: 1 } });
    const b = await h.addUser({ settings: { breakevenAfterTp: 1 } });
    const down = await h.addUser();
    await h.post('1', signal());
    // B also holds an ETH trade: two symbols, still one snapshot.
    await h.trading.openManual({ userId: b.userId, symbol: 'ETH/USDT', side: 'long', entryType: 'market', stopLoss: 2_900, takeProfits: [3_300] });
    expect(await tradesRepo.listOpenTrades(h.db)).toHaveLength(4);

    // A quiet tick: exactly one fetchOpenOrders and one fetchPositions per account, nothing else.
    rec.clear();
    let report = await h.trading.trackOpen();
    expect(report).toMatchObject({ accounts: 3, trades: 4, errors: [] });
    for (const u of [a, b, down]) expect(rec.of(u.accountId).sort()).toEqual(['fetchOpenOrders', 'fetchPositions']);
    expect(rec.calls.find((c) => c.account === String(a.accountId) && c.op === 'fetchOpenOrders')!.args).toEqual(['BTC/USDT']);
    expect(rec.calls.find((c) => c.account === String(b.accountId) && c.op === 'fetchOpenOrders')!.args).toEqual([undefined]);

    // TP1 is hit on the exchange; one account cannot be read.
    rec.fail(down.accountId, 'fetchOpenOrders');
    h.feed.set('BTC/USDT', 51_100);
    h.notifier.clear();
    rec.clear();
    report = await h.trading.trackOpen();
    expect(report.errors).toEqual([{ accountId: down.accountId, tradeId: null, code: 'exchange-unavailable' }]);
    for (const u of [a, b]) {
      // The snapshot, the one order that left the open list (filled?), the stop moved to breakeven.
      expect(rec.of(u.accountId).sort()).toEqual(['fetchOpenOrders', 'fetchOrder', 'fetchPositions', 'setPositionProtection']);
      expect(h.notifier.of(u.userId)).toMatchObject([{ type: 'tp-hit', index: 0 }, { type: 'sl-moved', why: 'breakeven', stopLoss: 50_000 }]);
      expect((await h.paper(u.accountId).fetchPositions(['BTC/USDT']))[0]!.stopLoss).toBe(50_000);
    }
    expect(h.notifier.of(down.userId)).toEqual([]);
    // Back up: the next tick catches the failed account up.
    rec.clear();
    rec.heal();
    report = await h.trading.trackOpen({ exchanges: ['paper'] });
    expect(report.errors).toEqual([]);
    expect(h.notifier.of(down.userId)).toMatchObject([{ type: 'tp-hit', index: 0 }, { type: 'sl-moved', why: 'breakeven' }]);
    // Other exchanges' schedules do not touch Paper accounts.
    rec.clear();
    expect(await h.trading.trackOpen({ exchanges: ['bybit', 'hyperliquid'] })).toMatchObject({ accounts: 0, trades: 0 });
    expect(rec.calls).toEqual([]);
  });

  it('trailing after the last placed target: the stop follows the best price and the runner closes at the trailed stop', async () => {
    h = await createHarness();
    const u = await h.addUser({ settings: { sizeValue: 100, trailingPct: 1, breakevenAfterTp: 0 } });
    await h.post('1', signal());
    const paper = h.paper(u.accountId);
    // Two of three targets placed; the third share is the runner.
    const tps = (await paper.fetchOpenOrders('BTC/USDT')).filter((o) => o.reduceOnly).sort((x, y) => x.price! - y.price!);
    expect(tps.map((o) => [o.price, o.quantity])).toEqual([
      [51_000, 0.006],
      [52_000, 0.007],
    ]);
    h.feed.set('BTC/USDT', 51_100);
    await h.trading.trackOpen();
    expect((await paper.fetchPositions(['BTC/USDT']))[0]!.stopLoss).toBe(49_000); // not trailing before the last placed target
    h.feed.set('BTC/USDT', 52_100);
    await h.trading.trackOpen();
    expect((await paper.fetchPositions(['BTC/USDT']))[0]).toMatchObject({ quantity: 0.007, stopLoss: 51_579 }); // 52,100 - 1%
    h.feed.set('BTC/USDT', 53_000);
    await h.trading.trackOpen();
    expect((await paper.fetchPositions(['BTC/USDT']))[0]!.stopLoss).toBe(52_470);
    h.feed.set('BTC/USDT', 52_800); // lower: the stop never loosens
    await h.trading.trackOpen();
    expect((await paper.fetchPositions(['BTC/USDT']))[0]!.stopLoss).toBe(52_470);
    h.feed.set('BTC/USDT', 52_400); // through the trailed stop
    await h.trading.trackOpen();
    expect(await paper.fetchPositions(['BTC/USDT'])).toEqual([]);
    const [t] = await tradesRepo.listClosedTrades(h.db, { userId: u.userId });
    expect(t).toMatchObject({ close_reason: 'stop-loss', stop_loss: '52470' });
    expect(Number(t!.realized_pnl)).toBeGreaterThan(0);
    expect(h.notifier.of(u.userId).filter((e) => e.type === 'sl-moved').map((e) => (e as { stopLoss: number }).stopLoss)).toEqual([51_579, 52_470]);
  });
});

describe('crash-safe fan-out', () => {
  /**
   * The process "dies" after 40 of 100 users' entries reached the exchange: the
   * other 60 entry requests never return (and never reach the exchange). A new
   * service instance on the same database and exchange then resumes.
   */
  async function killedMidway(n: number, reached: number, settings: Record<string, unknown> = {}) {
    const entriesAt = new Map<string, number>();
    let hung = 0;
    const countEntries = (accountId: string, paper: PaperAdapter, hangAfter: number | null): ExchangeAdapter =>
      new Proxy(paper, {
        get(target, prop, receiver) {
          const v = Reflect.get(target, prop, receiver) as unknown;
          if (prop !== 'placeOrder') return v;
          return (req: OrderRequest) => {
            if (!req.reduceOnly) {
              const total = [...entriesAt.values()].reduce((s, x) => s + x, 0);
              if (hangAfter !== null && total >= hangAfter) {
                hung++;
                return new Promise(() => undefined);
              }
              entriesAt.set(accountId, (entriesAt.get(accountId) ?? 0) + 1);
            }
            return target.placeOrder(req);
          };
        },
      }) as ExchangeAdapter;
    h = await createHarness({ clientTimeoutMs: 1e9, wrap: (id, p) => countEntries(id, p, reached) });
    const users = [];
    for (let i = 0; i < n; i++) users.push(await h.addUser({ settings }));
    const dying = h.post('77', signal());
    dying.catch(() => undefined);
    await until(() => hung === n - reached, 'the rest of the entries to hang');
    const row = (await signalsRepo.findSignalByMessage(h.db, h.sourceId, '77'))!;
    await until(async () => (await listDeliveries(h!.db, row.id)).length === reached, 'the first users to finish');
    expect((await signalsRepo.findSignal(h.db, row.id))!.status).toBe('fanning-out');
    // Restart: new registry, service and router on the same db; the Paper accounts live on.
    h.restart({ wrap: (id, p) => countEntries(id, p, null) });
    return { users, entriesAt, signalId: row.id };
  }

  async function expectAllOpenOnce(users: { userId: number; accountId: number }[], entriesAt: Map<string, number>) {
    for (const u of users) {
      const trades = await tradesRepo.listOpenTrades(h!.db, { userId: u.userId });
      expect(trades.map((t) => t.status)).toEqual(['open']);
      expect(entriesAt.get(String(u.accountId))).toBe(1); // exactly one entry order reached the exchange
      const [pos] = await h!.paper(u.accountId).fetchPositions(['BTC/USDT']);
      expect(pos).toMatchObject({ quantity: 0.004, stopLoss: 49_000 });
      expect(await h!.paper(u.accountId).fetchOpenOrders('BTC/USDT')).toHaveLength(3);
    }
  }

  it('a re-delivered post resumes the fan-out: all 100 users have exactly one trade, no duplicate orders', async () => {
    const { users, entriesAt, signalId } = await killedMidway(100, 40);
    const again = await h!.post('77', signal());
    expect(again).toMatchObject({ intake: 'none', why: 'duplicate', signalId });
    const counts: Record<string, number> = {};
    for (const o of again.fanout!.outcomes) counts[o.status] = (counts[o.status] ?? 0) + 1;
    expect(counts).toEqual({ duplicate: 40, opened: 60 });
    await expectAllOpenOnce(users, entriesAt);
    expect((await signalsRepo.findSignal(h!.db, signalId))!.status).toBe('executed');
    expect(await listDeliveries(h!.db, signalId)).toHaveLength(100);
    // Delivered a third time: nothing more happens.
    const third = await h!.post('77', signal());
    expect(third.fanout).toBeUndefined();
    await expectAllOpenOnce(users, entriesAt);
  });

  it('start-up reconciliation resumes it as well', async () => {
    const { users, entriesAt, signalId } = await killedMidway(100, 40);
    h!.clock.advance(5 * 60_000); // past the pending grace: resuming must come before any trade is synced
    const report = await h!.trading.reconcile({ startup: true });
    expect(report.resumedSignals).toEqual([signalId]);
    await expectAllOpenOnce(users, entriesAt);
    expect((await signalsRepo.findSignal(h!.db, signalId))!.status).toBe('executed');
  });

  it('a signal too old by the time of the resume is refused for the users not reached, with the reason', async () => {
    const { users, entriesAt, signalId } = await killedMidway(20, 8, { maxSignalAgeSec: 120 });
    h!.clock.advance(3 * 60_000);
    await h!.trading.reconcile({ startup: true });
    const opened = [];
    for (const u of users) {
      const open = await tradesRepo.listOpenTrades(h!.db, { userId: u.userId });
      if (open.length > 0) {
        opened.push(u);
        continue;
      }
      expect(entriesAt.get(String(u.accountId))).toBeUndefined();
      expect(await h!.paper(u.accountId).fetchPositions()).toEqual([]);
      expect(h!.notifier.of(u.userId)).toMatchObject([{ type: 'plan-refused', signalId, reason: 'signal-too-old' }]);
      expect((await tradesRepo.findTradeBySignalUser(h!.db, signalId, u.userId))!).toMatchObject({ status: 'cancelled', close_reason: 'signal-too-old' });
    }
    expect(opened).toHaveLength(8);
    expect((await signalsRepo.findSignal(h!.db, signalId))!.status).toBe('executed');
  });
});

describe('idempotent manual trades', () => {
  const draft = { symbol: 'ETH/USDT', side: 'long' as const, entryType: 'market' as const, stopLoss: 2_900, takeProfits: [3_100], marginUsdt: 60, leverage: 5 };

  it('two concurrent calls with the same requestId open one trade with one entry order', async () => {
    const rec = recorder();
    h = await createHarness({ wrap: rec.wrap });
    const u = await h.addUser();
    const [x, y] = await Promise.all([h.trading.openManual({ userId: u.userId, ...draft, requestId: 'msg-42' }), h.trading.openManual({ userId: u.userId, ...draft, requestId: 'msg-42' })]);
    expect([x, y].map((r) => r.ok && r.status).sort()).toEqual(['duplicate', 'opened']);
    expect((x as { tradeId: number }).tradeId).toBe((y as { tradeId: number }).tradeId);
    expect(rec.of(u.accountId).filter((op) => op === 'placeOrder')).toHaveLength(1);
    expect((await h.paper(u.accountId).fetchPositions(['ETH/USDT']))[0]!.quantity).toBe(0.1);
    // The client order ids derive from the request id.
    const rows = await tradesRepo.listOrdersOfTrade(h.db, (x as { tradeId: number }).tradeId);
    const salt = await orderIdSalt(h.db);
    expect(rows.find((r) => r.leg === 'entry-0')!.client_order_id).toBe(clientOrderId('rmsg-42', u.userId, 'entry-0', salt.salt));
    // Later, again: still the same trade.
    expect(await h.trading.openManual({ userId: u.userId, ...draft, requestId: 'msg-42' })).toEqual({ ok: true, tradeId: (x as { tradeId: number }).tradeId, status: 'duplicate' });
  });

  it('holds without the per-user lock too (two processes): the database link decides, one entry reaches the exchange', async () => {
    const rec = recorder();
    h = await createHarness({ wrap: rec.wrap });
    const u = await h.addUser();
    const deps = h.trading.deps;
    const [x, y] = await Promise.all([openManual(deps, { userId: u.userId, ...draft, requestId: 'm-7' }), openManual(deps, { userId: u.userId, ...draft, requestId: 'm-7' })]);
    expect([x, y].map((r) => r.ok && r.status).sort()).toEqual(['duplicate', 'opened']);
    expect(await tradesRepo.listOpenTrades(h.db, { userId: u.userId })).toHaveLength(1);
    expect(rec.of(u.accountId).filter((op) => op === 'placeOrder')).toHaveLength(1);
  });
});

describe('one trade per account and symbol', () => {
  it('with onePerSymbol off, a second trade on the same symbol is refused (one net position per symbol on the exchange)', async () => {
    h = await createHarness();
    const u = await h.addUser({ settings: { onePerSymbol: false } });
    const first = await h.post('1', signal());
    expect(first.fanout!.outcomes[0]!.status).toBe('opened');
    h.notifier.clear();
    const second = await h.post('2', signal({ side: 'short', stopLoss: 51_000, takeProfits: [49_000] }));
    expect(second.fanout!.outcomes[0]).toMatchObject({ status: 'refused', reason: 'same-symbol-open', details: { symbol: 'BTC/USDT', accountId: u.accountId, with: 'trade' } });
    expect(h.notifier.of(u.userId)).toMatchObject([{ type: 'plan-refused', reason: 'same-symbol-open' }]);
    expect(await h.trading.openManual({ userId: u.userId, symbol: 'BTC/USDT', side: 'long', entryType: 'market', stopLoss: 49_000 })).toMatchObject({ ok: false, reason: 'same-symbol-open' });
    expect(await h.paper(u.accountId).fetchPositions()).toEqual([expect.objectContaining({ side: 'long', quantity: 0.004 })]);
    // Another symbol is fine.
    expect((await h.post('3', signal({ symbol: 'ETH/USDT', stopLoss: 2_900, takeProfits: [3_100] }))).fanout!.outcomes[0]!.status).toBe('opened');
  });
});
