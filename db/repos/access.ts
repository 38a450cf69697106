/**
 * Access control storage (migration 0004): invite codes and their
 * redemptions, access requests, license history and notices, and the
 * process-wide key-value state (the kill switch).
 *
 * The 0004 tables are typed here and added to the handle with Kysely's
 * `withTables`, so db/database.ts needs no change for them.
 */
import type { Generated, Kysely, Selectable } from 'kysely';
import type { DbOrTx } from '../client.js';
import type { Database } from '../database.js';

export interface InvitesTable {
  id: Generated<number>;
  code: string;
  created_by: number | null;
  max_uses: number;
  uses: number;
  expires_at: number | null;
  revoked: number;
  license_days: number;
  note: string | null;
  created_at: number;
  updated_at: number;
}

export interface InviteRedemptionsTable {
  invite_id: number;
  user_id: number;
  at: number;
}

export interface AccessRequestsTable {
  id: Generated<number>;
  user_id: number;
  status: string; // 'pending' | 'approved' | 'rejected'
  decided_by: number | null;
  decided_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface LicenseGrantsTable {
  id: Generated<number>;
  user_id: number;
  action: string; // 'grant' | 'extend' | 'revoke'
  plan: string | null;
  days: number | null;
  expires_before: number | null;
  expires_after: number | null;
  actor: string;
  at: number;
}

export interface LicenseNoticesTable {
  user_id: number;
  kind: string;
  expires_at: number;
  sent_at: number;
}

export interface SystemStateTable {
  key: string;
  value: string;
  updated_at: number;
}

// A type alias (not an interface) so it satisfies withTables' Record constraint.
export type AccessTables = {
  invites: InvitesTable;
  invite_redemptions: InviteRedemptionsTable;
  access_requests: AccessRequestsTable;
  license_grants: LicenseGrantsTable;
  license_notices: LicenseNoticesTable;
  system_state: SystemStateTable;
};

export type InviteRow = Selectable<InvitesTable>;
export type AccessRequestRow = Selectable<AccessRequestsTable>;
export type LicenseGrantRow = Selectable<LicenseGrantsTable>;

type AccessDb = Kysely<Database & AccessTables>;
const t = (db: DbOrTx): AccessDb => db.withTables<AccessTables>() as unknown as AccessDb;

// ---------------------------------------------------------------- invites

export function insertInvite(
  db: DbOrTx,
  i: { code: string; createdBy: number | null; maxUses: number; expiresAt: number | null; licenseDays: number; note: string | null; now: number },
): Promise<InviteRow> {
  return t(db)
    .insertInto('invites')
    .values({
      code: i.code,
      created_by: i.createdBy,
      max_uses: i.maxUses,
      uses: 0,
      expires_at: i.expiresAt,
      revoked: 0,
      license_days: i.licenseDays,
      note: i.note,
      created_at: i.now,
      updated_at: i.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function findInviteByCode(db: DbOrTx, code: string): Promise<InviteRow | undefined> {
  return t(db).selectFrom('invites').selectAll().where('code', '=', code).executeTakeFirst();
}

export function findInvite(db: DbOrTx, id: number): Promise<InviteRow | undefined> {
  return t(db).selectFrom('invites').selectAll().where('id', '=', id).executeTakeFirst();
}

export function listInvites(db: DbOrTx, filter: { activeAt?: number; limit?: number } = {}): Promise<InviteRow[]> {
  let q = t(db).selectFrom('invites').selectAll();
  if (filter.activeAt !== undefined) {
    const at = filter.activeAt;
    q = q
      .where('revoked', '=', 0)
      .where((eb) => eb('uses', '<', eb.ref('max_uses')))
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]));
  }
  return q.orderBy('id', 'desc').limit(filter.limit ?? 50).execute();
}

/** Takes one use of a live invite; false when it is used up, expired or revoked (checked in the same statement). */
export async function claimInviteUse(db: DbOrTx, id: number, now: number): Promise<boolean> {
  const r = await t(db)
    .updateTable('invites')
    .set((eb) => ({ uses: eb('uses', '+', 1), updated_at: now }))
    .where('id', '=', id)
    .where('revoked', '=', 0)
    .where((eb) => eb('uses', '<', eb.ref('max_uses')))
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function revokeInvite(db: DbOrTx, id: number, now: number): Promise<boolean> {
  const r = await t(db).updateTable('invites').set({ revoked: 1, updated_at: now }).where('id', '=', id).where('revoked', '=', 0).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Records a redemption; false when this user already redeemed this invite. */
export async function insertRedemption(db: DbOrTx, inviteId: number, userId: number, at: number): Promise<boolean> {
  const r = await t(db)
    .insertInto('invite_redemptions')
    .values({ invite_id: inviteId, user_id: userId, at })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
}

// -------------------------------------------------------- access requests

export function insertAccessRequest(db: DbOrTx, userId: number, now: number): Promise<AccessRequestRow> {
  return t(db)
    .insertInto('access_requests')
    .values({ user_id: userId, status: 'pending', decided_by: null, decided_at: null, created_at: now, updated_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function findAccessRequest(db: DbOrTx, id: number): Promise<AccessRequestRow | undefined> {
  return t(db).selectFrom('access_requests').selectAll().where('id', '=', id).executeTakeFirst();
}

export function latestAccessRequestOfUser(db: DbOrTx, userId: number): Promise<AccessRequestRow | undefined> {
  return t(db).selectFrom('access_requests').selectAll().where('user_id', '=', userId).orderBy('id', 'desc').limit(1).executeTakeFirst();
}

export function listPendingAccessRequests(db: DbOrTx, limit = 50): Promise<AccessRequestRow[]> {
  return t(db).selectFrom('access_requests').selectAll().where('status', '=', 'pending').orderBy('id').limit(limit).execute();
}

/** Decides a pending request; false when it was already decided (another admin was first). */
export async function decideAccessRequest(db: DbOrTx, id: number, status: 'approved' | 'rejected', decidedBy: number | null, now: number): Promise<boolean> {
  const r = await t(db)
    .updateTable('access_requests')
    .set({ status, decided_by: decidedBy, decided_at: now, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

// --------------------------------------------------------------- licenses

export async function insertLicenseGrant(
  db: DbOrTx,
  g: { userId: number; action: 'grant' | 'extend' | 'revoke'; plan: string | null; days: number | null; expiresBefore: number | null; expiresAfter: number | null; actor: string; at: number },
): Promise<void> {
  await t(db)
    .insertInto('license_grants')
    .values({
      user_id: g.userId,
      action: g.action,
      plan: g.plan,
      days: g.days,
      expires_before: g.expiresBefore,
      expires_after: g.expiresAfter,
      actor: g.actor,
      at: g.at,
    })
    .execute();
}

export function listLicenseGrants(db: DbOrTx, userId: number, limit = 20): Promise<LicenseGrantRow[]> {
  return t(db).selectFrom('license_grants').selectAll().where('user_id', '=', userId).orderBy('id', 'desc').limit(limit).execute();
}

/** Users with a license expiry set at or after `since` (the reminder job's working set). */
export function listUsersWithExpirySince(db: DbOrTx, since: number) {
  return db
    .selectFrom('users')
    .select(['id', 'telegram_id', 'role', 'status', 'license_expires_at'])
    .where('license_expires_at', 'is not', null)
    .where('license_expires_at', '>=', since)
    .orderBy('id')
    .execute();
}

/** Claims a notice (kind, for this expiry) for a user: true only the first time, so each notice goes out once. */
export async function claimLicenseNotice(db: DbOrTx, userId: number, kind: string, expiresAt: number, now: number): Promise<boolean> {
  const r = await t(db)
    .insertInto('license_notices')
    .values({ user_id: userId, kind, expires_at: expiresAt, sent_at: now })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
}

// ----------------------------------------------------------- system state

export async function getSystemState(db: DbOrTx, key: string): Promise<{ value: string; updatedAt: number } | undefined> {
  const r = await t(db).selectFrom('system_state').select(['value', 'updated_at']).where('key', '=', key).executeTakeFirst();
  return r ? { value: r.value, updatedAt: Number(r.updated_at) } : undefined;
}

export async function putSystemState(db: DbOrTx, key: string, value: string, now: number): Promise<void> {
  await t(db)
    .insertInto('system_state')
    .values({ key, value, updated_at: now })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now }))
    .execute();
}

// ------------------------------------------------------------ admin reads

/** Telegram ids of users a broadcast to everyone reaches (active only). */
export async function listActiveTelegramIds(db: DbOrTx): Promise<{ userId: number; telegramId: number }[]> {
  const rows = await db.selectFrom('users').select(['id', 'telegram_id']).where('status', '=', 'active').orderBy('id').execute();
  return rows.map((r) => ({ userId: r.id, telegramId: Number(r.telegram_id) }));
}

/** Telegram ids of a source's enabled subscribers who are active. */
export async function listSourceSubscriberTelegramIds(db: DbOrTx, sourceId: number): Promise<{ userId: number; telegramId: number }[]> {
  const rows = await db
    .selectFrom('subscriptions')
    .innerJoin('users', 'users.id', 'subscriptions.user_id')
    .select(['users.id as id', 'users.telegram_id as telegram_id'])
    .where('subscriptions.source_id', '=', sourceId)
    .where('subscriptions.enabled', '=', 1)
    .where('users.status', '=', 'active')
    .orderBy('users.id')
    .execute();
  return rows.map((r) => ({ userId: r.id, telegramId: Number(r.telegram_id) }));
}

/** Enabled subscribers per source id. */
export async function countSubscribersBySource(db: DbOrTx): Promise<Map<number, number>> {
  const rows = await db
    .selectFrom('subscriptions')
    .select(['source_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('enabled', '=', 1)
    .groupBy('source_id')
    .execute();
  return new Map(rows.map((r) => [r.source_id, Number(r.n)]));
}

export async function countTradesOpenedSince(db: DbOrTx, since: number): Promise<number> {
  const r = await db.selectFrom('trades').select((eb) => eb.fn.countAll<number>().as('n')).where('created_at', '>=', since).executeTakeFirst();
  return Number(r?.n ?? 0);
}

export function listAdminUsers(db: DbOrTx) {
  return db.selectFrom('users').select(['id', 'telegram_id', 'language']).where('role', '=', 'admin').where('status', '!=', 'blocked').orderBy('id').execute();
}
