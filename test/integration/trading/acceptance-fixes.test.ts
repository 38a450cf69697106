/**
 * Service-side fixes from the acceptance tour: the leverage lowered so the
 * stop comes before liquidation (P1.4), positions run by a grid refused by
 * the generic close (P2.12), follow-ups posted while a confirm-mode preview
 * waited applied on Execute (P3.16).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { audit, trades as tradesRepo } from '../../../db/index.js';
import { insertGridBot } from '../../../db/repos/grid.js';
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

describe('stop beyond liquidation (P1.4)', () => {
  it('a 50x signal with its stop 2 % away opens at 38x (isolated; Paper BTC max 100x: maintenance 0.5 % + 0.1 % safety margin, 1 / 2.6 % = 38.5), and the preview says why', async () => {
    h = await createHarness();
    const u = await h.addUser({ settings: { maxLeverage: 50, marginMode: 'isolated', sizeMode: 'fixed', sizeValue: 50 } });
    const preview = await h.addUser({ mode: 'confirm', settings: { maxLeverage: 50, marginMode: 'isolated', sizeMode: 'fixed', sizeValue: 50 } });
    const r = await h.post('1', signal({ leverage: 50, stopLoss: 49_000 }));
    const trade = (await tradesRepo.findTrade(h.db, tradeIdOf(r.fanout!.outcomes.find((o) => o.userId === u.userId))))!;
    expect(trade.leverage).toBe(38);
    const [pos] = await h.paper(u.accountId).fetchPositions(['BTC/USDT']);
    expect(pos!.stopLoss).toBe(49_000);
    expect(pos!.liquidationPrice!).toBeLessThan(49_000);
    const ev = h.notifier.of(preview.userId).find((e) => e.type === 'signal-preview') as { plan: { leverage: number; warnings: string[] } };
    expect(ev.plan).toMatchObject({ leverage: 38, warnings: expect.arrayContaining(['leverage-lowered-for-stop']) });
  });

  it('fixed leverage is refused with stop-beyond-liquidation instead', async () => {
    h = await createHarness();
    const u = await h.addUser({ settings: { leverageMode: 'fixed', leverage: 50, maxLeverage: 50, marginMode: 'isolated' } });
    const r = await h.post('2', signal({ stopLoss: 49_000 }));
    expect(r.fanout!.outcomes[0]).toMatchObject({ status: 'refused', reason: 'stop-beyond-liquidation' });
    expect(await h.paper(u.accountId).fetchPositions()).toEqual([]);
  });
});

describe('grid-managed positions (P2.12)', () => {
  it('closeTrade refuses when a grid bot runs the account+symbol; the position stays', async () => {
    h = await createHarness();
    const u = await h.addUser();
    const r = await h.post('3', signal());
    const tradeId = tradeIdOf(r.fanout!.outcomes[0]);
    expect(await h.trading.gridManaging(u.accountId, 'BTC/USDT')).toBeNull();
    const bot = await insertGridBot(h.db, { userId: u.userId, accountId: u.accountId, symbol: 'BTC/USDT', side: 'long', params: '{}', state: '{}', status: 'running', now: h.clock.now() });
    expect(await h.trading.gridManaging(u.accountId, 'BTC/USDT')).toEqual({ gridId: bot.id, symbol: 'BTC/USDT' });
    expect(await h.trading.gridManaging(u.accountId, 'ETH/USDT')).toBeNull();
    const res = await h.trading.closeTrade(u.userId, tradeId, 0.5);
    expect(res).toEqual({ ok: false, tradeId, reason: 'grid-managed', code: 'grid-managed', gridId: bot.id });
    expect((await h.paper(u.accountId).fetchPositions(['BTC/USDT']))[0]!.quantity).toBeGreaterThan(0);
    expect((await tradesRepo.findTrade(h.db, tradeId))!.status).toBe('open');
  });

  it('a stopped grid no longer blocks the close', async () => {
    h = await createHarness();
    const u = await h.addUser();
    const r = await h.post('4', signal());
    const tradeId = tradeIdOf(r.fanout!.outcomes[0]);
    await insertGridBot(h.db, { userId: u.userId, accountId: u.accountId, symbol: 'BTC/USDT', side: 'long', params: '{}', state: '{}', status: 'stopped', now: h.clock.now() });
    expect(await h.trading.closeTrade(u.userId, tradeId)).toMatchObject({ ok: true });
    expect(await h.paper(u.accountId).fetchPositions(['BTC/USDT'])).toEqual([]);
  });
});

describe('follow-ups while a confirm-mode preview waits (P3.16)', () => {
  it('"move SL" posted before Execute: the trade opens with the moved stop', async () => {
    h = await createHarness();
    const u = await h.addUser({ mode: 'confirm' });
    const r = await h.post('10', signal({ stopLoss: 49_000 }));
    expect(r.fanout!.outcomes[0]).toMatchObject({ status: 'previewed' });
    const f = await h.post('11', update({ action: 'move_sl', stopLoss: 49_500, symbol: null }), { replyTo: '10' });
    expect(f.followUps).toEqual([]);
    h.clock.advance(5_000);
    const out = await h.trading.executeConfirmed(r.signalId, u.userId);
    const trade = (await tradesRepo.findTrade(h.db, tradeIdOf(out)))!;
    expect(Number(trade.stop_loss)).toBe(49_500);
    expect((await h.paper(u.accountId).fetchPositions(['BTC/USDT']))[0]!.stopLoss).toBe(49_500);
    expect((await audit.listAudit(h.db, { traceId: trade.trace_id })).map((a) => a.action)).toContain('signal.updates-applied');
  });

  it('an update naming another symbol, or replying to another post, changes nothing', async () => {
    h = await createHarness();
    const u = await h.addUser({ mode: 'confirm' });
    const r = await h.post('20', signal({ stopLoss: 49_000 }));
    await h.post('21', update({ action: 'move_sl', stopLoss: 2_900, symbol: 'ETH/USDT' }));
    await h.post('22', update({ action: 'close', symbol: null }), { replyTo: '999' });
    const out = await h.trading.executeConfirmed(r.signalId, u.userId);
    expect(Number((await tradesRepo.findTrade(h.db, tradeIdOf(out)))!.stop_loss)).toBe(49_000);
  });

  it('"close" posted before Execute: nothing is opened, refused as signal-closed', async () => {
    h = await createHarness();
    const u = await h.addUser({ mode: 'confirm' });
    const r = await h.post('30', signal());
    await h.post('31', update({ action: 'close', symbol: 'BTC/USDT' }));
    const out = await h.trading.executeConfirmed(r.signalId, u.userId);
    expect(out).toMatchObject({ status: 'refused', reason: 'signal-closed' });
    expect(await h.paper(u.accountId).fetchPositions()).toEqual([]);
    expect(h.notifier.of(u.userId).map((e) => e.type)).toContain('plan-refused');
  });
});
