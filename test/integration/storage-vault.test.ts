import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { accounts, audit, migrateToLatest, openAndMigrate, openDb, transitions, users, type Db } from '../../db/index.js';
import { DecryptionError } from '../../models/errors.js';
import { transition, ORDER_MACHINE } from '../../models/state-machines.js';
import { createAccountWithCredentials, loadCredentials, reencryptAll } from '../../services/credentials.js';
import { createKeyVault, keyIdOf, loadMasterKeys, sodiumReady } from '../../services/key-vault.js';
import { tempDir } from '../helpers/db.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});
function tmp() {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

const SECRET = 'sEcReT-5f1e0b9c7a2d4e6f8a0b1c2d3e4f5a6b';
const API_KEY = 'KeY-AbCdEfGhIjKlMnOpQr';

async function keys(n: number) {
  const sodium = await sodiumReady();
  return Array.from({ length: n }, () => sodium.randombytes_buf(32));
}

async function seedUser(db: Db, telegramId: number) {
  return users.insertUser(db, { telegramId, language: 'en', now: 1 });
}

describe('storage', () => {
  it('migrates an empty file and is idempotent', async () => {
    const dir = tmp();
    const url = path.join(dir, 'sub', 'bot.sqlite');
    const db = await openAndMigrate({ url });
    const tables = await db.introspection.getTables();
    const names = tables.map((t) => t.name);
    for (const t of ['users', 'exchange_accounts', 'signal_sources', 'subscriptions', 'user_settings', 'signals', 'trades', 'orders', 'audit_log', 'state_transitions']) {
      expect(names).toContain(t);
    }
    const again = await migrateToLatest(db);
    expect(again.results).toEqual([]);
    await db.destroy();
    const reopened = openDb({ url });
    expect((await migrateToLatest(reopened)).results).toEqual([]);
    await reopened.destroy();
  });

  it('runs with WAL, foreign keys and a busy timeout', async () => {
    const dir = tmp();
    const db = await openAndMigrate({ url: path.join(dir, 'x.sqlite') });
    await expect(accounts.insertAccount(db, { userId: 999, exchange: 'paper', environment: 'mainnet', label: 'x', keyFingerprint: null, keyHint: null, verifiedAt: null, now: 1 })).rejects.toThrow(/FOREIGN KEY/);
    await db.destroy();
    expect(fs.existsSync(path.join(dir, 'x.sqlite-wal')) || fs.existsSync(path.join(dir, 'x.sqlite'))).toBe(true);
  });

  it('keeps the audit log append-only', async () => {
    const db = await openAndMigrate({ url: ':memory:' });
    await audit.appendAudit(db, { actor: 'system', action: 'test', entity: 'user', entityId: 1, after: { a: 1 }, traceId: 't1', at: 1 });
    await expect(db.updateTable('audit_log').set({ action: 'x' }).execute()).rejects.toThrow(/append-only/);
    await expect(db.deleteFrom('audit_log').execute()).rejects.toThrow(/append-only/);
    expect(await audit.listAudit(db, { traceId: 't1' })).toHaveLength(1);
    await db.destroy();
  });

  it('records state transitions and refuses an illegal one', async () => {
    const db = await openAndMigrate({ url: ':memory:' });
    await transitions.recordTransition(db, 7, transition(ORDER_MACHINE, 'pending', 'open', 10));
    await transitions.recordTransition(db, 7, transition(ORDER_MACHINE, 'open', 'filled', 11));
    expect(() => transition(ORDER_MACHINE, 'filled', 'open', 12)).toThrow(/illegal transition filled -> open/);
    const rows = await transitions.listTransitions(db, 'order', 7);
    expect(rows.map((r) => `${r.from_status}>${r.to_status}`)).toEqual(['pending>open', 'open>filled']);
    await db.destroy();
  });
});

describe('key vault', () => {
  it('round-trips credentials through the database', async () => {
    const [k] = await keys(1);
    const vault = await createKeyVault(k!);
    const db = await openAndMigrate({ url: ':memory:' });
    const u = await seedUser(db, 1);
    const row = await createAccountWithCredentials(db, vault, {
      userId: u.id, exchange: 'bybit', environment: 'testnet', label: 'main', credentials: { apiKey: API_KEY, secret: SECRET }, verifiedAt: 5, now: 5,
    });
    expect(row.key_hint).toBe('KeY-…MnOpQr'.slice(0, 4) + '…' + API_KEY.slice(-4));
    expect(row.credentials_enc).not.toContain(SECRET);
    expect(await loadCredentials(db, vault, row.id)).toEqual({ apiKey: API_KEY, secret: SECRET });
    await db.destroy();
  });

  it('uses a fresh nonce per record', async () => {
    const [k] = await keys(1);
    const vault = await createKeyVault(k!);
    const a = vault.encrypt({ userId: 1, accountId: 1 }, { secret: SECRET });
    const b = vault.encrypt({ userId: 1, accountId: 1 }, { secret: SECRET });
    expect(a.nonce).not.toBe(b.nonce);
    expect(a.ciphertext).not.toBe(b.ciphertext);
  });

  it('refuses a tampered ciphertext with a clear error', async () => {
    const [k] = await keys(1);
    const vault = await createKeyVault(k!);
    const rec = vault.encrypt({ userId: 1, accountId: 2 }, { secret: SECRET });
    const bytes = Buffer.from(rec.ciphertext, 'base64');
    bytes[3] = bytes[3]! ^ 0x01;
    const tampered = { ...rec, ciphertext: bytes.toString('base64') };
    expect(() => vault.decrypt({ userId: 1, accountId: 2 }, tampered)).toThrow(DecryptionError);
    expect(() => vault.decrypt({ userId: 1, accountId: 2 }, tampered)).toThrow(/tampered/);
  });

  it('refuses a wrong master key with a clear error', async () => {
    const [k1, k2] = await keys(2);
    const rec = (await createKeyVault(k1!)).encrypt({ userId: 1, accountId: 2 }, { secret: SECRET });
    const other = await createKeyVault(k2!);
    expect(() => other.decrypt({ userId: 1, accountId: 2 }, rec)).toThrow(/wrong MASTER_KEY/);
    // even if the key id were forged, authentication fails
    expect(() => other.decrypt({ userId: 1, accountId: 2 }, { ...rec, keyId: keyIdOf(k2!) })).toThrow(DecryptionError);
  });

  it('refuses a ciphertext moved to another user or account', async () => {
    const [k] = await keys(1);
    const vault = await createKeyVault(k!);
    const db = await openAndMigrate({ url: ':memory:' });
    const alice = await seedUser(db, 1);
    const mallory = await seedUser(db, 2);
    const a = await createAccountWithCredentials(db, vault, { userId: alice.id, exchange: 'bybit', environment: 'mainnet', label: 'a', credentials: { apiKey: API_KEY, secret: SECRET }, verifiedAt: 1, now: 1 });
    const m = await createAccountWithCredentials(db, vault, { userId: mallory.id, exchange: 'bybit', environment: 'mainnet', label: 'm', credentials: { apiKey: 'other-key-123456', secret: 'other-secret-123456' }, verifiedAt: 1, now: 1 });
    await accounts.setAccountCredentials(db, m.id, { ciphertext: a.credentials_enc!, nonce: a.credentials_nonce!, keyId: a.vault_key_id! }, 2);
    await expect(loadCredentials(db, vault, m.id)).rejects.toThrow(/does not belong to user/);
    await db.destroy();
  });

  it('never writes the plaintext secret to the SQLite file or its WAL', async () => {
    const dir = tmp();
    const [k] = await keys(1);
    const vault = await createKeyVault(k!);
    const file = path.join(dir, 'bot.sqlite');
    const db = await openAndMigrate({ url: file });
    const u = await seedUser(db, 1);
    await createAccountWithCredentials(db, vault, { userId: u.id, exchange: 'bybit', environment: 'mainnet', label: 'main', credentials: { apiKey: API_KEY, secret: SECRET }, verifiedAt: 1, now: 1 });
    const files = fs.readdirSync(dir).filter((f) => f.startsWith('bot.sqlite'));
    expect(files).toContain('bot.sqlite-wal');
    for (const f of files) {
      const raw = fs.readFileSync(path.join(dir, f));
      expect(raw.includes(Buffer.from(SECRET))).toBe(false);
      expect(raw.includes(Buffer.from(API_KEY))).toBe(false);
    }
    await db.destroy();
    const raw = fs.readFileSync(file);
    expect(raw.includes(Buffer.from(SECRET))).toBe(false);
  });

  it('generates data/master.key with mode 0600 when MASTER_KEY is absent, and reuses it', async () => {
    const dir = tmp();
    const first = await loadMasterKeys({ dataDir: dir });
    expect(first.source).toBe('generated');
    const stat = fs.statSync(path.join(dir, 'master.key'));
    expect(stat.mode & 0o777).toBe(0o600);
    const second = await loadMasterKeys({ dataDir: dir });
    expect(second.source).toBe('file');
    expect(Buffer.from(second.primary).equals(Buffer.from(first.primary))).toBe(true);
    const fromEnv = await loadMasterKeys({ dataDir: dir, masterKey: Buffer.alloc(32, 1).toString('base64') });
    expect(fromEnv.source).toBe('env');
  });

  it('re-encrypts every record under a new key (rotation)', async () => {
    const [k1, k2] = await keys(2);
    const oldVault = await createKeyVault(k1!);
    const db = await openAndMigrate({ url: ':memory:' });
    const u = await seedUser(db, 1);
    const row = await createAccountWithCredentials(db, oldVault, { userId: u.id, exchange: 'bybit', environment: 'mainnet', label: 'main', credentials: { apiKey: API_KEY, secret: SECRET }, verifiedAt: 1, now: 1 });
    const rotating = await createKeyVault(k2!, [k1!]);
    expect(await reencryptAll(db, rotating, 2)).toBe(1);
    const newOnly = await createKeyVault(k2!);
    expect(await loadCredentials(db, newOnly, row.id)).toEqual({ apiKey: API_KEY, secret: SECRET });
    await expect(loadCredentials(db, oldVault, row.id)).rejects.toThrow(DecryptionError);
    await db.destroy();
  });

  it('npm run keys:rotate rotates the file-based key end to end', async () => {
    const dir = tmp();
    const dbFile = path.join(dir, 'bot.sqlite');
    const before = await loadMasterKeys({ dataDir: dir });
    const db = await openAndMigrate({ url: dbFile });
    const u = await seedUser(db, 1);
    const row = await createAccountWithCredentials(db, await createKeyVault(before.primary), { userId: u.id, exchange: 'bybit', environment: 'mainnet', label: 'main', credentials: { apiKey: API_KEY, secret: SECRET }, verifiedAt: 1, now: 1 });
    await db.destroy();
    const env = { ...process.env, DATABASE_URL: dbFile, DATA_DIR: dir, MASTER_KEY: '' };
    const out = execFileSync('npx', ['tsx', 'services/cli/rotate-keys.ts'], { env, encoding: 'utf8' });
    expect(out).toMatch(/re-encrypted 1 credential record/);
    const after = await loadMasterKeys({ dataDir: dir });
    expect(Buffer.from(after.primary).equals(Buffer.from(before.primary))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'master.key.next'))).toBe(false);
    const db2 = await openAndMigrate({ url: dbFile });
    expect(await loadCredentials(db2, await createKeyVault(after.primary), row.id)).toEqual({ apiKey: API_KEY, secret: SECRET });
    await db2.destroy();
  });
});
