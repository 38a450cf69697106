/**
 * The entry gate in the trading and grid services, with the REAL gate
 * (services/entry-gate.ts) on the harness clock: the kill switch pauses every
 * new entry path; an expired license stops entries at once but keeps
 * management (breakeven) through the 48 h grace, and never closes anything.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { signals as signalsRepo, sources, trades as tradesRepo, users } from '../../../db/index.js';
import { createEntryGate } from '../../../services/entry-gate.js';
import { createGridService } from '../../../services/grid/service.js';
import type { GridNotification } from '../../../services/grid/events.js';
import { createKeyedLock } from '../../../services/locks.js';
import { silentLogger } from '../../../services/logger.js';
import type { SignalParse } from '../../../models/index.js';
import { runForUser, SharedQuotes } from '../../../services/trading/fanout.js';
import { createGridWorld, type GridWorld } from '../grid/harness.js';
import { createHarness, signal, update, type Harness } from './harness.js';

let h: Harness | null = null;
let world: GridWorld | null = null;
afterEach(async () => {
  await h?.close();
  await world?.close();
  h = null;
  world = null;
});

const ADMIN = { telegramId: 1 };
const HOUR = 3_600_000;

describe('entry gate: kill switch', () => {
  it('stops a channel signal, Execute, forwarded posts and manual trades for everyone; clearing it lets the next signal through', async () => {
    h = await createHarness({ gate: {} });
    const a = await h.addUser();
    const b = await h.addUser();
    const c = await h.addUser({ mode: 'confirm' });
    await h.gate!.setKillSwitch(ADMIN, 'maintenance');

    const r = await h.post('1', signal());
    expect(r.fanout!.outcomes.map((o) => [o.userId, o.status, 'reason' in o ? o.reason : null])).toEqual([
      [a.userId, 'refused', 'entry-gate'],
      [b.userId, 'refused', 'entry-gate'],
      [c.userId, 'refused', 'entry-gate'],
    ]);
    for (const u of [a, b, c]) {
      expect(h.notifier.of(u.userId)).toEqual([expect.objectContaining({ type: 'plan-refused', reason: 'entry-gate', gate: 'kill-switch', details: { gate: 'kill-switch' } })]);
      // Refused before any request: the account's exchange client was never even built.
      expect(() => h!.paper(u.accountId)).toThrow(/no paper adapter/);
    }
    expect(await tradesRepo.listOpenTrades(h.db)).toEqual([]);

    // Execute (confirm mode) and a forwarded post (runForUser forced to auto, as services/app.ts does).
    expect(await h.trading.executeConfirmed(r.signalId, c.userId)).toMatchObject({ status: 'refused', reason: 'entry-gate', details: { gate: 'kill-switch' } });
    const row = (await signalsRepo.findSignal(h.db, r.signalId))!;
    const source = (await sources.findSource(h.db, h.sourceId))!;
    const fwd = await runForUser(h.trading.deps, row, JSON.parse(row.parse_result) as SignalParse, source, { userId: a.userId, mode: 'auto', accountId: a.accountId, overrides: '{}' }, new SharedQuotes(), true);
    expect(fwd).toMatchObject({ status: 'refused', reason: 'entry-gate' });
    // Manual trades.
    expect(await h.trading.openManual({ userId: b.userId, symbol: 'ETH/USDT', side: 'long', entryType: 'market', stopLoss: 2_900 })).toEqual({ ok: false, reason: 'entry-gate', details: { gate: 'kill-switch' } });
    expect(() => h!.paper(b.accountId)).toThrow(/no paper adapter/);

    await h.gate!.clearKillSwitch(ADMIN);
    h.notifier.clear();
    const next = await h.post('2', signal());
    expect(next.fanout!.outcomes.map((o) => o.status)).toEqual(['opened', 'opened', 'previewed']);
    expect((await h.paper(a.accountId).fetchPositions(['BTC/USDT']))[0]).toMatchObject({ quantity: 0.004, stopLoss: 49_000 });
    expect(await h.trading.executeConfirmed(next.signalId, c.userId)).toMatchObject({ status: 'opened' });
  });
});

describe('entry gate: license', () => {
  it('expired: no new entries; an open trade is still managed (breakeven) within the 48 h grace and not after; nothing is closed', async () => {
    h = await createHarness({ gate: { licenseRequired: true } });
    const t0 = h.clock.now();
    const a = await h.addUser({ settings: { breakevenAfterTp: 1 } });
    const b = await h.addUser({ settings: { breakevenAfterTp: 2 } });
    for (const u of [a, b]) await users.updateUser(h.db, u.userId, { license_expires_at: t0 + HOUR }, t0);
    const r = await h.post('1', signal());
    expect(r.fanout!.outcomes.map((o) => o.status)).toEqual(['opened', 'opened']);

    // Expired an hour ago: in the grace.
    h.clock.advance(2 * HOUR);
    h.notifier.clear();
    const refused = await h.post('2', signal({ symbol: 'ETH/USDT', stopLoss: 2_900, takeProfits: [3_100] }));
    expect(refused.fanout!.outcomes.map((o) => 'reason' in o && o.reason)).toEqual(['entry-gate', 'entry-gate']);
    expect(h.notifier.events.map((e) => (e.type === 'plan-refused' ? e.gate : e.type))).toEqual(['license-expired', 'license-expired']);

    // TP1: A's breakeven is due and done (managed in the grace); B's comes after TP2.
    h.feed.set('BTC/USDT', 51_100);
    await h.trading.trackOpen();
    expect((await h.paper(a.accountId).fetchPositions(['BTC/USDT']))[0]!.stopLoss).toBe(50_000);
    expect(h.notifier.of(a.userId).map((e) => e.type)).toEqual(['plan-refused', 'tp-hit', 'sl-moved']);
    expect((await h.paper(b.accountId).fetchPositions(['BTC/USDT']))[0]!.stopLoss).toBe(49_000);

    // The grace is over: TP2 is still noticed, but B's breakeven is not done; the stop stays, the position stays.
    h.clock.advance(48 * HOUR);
    h.notifier.clear();
    h.feed.set('BTC/USDT', 52_100);
    await h.trading.trackOpen();
    const [posB] = await h.paper(b.accountId).fetchPositions(['BTC/USDT']);
    expect(posB).toMatchObject({ stopLoss: 49_000 });
    expect(posB!.quantity).toBeGreaterThan(0);
    expect(h.notifier.of(b.userId).map((e) => e.type)).toEqual(['tp-hit']);
    const tradeB = (await tradesRepo.listOpenTrades(h.db, { userId: b.userId }))[0]!;
    expect(tradeB).toMatchObject({ status: 'open', stop_loss: '49000' });
    // A "move SL to breakeven" update from the channel is management too: not applied.
    const fu = await h.post('3', update({ action: 'move_sl', breakeven: true }), { replyTo: '1' });
    expect(fu.followUps!.find((f) => f.userId === b.userId)?.result).toMatchObject({ ok: false, reason: 'not-managed' });
    expect((await h.paper(b.accountId).fetchPositions(['BTC/USDT']))[0]!.stopLoss).toBe(49_000);
    // A close from the channel still closes (it only reduces exposure).
    const close = await h.post('4', update({ action: 'close' }), { replyTo: '1' });
    expect(close.followUps!.find((f) => f.userId === b.userId)?.result).toMatchObject({ ok: true });
    expect(await h.paper(b.accountId).fetchPositions(['BTC/USDT'])).toEqual([]);

    // Renewed: entries again.
    await users.updateUser(h.db, a.userId, { license_expires_at: h.clock.now() + 30 * 24 * HOUR }, h.clock.now());
    const again = await h.post('5', signal({ symbol: 'ETH/USDT', stopLoss: 2_900, takeProfits: [3_100] }));
    expect(again.fanout!.outcomes.map((o) => [o.userId, o.status])).toEqual([
      [a.userId, 'opened'],
      [b.userId, 'refused'],
    ]);
  });
});

describe('entry gate: grid', () => {
  const params = { side: 'long' as const, deposit: 100, leverage: 10, levels: 5, coverage: 10, multiplier: 1.3, takeProfit: 1, stopLoss: 10, pauseMs: 60_000, maxCycles: null, afterStopLoss: 'stop' as const };

  it('refuses grid creation and holds each new cycle while the kill switch is on; the running cycle is untouched', async () => {
    world = await createGridWorld();
    const gate = createEntryGate({ db: world.db, access: { assertAdmin: async () => null }, clock: world.clock });
    const events: GridNotification[] = [];
    const grid = createGridService({ db: world.db, exchanges: world.registry, notifier: { notify: (e) => void events.push(e) }, log: silentLogger(), clock: world.clock, locks: createKeyedLock(), entryGate: gate });
    const u = await world.addUser();
    const v = await world.addUser();

    await gate.setKillSwitch(ADMIN);
    await expect(grid.create(v.userId, { accountId: v.accountId, symbol: 'DOGE/USDT', params })).rejects.toMatchObject({ details: { reason: 'entry-gate', gate: 'kill-switch' } });
    expect(await grid.list(v.userId)).toEqual([]);
    await gate.clearKillSwitch(ADMIN);

    const bot = await grid.create(u.userId, { accountId: u.accountId, symbol: 'DOGE/USDT', params });
    const paper = world.paper(u.accountId);
    expect((await paper.fetchPositions(['DOGE/USDT']))[0]!.quantity).toBe(221);
    // The kill switch does not touch the running cycle: it still takes its profit.
    await gate.setKillSwitch(ADMIN);
    world.feed.set('DOGE/USDT', 0.506);
    await grid.tick(bot.id);
    expect(await paper.fetchPositions(['DOGE/USDT'])).toEqual([]);
    expect(await grid.get(u.userId, bot.id)).toMatchObject({ phase: 'waiting', cycle: 1 });
    // The next cycle is due but held, and the user is told once.
    world.clock.advance(60_000);
    await grid.tick(bot.id);
    await grid.tick(bot.id);
    expect(await grid.get(u.userId, bot.id)).toMatchObject({ phase: 'waiting', cycle: 1, lastError: 'entry-gate:kill-switch' });
    expect(await paper.fetchPositions(['DOGE/USDT'])).toEqual([]);
    expect(events.filter((e) => e.type === 'grid-error')).toEqual([expect.objectContaining({ code: 'entry-gate', details: { reason: 'entry-gate', gate: 'kill-switch' } })]);
    await gate.clearKillSwitch(ADMIN);
    await grid.tick(bot.id);
    expect(await grid.get(u.userId, bot.id)).toMatchObject({ phase: 'active', cycle: 2, lastError: null });
    expect((await paper.fetchPositions(['DOGE/USDT']))[0]!.quantity).toBeGreaterThan(0);
  });
});
