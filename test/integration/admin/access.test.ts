import { beforeEach, describe, expect, it } from 'vitest';
import { audit, users as usersRepo, type Db } from '../../../db/index.js';
import { ActionRefused, NotAuthorized, createAccessService, normalizeInviteCode } from '../../../services/access.js';
import { redeemInviteWithLicense } from '../../../services/licenses.js';
import { memoryDb } from '../../helpers/db.js';
import { ADMIN_TG, addUser, admin, fakeClock, services } from './helpers.js';

const HOUR = 3_600_000;

describe('access policy', () => {
  let db: Db;
  beforeEach(async () => {
    db = await memoryDb();
  });

  it('open mode lets a new user in; invite mode creates a pending row and asks for an invite', async () => {
    const open = createAccessService({ db, mode: 'open', adminIds: [ADMIN_TG] });
    expect(await open.check({ telegramId: 5 })).toEqual({ kind: 'allowed', userId: null, admin: false });
    const { access } = services(db, { mode: 'invite' });
    const d = await access.check({ telegramId: 6, username: 'six' });
    expect(d.kind).toBe('needs-invite');
    const row = await usersRepo.findUserByTelegramId(db, 6);
    expect(row?.status).toBe('pending');
    // The same user in open mode is let in and activated.
    expect((await open.check({ telegramId: 6 })).kind).toBe('allowed');
    expect((await usersRepo.findUserByTelegramId(db, 6))?.status).toBe('active');
  });

  it('ADMIN_IDS are always admins, even when blocked in the table', async () => {
    const { access } = services(db);
    const row = await addUser(db, ADMIN_TG, { status: 'blocked' });
    const d = await access.check({ telegramId: ADMIN_TG });
    expect(d).toEqual({ kind: 'allowed', userId: row.id, admin: true });
    const after = await usersRepo.findUserById(db, row.id);
    expect(after?.role).toBe('admin');
    expect(after?.status).toBe('active');
    expect(await access.isAdmin(ADMIN_TG)).toBe(true);
  });

  it('blocked users are told blocked, whatever the mode', async () => {
    const { access } = services(db, { mode: 'open' });
    const u = await addUser(db, 7);
    await access.block(admin, u.id);
    expect(await access.check({ telegramId: 7 })).toEqual({ kind: 'blocked', userId: u.id });
    const rows = await audit.listAudit(db, { entity: 'user', entityId: String(u.id) });
    expect(rows.map((r) => [r.action, r.actor])).toEqual([['user.block', `admin:${ADMIN_TG}`]]);
    await access.unblock(admin, u.id);
    expect((await access.check({ telegramId: 7 })).kind).toBe('allowed');
  });

  it('configured admins cannot be blocked or demoted, nor can an admin block themselves', async () => {
    const { access } = services(db);
    const a = await addUser(db, ADMIN_TG, { role: 'admin' });
    await expect(access.block(admin, a.id)).rejects.toBeInstanceOf(ActionRefused);
    await expect(access.demote(admin, a.id)).rejects.toBeInstanceOf(ActionRefused);
    const p = await addUser(db, 2000);
    await access.promote(admin, p.id);
    await expect(access.block({ telegramId: 2000 }, p.id)).rejects.toBeInstanceOf(ActionRefused);
  });

  it('promoted admins have admin rights until demoted', async () => {
    const { access } = services(db);
    const u = await addUser(db, 2001);
    expect(await access.isAdmin(2001)).toBe(false);
    await access.promote(admin, u.id);
    expect(await access.isAdmin(2001)).toBe(true);
    expect(await access.adminTelegramIds()).toEqual([ADMIN_TG, 2001]);
    await access.demote(admin, u.id);
    expect(await access.isAdmin(2001)).toBe(false);
  });
});

describe('invite codes', () => {
  let db: Db;
  beforeEach(async () => {
    db = await memoryDb();
  });

  it('a single-use code works once: the second user is refused', async () => {
    const { access } = services(db);
    const inv = await access.createInvite(admin, { maxUses: 1 });
    expect(inv.code).toMatch(/^[A-Z2-9]{10}$/);
    const r1 = await access.redeem({ telegramId: 11 }, inv.code.toLowerCase());
    expect(r1.ok).toBe(true);
    expect((await access.check({ telegramId: 11 })).kind).toBe('allowed');
    const r2 = await access.redeem({ telegramId: 12 }, inv.code);
    expect(r2).toEqual({ ok: false, reason: 'used-up' });
    expect((await access.check({ telegramId: 12 })).kind).toBe('needs-invite');
  });

  it('a single-use code redeemed by two users at once succeeds exactly once', async () => {
    const { access } = services(db);
    const inv = await access.createInvite(admin, { maxUses: 1 });
    const results = await Promise.all([21, 22, 23, 24].map((id) => access.redeem({ telegramId: id }, inv.code)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.reason)).toEqual(['used-up', 'used-up', 'used-up']);
    const [after] = await access.listInvites(admin);
    expect(after?.uses).toBe(1);
  });

  it('an expired code fails; a multi-use code counts its uses; the same user cannot use it twice', async () => {
    const clock = fakeClock();
    const { access } = services(db, { clock });
    const short = await access.createInvite(admin, { maxUses: 5, ttlMs: HOUR });
    const multi = await access.createInvite(admin, { maxUses: 3, ttlMs: 48 * HOUR });
    clock.advance(HOUR + 1);
    expect(await access.redeem({ telegramId: 31 }, short.code)).toEqual({ ok: false, reason: 'expired' });
    for (const id of [31, 32, 33]) expect((await access.redeem({ telegramId: id }, multi.code)).ok).toBe(true);
    expect(await access.redeem({ telegramId: 34 }, multi.code)).toEqual({ ok: false, reason: 'used-up' });
    expect(await access.redeem({ telegramId: 31 }, multi.code)).toEqual({ ok: false, reason: 'already-redeemed' });
    const list = await access.listInvites(admin);
    expect(list.find((i) => i.id === multi.id)?.uses).toBe(3);
    expect(await access.listInvites(admin, { activeOnly: true })).toEqual([]);
  });

  it('unknown, malformed and revoked codes fail; blocked users cannot redeem', async () => {
    const { access } = services(db);
    expect(await access.redeem({ telegramId: 41 }, 'NOPE-NOPE-NOPE')).toEqual({ ok: false, reason: 'invalid' });
    expect(await access.redeem({ telegramId: 41 }, '💥')).toEqual({ ok: false, reason: 'invalid' });
    const inv = await access.createInvite(admin, { maxUses: 10 });
    expect(await access.revokeInvite(admin, inv.id)).toBe(true);
    expect(await access.redeem({ telegramId: 41 }, inv.code)).toEqual({ ok: false, reason: 'revoked' });
    const inv2 = await access.createInvite(admin, { maxUses: 10 });
    const u = await addUser(db, 42);
    await access.block(admin, u.id);
    expect(await access.redeem({ telegramId: 42 }, inv2.code)).toEqual({ ok: false, reason: 'blocked' });
  });

  it('an invite carrying license days grants them on redemption', async () => {
    const { access, licenses } = services(db);
    const inv = await access.createInvite(admin, { maxUses: 1, licenseDays: 30 });
    const r = await redeemInviteWithLicense(access, licenses, { telegramId: 51 }, inv.code);
    expect(r.ok).toBe(true);
    const st = await licenses.status(r.ok ? r.userId : -1);
    expect(st.state).toBe('active');
    expect(st.daysLeft).toBe(30);
  });

  it('normalizes codes', () => {
    expect(normalizeInviteCode(' abcd-efgh ')).toBe('ABCDEFGH');
  });
});

describe('access requests', () => {
  let db: Db;
  beforeEach(async () => {
    db = await memoryDb();
  });

  it('request → pending → approve activates the user, once; the second admin sees it was decided', async () => {
    const { access } = services(db);
    await access.check({ telegramId: 61 });
    const req = await access.requestAccess({ telegramId: 61 });
    expect(req.created).toBe(true);
    expect(req.adminTelegramIds).toEqual([ADMIN_TG]);
    expect(await access.check({ telegramId: 61 })).toMatchObject({ kind: 'pending', requestId: req.request.id });
    // Asking again does not create a second request.
    expect((await access.requestAccess({ telegramId: 61 })).created).toBe(false);
    expect((await access.listPending(admin)).map((r) => r.id)).toEqual([req.request.id]);

    const first = await access.approve(admin, req.request.id);
    expect(first.changed).toBe(true);
    expect(first.user.telegramId).toBe(61);
    expect((await access.check({ telegramId: 61 })).kind).toBe('allowed');
    const second = await access.reject(admin, req.request.id);
    expect(second.changed).toBe(false);
    expect(second.request.status).toBe('approved');
    const trail = await audit.listAudit(db, { entity: 'access_request' });
    expect(trail.map((r) => r.action).sort()).toEqual(['access.approve', 'access.request']);
  });

  it('a rejected user stays out and may ask again only after the cooldown', async () => {
    const clock = fakeClock();
    const { access } = services(db, { clock });
    const req = await access.requestAccess({ telegramId: 71 });
    await access.reject(admin, req.request.id);
    expect(await access.check({ telegramId: 71 })).toMatchObject({ kind: 'needs-invite', canRequest: false, lastRequest: 'rejected' });
    await expect(access.requestAccess({ telegramId: 71 })).rejects.toBeInstanceOf(ActionRefused);
    clock.advance(24 * HOUR);
    expect(await access.check({ telegramId: 71 })).toMatchObject({ kind: 'needs-invite', canRequest: true });
    expect((await access.requestAccess({ telegramId: 71 })).created).toBe(true);
  });

  it('a non-admin cannot approve, reject, block, promote or create invites', async () => {
    const { access } = services(db);
    const req = await access.requestAccess({ telegramId: 81 });
    const mallory = { telegramId: 82 };
    const victim = await addUser(db, 83);
    await addUser(db, 82);
    const attempts: Promise<unknown>[] = [
      access.approve(mallory, req.request.id),
      access.reject(mallory, req.request.id),
      access.approveUser(mallory, victim.id),
      access.block(mallory, victim.id),
      access.unblock(mallory, victim.id),
      access.promote(mallory, victim.id),
      access.demote(mallory, victim.id),
      access.createInvite(mallory, {}),
      access.listInvites(mallory),
      access.revokeInvite(mallory, 1),
      access.listPending(mallory),
    ];
    for (const a of attempts) await expect(a).rejects.toBeInstanceOf(NotAuthorized);
    expect((await usersRepo.findUserById(db, victim.id))?.status).toBe('active');
    expect(await audit.listAudit(db, { entity: 'user' })).toEqual([]);
  });
});
