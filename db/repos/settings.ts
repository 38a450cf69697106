import type { DbOrTx } from '../client.js';

export async function getUserSettingsJson(db: DbOrTx, userId: number): Promise<string | null> {
  const row = await db.selectFrom('user_settings').select('settings').where('user_id', '=', userId).executeTakeFirst();
  return row?.settings ?? null;
}

export async function putUserSettingsJson(db: DbOrTx, userId: number, settings: string, now: number): Promise<void> {
  await db
    .insertInto('user_settings')
    .values({ user_id: userId, settings, updated_at: now })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ settings, updated_at: now }))
    .execute();
}
