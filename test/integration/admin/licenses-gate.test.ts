import { beforeEach, describe, expect, it } from 'vitest';
import { audit, users as usersRepo, type Db } from '../../../db/index.js';
import { NotAuthorized } from '../../../services/access.js';
import { createEntryGate } from '../../../services/entry-gate.js';
import { DAY_MS, GRACE_MS } from '../../../services/licenses.js';
import { memoryDb } from '../../helpers/db.js';
import { ADMIN_TG, addOpenTrade, addUser, admin, fakeClock, services } from './helpers.js';

const HOUR = 3_600_000;

describe('licenses', () => {
  let db: Db;
  beforeEach(async () => {
    db = await memoryDb();
  });

  it('moves active → grace → expired with the injected clock; grants, extends and revokes are audited', async () => {
    const clock = fakeClock();
    const { licenses } = services(db, { clock });
    const u = await addUser(db, 10);
    expect((await licenses.status(u.id)).state).toBe('none');
    const g = await licenses.grant(admin, u.id, { plan: 'month' });
    expect(g).toMatchObject({ state: 'active', daysLeft: 30, plan: 'month', expiresAt: clock.t + 30 * DAY_MS });
    const ext = await licenses.extend(admin, u.id, { days: 5 });
    expect(ext.expiresAt).toBe(clock.t + 35 * DAY_MS);
    clock.advance(35 * DAY_MS);
    expect(await licenses.status(u.id)).toMatchObject({ state: 'grace', entriesAllowed: false, managed: true, graceEndsAt: clock.t + GRACE_MS });
    clock.advance(GRACE_MS);
    expect(await licenses.status(u.id)).toMatchObject({ state: 'expired', entriesAllowed: false, managed: false });
    // Extending an expired license starts from now.
    const again = await licenses.extend(admin, u.id, { days: 2 });
    expect(again).toMatchObject({ state: 'active', expiresAt: clock.t + 2 * DAY_MS });
    const revoked = await licenses.revoke(admin, u.id);
    expect(revoked).toMatchObject({ state: 'grace', expiresAt: clock.t });
    const actions = (await audit.listAudit(db, { entity: 'user', entityId: String(u.id) })).map((r) => [r.action, r.actor]).reverse();
    expect(actions).toEqual([
      ['license.grant', `admin:${ADMIN_TG}`],
      ['license.extend', `admin:${ADMIN_TG}`],
      ['license.extend', `admin:${ADMIN_TG}`],
      ['license.revoke', `admin:${ADMIN_TG}`],
    ]);
  });

  it('refuses bad input and non-admins', async () => {
    const { licenses } = services(db);
    const u = await addUser(db, 11);
    await expect(licenses.grant(admin, u.id, { days: 0 })).rejects.toMatchObject({ code: 'user-input' });
    await expect(licenses.grant(admin, u.id, { plan: 'forever' })).rejects.toMatchObject({ code: 'user-input' });
    await expect(licenses.grant({ telegramId: 11 }, u.id, { days: 3 })).rejects.toBeInstanceOf(NotAuthorized);
    await expect(licenses.revoke({ telegramId: 11 }, u.id)).rejects.toBeInstanceOf(NotAuthorized);
    expect((await usersRepo.findUserById(db, u.id))?.license_expires_at).toBeNull();
  });

  it('the job sends the 3-day and 1-day reminders, the expiry notice and the grace-ended notice, each once', async () => {
    const clock = fakeClock();
    const { licenses, events } = services(db, { clock });
    const u = await addUser(db, 12);
    await addOpenTrade(db, u.id, clock.t);
    await licenses.grant(admin, u.id, { days: 10 });
    events.length = 0;
    const types = () => events.map((e) => (e.type === 'license-expiring' ? `expiring-${e.daysBefore}` : e.type));

    await licenses.runJob();
    expect(types()).toEqual([]);
    clock.advance(7 * DAY_MS + HOUR); // 3 days - 1 h left
    await licenses.runJob();
    await licenses.runJob();
    expect(types()).toEqual(['expiring-3']);
    clock.advance(2 * DAY_MS); // 23 h left
    await licenses.runJob();
    await licenses.runJob();
    expect(types()).toEqual(['expiring-3', 'expiring-1']);
    clock.advance(DAY_MS); // expired 1 h ago
    await licenses.runJob();
    await licenses.runJob();
    expect(types()).toEqual(['expiring-3', 'expiring-1', 'license-expired']);
    expect(events[2]).toMatchObject({ type: 'license-expired', openTrades: 1, telegramId: 12 });
    clock.advance(GRACE_MS);
    await licenses.runJob();
    await licenses.runJob();
    expect(types()).toEqual(['expiring-3', 'expiring-1', 'license-expired', 'license-grace-ended']);
    expect(events[3]).toMatchObject({ type: 'license-grace-ended', openTrades: 1 });
    // A new license means new reminders for its own expiry.
    await licenses.extend(admin, u.id, { days: 1 });
    events.length = 0;
    await licenses.runJob();
    expect(types()).toEqual(['expiring-1']);
  });

  it('a first run that finds one day left sends only the 1-day reminder', async () => {
    const clock = fakeClock();
    const { licenses, events } = services(db, { clock });
    const u = await addUser(db, 13);
    await licenses.grant(admin, u.id, { days: 1 });
    events.length = 0;
    const r = await licenses.runJob();
    expect(r.reminders).toBe(1);
    expect(events).toEqual([expect.objectContaining({ type: 'license-expiring', daysBefore: 1 })]);
  });
});

describe('entry gate', () => {
  let db: Db;
  beforeEach(async () => {
    db = await memoryDb();
  });

  it('license expiry pauses entries while canManage stays true through the 48 h grace', async () => {
    const clock = fakeClock();
    const { licenses, gate } = services(db, { clock });
    const u = await addUser(db, 20);
    await licenses.grant(admin, u.id, { days: 1 });
    expect(await gate.canOpenEntries(u.id)).toEqual({ ok: true });
    clock.advance(DAY_MS);
    expect(await gate.canOpenEntries(u.id)).toEqual({ ok: false, reason: 'license-expired' });
    expect(await gate.canManage(u.id)).toBe(true);
    clock.advance(GRACE_MS - 1);
    expect(await gate.canManage(u.id)).toBe(true);
    clock.advance(1);
    expect(await gate.canManage(u.id)).toBe(false);
    expect(await gate.canOpenEntries(u.id)).toEqual({ ok: false, reason: 'license-expired' });
    await licenses.extend(admin, u.id, { days: 1 });
    expect(await gate.canOpenEntries(u.id)).toEqual({ ok: true });
    expect(await gate.canManage(u.id)).toBe(true);
  });

  it('never-licensed users may trade unless licenses are required; admins always may', async () => {
    const optional = services(db, { licenseRequired: false });
    const required = services(db, { licenseRequired: true });
    const u = await addUser(db, 21);
    const a = await addUser(db, 22, { role: 'admin' });
    expect(await optional.gate.canOpenEntries(u.id)).toEqual({ ok: true });
    expect(await required.gate.canOpenEntries(u.id)).toEqual({ ok: false, reason: 'license-none' });
    expect(await required.gate.canManage(u.id)).toBe(true);
    expect(await required.gate.canOpenEntries(a.id)).toEqual({ ok: true });
  });

  it('refuses blocked, pending, inactive, paused-by-user, unknown users and paused sources', async () => {
    const { gate } = services(db);
    const cases: [string, string][] = [
      ['blocked', 'user-blocked'],
      ['pending', 'user-pending'],
      ['inactive', 'user-inactive'],
    ];
    for (const [i, [status, reason]] of cases.entries()) {
      const u = await addUser(db, 30 + i, { status });
      expect(await gate.canOpenEntries(u.id)).toEqual({ ok: false, reason });
    }
    const p = await addUser(db, 40);
    await usersRepo.updateUser(db, p.id, { trading_enabled: 0 }, 0);
    expect(await gate.canOpenEntries(p.id)).toEqual({ ok: false, reason: 'paused-by-user' });
    expect(await gate.canOpenEntries(99_999)).toEqual({ ok: false, reason: 'unknown-user' });
    const { sources } = await import('../../../db/index.js');
    const src = await sources.upsertSource(db, { kind: 'channel', chatId: '-1001', title: 'C', now: 0 });
    const ok = await addUser(db, 41);
    expect(await gate.canOpenEntries(ok.id, { sourceId: src.id })).toEqual({ ok: true });
    await sources.updateSource(db, src.id, { paused: 1 }, 0);
    expect(await gate.canOpenEntries(ok.id, { sourceId: src.id })).toEqual({ ok: false, reason: 'source-paused' });
  });

  it('the kill switch refuses everyone, survives a restart, is audited, and its undo lets entries through', async () => {
    const { gate, access } = services(db);
    const u = await addUser(db, 50);
    const told: boolean[] = [];
    const g1 = createEntryGate({ db, access, onKillSwitch: (s) => told.push(s.on) });
    await expect(g1.setKillSwitch({ telegramId: 50 })).rejects.toBeInstanceOf(NotAuthorized);
    expect((await g1.setKillSwitch(admin, 'maintenance')).changed).toBe(true);
    expect((await g1.setKillSwitch(admin)).changed).toBe(false);
    // A new gate over the same database (a restart) still sees it.
    expect(await gate.canOpenEntries(u.id)).toEqual({ ok: false, reason: 'kill-switch' });
    expect(await gate.killSwitch()).toMatchObject({ on: true, by: ADMIN_TG, reason: 'maintenance' });
    const adminRow = await addUser(db, 51, { role: 'admin' });
    expect(await gate.canOpenEntries(adminRow.id)).toEqual({ ok: false, reason: 'kill-switch' });
    await expect(g1.clearKillSwitch({ telegramId: 50 })).rejects.toBeInstanceOf(NotAuthorized);
    expect((await g1.clearKillSwitch(admin)).changed).toBe(true);
    expect(await gate.canOpenEntries(u.id)).toEqual({ ok: true });
    expect(told).toEqual([true, false]);
    const trail = (await audit.listAudit(db, { entity: 'system' })).map((r) => [r.action, r.actor]).reverse();
    expect(trail).toEqual([
      ['kill-switch.on', `admin:${ADMIN_TG}`],
      ['kill-switch.off', `admin:${ADMIN_TG}`],
    ]);
  });
});
