import type { Updateable } from 'kysely';
import type { DbOrTx } from '../client.js';
import type { SignalSourcesTable, SourceRow, SubscriptionRow, SubscriptionsTable } from '../database.js';

export async function upsertSource(
  db: DbOrTx,
  s: { kind: string; chatId: string; title: string; username?: string | null; addedBy?: number | null; visibility?: string; now: number },
): Promise<SourceRow> {
  const existing = await findSourceByChat(db, s.kind, s.chatId);
  if (existing) {
    await db
      .updateTable('signal_sources')
      .set({ title: s.title, username: s.username ?? existing.username, updated_at: s.now })
      .where('id', '=', existing.id)
      .execute();
    return { ...existing, title: s.title, username: s.username ?? existing.username, updated_at: s.now };
  }
  return db
    .insertInto('signal_sources')
    .values({
      kind: s.kind,
      chat_id: s.chatId,
      title: s.title,
      username: s.username ?? null,
      added_by: s.addedBy ?? null,
      visibility: s.visibility ?? 'public',
      paused: 0,
      default_settings: '{}',
      created_at: s.now,
      updated_at: s.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function findSourceByChat(db: DbOrTx, kind: string, chatId: string): Promise<SourceRow | undefined> {
  return db.selectFrom('signal_sources').selectAll().where('kind', '=', kind).where('chat_id', '=', chatId).executeTakeFirst();
}

export function findSource(db: DbOrTx, id: number): Promise<SourceRow | undefined> {
  return db.selectFrom('signal_sources').selectAll().where('id', '=', id).executeTakeFirst();
}

export function listSources(db: DbOrTx, filter: { kind?: string; visibility?: string } = {}): Promise<SourceRow[]> {
  let q = db.selectFrom('signal_sources').selectAll();
  if (filter.kind) q = q.where('kind', '=', filter.kind);
  if (filter.visibility) q = q.where('visibility', '=', filter.visibility);
  return q.orderBy('id').execute();
}

export async function updateSource(db: DbOrTx, id: number, patch: Updateable<SignalSourcesTable>, now: number): Promise<void> {
  await db.updateTable('signal_sources').set({ ...patch, updated_at: now }).where('id', '=', id).execute();
}

export async function upsertSubscription(
  db: DbOrTx,
  s: { userId: number; sourceId: number; enabled?: boolean; mode?: string; accountId?: number | null; now: number },
): Promise<SubscriptionRow> {
  const existing = await findSubscription(db, s.userId, s.sourceId);
  if (existing) {
    const patch: Updateable<SubscriptionsTable> = { updated_at: s.now };
    if (s.enabled !== undefined) patch.enabled = s.enabled ? 1 : 0;
    if (s.mode !== undefined) patch.mode = s.mode;
    if (s.accountId !== undefined) patch.account_id = s.accountId;
    await db.updateTable('subscriptions').set(patch).where('id', '=', existing.id).execute();
    return (await findSubscription(db, s.userId, s.sourceId))!;
  }
  return db
    .insertInto('subscriptions')
    .values({
      user_id: s.userId,
      source_id: s.sourceId,
      enabled: s.enabled === false ? 0 : 1,
      mode: s.mode ?? 'auto',
      account_id: s.accountId ?? null,
      overrides: '{}',
      created_at: s.now,
      updated_at: s.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function findSubscription(db: DbOrTx, userId: number, sourceId: number): Promise<SubscriptionRow | undefined> {
  return db.selectFrom('subscriptions').selectAll().where('user_id', '=', userId).where('source_id', '=', sourceId).executeTakeFirst();
}

export async function updateSubscription(db: DbOrTx, id: number, patch: Updateable<SubscriptionsTable>, now: number): Promise<void> {
  await db.updateTable('subscriptions').set({ ...patch, updated_at: now }).where('id', '=', id).execute();
}

export function listSubscriptionsOfUser(db: DbOrTx, userId: number): Promise<SubscriptionRow[]> {
  return db.selectFrom('subscriptions').selectAll().where('user_id', '=', userId).orderBy('id').execute();
}

/** Enabled subscriptions of a source whose users are active with trading enabled. */
export function listActiveSubscribers(db: DbOrTx, sourceId: number) {
  return db
    .selectFrom('subscriptions')
    .innerJoin('users', 'users.id', 'subscriptions.user_id')
    .selectAll('subscriptions')
    .select(['users.telegram_id', 'users.language', 'users.default_account_id', 'users.license_expires_at', 'users.status as user_status'])
    .where('subscriptions.source_id', '=', sourceId)
    .where('subscriptions.enabled', '=', 1)
    .where('users.status', '=', 'active')
    .where('users.trading_enabled', '=', 1)
    .orderBy('subscriptions.id')
    .execute();
}

export async function countSubscribers(db: DbOrTx, sourceId: number): Promise<number> {
  const r = await db
    .selectFrom('subscriptions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('source_id', '=', sourceId)
    .where('enabled', '=', 1)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}
