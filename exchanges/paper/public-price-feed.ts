/**
 * Public prices for the Paper exchange: polls Bybit's public linear tickers
 * (`GET /v5/market/tickers?category=linear`, no key needed) and falls back to
 * the deterministic simulated walk, continued from the last real price, when
 * the network fails. It never throws out of `refresh()` or its timer. It only
 * touches the network when `refresh()` or `start()` is called; tests inject
 * `fetch`.
 */
import type { Candle, Market } from '../../models/index.js';
import { bundledMarkets } from './markets.js';
import { FeedEmitter, SimulatedPriceFeed, type PriceFeed } from './price-feed.js';

export interface FetchResponseLike {
  ok: boolean;
  status: number;
  json(): Promise<unknown>;
}
export type FetchLike = (url: string, init?: { signal?: AbortSignal }) => Promise<FetchResponseLike>;

export interface PublicPriceFeedOptions {
  markets?: readonly Market[];
  /** The walk used when public prices are unreachable; default a SimulatedPriceFeed. */
  fallback?: SimulatedPriceFeed;
  fetch?: FetchLike;
  url?: string;
  timeoutMs?: number;
  now?: () => number;
}

export const BYBIT_PUBLIC_TICKERS_URL = 'https://api.bybit.com/v5/market/tickers?category=linear';

/** Bybit names some markets differently from our unified symbols. */
const BYBIT_ALIASES: Record<string, string> = { SHIB1000USDT: '1000SHIB/USDT' };

export class PublicPriceFeed extends FeedEmitter implements PriceFeed {
  readonly fallback: SimulatedPriceFeed;
  private readonly bybitToUnified = new Map<string, string>();
  private readonly prices = new Map<string, number>();
  private readonly fetchFn: FetchLike | null;
  private readonly url: string;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private timer: ReturnType<typeof setInterval> | null = null;
  private inFlight: Promise<boolean> | null = null;
  /** Whether the last refresh got public prices. */
  live = false;

  constructor(opts: PublicPriceFeedOptions = {}) {
    super();
    const markets = opts.markets ?? bundledMarkets();
    for (const m of markets) this.bybitToUnified.set(`${m.base}${m.quote}`, m.symbol);
    const known = new Set(markets.map((m) => m.symbol));
    for (const [id, symbol] of Object.entries(BYBIT_ALIASES)) if (known.has(symbol)) this.bybitToUnified.set(id, symbol);
    this.now = opts.now ?? Date.now;
    this.fallback = opts.fallback ?? new SimulatedPriceFeed({ markets, now: this.now });
    this.fetchFn = opts.fetch ?? (typeof globalThis.fetch === 'function' ? (globalThis.fetch as unknown as FetchLike) : null);
    this.url = opts.url ?? BYBIT_PUBLIC_TICKERS_URL;
    this.timeoutMs = opts.timeoutMs ?? 5000;
  }

  price(symbol: string): number | null {
    return this.prices.get(symbol) ?? this.fallback.price(symbol);
  }

  /** Fetch public prices; on any failure step the simulated walk instead. Resolves true when live. */
  refresh(): Promise<boolean> {
    this.inFlight ??= this.doRefresh().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async doRefresh(): Promise<boolean> {
    let list: unknown[] | null;
    try {
      if (!this.fetchFn) throw new Error('no fetch');
      const res = await this.fetchFn(this.url, { signal: AbortSignal.timeout(this.timeoutMs) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body = (await res.json()) as { retCode?: unknown; result?: { list?: unknown } } | null;
      if (body?.retCode !== 0 || !Array.isArray(body.result?.list)) throw new Error('unexpected response');
      list = body.result.list;
    } catch {
      list = null;
    }
    const t = this.now();
    if (list === null) {
      this.live = false;
      // Keep prices moving: continue the walk from where the real prices were.
      for (const [symbol, p] of this.prices) this.fallback.anchor(symbol, p);
      this.prices.clear();
      for (const u of this.fallback.step()) this.emit({ ...u, timestamp: t });
      return false;
    }
    this.live = true;
    for (const item of list) {
      const row = item as { symbol?: unknown; lastPrice?: unknown };
      if (typeof row.symbol !== 'string') continue;
      const symbol = this.bybitToUnified.get(row.symbol);
      const price = Number(row.lastPrice);
      if (symbol === undefined || !(price > 0) || !Number.isFinite(price)) continue;
      this.fallback.anchor(symbol, price);
      if (this.prices.get(symbol) === price) continue;
      this.prices.set(symbol, price);
      this.emit({ symbol, price, timestamp: t });
    }
    return true;
  }

  /** Poll every `intervalMs` (the first refresh runs at once). */
  start(intervalMs = 5000): void {
    this.stop();
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  close(): void {
    this.stop();
  }

  candles(symbol: string, timeframe: string, since?: number, limit?: number): Candle[] {
    return this.fallback.candles(symbol, timeframe, since, limit);
  }
}
