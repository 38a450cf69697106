import { beforeEach, describe, expect, it } from 'vitest';
import { audit, signals, sources, type Db } from '../../../db/index.js';
import type { ExchangeHealth } from '../../../exchanges/index.js';
import { NotAuthorized } from '../../../services/access.js';
import { createAdminService, createErrorRing } from '../../../services/admin.js';
import { createSourceOwnerService } from '../../../services/source-owner.js';
import { memoryDb } from '../../helpers/db.js';
import { addOpenTrade, addUser, admin, fakeClock, services } from './helpers.js';

describe('admin service', () => {
  let db: Db;
  beforeEach(async () => {
    db = await memoryDb();
  });

  function build(clock = fakeClock()) {
    const s = services(db, { clock });
    const errors = createErrorRing({ size: 3, clock });
    const health: ExchangeHealth = {
      breakers: [{ scope: 'exchange', key: 'https://api.bybit.com', status: 'open', reason: 'exchange-unavailable', openedAt: clock.t, retryAt: clock.t + 30_000, consecutiveFailures: 5 }],
      limiter: {
        queued: 7,
        buckets: [
          { key: 'host:bybit', limit: 600, windowMs: 5_000, used: 10, reserved: 0, queued: 7, heldUntil: null },
          { key: 'host:hl', limit: 1200, windowMs: 60_000, used: 0, reserved: 0, queued: 0, heldUntil: null },
        ],
      },
      metrics: [],
      clients: 1,
    };
    const adminSvc = createAdminService({ db, access: s.access, licenses: s.licenses, gate: s.gate, errors, exchangeHealth: () => health, clock, startedAt: clock.t - 5_000 });
    return { ...s, errors, adminSvc, clock };
  }

  it('finds a user by Telegram id, our id or @username, with masked accounts, subscriptions, open trades and license', async () => {
    const { adminSvc, licenses } = build();
    const u = await addUser(db, 777, { username: 'Trader_Joe' });
    const { acct, trade } = await addOpenTrade(db, u.id);
    const src = await sources.upsertSource(db, { kind: 'channel', chatId: '-1', title: 'Alpha', now: 0 });
    await sources.upsertSubscription(db, { userId: u.id, sourceId: src.id, now: 0 });
    await licenses.grant(admin, u.id, { days: 3 });
    const byTg = await adminSvc.findUser(admin, '777');
    expect(byTg?.user.id).toBe(u.id);
    expect((await adminSvc.findUser(admin, String(u.id)))?.user.telegramId).toBe(777);
    expect((await adminSvc.findUser(admin, '@trader_joe'))?.user.id).toBe(u.id);
    expect(await adminSvc.findUser(admin, '@nobody_here')).toBeNull();
    expect(await adminSvc.findUser(admin, "'; drop table users; --")).toBeNull();
    expect(byTg?.accounts).toEqual([expect.objectContaining({ id: acct.id, exchange: 'bybit', keyHint: 'AbCd…9xYz' })]);
    expect(JSON.stringify(byTg)).not.toMatch(/credentials|fingerprint/);
    expect(byTg?.subscriptions).toEqual([{ sourceId: src.id, title: 'Alpha', enabled: true, mode: 'auto' }]);
    expect(byTg?.openTrades.map((t) => t.id)).toEqual([trade.id]);
    expect(byTg?.license).toMatchObject({ state: 'active', daysLeft: 3 });
  });

  it('lists sources with subscriber counts', async () => {
    const { adminSvc } = build();
    const a = await sources.upsertSource(db, { kind: 'channel', chatId: '-1', title: 'A', now: 0 });
    const b = await sources.upsertSource(db, { kind: 'channel', chatId: '-2', title: 'B', now: 0 });
    for (let i = 0; i < 3; i++) {
      const u = await addUser(db, 100 + i);
      await sources.upsertSubscription(db, { userId: u.id, sourceId: a.id, enabled: i !== 2, now: 0 });
    }
    const list = await adminSvc.listSources(admin);
    expect(list.map((s) => [s.id, s.subscribers])).toEqual([
      [a.id, 2],
      [b.id, 0],
    ]);
  });

  it('reports health: uptime, breakers, queues, last errors with ids, last-hour counts, kill switch', async () => {
    const { adminSvc, errors, gate, clock } = build();
    const src = await sources.upsertSource(db, { kind: 'channel', chatId: '-1', title: 'A', now: 0 });
    await signals.insertSignalOnce(db, { sourceId: src.id, messageId: '1', rawText: 'x', parseResult: '{}', kind: 'signal', status: 'new', traceId: 't', now: clock.t - 10 * 60_000 });
    await signals.insertSignalOnce(db, { sourceId: src.id, messageId: '2', rawText: 'x', parseResult: '{}', kind: 'signal', status: 'new', traceId: 't', now: clock.t - 2 * 3_600_000 });
    for (let i = 1; i <= 5; i++) errors.recordError(`e${i}`, 'exchange-unavailable', `boom ${i}\nline`);
    await gate.setKillSwitch(admin);
    const h = await adminSvc.health(admin);
    expect(h.uptimeMs).toBe(5_000);
    expect(h.killSwitch.on).toBe(true);
    expect(h.breakers).toEqual([expect.objectContaining({ status: 'open', key: 'https://api.bybit.com' })]);
    expect(h.limiter).toEqual({ queued: 7, buckets: [{ key: 'host:bybit', queued: 7, used: 10, limit: 600 }] });
    expect(h.lastErrors.map((e) => e.id)).toEqual(['e5', 'e4', 'e3']);
    expect(h.lastErrors[0]?.message).toBe('boom 5 line');
    expect(h.lastHour).toMatchObject({ signals: 1, orders: 0, errors: 3 });
  });

  it('refuses every read to a non-admin', async () => {
    const { adminSvc } = build();
    const u = await addUser(db, 55);
    for (const p of [adminSvc.findUser({ telegramId: 55 }, '55'), adminSvc.userCard({ telegramId: 55 }, u.id), adminSvc.listSources({ telegramId: 55 }), adminSvc.health({ telegramId: 55 })]) {
      await expect(p).rejects.toBeInstanceOf(NotAuthorized);
    }
  });
});

describe('source owner controls', () => {
  let db: Db;
  beforeEach(async () => {
    db = await memoryDb();
  });

  it('the owner sets visibility, defaults and pause; others cannot; admins can; all audited', async () => {
    const { access, gate } = services(db);
    const owner = await addUser(db, 1);
    const other = await addUser(db, 2);
    const adm = await addUser(db, 1000, { role: 'admin' });
    const src = await sources.upsertSource(db, { kind: 'channel', chatId: '-100', title: 'Own', addedBy: owner.id, now: 0 });
    const svc = createSourceOwnerService({ db, access });
    expect((await svc.listOwned(owner.id)).map((s) => s.id)).toEqual([src.id]);
    expect(await svc.canControl(other.id, src.id)).toBe(false);
    await expect(svc.setPaused(other.id, src.id, true)).rejects.toBeInstanceOf(NotAuthorized);

    expect((await svc.setVisibility(owner.id, src.id, 'private')).visibility).toBe('private');
    const d = await svc.updateDefaults(owner.id, src.id, { leverage: 3, breakevenAfterTp: 2 });
    expect(d.defaults).toEqual({ leverage: 3, breakevenAfterTp: 2 });
    await expect(svc.updateDefaults(owner.id, src.id, { leverage: 500 })).rejects.toMatchObject({ code: 'validation' });
    // the subscriber's money and risk are theirs alone: never an owner default
    for (const patch of [{ allowNoStop: true }, { maxLeverage: 125 }, { sizeMode: 'balance_pct' }, { sizeValue: 100 }, { dailyLossLimitUsdt: 0 }, { marginMode: 'cross' }] as const) {
      await expect(svc.updateDefaults(owner.id, src.id, patch as any)).rejects.toMatchObject({ code: 'validation', details: { issue: 'not-owner-setting' } });
    }
    expect((await svc.updateDefaults(owner.id, src.id, { breakevenAfterTp: null })).defaults).toEqual({ leverage: 3 });

    expect((await svc.setPaused(owner.id, src.id, true)).paused).toBe(true);
    expect(await gate.canOpenEntries(other.id, { sourceId: src.id })).toEqual({ ok: false, reason: 'source-paused' });
    expect((await svc.setPaused(adm.id, src.id, false)).paused).toBe(false);

    const trail = (await audit.listAudit(db, { entity: 'source' })).map((r) => [r.action, r.actor]).reverse();
    expect(trail).toEqual([
      ['source.visibility', `user:${owner.id}`],
      ['source.defaults', `user:${owner.id}`],
      ['source.defaults', `user:${owner.id}`],
      ['source.pause', `user:${owner.id}`],
      ['source.resume', 'admin:1000'],
    ]);
  });
});
