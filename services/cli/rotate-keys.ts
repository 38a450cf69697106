// npm run keys:rotate — re-encrypts every stored credential under a new master key.
//
// File-based key (no MASTER_KEY): a new key is written to DATA_DIR/master.key.next
// first, the records are re-encrypted in one transaction, then the file replaces
// master.key. If the process dies in between, the next start loads both keys and
// every record still decrypts.
// Env-based key: set NEW_MASTER_KEY (base64, 32 bytes); after the run, set
// MASTER_KEY to that value.
import fs from 'node:fs';
import path from 'node:path';
import sodium from 'libsodium-wrappers';
import { openAndMigrate } from '../../db/index.js';
import { loadConfig } from '../config.js';
import { reencryptAll } from '../credentials.js';
import { createKeyVault, decodeMasterKey, loadMasterKeys, MASTER_KEY_FILE, NEXT_MASTER_KEY_FILE, writeKeyFile } from '../key-vault.js';

try {
  const config = loadConfig();
  await sodium.ready;
  const current = await loadMasterKeys({ masterKey: config.MASTER_KEY, dataDir: config.DATA_DIR });
  const db = await openAndMigrate({ url: config.DATABASE_URL });
  let next: Uint8Array;
  const nextFile = path.resolve(config.DATA_DIR, NEXT_MASTER_KEY_FILE);
  if (current.source === 'env') {
    if (!process.env.NEW_MASTER_KEY) throw new Error('MASTER_KEY is set in the environment: set NEW_MASTER_KEY (base64, 32 bytes) to rotate to it');
    next = decodeMasterKey(process.env.NEW_MASTER_KEY);
  } else {
    next = sodium.randombytes_buf(32);
    writeKeyFile(nextFile, next);
  }
  const vault = await createKeyVault(next, [current.primary, ...current.others]);
  const count = await reencryptAll(db, vault, Date.now());
  await db.destroy();
  if (current.source === 'env') {
    console.log(`re-encrypted ${count} credential record(s). Now set MASTER_KEY to the value of NEW_MASTER_KEY and restart.`);
  } else {
    fs.renameSync(nextFile, path.resolve(config.DATA_DIR, MASTER_KEY_FILE));
    console.log(`re-encrypted ${count} credential record(s) under a new master key (key id ${vault.keyId}) in ${config.DATA_DIR}/${MASTER_KEY_FILE}.`);
  }
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
}
