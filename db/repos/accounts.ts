import type { DbOrTx } from '../client.js';
import type { AccountRow, ExchangeAccountsTable } from '../database.js';
import type { Updateable } from 'kysely';

export interface NewAccount {
  userId: number;
  exchange: string;
  environment: string;
  label: string;
  keyFingerprint: string | null;
  keyHint: string | null;
  verifiedAt: number | null;
  now: number;
}

export async function insertAccount(db: DbOrTx, a: NewAccount): Promise<AccountRow> {
  return db
    .insertInto('exchange_accounts')
    .values({
      user_id: a.userId,
      exchange: a.exchange,
      environment: a.environment,
      label: a.label,
      credentials_enc: null,
      credentials_nonce: null,
      vault_key_id: null,
      key_fingerprint: a.keyFingerprint,
      key_hint: a.keyHint,
      status: 'active',
      verified_at: a.verifiedAt,
      created_at: a.now,
      updated_at: a.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function setAccountCredentials(
  db: DbOrTx,
  id: number,
  enc: { ciphertext: string; nonce: string; keyId: string },
  now: number,
): Promise<void> {
  await db
    .updateTable('exchange_accounts')
    .set({ credentials_enc: enc.ciphertext, credentials_nonce: enc.nonce, vault_key_id: enc.keyId, updated_at: now })
    .where('id', '=', id)
    .execute();
}

export async function updateAccount(db: DbOrTx, id: number, patch: Updateable<ExchangeAccountsTable>, now: number): Promise<void> {
  await db.updateTable('exchange_accounts').set({ ...patch, updated_at: now }).where('id', '=', id).execute();
}

export function findAccount(db: DbOrTx, id: number): Promise<AccountRow | undefined> {
  return db.selectFrom('exchange_accounts').selectAll().where('id', '=', id).executeTakeFirst();
}

export function listAccountsOfUser(db: DbOrTx, userId: number, includeRemoved = false): Promise<AccountRow[]> {
  let q = db.selectFrom('exchange_accounts').selectAll().where('user_id', '=', userId);
  if (!includeRemoved) q = q.where('status', '!=', 'removed');
  return q.orderBy('id').execute();
}

export function listEncryptedAccounts(db: DbOrTx): Promise<AccountRow[]> {
  return db.selectFrom('exchange_accounts').selectAll().where('credentials_enc', 'is not', null).orderBy('id').execute();
}

/** Removing an account wipes its ciphertext: nothing secret stays behind. */
export async function removeAccount(db: DbOrTx, id: number, now: number): Promise<void> {
  await db
    .updateTable('exchange_accounts')
    .set({ status: 'removed', credentials_enc: null, credentials_nonce: null, vault_key_id: null, updated_at: now })
    .where('id', '=', id)
    .execute();
}
