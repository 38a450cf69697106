/**
 * Where Paper accounts keep their state between restarts. The adapter loads
 * once on first use and saves after mutations; the lead may add a db-backed
 * store implementing the same interface.
 */
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ExchangeError } from '../../models/index.js';
import { assertPaperState, type PaperState } from './state.js';

export interface PaperStore {
  load(accountId: string): Promise<PaperState | null>;
  save(accountId: string, state: PaperState): Promise<void>;
}

/** Keeps states in memory (copies in and out, like a real store). */
export class MemoryPaperStore implements PaperStore {
  private readonly states = new Map<string, string>();

  async load(accountId: string): Promise<PaperState | null> {
    const json = this.states.get(accountId);
    return json === undefined ? null : (JSON.parse(json) as PaperState);
  }

  async save(accountId: string, state: PaperState): Promise<void> {
    this.states.set(accountId, JSON.stringify(state));
  }
}

/** A file name for an account id: kept as-is when safe, hex-encoded otherwise. */
export function paperStateFileName(accountId: string): string {
  if (/^[A-Za-z0-9_-]{1,100}$/.test(accountId)) return `${accountId}.json`;
  return `x-${Buffer.from(accountId, 'utf8').toString('hex').slice(0, 200)}.json`;
}

/**
 * One JSON file per account under `dir` (e.g. data/paper/<accountId>.json),
 * written atomically: a temp file in the same directory, fsync, then rename.
 */
export class FilePaperStore implements PaperStore {
  private counter = 0;

  constructor(readonly dir: string) {}

  fileFor(accountId: string): string {
    return path.join(this.dir, paperStateFileName(accountId));
  }

  async load(accountId: string): Promise<PaperState | null> {
    const file = this.fileFor(accountId);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new ExchangeError(`cannot read the Paper account state ${file}`, { exchange: 'paper', operation: 'load', cause: error });
    }
    try {
      const state: unknown = JSON.parse(text);
      assertPaperState(state);
      return state;
    } catch (error) {
      // Never silently reset a paper account: a corrupt file needs a human.
      throw new ExchangeError(`the Paper account state ${file} is corrupt`, { exchange: 'paper', operation: 'load', cause: error });
    }
  }

  async save(accountId: string, state: PaperState): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const file = this.fileFor(accountId);
    const tmp = `${file}.${process.pid}.${++this.counter}.tmp`;
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(JSON.stringify(state), 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(tmp, file);
    } catch (error) {
      await unlink(tmp).catch(() => undefined);
      throw error;
    }
  }
}
