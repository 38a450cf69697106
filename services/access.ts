/**
 * Who may use the bot. ACCESS=open lets anyone in; ACCESS=invite requires an
 * invite code or an admin's approval of a pending request. Blocked users get
 * one answer and nothing else. ADMIN_IDS users are always admins and can be
 * neither blocked nor demoted; other admins are promoted from the admin menu.
 *
 * Every admin action re-checks the actor's rights here (never trusting what
 * the bot says) and is written to the audit log as 'admin:<telegram id>'.
 */
import { randomBytes } from 'node:crypto';
import { audit, inTransaction, users as usersRepo, type Db } from '../db/index.js';
import type { UserRow } from '../db/database.js';
import * as accessRepo from '../db/repos/access.js';
import { UserError } from '../models/errors.js';
import type { TelegramProfile } from './users.js';
import { languageFromCode } from './users.js';

export type AccessMode = 'open' | 'invite';

/** The actor of an admin action: who pressed the button (their Telegram id). */
export interface Actor {
  telegramId: number;
}

/** A non-admin tried an admin action. */
export class NotAuthorized extends UserError {
  override readonly code = 'not-authorized';
}

/** The target of an admin action does not exist. */
export class TargetNotFound extends UserError {
  override readonly code = 'not-found';
}

/** The action is not allowed on this target (e.g. blocking a configured admin). */
export class ActionRefused extends UserError {
  override readonly code = 'action-refused';
}

export type AccessDecision =
  | { kind: 'allowed'; userId: number | null; admin: boolean }
  | { kind: 'needs-invite'; userId: number; canRequest: boolean; lastRequest: 'rejected' | null }
  | { kind: 'pending'; userId: number; requestId: number }
  | { kind: 'blocked'; userId: number };

export type RedeemResult =
  | { ok: true; userId: number; inviteId: number; licenseDays: number }
  | { ok: false; reason: 'invalid' | 'expired' | 'used-up' | 'revoked' | 'already-redeemed' | 'blocked' };

export interface Invite {
  id: number;
  code: string;
  maxUses: number;
  uses: number;
  expiresAt: number | null;
  revoked: boolean;
  licenseDays: number;
  note: string | null;
  createdAt: number;
}

export interface AccessRequest {
  id: number;
  userId: number;
  status: 'pending' | 'approved' | 'rejected';
  decidedBy: number | null;
  decidedAt: number | null;
  createdAt: number;
}

export interface RequestResult {
  request: AccessRequest;
  /** False when a pending request already existed (admins were told then). */
  created: boolean;
  /** Telegram ids of the admins to ask (Approve / Reject). */
  adminTelegramIds: number[];
}

export interface DecisionResult {
  request: AccessRequest;
  /** False when the request had already been decided (another admin was first). */
  changed: boolean;
  /** The requester, to tell them. */
  user: { id: number; telegramId: number; language: string };
}

export interface UserRef {
  id: number;
  telegramId: number;
  username: string | null;
  role: string;
  status: string;
}

export interface AccessServiceDeps {
  db: Db;
  mode: AccessMode;
  adminIds: readonly number[];
  clock?: { now(): number };
  /** A rejected user may ask again after this long (default 24 h). */
  requestCooldownMs?: number;
  /** Length of generated invite codes (default 10). */
  codeLength?: number;
}

export interface AccessService {
  readonly mode: AccessMode;
  /** The policy decision for an incoming private-chat user. Creates a pending row for a new user in invite mode. */
  check(profile: TelegramProfile): Promise<AccessDecision>;
  /** True for ADMIN_IDS and for promoted admins who are not blocked. */
  isAdmin(telegramId: number): Promise<boolean>;
  /** Throws NotAuthorized unless the actor is an admin; returns the actor's user id (null when not registered yet). */
  assertAdmin(actor: Actor): Promise<number | null>;
  adminTelegramIds(): Promise<number[]>;

  createInvite(actor: Actor, input: { maxUses?: number; ttlMs?: number | null; licenseDays?: number; note?: string | null }): Promise<Invite>;
  listInvites(actor: Actor, options?: { activeOnly?: boolean }): Promise<Invite[]>;
  revokeInvite(actor: Actor, inviteId: number): Promise<boolean>;
  /** Redeems a code for the user (atomic: a single-use code redeemed twice at once succeeds once). */
  redeem(profile: TelegramProfile, code: string): Promise<RedeemResult>;

  /** A pending user asks for access. Throws ActionRefused during the cooldown after a rejection. */
  requestAccess(profile: TelegramProfile): Promise<RequestResult>;
  approve(actor: Actor, requestId: number): Promise<DecisionResult>;
  reject(actor: Actor, requestId: number): Promise<DecisionResult>;
  listPending(actor: Actor): Promise<AccessRequest[]>;

  /** Approves a pending user directly (from the user card), whatever their request state. */
  approveUser(actor: Actor, userId: number): Promise<UserRef>;
  block(actor: Actor, userId: number): Promise<UserRef>;
  unblock(actor: Actor, userId: number): Promise<UserRef>;
  promote(actor: Actor, userId: number): Promise<UserRef>;
  demote(actor: Actor, userId: number): Promise<UserRef>;
}

const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'; // no 0/O, 1/I

export function generateInviteCode(length = 10): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += CODE_ALPHABET[bytes[i]! % CODE_ALPHABET.length];
  return out;
}

/** Codes are compared case-insensitively, ignoring spaces and dashes. */
export function normalizeInviteCode(raw: string): string {
  return raw.trim().toUpperCase().replace(/[\s-]/g, '');
}

function rowToInvite(r: accessRepo.InviteRow): Invite {
  return {
    id: r.id,
    code: r.code,
    maxUses: r.max_uses,
    uses: r.uses,
    expiresAt: r.expires_at === null ? null : Number(r.expires_at),
    revoked: r.revoked === 1,
    licenseDays: r.license_days,
    note: r.note,
    createdAt: Number(r.created_at),
  };
}

function rowToRequest(r: accessRepo.AccessRequestRow): AccessRequest {
  return {
    id: r.id,
    userId: r.user_id,
    status: r.status as AccessRequest['status'],
    decidedBy: r.decided_by,
    decidedAt: r.decided_at === null ? null : Number(r.decided_at),
    createdAt: Number(r.created_at),
  };
}

function userRef(r: UserRow): UserRef {
  return { id: r.id, telegramId: Number(r.telegram_id), username: r.username, role: r.role, status: r.status };
}

export const adminActor = (actor: Actor): string => `admin:${actor.telegramId}`;

export function createAccessService(deps: AccessServiceDeps): AccessService {
  const { db, mode } = deps;
  const configured = new Set(deps.adminIds);
  const now = () => deps.clock?.now() ?? Date.now();
  const cooldown = deps.requestCooldownMs ?? 24 * 3_600_000;

  async function isAdmin(telegramId: number): Promise<boolean> {
    if (configured.has(telegramId)) return true;
    const row = await usersRepo.findUserByTelegramId(db, telegramId);
    return !!row && row.role === 'admin' && row.status !== 'blocked';
  }

  async function assertAdmin(actor: Actor): Promise<number | null> {
    if (!Number.isSafeInteger(actor.telegramId) || !(await isAdmin(actor.telegramId))) {
      throw new NotAuthorized('admin rights required', { details: { telegramId: actor.telegramId } });
    }
    const row = await usersRepo.findUserByTelegramId(db, actor.telegramId);
    return row?.id ?? null;
  }

  async function ensureUser(profile: TelegramProfile, status: string): Promise<UserRow> {
    const existing = await usersRepo.findUserByTelegramId(db, profile.telegramId);
    if (existing) return existing;
    try {
      return await usersRepo.insertUser(db, {
        telegramId: profile.telegramId,
        username: profile.username ?? null,
        firstName: profile.firstName ?? null,
        language: languageFromCode(profile.languageCode),
        role: configured.has(profile.telegramId) ? 'admin' : 'trader',
        status,
        now: now(),
      });
    } catch (e) {
      const again = await usersRepo.findUserByTelegramId(db, profile.telegramId);
      if (!again) throw e;
      return again;
    }
  }

  async function targetUser(userId: number): Promise<UserRow> {
    const row = await usersRepo.findUserById(db, userId);
    if (!row) throw new TargetNotFound(`user ${userId} not found`, { details: { userId } });
    return row;
  }

  async function setUser(actor: Actor, userId: number, action: string, patch: { status?: string; role?: string }): Promise<UserRef> {
    const row = await targetUser(userId);
    const before = { status: row.status, role: row.role };
    const after = { status: patch.status ?? row.status, role: patch.role ?? row.role };
    await inTransaction(db, async (tx) => {
      await usersRepo.updateUser(tx, userId, patch, now());
      await audit.appendAudit(tx, { actor: adminActor(actor), action, entity: 'user', entityId: userId, before, after, at: now() });
    });
    return userRef({ ...row, ...after });
  }

  async function decide(actor: Actor, requestId: number, status: 'approved' | 'rejected'): Promise<DecisionResult> {
    const adminUserId = await assertAdmin(actor);
    const existing = await accessRepo.findAccessRequest(db, requestId);
    if (!existing) throw new TargetNotFound(`access request ${requestId} not found`, { details: { requestId } });
    const changed = await inTransaction(db, async (tx) => {
      const ok = await accessRepo.decideAccessRequest(tx, requestId, status, adminUserId, now());
      if (!ok) return false;
      const user = await usersRepo.findUserById(tx, existing.user_id);
      if (status === 'approved' && user && user.status === 'pending') await usersRepo.updateUser(tx, user.id, { status: 'active' }, now());
      await audit.appendAudit(tx, {
        actor: adminActor(actor),
        action: status === 'approved' ? 'access.approve' : 'access.reject',
        entity: 'access_request',
        entityId: requestId,
        before: { status: 'pending' },
        after: { status, userId: existing.user_id },
        at: now(),
      });
      return true;
    });
    const request = rowToRequest((await accessRepo.findAccessRequest(db, requestId))!);
    const user = await targetUser(existing.user_id);
    return { request, changed, user: { id: user.id, telegramId: Number(user.telegram_id), language: user.language } };
  }

  return {
    mode,
    isAdmin,
    assertAdmin,

    async adminTelegramIds() {
      const ids = new Set<number>(configured);
      for (const a of await accessRepo.listAdminUsers(db)) ids.add(Number(a.telegram_id));
      return [...ids].sort((a, b) => a - b);
    },

    async check(profile) {
      const admin = configured.has(profile.telegramId);
      let row = await usersRepo.findUserByTelegramId(db, profile.telegramId);
      if (admin) {
        if (row && (row.role !== 'admin' || row.status === 'blocked' || row.status === 'pending')) {
          await usersRepo.updateUser(db, row.id, { role: 'admin', status: row.status === 'inactive' ? 'inactive' : 'active' }, now());
        }
        return { kind: 'allowed', userId: row?.id ?? null, admin: true };
      }
      if (row?.status === 'blocked') return { kind: 'blocked', userId: row.id };
      if (mode === 'open') {
        if (row?.status === 'pending') await usersRepo.updateUser(db, row.id, { status: 'active' }, now());
        return { kind: 'allowed', userId: row?.id ?? null, admin: row?.role === 'admin' };
      }
      if (row && row.status !== 'pending') return { kind: 'allowed', userId: row.id, admin: row.role === 'admin' };
      row ??= await ensureUser(profile, 'pending');
      if (row.status !== 'pending') return { kind: 'allowed', userId: row.id, admin: row.role === 'admin' };
      const last = await accessRepo.latestAccessRequestOfUser(db, row.id);
      if (last?.status === 'pending') return { kind: 'pending', userId: row.id, requestId: last.id };
      const rejected = last?.status === 'rejected';
      const canRequest = !rejected || now() - Number(last.decided_at ?? last.updated_at) >= cooldown;
      return { kind: 'needs-invite', userId: row.id, canRequest, lastRequest: rejected ? 'rejected' : null };
    },

    async createInvite(actor, input) {
      const adminUserId = await assertAdmin(actor);
      const maxUses = input.maxUses ?? 1;
      if (!Number.isInteger(maxUses) || maxUses < 1 || maxUses > 100_000) throw new UserError('maxUses must be 1..100000', { details: { maxUses } });
      const licenseDays = input.licenseDays ?? 0;
      if (!Number.isInteger(licenseDays) || licenseDays < 0 || licenseDays > 3650) throw new UserError('licenseDays must be 0..3650', { details: { licenseDays } });
      const ttl = input.ttlMs ?? null;
      if (ttl !== null && (!Number.isFinite(ttl) || ttl <= 0)) throw new UserError('ttl must be positive', { details: { ttl } });
      const at = now();
      for (let attempt = 0; ; attempt++) {
        try {
          const row = await inTransaction(db, async (tx) => {
            const r = await accessRepo.insertInvite(tx, {
              code: generateInviteCode(deps.codeLength ?? 10),
              createdBy: adminUserId,
              maxUses,
              expiresAt: ttl === null ? null : at + ttl,
              licenseDays,
              note: input.note ?? null,
              now: at,
            });
            await audit.appendAudit(tx, {
              actor: adminActor(actor),
              action: 'invite.create',
              entity: 'invite',
              entityId: r.id,
              after: { maxUses, expiresAt: r.expires_at, licenseDays },
              at,
            });
            return r;
          });
          return rowToInvite(row);
        } catch (e) {
          if (attempt >= 3) throw e; // a code collision is astronomically rare; retry a few times
        }
      }
    },

    async listInvites(actor, options = {}) {
      await assertAdmin(actor);
      const rows = await accessRepo.listInvites(db, options.activeOnly ? { activeAt: now() } : {});
      return rows.map(rowToInvite);
    },

    async revokeInvite(actor, inviteId) {
      await assertAdmin(actor);
      return inTransaction(db, async (tx) => {
        const ok = await accessRepo.revokeInvite(tx, inviteId, now());
        if (ok) await audit.appendAudit(tx, { actor: adminActor(actor), action: 'invite.revoke', entity: 'invite', entityId: inviteId, at: now() });
        return ok;
      });
    },

    async redeem(profile, rawCode) {
      const code = normalizeInviteCode(rawCode);
      if (!/^[A-Z0-9]{4,32}$/.test(code)) return { ok: false, reason: 'invalid' };
      const user = await ensureUser(profile, mode === 'invite' ? 'pending' : 'active');
      if (user.status === 'blocked') return { ok: false, reason: 'blocked' };
      return inTransaction(db, async (tx): Promise<RedeemResult> => {
        const invite = await accessRepo.findInviteByCode(tx, code);
        if (!invite) return { ok: false, reason: 'invalid' };
        const at = now();
        if (invite.revoked === 1) return { ok: false, reason: 'revoked' };
        if (invite.expires_at !== null && Number(invite.expires_at) <= at) return { ok: false, reason: 'expired' };
        // The conditional update is the atomic step: only it decides whether a use is left.
        if (!(await accessRepo.insertRedemption(tx, invite.id, user.id, at))) return { ok: false, reason: 'already-redeemed' };
        if (!(await accessRepo.claimInviteUse(tx, invite.id, at))) throw new InviteUsedUp();
        if (user.status === 'pending') await usersRepo.updateUser(tx, user.id, { status: 'active' }, at);
        const pending = await accessRepo.latestAccessRequestOfUser(tx, user.id);
        if (pending?.status === 'pending') await accessRepo.decideAccessRequest(tx, pending.id, 'approved', null, at);
        await audit.appendAudit(tx, { actor: `user:${user.id}`, action: 'invite.redeem', entity: 'invite', entityId: invite.id, after: { userId: user.id }, at });
        return { ok: true, userId: user.id, inviteId: invite.id, licenseDays: invite.license_days };
      }).catch((e: unknown) => {
        if (e instanceof InviteUsedUp) return { ok: false, reason: 'used-up' } as const;
        throw e;
      });
    },

    async requestAccess(profile) {
      const user = await ensureUser(profile, 'pending');
      if (user.status === 'blocked') throw new ActionRefused('blocked users cannot request access', { details: { reason: 'blocked' } });
      const last = await accessRepo.latestAccessRequestOfUser(db, user.id);
      const adminTelegramIds = await this.adminTelegramIds();
      if (last?.status === 'pending') return { request: rowToRequest(last), created: false, adminTelegramIds };
      if (user.status !== 'pending') throw new ActionRefused('user already has access', { details: { reason: 'already-active' } });
      if (last?.status === 'rejected' && now() - Number(last.decided_at ?? last.updated_at) < cooldown) {
        throw new ActionRefused('access request cooldown', { details: { reason: 'cooldown', retryAt: Number(last.decided_at ?? last.updated_at) + cooldown } });
      }
      const row = await inTransaction(db, async (tx) => {
        const r = await accessRepo.insertAccessRequest(tx, user.id, now());
        await audit.appendAudit(tx, { actor: `user:${user.id}`, action: 'access.request', entity: 'access_request', entityId: r.id, at: now() });
        return r;
      });
      return { request: rowToRequest(row), created: true, adminTelegramIds };
    },

    approve: (actor, requestId) => decide(actor, requestId, 'approved'),
    reject: (actor, requestId) => decide(actor, requestId, 'rejected'),

    async listPending(actor) {
      await assertAdmin(actor);
      return (await accessRepo.listPendingAccessRequests(db)).map(rowToRequest);
    },

    async approveUser(actor, userId) {
      const adminUserId = await assertAdmin(actor);
      const row = await targetUser(userId);
      if (row.status === 'blocked') throw new ActionRefused('unblock the user instead', { details: { reason: 'blocked' } });
      const ref = await setUser(actor, userId, 'user.approve', { status: row.status === 'pending' ? 'active' : row.status });
      const last = await accessRepo.latestAccessRequestOfUser(db, userId);
      if (last?.status === 'pending') await accessRepo.decideAccessRequest(db, last.id, 'approved', adminUserId, now());
      return ref;
    },

    async block(actor, userId) {
      await assertAdmin(actor);
      const row = await targetUser(userId);
      if (configured.has(Number(row.telegram_id))) throw new ActionRefused('configured admins cannot be blocked', { details: { reason: 'configured-admin' } });
      if (Number(row.telegram_id) === actor.telegramId) throw new ActionRefused('admins cannot block themselves', { details: { reason: 'self' } });
      return setUser(actor, userId, 'user.block', { status: 'blocked' });
    },

    async unblock(actor, userId) {
      await assertAdmin(actor);
      const row = await targetUser(userId);
      if (row.status !== 'blocked') return userRef(row);
      return setUser(actor, userId, 'user.unblock', { status: 'active' });
    },

    async promote(actor, userId) {
      await assertAdmin(actor);
      const row = await targetUser(userId);
      if (row.status === 'blocked') throw new ActionRefused('unblock the user first', { details: { reason: 'blocked' } });
      return setUser(actor, userId, 'user.promote', { role: 'admin', status: row.status === 'pending' ? 'active' : row.status });
    },

    async demote(actor, userId) {
      await assertAdmin(actor);
      const row = await targetUser(userId);
      if (configured.has(Number(row.telegram_id))) throw new ActionRefused('configured admins cannot be demoted', { details: { reason: 'configured-admin' } });
      return setUser(actor, userId, 'user.demote', { role: 'trader' });
    },
  };
}

class InviteUsedUp extends Error {}
