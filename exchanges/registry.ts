/**
 * The registry of per-account exchange clients. One client (and one adapter
 * instance) per account, built on first use and reused; credentials are loaded
 * (decrypted by the caller's key vault) only when the instance is built and
 * handed straight to the adapter factory: the registry keeps no plaintext.
 * The limiter, breakers, market caches and metrics are shared, so per-host
 * budgets hold across every account on this server.
 *
 * Idle clients are evicted: a client not used for `idleTtlMs` (default 30 min)
 * and with no call in flight is dropped and its adapter closed (lazily, on
 * the next `client()` call at most once per `sweepIntervalMs`, or by
 * `evictIdle()`); `maxClients` caps the count, evicting the least recently
 * used idle ones. Paper accounts are not evicted by default (their adapter
 * simulates fills while it lives). Callers ask `client(ref)` per unit of work
 * instead of keeping a client: an evicted one is rebuilt on the next call
 * (credentials loaded again; markets and Bybit account types are shared by the
 * ccxt factories, so a rebuilt adapter sends no start-up request).
 */
import { NotSupported, type ExchangeId } from '../models/index.js';
import { createBreakers, type BreakerListener, type BreakerOptions, type BreakerState, type Breakers } from './breaker.js';
import { createAdapterContext, createExchangeClient, createMarketCache, type ClientOptions, type ExchangeClient, type MarketCache } from './client.js';
import { createRateLimiter, systemClock, type BucketSnapshot, type Clock, type RateLimiter } from './limiter.js';
import { resolveLimits, type ExchangeLimits, type LimitsOverrides } from './limits.js';
import { combineObservers, createMetrics, type CallMetrics, type OpMetrics } from './metrics.js';
import type { AccountRef, AdapterContext, CallObserver, Credentials, ExchangeAdapter } from './types.js';

/**
 * Builds one account's adapter. `context` routes the adapter's own start-up
 * requests (market load, account-type probe) through the client's limiter;
 * factories that make no such requests may ignore it.
 */
export type AdapterFactory = (ref: AccountRef, credentials: Credentials, context?: AdapterContext) => ExchangeAdapter;

export interface ExchangeRegistryOptions {
  factories: Partial<Record<ExchangeId, AdapterFactory>>;
  loadCredentials: (ref: AccountRef) => Promise<Credentials>;
  limits?: LimitsOverrides;
  observer?: CallObserver;
  clock?: Clock;
  random?: () => number;
  breaker?: BreakerOptions;
  client?: ClientOptions;
  /** How long a market's precision is cached (default 1 h). */
  marketTtlMs?: number;
  /** Evict a client unused for this long (default 30 min; 0 or Infinity: never). */
  idleTtlMs?: number;
  /** Most clients kept; past it the least recently used idle ones are evicted (default: no cap). */
  maxClients?: number;
  /** How often `client()` looks for idle clients (default 60 s). */
  sweepIntervalMs?: number;
  /** Which accounts may be evicted (default: all but Paper). */
  evictable?: (ref: AccountRef) => boolean;
}

export interface ExchangeHealth {
  breakers: BreakerState[];
  limiter: { queued: number; buckets: BucketSnapshot[] };
  metrics: OpMetrics[];
  clients: number;
}

export interface ExchangeRegistry {
  /** The account's client, built (credentials loaded) on first use and cached by accountId. */
  client(ref: AccountRef): Promise<ExchangeClient>;
  /** Drop the account's client (keys changed or removed) and reset its credential breaker. */
  invalidate(accountId: string): Promise<void>;
  /** Manual breaker resets (admin). */
  resetExchange(host: string): void;
  resetAccount(accountId: string): void;
  onBreakerChange(listener: BreakerListener): () => void;
  /** Drop clients idle for idleTtlMs (and over maxClients), closing their adapters; returns how many. */
  evictIdle(): Promise<number>;
  health(): ExchangeHealth;
  readonly metrics: CallMetrics;
  readonly limiter: RateLimiter;
  readonly breakers: Breakers;
  close(): Promise<void>;
}

interface Entry {
  ref: AccountRef;
  client: ExchangeClient;
  adapter: ExchangeAdapter;
  lastUsed: number;
  /** Calls in flight: a busy client is never evicted. */
  inflight: number;
}

export function createExchangeRegistry(options: ExchangeRegistryOptions): ExchangeRegistry {
  const clock = options.clock ?? systemClock;
  const limiter = createRateLimiter({ clock });
  const breakers = createBreakers({ ...options.breaker, clock });
  const metrics = createMetrics();
  const observer = combineObservers(metrics.observer, options.observer);
  const entries = new Map<string, Entry>();
  const building = new Map<string, Promise<Entry>>();
  const marketCaches = new Map<string, MarketCache>();
  const limitsByExchange = new Map<ExchangeId, ExchangeLimits>();
  /** Bumped on invalidate so a build that started before it is not cached. */
  const generation = new Map<string, number>();

  function limitsFor(exchange: ExchangeId): ExchangeLimits {
    let l = limitsByExchange.get(exchange);
    if (!l) {
      l = resolveLimits(exchange, options.limits);
      limitsByExchange.set(exchange, l);
    }
    return l;
  }

  function marketsFor(ref: AccountRef): MarketCache {
    const key = `${ref.exchange}:${ref.environment}`;
    let c = marketCaches.get(key);
    if (!c) {
      c = createMarketCache(options.marketTtlMs === undefined ? { clock } : { clock, ttlMs: options.marketTtlMs });
      marketCaches.set(key, c);
    }
    return c;
  }

  const sameRef = (a: AccountRef, b: AccountRef): boolean => a.exchange === b.exchange && a.environment === b.environment;

  async function build(ref: AccountRef): Promise<Entry> {
    const factory = options.factories[ref.exchange];
    if (!factory) throw new NotSupported(`no adapter for exchange ${ref.exchange}`, { exchange: ref.exchange, operation: 'client' });
    const gen = generation.get(ref.accountId) ?? 0;
    // Plaintext credentials live only in this scope and in the adapter.
    const context = createAdapterContext();
    const adapter = factory(ref, await options.loadCredentials(ref), context);
    const usage = { lastUsed: clock.now(), inflight: 0 };
    const client = createExchangeClient({
      context,
      activity: {
        start: () => {
          usage.inflight++;
          usage.lastUsed = clock.now();
        },
        end: () => {
          usage.inflight = Math.max(0, usage.inflight - 1);
          usage.lastUsed = clock.now();
        },
      },
      ref,
      adapter,
      limiter,
      breakers,
      limits: limitsFor(ref.exchange),
      observer,
      clock,
      markets: marketsFor(ref),
      ...(options.random ? { random: options.random } : {}),
      ...(options.client ? { options: options.client } : {}),
    });
    const entry: Entry = Object.defineProperties({ ref: { ...ref }, client, adapter } as Entry, {
      lastUsed: { get: () => usage.lastUsed, set: (v: number) => (usage.lastUsed = v), enumerable: true },
      inflight: { get: () => usage.inflight, enumerable: true },
    });
    if ((generation.get(ref.accountId) ?? 0) !== gen) {
      // Invalidated while building: do not cache a client built with old keys.
      await adapter.close?.().catch(() => undefined);
      return build(ref);
    }
    return entry;
  }

  async function drop(accountId: string): Promise<void> {
    const entry = entries.get(accountId);
    entries.delete(accountId);
    if (entry?.adapter.close) await entry.adapter.close().catch(() => undefined);
  }

  const idleTtl = options.idleTtlMs ?? 30 * 60_000;
  const sweepInterval = options.sweepIntervalMs ?? 60_000;
  const evictable = options.evictable ?? ((ref: AccountRef) => ref.exchange !== 'paper');
  let lastSweep = clock.now();

  const idle = (e: Entry): boolean => e.inflight === 0 && evictable(e.ref);

  async function evictIdle(): Promise<number> {
    const now = clock.now();
    lastSweep = now;
    const victims: string[] = [];
    if (idleTtl > 0 && Number.isFinite(idleTtl)) {
      for (const [id, e] of entries) if (idle(e) && now - e.lastUsed >= idleTtl) victims.push(id);
    }
    const max = options.maxClients;
    if (max !== undefined && entries.size - victims.length > max) {
      const lru = [...entries.entries()]
        .filter(([id, e]) => !victims.includes(id) && idle(e))
        .sort((a, b) => a[1].lastUsed - b[1].lastUsed);
      for (const [id] of lru) {
        if (entries.size - victims.length <= max) break;
        victims.push(id);
      }
    }
    await Promise.all(victims.map((id) => drop(id)));
    return victims.length;
  }

  function maybeSweep(): void {
    const over = options.maxClients !== undefined && entries.size > options.maxClients;
    if (!over && clock.now() - lastSweep < sweepInterval) return;
    void evictIdle().catch(() => undefined);
  }

  async function client(ref: AccountRef): Promise<ExchangeClient> {
    const cached = entries.get(ref.accountId);
    if (cached && sameRef(cached.ref, ref)) {
      cached.lastUsed = clock.now();
      maybeSweep();
      return cached.client;
    }
    maybeSweep();
    if (cached) await drop(ref.accountId);
    let pending = building.get(ref.accountId);
    if (!pending) {
      const p: Promise<Entry> = build(ref).then(
        (entry) => {
          if (building.get(ref.accountId) === p) {
            building.delete(ref.accountId);
            entries.set(ref.accountId, entry);
          }
          return entry;
        },
        (e: unknown) => {
          if (building.get(ref.accountId) === p) building.delete(ref.accountId);
          throw e;
        },
      );
      building.set(ref.accountId, p);
      pending = p;
    }
    const entry = await pending;
    if (!sameRef(entry.ref, ref)) return client(ref);
    return entry.client;
  }

  return {
    client,
    async invalidate(accountId) {
      generation.set(accountId, (generation.get(accountId) ?? 0) + 1);
      building.delete(accountId);
      await drop(accountId);
      breakers.resetAccount(accountId);
    },
    resetExchange: (host) => breakers.resetHost(host),
    resetAccount: (accountId) => breakers.resetAccount(accountId),
    onBreakerChange: (listener) => breakers.onStateChange(listener),
    evictIdle,
    health() {
      return {
        breakers: breakers.snapshot(),
        limiter: { queued: limiter.queued(), buckets: limiter.snapshot() },
        metrics: metrics.snapshot(),
        clients: entries.size,
      };
    },
    metrics,
    limiter,
    breakers,
    async close() {
      const ids = [...entries.keys()];
      await Promise.all(ids.map((id) => drop(id)));
    },
  };
}
