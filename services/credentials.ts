/**
 * Storing and loading exchange credentials through the key vault. The row and
 * its ciphertext are written in one transaction, so a failure stores nothing.
 */
import { createHash } from 'node:crypto';
import { accounts, inTransaction, type Db } from '../db/index.js';
import type { AccountRow } from '../db/database.js';
import type { Environment, ExchangeId } from '../models/market.js';
import { UserError, VaultError } from '../models/errors.js';
import type { KeyVault } from './key-vault.js';

export interface StoredCredentials {
  apiKey?: string;
  secret?: string;
  walletAddress?: string;
  privateKey?: string;
  /** Bybit: unified trading account, from the key audit at connect time (saves a probe per cold start). */
  unifiedAccount?: boolean;
}

/** "AbCd…9xYz": enough to recognise a key, never enough to use it. */
export function maskKey(key: string): string {
  const k = key.trim();
  if (k.length <= 8) return '…' + k.slice(-2);
  return `${k.slice(0, 4)}…${k.slice(-4)}`;
}

/** A short one-way fingerprint to spot the same key twice. */
export function keyFingerprint(key: string): string {
  return createHash('sha256').update(`signal-trader/key-fp/${key.trim()}`).digest('hex').slice(0, 16);
}

/** The public part of credentials that identifies them (API key or wallet address). */
export function publicKeyOf(c: StoredCredentials): string {
  const id = c.apiKey ?? c.walletAddress;
  if (!id) throw new UserError('credentials have neither an API key nor a wallet address');
  return id;
}

export async function createAccountWithCredentials(
  db: Db,
  vault: KeyVault,
  input: { userId: number; exchange: ExchangeId; environment: Environment; label: string; credentials: StoredCredentials | null; verifiedAt: number | null; now: number },
): Promise<AccountRow> {
  return inTransaction(db, async (tx) => {
    const id = input.credentials ? publicKeyOf(input.credentials) : null;
    const row = await accounts.insertAccount(tx, {
      userId: input.userId,
      exchange: input.exchange,
      environment: input.environment,
      label: input.label,
      keyFingerprint: id ? keyFingerprint(id) : null,
      keyHint: id ? maskKey(id) : null,
      verifiedAt: input.verifiedAt,
      now: input.now,
    });
    if (input.credentials) {
      const enc = vault.encrypt({ userId: input.userId, accountId: row.id }, input.credentials);
      await accounts.setAccountCredentials(tx, row.id, enc, input.now);
      return { ...row, credentials_enc: enc.ciphertext, credentials_nonce: enc.nonce, vault_key_id: enc.keyId };
    }
    return row;
  });
}

/** Decrypts an account's credentials; only the exchange registry should call this. */
export async function loadCredentials(db: Db, vault: KeyVault, accountId: number): Promise<StoredCredentials> {
  const row = await accounts.findAccount(db, accountId);
  if (!row || row.status === 'removed') throw new UserError(`account ${accountId} does not exist`);
  if (!row.credentials_enc || !row.credentials_nonce || !row.vault_key_id) {
    if (row.exchange === 'paper') return {};
    throw new VaultError(`account ${accountId} has no stored credentials`);
  }
  return vault.decrypt<StoredCredentials>(
    { userId: row.user_id, accountId: row.id },
    { ciphertext: row.credentials_enc, nonce: row.credentials_nonce, keyId: row.vault_key_id },
  );
}

/** Re-encrypts every stored record under `vault`'s primary key, in one transaction. */
export async function reencryptAll(db: Db, vault: KeyVault, now: number): Promise<number> {
  return inTransaction(db, async (tx) => {
    const rows = await accounts.listEncryptedAccounts(tx);
    for (const row of rows) {
      const enc = vault.reencrypt(
        { userId: row.user_id, accountId: row.id },
        { ciphertext: row.credentials_enc!, nonce: row.credentials_nonce!, keyId: row.vault_key_id! },
      );
      await accounts.setAccountCredentials(tx, row.id, enc, now);
    }
    return rows.length;
  });
}
