import type { DbOrTx } from '../client.js';
import type { UserRow, UserUpdate } from '../database.js';

export function findUserByTelegramId(db: DbOrTx, telegramId: number): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('telegram_id', '=', telegramId).executeTakeFirst();
}

export function findUserById(db: DbOrTx, id: number): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findUserByUsername(db: DbOrTx, username: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('username', '=', username.replace(/^@/, '')).executeTakeFirst();
}

export async function insertUser(
  db: DbOrTx,
  user: { telegramId: number; username?: string | null; firstName?: string | null; language: string; role?: string; status?: string; now: number },
): Promise<UserRow> {
  return db
    .insertInto('users')
    .values({
      telegram_id: user.telegramId,
      username: user.username ?? null,
      first_name: user.firstName ?? null,
      language: user.language,
      role: user.role ?? 'trader',
      status: user.status ?? 'active',
      license_expires_at: null,
      trading_enabled: 1,
      default_account_id: null,
      created_at: user.now,
      updated_at: user.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateUser(db: DbOrTx, id: number, patch: UserUpdate, now: number): Promise<void> {
  await db.updateTable('users').set({ ...patch, updated_at: now }).where('id', '=', id).execute();
}

export function listUsers(db: DbOrTx, filter: { status?: string; role?: string } = {}): Promise<UserRow[]> {
  let q = db.selectFrom('users').selectAll();
  if (filter.status) q = q.where('status', '=', filter.status);
  if (filter.role) q = q.where('role', '=', filter.role);
  return q.orderBy('id').execute();
}
