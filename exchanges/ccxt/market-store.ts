/**
 * Markets shared by every ccxt instance of one (exchange, environment, API
 * URL). Markets are public and the same for every account, so one loader
 * instance (built without credentials) fetches them once — one in-flight load
 * however many accounts ask at once — and each account's instance is handed
 * the result with ccxt's own `setMarketsFromExchange` (ccxt ≥ 4.5: shares
 * markets, markets_by_id, symbols, ids, currencies, currencies_by_id, codes
 * and the exchange's `options.marketHelperProps`, e.g. HyperLiquid's
 * hip3TokensByName / cachedCurrenciesById) — no request and no copy per
 * account. Per-account caches (Bybit's account-type detection) are not
 * market data and stay per instance (see bybit.ts).
 *
 * Data older than `maxAgeMs` is refreshed on the next `prepare` (new
 * listings); a failed refresh keeps the old markets and is not retried for
 * `retryMs`.
 */

/** The subset of a ccxt Exchange this store uses. */
export interface CcxtMarketSource {
  id: string;
  markets: Record<string, unknown> | undefined;
  loadMarkets(reload?: boolean): Promise<Record<string, unknown>>;
}

export interface CcxtMarketTarget {
  id: string;
  markets: Record<string, unknown> | undefined;
  setMarketsFromExchange(source: unknown): unknown;
}

export interface SharedMarketsOptions {
  /** Refresh markets older than this on the next prepare (default 15 min). */
  maxAgeMs?: number;
  /** After a failed refresh, keep the old markets this long before trying again (default 60 s). */
  retryMs?: number;
  now?: () => number;
}

export interface SharedMarkets {
  readonly key: string;
  /** Bumped on every successful load. 0 = never loaded. */
  readonly version: number;
  readonly loadedAt: number | null;
  /** Loaded and not older than maxAgeMs. */
  fresh(): boolean;
  /** A refresh is due (never loaded, or stale and not in the retry pause). */
  due(): boolean;
  /**
   * Load (or reload) once for everyone: while a load is in flight every
   * caller gets the same promise. `wrap` runs the network part (e.g. through
   * the client's limiter); callers that join an in-flight load do not run it.
   */
  load(reload: boolean, wrap?: <T>(fn: () => Promise<T>) => Promise<T>): Promise<void>;
  /** Hand the loaded markets to `target` if it does not have this version yet; true when it did. */
  applyTo(target: CcxtMarketTarget, targetVersion: number): boolean;
  /** A value derived from the current markets (e.g. the unified market list), computed once per version. */
  derived<T>(name: string, compute: () => T): T;
  /** How many network loads were started (for tests and health). */
  readonly loads: number;
}

export function createSharedMarkets(key: string, source: CcxtMarketSource, options: SharedMarketsOptions = {}): SharedMarkets {
  const maxAgeMs = options.maxAgeMs ?? 15 * 60_000;
  const retryMs = options.retryMs ?? 60_000;
  const now = options.now ?? Date.now;
  let version = 0;
  let loadedAt: number | null = null;
  let pausedUntil = 0;
  let inflight: Promise<void> | null = null;
  let loads = 0;
  let derivedVersion = -1;
  const derivedValues = new Map<string, unknown>();

  const store: SharedMarkets = {
    key,
    get version() {
      return version;
    },
    get loadedAt() {
      return loadedAt;
    },
    get loads() {
      return loads;
    },
    fresh() {
      return loadedAt !== null && now() - loadedAt < maxAgeMs;
    },
    due() {
      if (loadedAt === null) return true;
      return !store.fresh() && now() >= pausedUntil;
    },
    load(reload, wrap) {
      if (inflight) return inflight;
      if (!reload && loadedAt !== null) return Promise.resolve();
      const fetch = () => source.loadMarkets(true);
      loads++;
      const p = (wrap ? wrap(fetch) : fetch()).then(
        () => {
          version++;
          loadedAt = now();
          pausedUntil = 0;
          inflight = null;
        },
        (e: unknown) => {
          pausedUntil = now() + retryMs;
          inflight = null;
          throw e;
        },
      );
      inflight = p;
      return p;
    },
    applyTo(target, targetVersion) {
      if (version === 0 || targetVersion === version) return false;
      target.setMarketsFromExchange(source);
      return true;
    },
    derived<T>(name: string, compute: () => T): T {
      if (derivedVersion !== version) {
        derivedValues.clear();
        derivedVersion = version;
      }
      if (!derivedValues.has(name)) derivedValues.set(name, compute());
      return derivedValues.get(name) as T;
    },
  };
  return store;
}

/** One SharedMarkets per key, created on first use (the adapter factories hold one of these). */
export class SharedMarketsRegistry {
  private readonly stores = new Map<string, SharedMarkets>();
  constructor(private readonly options: SharedMarketsOptions = {}) {}

  get(key: string, makeSource: () => CcxtMarketSource): SharedMarkets {
    let s = this.stores.get(key);
    if (!s) {
      s = createSharedMarkets(key, makeSource(), this.options);
      this.stores.set(key, s);
    }
    return s;
  }

  keys(): string[] {
    return [...this.stores.keys()];
  }
}
