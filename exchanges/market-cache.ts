/**
 * The market cache shared by every client of an exchange + environment: one
 * load per symbol (concurrent callers share it), trusted for `ttlMs`
 * (default 1 h).
 */
import type { Market } from '../models/index.js';
import type { Clock } from './limiter.js';

/** Markets are the same for every account of an exchange + environment: one cache for all. */
export interface MarketCache {
  get(symbol: string, load: () => Promise<Market>): Promise<Market>;
  put(markets: Market[]): void;
  clear(): void;
}

export function createMarketCache(options: { clock: Clock; ttlMs?: number }): MarketCache {
  const ttl = options.ttlMs ?? 60 * 60_000;
  const entries = new Map<string, { market: Market; at: number }>();
  const inflight = new Map<string, Promise<Market>>();
  return {
    get(symbol, load) {
      const hit = entries.get(symbol);
      if (hit && options.clock.now() - hit.at < ttl) return Promise.resolve(hit.market);
      const running = inflight.get(symbol);
      if (running) return running;
      const p = load().then(
        (market) => {
          entries.set(symbol, { market, at: options.clock.now() });
          inflight.delete(symbol);
          return market;
        },
        (e: unknown) => {
          inflight.delete(symbol);
          throw e;
        },
      );
      inflight.set(symbol, p);
      return p;
    },
    put(markets) {
      const at = options.clock.now();
      for (const m of markets) entries.set(m.symbol, { market: m, at });
    },
    clear() {
      entries.clear();
    },
  };
}
