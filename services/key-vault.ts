/**
 * The key vault: per-record authenticated encryption of exchange credentials
 * with libsodium (XChaCha20-Poly1305, a fresh random nonce per record). The
 * additional data binds each ciphertext to its user and account, so a
 * ciphertext copied to another row does not decrypt. Plaintext exists only
 * while the exchange client is being built.
 */
import fs from 'node:fs';
import path from 'node:path';
import sodium from 'libsodium-wrappers';
import { DecryptionError, VaultError } from '../models/errors.js';
import type { Logger } from './logger.js';

export interface VaultBinding {
  userId: number;
  accountId: number;
}

export interface EncryptedRecord {
  ciphertext: string; // base64
  nonce: string; // base64
  keyId: string;
}

export interface KeyVault {
  /** Id of the key new records are encrypted under. */
  readonly keyId: string;
  encrypt(binding: VaultBinding, plaintext: object): EncryptedRecord;
  decrypt<T = Record<string, string>>(binding: VaultBinding, record: EncryptedRecord): T;
  /** Re-encrypts a record under the primary key (rotation). */
  reencrypt(binding: VaultBinding, record: EncryptedRecord): EncryptedRecord;
}

export const MASTER_KEY_FILE = 'master.key';
export const NEXT_MASTER_KEY_FILE = 'master.key.next';

export async function sodiumReady(): Promise<typeof sodium> {
  await sodium.ready;
  return sodium;
}

export function keyIdOf(key: Uint8Array): string {
  return sodium.to_hex(sodium.crypto_generichash(8, key, sodium.from_string('signal-trader/vault-key-id')));
}

function additionalData(b: VaultBinding): Uint8Array {
  return sodium.from_string(`signal-trader/credentials/v1/user:${b.userId}/account:${b.accountId}`);
}

/**
 * Builds a vault over a primary key and optional older/newer keys that can
 * still decrypt (records say which key encrypted them).
 */
export async function createKeyVault(primary: Uint8Array, others: Uint8Array[] = []): Promise<KeyVault> {
  await sodium.ready;
  if (primary.length !== sodium.crypto_aead_xchacha20poly1305_ietf_KEYBYTES) {
    throw new VaultError(`master key must be ${sodium.crypto_aead_xchacha20poly1305_ietf_KEYBYTES} bytes, got ${primary.length}`);
  }
  const keys = new Map<string, Uint8Array>();
  for (const k of [primary, ...others]) keys.set(keyIdOf(k), k);
  const primaryId = keyIdOf(primary);

  function encrypt(binding: VaultBinding, plaintext: object): EncryptedRecord {
    const message = sodium.from_string(JSON.stringify(plaintext));
    const nonce = sodium.randombytes_buf(sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    const ct = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(message, additionalData(binding), null, nonce, primary);
    sodium.memzero(message);
    return { ciphertext: sodium.to_base64(ct, sodium.base64_variants.ORIGINAL), nonce: sodium.to_base64(nonce, sodium.base64_variants.ORIGINAL), keyId: primaryId };
  }

  function decrypt<T>(binding: VaultBinding, record: EncryptedRecord): T {
    const key = keys.get(record.keyId);
    if (!key) {
      throw new DecryptionError(
        `credentials of account ${binding.accountId} were encrypted under master key ${record.keyId}, but the loaded master key is ${primaryId}: wrong MASTER_KEY or data/master.key`,
        { details: { accountId: binding.accountId, recordKeyId: record.keyId, loadedKeyId: primaryId } },
      );
    }
    let plain: Uint8Array;
    try {
      plain = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
        null,
        sodium.from_base64(record.ciphertext, sodium.base64_variants.ORIGINAL),
        additionalData(binding),
        sodium.from_base64(record.nonce, sodium.base64_variants.ORIGINAL),
        key,
      );
    } catch {
      throw new DecryptionError(
        `credentials of account ${binding.accountId} failed authentication: the record was tampered with or does not belong to user ${binding.userId} / account ${binding.accountId}`,
        { details: { accountId: binding.accountId, userId: binding.userId } },
      );
    }
    try {
      return JSON.parse(sodium.to_string(plain)) as T;
    } finally {
      sodium.memzero(plain);
    }
  }

  return {
    keyId: primaryId,
    encrypt,
    decrypt,
    reencrypt(binding, record) {
      return encrypt(binding, decrypt<object>(binding, record));
    },
  };
}

export function decodeMasterKey(base64: string): Uint8Array {
  const buf = Buffer.from(base64.trim(), 'base64');
  if (buf.length !== 32) throw new VaultError('MASTER_KEY must be base64 of exactly 32 bytes');
  return new Uint8Array(buf);
}

function readKeyFile(file: string): Uint8Array {
  return decodeMasterKey(fs.readFileSync(file, 'utf8'));
}

export function writeKeyFile(file: string, key: Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, Buffer.from(key).toString('base64') + '\n', { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

export interface MasterKeys {
  primary: Uint8Array;
  /** Keys that may still decrypt records (an interrupted rotation's next key). */
  others: Uint8Array[];
  source: 'env' | 'file' | 'generated';
  file: string | null;
}

/**
 * The master key comes from MASTER_KEY; when absent, from DATA_DIR/master.key,
 * generated with mode 0600 on first start. A `master.key.next` left by an
 * interrupted rotation is loaded too, so no record becomes unreadable.
 */
export async function loadMasterKeys(options: { masterKey?: string | undefined; dataDir: string; log?: Logger }): Promise<MasterKeys> {
  await sodium.ready;
  const file = path.resolve(options.dataDir, MASTER_KEY_FILE);
  const nextFile = path.resolve(options.dataDir, NEXT_MASTER_KEY_FILE);
  const others = fs.existsSync(nextFile) ? [readKeyFile(nextFile)] : [];
  if (options.masterKey) return { primary: decodeMasterKey(options.masterKey), others, source: 'env', file: null };
  if (fs.existsSync(file)) return { primary: readKeyFile(file), others, source: 'file', file };
  const key = sodium.randombytes_buf(32);
  writeKeyFile(file, key);
  options.log?.warn({ file }, 'no MASTER_KEY set: generated a new master key file (mode 0600); back it up, without it stored API keys cannot be decrypted');
  return { primary: key, others, source: 'generated', file };
}
