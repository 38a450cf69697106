/**
 * A grid world: :memory: SQLite with every migration, one Paper account per
 * user behind the real registry / unified client, a ManualPriceFeed, and a
 * notifier that records the grid events. `restart()` builds a new service on
 * the same database and exchange (a process restart).
 */
import { accounts as accountsRepo, users, type Db } from '../../../db/index.js';
import { createExchangeRegistry, type ExchangeAdapter, type ExchangeRegistry } from '../../../exchanges/index.js';
import { createPaperAdapter, ManualPriceFeed, type PaperAdapter } from '../../../exchanges/paper/index.js';
import type { GridNotification } from '../../../services/grid/events.js';
import { createGridService, type GridService } from '../../../services/grid/service.js';
import { createKeyedLock } from '../../../services/locks.js';
import { silentLogger } from '../../../services/logger.js';
import { memoryDb } from '../../helpers/db.js';

import type { GridParams } from '../../../services/grid/plan.js';

/** The DOGE grid the scenario tests run: 5 levels over 10 %, m = 1.3, TP 1 %, SL 10 %. */
export const DOGE_GRID: GridParams = {
  side: 'long',
  deposit: 100,
  leverage: 10,
  levels: 5,
  coverage: 10,
  multiplier: 1.3,
  takeProfit: 1,
  stopLoss: 10,
  pauseMs: 60_000,
  maxCycles: null,
  afterStopLoss: 'stop',
};

export class TestClock {
  t = Date.UTC(2025, 0, 15, 12, 0, 0);
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface GridWorld {
  db: Db;
  clock: TestClock;
  feed: ManualPriceFeed;
  registry: ExchangeRegistry;
  grid: GridService;
  events: GridNotification[];
  addUser(balance?: number): Promise<{ userId: number; accountId: number }>;
  paper(accountId: number): PaperAdapter;
  /** A new service instance on the same database and exchange. */
  restart(): GridService;
  close(): Promise<void>;
}

export async function createGridWorld(options: { wrap?: (adapter: PaperAdapter) => ExchangeAdapter } = {}): Promise<GridWorld> {
  const db = await memoryDb();
  const clock = new TestClock();
  const feed = new ManualPriceFeed(clock.now);
  feed.set('DOGE/USDT', 0.5);
  const papers = new Map<string, PaperAdapter>();
  const balances = new Map<string, number>();
  const registry = createExchangeRegistry({
    factories: {
      paper: (ref) => {
        const paper = createPaperAdapter({ accountId: ref.accountId, feed, startingBalance: balances.get(ref.accountId) ?? 10_000, now: clock.now, saveDebounceMs: 0 });
        papers.set(ref.accountId, paper);
        return options.wrap ? options.wrap(paper) : paper;
      },
    },
    loadCredentials: async () => ({}),
    client: { placement: { settleMs: 0, lookup: { attempts: 1, baseMs: 1, maxMs: 1 } }, retry: { attempts: 1 } },
  });
  const events: GridNotification[] = [];
  const build = () =>
    createGridService({ db, exchanges: registry, notifier: { notify: (e) => void events.push(e) }, log: silentLogger(), clock, locks: createKeyedLock() });
  const world: GridWorld = {
    db,
    clock,
    feed,
    registry,
    grid: build(),
    events,
    async addUser(balance = 10_000) {
      const n = (await db.selectFrom('users').select('id').execute()).length + 1;
      const user = await users.insertUser(db, { telegramId: 5_000 + n, language: 'en', now: clock.now() });
      const account = await accountsRepo.insertAccount(db, {
        userId: user.id,
        exchange: 'paper',
        environment: 'mainnet',
        label: 'paper',
        keyFingerprint: null,
        keyHint: null,
        verifiedAt: null,
        now: clock.now(),
      });
      balances.set(String(account.id), balance);
      return { userId: user.id, accountId: account.id };
    },
    paper(accountId) {
      const p = papers.get(String(accountId));
      if (!p) throw new Error(`no paper adapter for account ${accountId}`);
      return p;
    },
    restart() {
      world.grid = build();
      return world.grid;
    },
    async close() {
      await registry.close();
      await db.destroy();
    },
  };
  return world;
}
