import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openAndMigrate, type Db } from '../../db/index.js';

/** A fresh in-memory database with every migration applied. */
export function memoryDb(): Promise<Db> {
  return openAndMigrate({ url: ':memory:' });
}

/** A temporary directory removed by the returned cleanup. */
export function tempDir(prefix = 'stb-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
