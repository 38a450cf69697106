import { afterEach, describe, expect, it } from 'vitest';
import { audit, trades as tradesRepo } from '../../../db/index.js';
import { getSymbolSettings } from '../../../db/repos/trading.js';
import type { ExchangeAdapter } from '../../../exchanges/index.js';
import { OrderRejected } from '../../../models/index.js';
import { clientOrderId, orderIdSalt } from '../../../services/ids.js';
import type { UserOutcome } from '../../../services/trading/fanout.js';
import { createHarness, signal, update, type Harness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const tradeIdOf = (o: UserOutcome | undefined): number => {
  if (!o || !('tradeId' in o) || o.tradeId === null) throw new Error(`no trade: ${JSON.stringify(o)}`);
  return o.tradeId;
};

describe('fan-out', () => {
  it('serves 100 users with mixed settings, each by their own rules', async () => {
    h = await createHarness();
    const kinds = ['fixed', 'balance', 'risk', 'confirm', 'capped'] as const;
    const users = [];
    for (let i = 0; i < 100; i++) {
      const kind = kinds[i % kinds.length]!;
      if (kind === 'fixed') users.push({ kind, u: await h.addUser({ settings: { sizeMode: 'fixed', sizeValue: 50 } }) });
      if (kind === 'balance') users.push({ kind, u: await h.addUser({ settings: { sizeMode: 'balance_pct', sizeValue: 10 }, balance: 2_000 }) });
      if (kind === 'risk') users.push({ kind, u: await h.addUser({ settings: { sizeMode: 'risk_pct', sizeValue: 1 }, balance: 5_000 }) });
      if (kind === 'confirm') users.push({ kind, u: await h.addUser({ mode: 'confirm' }) });
      if (kind === 'capped') users.push({ kind, u: await h.addUser({ settings: { maxLeverage: 3, tpSplit: [50, 50] } }) });
    }
    const r = await h.post('100', signal());
    expect(r.fanout?.users).toBe(100);
    const byUser = new Map(r.fanout!.outcomes.map((o) => [o.userId, o]));
    for (const { kind, u } of users) {
      const o = byUser.get(u.userId)!;
      if (kind === 'confirm') {
        expect(o.status).toBe('previewed');
        expect(h.notifier.of(u.userId).map((e) => e.type)).toEqual(['signal-preview']);
        expect(await tradesRepo.listOpenTrades(h.db, { userId: u.userId })).toEqual([]);
        continue;
      }
      expect(o.status).toBe('opened');
      const [pos] = await h.paper(u.accountId).fetchPositions(['BTC/USDT']);
      const tps = await h.paper(u.accountId).fetchOpenOrders('BTC/USDT');
      expect(pos!.stopLoss).toBe(49_000);
      expect(tps.reduce((s, t) => s + t.quantity, 0)).toBeCloseTo(pos!.quantity, 9);
      if (kind === 'fixed') expect(pos).toMatchObject({ quantity: 0.01, leverage: 10 }); // 50 x10 / 50,000
      if (kind === 'balance') expect(pos!.quantity).toBe(0.04); // 10% of 2,000 = 200 x10 / 50,000
      if (kind === 'risk') expect(pos!.quantity).toBe(0.05); // 1% of 5,000 = 50 / 1,000 distance
      if (kind === 'capped') {
        expect(pos).toMatchObject({ leverage: 3, quantity: 0.001 }); // 20 x3 / 50,000 = 0.0012 -> 0.001
        expect(tps).toHaveLength(1); // two 50% legs of 0.001 merge into one at the minimum
      }
    }
  });

  it('a user with revoked keys fails alone', async () => {
    h = await createHarness();
    const a = await h.addUser();
    const bad = await h.addUser();
    const c = await h.addUser();
    h.revoked.add(String(bad.accountId));
    const r = await h.post('7', signal());
    const by = new Map(r.fanout!.outcomes.map((o) => [o.userId, o]));
    expect(by.get(a.userId)?.status).toBe('opened');
    expect(by.get(c.userId)?.status).toBe('opened');
    expect(by.get(bad.userId)).toMatchObject({ reason: 'account-unavailable' });
    expect(h.notifier.of(bad.userId)).toMatchObject([{ type: 'plan-refused', reason: 'account-unavailable' }]);
  });

  it('the same post delivered twice (also at once) places no duplicate orders', async () => {
    h = await createHarness();
    const users = [await h.addUser(), await h.addUser()];
    const [a, b] = await Promise.all([h.post('9', signal()), h.post('9', signal())]);
    const again = await h.post('9', signal());
    expect([a.intake, b.intake].sort()).toEqual(['none', 'signal']);
    expect(again).toMatchObject({ intake: 'none', why: 'duplicate' });
    // Even a direct second fan-out of the same signal finds the trades.
    const direct = await h.trading.handleSignal(a.signalId);
    expect(direct.outcomes.map((o) => o.status)).toEqual(['duplicate', 'duplicate']);
    for (const u of users) {
      expect(await tradesRepo.listOpenTrades(h.db, { userId: u.userId })).toHaveLength(1);
      const paper = h.paper(u.accountId);
      expect((await paper.fetchPositions(['BTC/USDT']))[0]!.quantity).toBe(0.004);
      expect(await paper.fetchOpenOrders('BTC/USDT')).toHaveLength(3);
    }
  });

  it('an edit before execution updates the signal (confirm mode), Execute uses the edited stop', async () => {
    h = await createHarness();
    const u = await h.addUser({ mode: 'confirm' });
    const first = await h.post('11', signal({ stopLoss: 49_000 }));
    expect(h.notifier.of(u.userId)).toMatchObject([{ type: 'signal-preview', plan: { stopLoss: 49_000 } }]);
    const edited = await h.post('11', signal({ stopLoss: 48_500 }), { edited: true });
    expect(edited.signalId).toBe(first.signalId);
    expect(h.notifier.of(u.userId)[1]).toMatchObject({ type: 'signal-preview', plan: { stopLoss: 48_500 } });
    const out = await h.trading.executeConfirmed(first.signalId, u.userId);
    expect(out.status).toBe('opened');
    expect((await h.paper(u.accountId).fetchPositions(['BTC/USDT']))[0]!.stopLoss).toBe(48_500);
    // Pressing Execute twice does nothing more.
    expect((await h.trading.executeConfirmed(first.signalId, u.userId)).status).toBe('duplicate');
  });

  it('an edit after execution that changes the stop moves it', async () => {
    h = await createHarness();
    const u = await h.addUser();
    const r = await h.post('12', signal({ stopLoss: 49_000 }));
    const edited = await h.post('12', signal({ stopLoss: 49_500 }), { edited: true });
    expect(edited.intake).toBe('update');
    expect((await h.paper(u.accountId).fetchPositions(['BTC/USDT']))[0]!.stopLoss).toBe(49_500);
    expect((await tradesRepo.findTrade(h.db, tradeIdOf(r.fanout!.outcomes[0])))?.stop_loss).toBe('49500');
  });

  it('sets leverage only when it changes', async () => {
    h = await createHarness();
    const u = await h.addUser();
    await h.post('20', signal({ leverage: 10 }));
    expect(await getSymbolSettings(h.db, u.accountId, 'BTC/USDT')).toEqual({ leverage: 10, marginMode: 'isolated', updatedAt: h.clock.now() });
    await h.trading.closeTrade(u.userId, (await tradesRepo.listOpenTrades(h.db, { userId: u.userId }))[0]!.id);
    await h.post('21', signal({ leverage: 7 }));
    expect((await h.paper(u.accountId).fetchPositions(['BTC/USDT']))[0]!.leverage).toBe(7);
  });
});

describe('limits', () => {
  it('each limit refuses the plan and says which and why; nothing is sent', async () => {
    h = await createHarness();
    const maxTrades = await h.addUser({ settings: { maxTrades: 1, onePerSymbol: false } });
    const onePer = await h.addUser();
    const exposure = await h.addUser({ settings: { maxExposureUsdt: 30, sizeValue: 20, onePerSymbol: false } });
    const old = await h.addUser({ settings: { maxSignalAgeSec: 60 } });
    const noStop = await h.addUser({ settings: { stopPolicy: 'skip_without' } });
    const tiny = await h.addUser({ settings: { sizeValue: 0.5 } });
    const poor = await h.addUser({ settings: { sizeMode: 'balance_pct', sizeValue: 100 }, balance: 0.01 });
    await h.post('30', signal());
    for (const u of [old, noStop, tiny, poor]) h.notifier.of(u.userId);
    h.notifier.clear();
    h.clock.advance(5_000);
    await h.post('31', signal({ stopLoss: null }), { postedAt: h.clock.now() - 120_000 });
    const reasons = (userId: number) => h.notifier.of(userId).filter((e) => e.type === 'plan-refused').map((e) => (e as { reason: string }).reason);
    expect(reasons(maxTrades.userId)).toEqual(['max-trades']);
    expect(reasons(onePer.userId)).toEqual(['one-per-symbol']);
    // onePerSymbol off still cannot hold two trades on one account+symbol (one net position).
    expect(reasons(exposure.userId)).toEqual(['same-symbol-open']);
    expect(reasons(old.userId)).toEqual(['signal-too-old']);
    await h.post('32', signal({ stopLoss: null, symbol: 'ETH/USDT' }));
    expect(reasons(exposure.userId)).toEqual(['same-symbol-open', 'max-exposure']);
    expect(reasons(noStop.userId)).toContain('no-stop');
    expect(reasons(tiny.userId)).toContain('below-min-size');
    expect(reasons(poor.userId)).toContain('below-min-size');
    // Nothing was sent for a refused plan.
    expect(await h.paper(noStop.accountId).fetchOpenOrders('ETH/USDT')).toEqual([]);
    expect(await h.paper(noStop.accountId).fetchPositions(['ETH/USDT'])).toEqual([]);
  });

  it('the daily loss limit pauses new entries after a losing day; a stop-loss starts the cooldown', async () => {
    h = await createHarness();
    const u = await h.addUser({ settings: { dailyLossLimitUsdt: 10, sizeValue: 100, onePerSymbol: false } });
    const cool = await h.addUser({ settings: { cooldownAfterStopMin: 30, onePerSymbol: false } });
    const r = await h.post('40', signal());
    h.feed.set('BTC/USDT', 48_000);
    for (const o of r.fanout!.outcomes) await h.trading.syncTrade(tradeIdOf(o));
    h.notifier.clear();
    h.feed.set('BTC/USDT', 50_000);
    await h.post('41', signal());
    expect(h.notifier.of(u.userId)).toMatchObject([{ type: 'plan-refused', reason: 'daily-loss' }]);
    expect(h.notifier.of(cool.userId)).toMatchObject([{ type: 'plan-refused', reason: 'cooldown' }]);
    // A new UTC day lifts the pause.
    h.clock.advance(24 * 3_600_000);
    h.notifier.clear();
    const next = await h.post('42', signal());
    expect(next.fanout!.outcomes.map((o) => o.status)).toEqual(['opened', 'opened']);
  });
});

describe('tracking', () => {
  it('partial fills of limit entries resize the ladder; a take-profit moves the stop to breakeven', async () => {
    h = await createHarness();
    const u = await h.addUser({ settings: { sizeValue: 100, breakevenAfterTp: 1 } });
    const r = await h.post('50', signal({ entryMarket: false, entries: [49_900, 49_500] }));
    expect(r.fanout!.outcomes[0]!.status).toBe('placed');
    const tradeId = tradeIdOf(r.fanout!.outcomes[0]);
    const paper = h.paper(u.accountId);
    h.feed.set('BTC/USDT', 49_800);
    await h.trading.syncTrade(tradeId);
    let t = await tradesRepo.findTrade(h.db, tradeId);
    expect(t).toMatchObject({ status: 'open', quantity: '0.01' });
    let tps = (await paper.fetchOpenOrders('BTC/USDT')).filter((o) => o.reduceOnly);
    expect(tps.reduce((s, o) => s + o.quantity, 0)).toBeCloseTo(0.01, 9);
    h.feed.set('BTC/USDT', 49_400);
    await h.trading.syncTrade(tradeId);
    t = await tradesRepo.findTrade(h.db, tradeId);
    expect(t?.quantity).toBe('0.02');
    tps = (await paper.fetchOpenOrders('BTC/USDT')).filter((o) => o.reduceOnly);
    expect(tps.reduce((s, o) => s + o.quantity, 0)).toBeCloseTo(0.02, 9);
    // The first fill of the zone is not "opened 0.01": it says how much of the plan filled.
    expect(h.notifier.of(u.userId).map((e) => e.type)).toEqual(['entry-placed', 'entry-filled', 'entry-filled']);
    expect(h.notifier.of(u.userId)[1]).toMatchObject({ type: 'entry-filled', first: true, filled: 0.01, planned: 0.02, averagePrice: 49_900, stopLoss: 49_000 });
    expect(h.notifier.of(u.userId)[2]).toMatchObject({ type: 'entry-filled', first: false, filled: 0.02, planned: 0.02, averagePrice: 49_700 });
    expect(h.notifier.of(u.userId)[0]).toMatchObject({ type: 'entry-placed', plan: { entries: [{ price: 49_900 }, { price: 49_500 }], signalEntries: [49_900, 49_500] } });
    h.feed.set('BTC/USDT', 51_100);
    await h.trading.syncTrade(tradeId);
    const [pos] = await paper.fetchPositions(['BTC/USDT']);
    expect(pos!.stopLoss).toBe(49_700); // average of 49,900 and 49,500
    expect(h.notifier.of(u.userId).slice(-2)).toMatchObject([{ type: 'tp-hit', index: 0 }, { type: 'sl-moved', why: 'breakeven', stopLoss: 49_700 }]);
    h.feed.set('BTC/USDT', 53_500);
    await h.trading.syncTrade(tradeId);
    t = await tradesRepo.findTrade(h.db, tradeId);
    expect(t).toMatchObject({ status: 'closed', close_reason: 'take-profit' });
    expect(Number(t!.realized_pnl)).toBeGreaterThan(0);
  });

  it('a stop-loss that cannot be placed closes the position at once', async () => {
    h = await createHarness({
      options: { attachStops: { paper: false } },
      wrap: (_id, paper) =>
        new Proxy(paper, {
          get(target, prop, receiver) {
            if (prop === 'setPositionProtection') return () => Promise.reject(new OrderRejected('stop refused', { exchange: 'paper' }));
            return Reflect.get(target, prop, receiver) as unknown;
          },
        }) as ExchangeAdapter,
    });
    const u = await h.addUser();
    const r = await h.post('60', signal());
    const tradeId = tradeIdOf(r.fanout!.outcomes[0]);
    expect(await h.paper(u.accountId).fetchPositions(['BTC/USDT'])).toEqual([]);
    expect(await tradesRepo.findTrade(h.db, tradeId)).toMatchObject({ status: 'closed', close_reason: 'stop-failed' });
    expect(h.notifier.of(u.userId).map((e) => e.type)).toEqual(['stop-failed-closed', 'trade-closed']);
    expect(await h.paper(u.accountId).fetchOpenOrders()).toEqual([]);
  });

  it('a crash between entry fill and stop placement: reconciliation on restart places the stop', async () => {
    h = await createHarness({ options: { attachStops: { paper: false } } });
    const u = await h.addUser({ settings: { sizeValue: 100 } });
    // What execute had done before the crash: trade + entry row stored, entry sent and filled, no stop.
    const now = h.clock.now();
    const trade = await tradesRepo.insertTrade(h.db, {
      user_id: u.userId, account_id: u.accountId, signal_id: null, source_id: h.sourceId, symbol: 'BTC/USDT', side: 'long', status: 'opening', leverage: 10,
      margin_mode: 'isolated', entry_price: null, quantity: '0', stop_loss: '49000', take_profits: '[51000]', realized_pnl: '0', fees: '0', close_reason: null,
      trace_id: 'trace-crash', opened_at: null, closed_at: null, created_at: now, updated_at: now,
      plan: JSON.stringify({ plan: { symbol: 'BTC/USDT', side: 'long', entryType: 'market', entries: [{ price: null, quantity: 0.02 }], entryTrigger: null, quantity: 0.02, avgEntry: 50_000, leverage: 10, marginMode: 'isolated', margin: 100, notional: 1_000, stopLoss: 49_000, takeProfits: [{ price: 51_000, share: 1 }], allowNoStop: false, breakevenAfterTp: 0, trailingPct: 0, entryTimeoutMin: 0, warnings: [] } }),
    });
    const coid = clientOrderId(`t${trade.id}`, u.userId, 'entry-0', (await orderIdSalt(h.db)).salt);
    await tradesRepo.insertOrderOnce(h.db, { trade_id: trade.id, account_id: u.accountId, client_order_id: coid, exchange_order_id: null, symbol: 'BTC/USDT', side: 'buy', type: 'market', role: 'entry', status: 'pending', price: null, trigger_price: null, quantity: '0.02', filled: '0', average_price: null, reduce_only: 0, leg: 'entry-0', created_at: now, updated_at: now });
    const client = await h.registry.client({ accountId: String(u.accountId), exchange: 'paper', environment: 'mainnet' });
    await client.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: 0.02, clientOrderId: coid });
    expect((await h.paper(u.accountId).fetchPositions(['BTC/USDT']))[0]!.stopLoss).toBeNull();
    // Restart: reconciliation at start.
    const report = await h.trading.reconcile({ startup: true });
    expect(report.discrepancies.map((d) => d.kind)).toEqual(expect.arrayContaining(['order-adopted', 'stop-missing']));
    const [pos] = await h.paper(u.accountId).fetchPositions(['BTC/USDT']);
    expect(pos!.stopLoss).toBe(49_000);
    expect(await tradesRepo.findTrade(h.db, trade.id)).toMatchObject({ status: 'open', quantity: '0.02', entry_price: '50000' });
    expect((await h.paper(u.accountId).fetchOpenOrders('BTC/USDT')).map((o) => o.price)).toEqual([51_000]);
    const log = await audit.listAudit(h.db, { traceId: 'trace-crash' });
    expect(log.map((a) => a.action)).toEqual(expect.arrayContaining(['reconcile.order-adopted', 'reconcile.stop-missing', 'stop.set']));
    expect(h.notifier.of(u.userId).map((e) => e.type)).toContain('reconcile-discrepancy');
  });

  it('reconciliation closes a trade whose position is gone (closed by hand on the exchange)', async () => {
    h = await createHarness();
    const u = await h.addUser();
    const r = await h.post('70', signal());
    const tradeId = tradeIdOf(r.fanout!.outcomes[0]);
    await h.paper(u.accountId).closePosition('BTC/USDT', 'long', { clientOrderId: 'by-hand-1' });
    h.feed.set('BTC/USDT', 50_500);
    const report = await h.trading.reconcile();
    expect(report.discrepancies.map((d) => d.kind)).toContain('position-gone');
    expect(await tradesRepo.findTrade(h.db, tradeId)).toMatchObject({ status: 'closed', close_reason: 'position-gone' });
    expect(await h.paper(u.accountId).fetchOpenOrders()).toEqual([]);
  });
});

describe('follow-ups', () => {
  it('a reply "close" closes the trades of followers only', async () => {
    h = await createHarness();
    const follower = await h.addUser();
    const ignorer = await h.addUser({ overrides: { followUpdates: false } });
    await h.post('80', signal());
    h.feed.set('BTC/USDT', 50_400);
    const r = await h.post('81', update({ action: 'close', symbol: null }), { replyTo: '80' });
    expect(r.followUps?.map((f) => [f.userId, f.result.ok])).toEqual([
      [follower.userId, true],
      [ignorer.userId, false],
    ]);
    expect(await h.paper(follower.accountId).fetchPositions(['BTC/USDT'])).toEqual([]);
    expect((await h.paper(ignorer.accountId).fetchPositions(['BTC/USDT']))[0]!.quantity).toBeGreaterThan(0);
    const closed = (await tradesRepo.listClosedTrades(h.db, { userId: follower.userId }))[0]!;
    expect(closed.close_reason).toBe('follow-up');
    expect(Number(closed.realized_pnl)).toBeCloseTo(0.004 * 400 - 0.004 * 50_000 * 0.00055 - 0.004 * 50_400 * 0.00055, 6);
  });

  it('a stop move to where the stop already is succeeds without a request (no failure notice)', async () => {
    let protections = 0;
    h = await createHarness({
      wrap: (_id, paper) =>
        Object.assign(Object.create(paper) as typeof paper, {
          setPositionProtection: (...args: Parameters<typeof paper.setPositionProtection>) => {
            protections++;
            return paper.setPositionProtection(...args);
          },
        }),
    });
    const u = await h.addUser({ settings: { onePerSymbol: false } });
    await h.post('80', signal());
    h.feed.set('BTC/USDT', 50_600);
    await h.post('81', update({ action: 'move_sl', breakeven: true }));
    expect((await h.paper(u.accountId).fetchPositions(['BTC/USDT']))[0]!.stopLoss).toBe(50_000);
    const sent = protections;
    const before = h.notifier.of(u.userId).length;
    await h.post('82', update({ action: 'move_sl', breakeven: true }));
    expect(protections).toBe(sent);
    expect(h.notifier.of(u.userId).slice(before).filter((e) => e.type === 'sl-move-failed')).toEqual([]);
    expect((await h.paper(u.accountId).fetchPositions(['BTC/USDT']))[0]!.stopLoss).toBe(50_000);
  });

  it.each([
    ['removed by hand', null],
    ['changed by hand', 49_500],
  ] as const)('a stop move to the recorded price re-places a stop %s on the exchange', async (_n, byHand) => {
    let protections = 0;
    h = await createHarness({
      wrap: (_id, paper) =>
        Object.assign(Object.create(paper) as typeof paper, {
          setPositionProtection: (...args: Parameters<typeof paper.setPositionProtection>) => {
            protections++;
            return paper.setPositionProtection(...args);
          },
        }),
    });
    const u = await h.addUser({ settings: { onePerSymbol: false } });
    const r = await h.post('80', signal());
    const tradeId = tradeIdOf(r.fanout!.outcomes[0]);
    h.feed.set('BTC/USDT', 50_600);
    await h.post('81', update({ action: 'move_sl', breakeven: true }));
    expect(await tradesRepo.findTrade(h.db, tradeId)).toMatchObject({ stop_loss: '50000' });
    // By hand on the exchange, around the bot (the unwrapped paper account).
    await h.paper(u.accountId).setPositionProtection('BTC/USDT', 'long', { stopLoss: byHand });
    expect((await h.paper(u.accountId).fetchPositions(['BTC/USDT']))[0]!.stopLoss).toBe(byHand);
    const sent = protections;
    const before = h.notifier.of(u.userId).length;
    await h.post('82', update({ action: 'move_sl', breakeven: true }));
    expect(protections).toBe(sent + 1);
    expect((await h.paper(u.accountId).fetchPositions(['BTC/USDT']))[0]!.stopLoss).toBe(50_000);
    expect(h.notifier.of(u.userId).slice(before).filter((e) => e.type === 'sl-move-failed')).toEqual([]);
  });

  it('"move SL to breakeven" naming the symbol moves the stop; "cancel" cancels unfilled entries', async () => {
    h = await createHarness();
    const u = await h.addUser({ settings: { onePerSymbol: false } });
    await h.post('90', signal());
    h.feed.set('BTC/USDT', 50_600);
    await h.post('91', update({ action: 'move_sl', breakeven: true }));
    expect((await h.paper(u.accountId).fetchPositions(['BTC/USDT']))[0]!.stopLoss).toBe(50_000);
    const limit = await h.post('92', signal({ symbol: 'ETH/USDT', entryMarket: false, entries: [2_900], stopLoss: 2_800, takeProfits: [3_100] }));
    expect(limit.fanout!.outcomes[0]!.status).toBe('placed');
    await h.post('93', update({ action: 'cancel', symbol: 'ETH/USDT' }));
    expect(await tradesRepo.findTrade(h.db, tradeIdOf(limit.fanout!.outcomes[0]))).toMatchObject({ status: 'cancelled' });
    expect(await h.paper(u.accountId).fetchOpenOrders('ETH/USDT')).toEqual([]);
  });
});

describe('manual trading', () => {
  it('opens, partially closes, moves the stop and closes', async () => {
    h = await createHarness();
    const u = await h.addUser();
    const open = await h.trading.openManual({ userId: u.userId, symbol: 'ETH/USDT', side: 'short', entryType: 'market', stopLoss: 3_100, takeProfits: [2_900, 2_800], marginUsdt: 60, leverage: 5 });
    expect(open).toMatchObject({ ok: true, status: 'opened' });
    const tradeId = (open as { tradeId: number }).tradeId;
    const paper = h.paper(u.accountId);
    expect((await paper.fetchPositions(['ETH/USDT']))[0]).toMatchObject({ side: 'short', quantity: 0.1, stopLoss: 3_100 });
    expect(await h.trading.closeTrade(u.userId, tradeId, 0.5)).toMatchObject({ ok: true, status: 'open' });
    expect((await paper.fetchPositions(['ETH/USDT']))[0]!.quantity).toBe(0.05);
    expect((await paper.fetchOpenOrders('ETH/USDT')).reduce((s, o) => s + o.quantity, 0)).toBeCloseTo(0.05, 9);
    expect(await h.trading.moveStop(u.userId, tradeId, { price: 3_050 })).toMatchObject({ ok: true });
    expect((await paper.fetchPositions(['ETH/USDT']))[0]!.stopLoss).toBe(3_050);
    expect(await h.trading.closeTrade(u.userId, tradeId)).toMatchObject({ ok: true, status: 'closed' });
    expect(await paper.fetchPositions(['ETH/USDT'])).toEqual([]);
    await expect(h.trading.closeTrade(u.userId + 1, tradeId)).rejects.toThrow(/not found/);
  });
});
