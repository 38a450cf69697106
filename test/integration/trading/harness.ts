/**
 * A trading world for scenario tests: :memory: SQLite with every migration,
 * one Paper account per user behind the REAL registry/unified client, a
 * ManualPriceFeed shared by all accounts, a memory notifier, and a stub parser
 * (texts map to ParseResults) so scenarios do not depend on parser wording.
 */
import { accounts as accountsRepo, settings as settingsRepo, sources, users, type Db } from '../../../db/index.js';
import { putSymbolSettings } from '../../../db/repos/trading.js';
import { createExchangeRegistry, type ExchangeAdapter, type ExchangeRegistry } from '../../../exchanges/index.js';
import { createPaperAdapter, ManualPriceFeed, type PaperAdapter } from '../../../exchanges/paper/index.js';
import { AuthFailed, DEFAULT_SETTINGS, type ParseResult, type Settings, type SignalParse, type UpdateParse } from '../../../models/index.js';
import { createEntryGate, type EntryGate } from '../../../services/entry-gate.js';
import { silentLogger } from '../../../services/logger.js';
import { createMemoryNotifier } from '../../../services/notifications.js';
import { createSignalRouter, type SignalRouter } from '../../../services/signals/router.js';
import type { TradingOptions } from '../../../services/trading/context.js';
import { createTradingService, type TradingService } from '../../../services/trading/service.js';
import { memoryDb } from '../../helpers/db.js';

const ADAPTER_CALLS = new Set([
  'loadMarkets', 'market', 'fetchTicker', 'fetchCandles', 'fetchBalance', 'fetchPositions', 'fetchOpenOrders', 'fetchOrder', 'placeOrder', 'placeOrders',
  'amendOrder', 'cancelOrder', 'cancelAllOrders', 'setLeverage', 'setMarginMode', 'setPositionProtection', 'closePosition',
]);

export interface TestUser {
  userId: number;
  accountId: number;
  paper: PaperAdapter | null;
}

export interface HarnessOptions {
  options?: TradingOptions;
  /** Wrap an account's adapter (fault injection). */
  wrap?: (accountId: string, adapter: PaperAdapter) => ExchangeAdapter;
  /** Use the real entry gate (services/entry-gate.ts) on the harness clock. */
  gate?: { licenseRequired?: boolean };
  /** The unified client's backstop timeout per adapter call. */
  clientTimeoutMs?: number;
}

export function signal(overrides: Partial<SignalParse> = {}): SignalParse {
  return {
    kind: 'signal',
    symbol: 'BTC/USDT',
    side: 'long',
    entries: [],
    entryMarket: true,
    entryTrigger: null,
    takeProfits: [51_000, 52_000, 53_000],
    takeProfitPercents: null,
    stopLoss: 49_000,
    leverage: 10,
    marginMode: null,
    warnings: [],
    ...overrides,
  };
}

export function update(overrides: Partial<UpdateParse> = {}): UpdateParse {
  return { kind: 'update', symbol: 'BTC/USDT', action: 'close', stopLoss: null, breakeven: false, ...overrides };
}

export class Clock {
  t = Date.UTC(2025, 0, 15, 12, 0, 0);
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface Harness {
  db: Db;
  clock: Clock;
  feed: ManualPriceFeed;
  registry: ExchangeRegistry;
  notifier: ReturnType<typeof createMemoryNotifier>;
  trading: TradingService;
  router: SignalRouter;
  sourceId: number;
  texts: Map<string, ParseResult>;
  revoked: Set<string>;
  /** The real entry gate when `gate` was given. */
  gate: EntryGate | null;
  /**
   * A process restart: a new registry, trading service and router on the same
   * database and the same Paper exchange state (the adapters live on).
   */
  restart(o?: Pick<HarnessOptions, 'wrap' | 'options'>): void;
  /**
   * `exchange: 'hyperliquid'` stores the account as a HyperLiquid one (the services take its
   * HyperLiquid-only paths) while a Paper adapter still plays the exchange.
   */
  addUser(o?: { settings?: Partial<Settings>; mode?: 'auto' | 'confirm'; overrides?: Partial<Settings>; balance?: number; leverageKnown?: number; exchange?: 'paper' | 'hyperliquid' }): Promise<TestUser>;
  post(messageId: string, parsed: ParseResult, extra?: { replyTo?: string; edited?: boolean; postedAt?: number }): ReturnType<SignalRouter['handleMessage']>;
  paper(accountId: number): PaperAdapter;
  close(): Promise<void>;
}

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const db = await memoryDb();
  const clock = new Clock();
  const feed = new ManualPriceFeed(clock.now);
  feed.set('BTC/USDT', 50_000);
  feed.set('ETH/USDT', 3_000);
  const papers = new Map<string, PaperAdapter>();
  const balances = new Map<string, number>();
  const revoked = new Set<string>();
  const makeRegistry = (wrap: HarnessOptions['wrap'], reuse: boolean): ExchangeRegistry => {
    const paperFactory = (ref: { accountId: string }): ExchangeAdapter => {
      let paper = reuse ? papers.get(ref.accountId) : undefined;
      if (!paper) {
        paper = createPaperAdapter({ accountId: ref.accountId, feed, startingBalance: balances.get(ref.accountId) ?? 10_000, now: clock.now, saveDebounceMs: 0 });
        papers.set(ref.accountId, paper);
      }
      if (revoked.has(ref.accountId)) {
        return new Proxy(paper, {
          get(target, prop, receiver) {
            const v = Reflect.get(target, prop, receiver);
            if (typeof v !== 'function' || !ADAPTER_CALLS.has(String(prop))) return v;
            return () => Promise.reject(new AuthFailed('API key revoked', { exchange: 'paper', operation: String(prop) }));
          },
        }) as ExchangeAdapter;
      }
      return wrap ? wrap(ref.accountId, paper) : paper;
    };
    return createExchangeRegistry({
      factories: { paper: paperFactory, hyperliquid: paperFactory },
      loadCredentials: async () => ({}),
      client: {
        placement: { settleMs: 0, lookup: { attempts: 1, baseMs: 1, maxMs: 1 } },
        retry: { attempts: 1 },
        ...(options.clientTimeoutMs !== undefined ? { timeoutMs: options.clientTimeoutMs } : {}),
      },
    });
  };
  const registry = makeRegistry(options.wrap, false);
  const notifier = createMemoryNotifier();
  const log = silentLogger();
  const gate = options.gate ? createEntryGate({ db, access: { assertAdmin: async () => null }, clock, licenseRequired: options.gate.licenseRequired ?? false }) : null;
  const build = (reg: ExchangeRegistry, o: TradingOptions | undefined) => {
    const trading = createTradingService({ db, exchanges: reg, notifier, log, clock, ...(o ? { options: o } : {}), ...(gate ? { entryGate: gate } : {}) });
    const router = createSignalRouter({ db, trading, log, clock, parse: (text) => texts.get(text) ?? { kind: 'none', reason: 'no-symbol' } });
    return { trading, router };
  };
  const texts = new Map<string, ParseResult>();
  const first = build(registry, options.options);
  const trading = first.trading;
  const router = first.router;
  const source = await sources.upsertSource(db, { kind: 'channel', chatId: '-100123', title: 'Test channel', now: clock.now() });
  let n = 0;

  const registries: ExchangeRegistry[] = [registry];
  const h: Harness = {
    db,
    clock,
    feed,
    registry,
    notifier,
    trading,
    router,
    sourceId: source.id,
    texts,
    revoked,
    gate,
    restart(o = {}) {
      const reg = makeRegistry(o.wrap, true);
      registries.push(reg);
      const next = build(reg, o.options ?? options.options);
      h.registry = reg;
      h.trading = next.trading;
      h.router = next.router;
    },
    async addUser(o = {}) {
      n++;
      const user = await users.insertUser(db, { telegramId: 1_000 + n, language: 'en', now: clock.now() });
      const account = await accountsRepo.insertAccount(db, { userId: user.id, exchange: o.exchange ?? 'paper', environment: 'mainnet', label: 'paper', keyFingerprint: null, keyHint: null, verifiedAt: null, now: clock.now() });
      await users.updateUser(db, user.id, { default_account_id: account.id }, clock.now());
      balances.set(String(account.id), o.balance ?? 10_000);
      await settingsRepo.putUserSettingsJson(db, user.id, JSON.stringify({ ...DEFAULT_SETTINGS, ...o.settings }), clock.now());
      const sub = await sources.upsertSubscription(db, { userId: user.id, sourceId: source.id, mode: o.mode ?? 'auto', now: clock.now() });
      if (o.overrides) await sources.updateSubscription(db, sub.id, { overrides: JSON.stringify(o.overrides) }, clock.now());
      if (o.leverageKnown !== undefined) await putSymbolSettings(db, account.id, 'BTC/USDT', o.leverageKnown, 'isolated', clock.now());
      return { userId: user.id, accountId: account.id, paper: null };
    },
    post(messageId, parsed, extra = {}) {
      const text = `post ${messageId} ${JSON.stringify(parsed)}`;
      texts.set(text, parsed);
      return h.router.handleMessage({ sourceId: source.id, messageId, text, replyToMessageId: extra.replyTo ?? null, postedAt: extra.postedAt ?? clock.now(), edited: extra.edited ?? false });
    },
    paper(accountId) {
      const p = papers.get(String(accountId));
      if (!p) throw new Error(`no paper adapter for account ${accountId}`);
      return p;
    },
    async close() {
      await h.registry.close();
      await db.destroy();
    },
  };
  return h;
}
