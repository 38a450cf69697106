/**
 * Price feeds for the Paper exchange. A feed gives the current price of a
 * unified symbol and tells subscribers about every change; the Paper adapter
 * runs its matching engine on each update (a candle update walks the candle's
 * path). Feeds are shared: one feed can drive every user's Paper account.
 */
import { roundToStep, type Candle, type Market } from '../../models/index.js';
import { bundledMarkets, bundledReferencePrices } from './markets.js';
import { gaussian, seededStream } from './random.js';

export interface PriceUpdate {
  symbol: string;
  price: number;
  /** Present when the update is a whole candle (price = its close). */
  candle?: Candle;
  timestamp: number;
}

export type PriceListener = (update: PriceUpdate) => void;

export interface PriceFeed {
  /** Current price of a unified symbol ("BTC/USDT"), or null when the feed has none. */
  price(symbol: string): number | null;
  /** Listen to every price change; returns the unsubscribe function. */
  subscribe(listener: PriceListener): () => void;
  candles?(symbol: string, timeframe: string, since?: number, limit?: number): Candle[] | Promise<Candle[]>;
  close?(): void | Promise<void>;
}

/** Listener bookkeeping shared by the feeds; a throwing listener never breaks the feed. */
export class FeedEmitter {
  private readonly listeners = new Set<PriceListener>();

  subscribe(listener: PriceListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  protected emit(update: PriceUpdate): void {
    for (const l of this.listeners) {
      try {
        l(update);
      } catch (error) {
        console.error('paper price feed listener failed', error);
      }
    }
  }
}

const TIMEFRAMES: Record<string, number> = {
  '1m': 60_000,
  '3m': 180_000,
  '5m': 300_000,
  '15m': 900_000,
  '30m': 1_800_000,
  '1h': 3_600_000,
  '2h': 7_200_000,
  '4h': 14_400_000,
  '6h': 21_600_000,
  '12h': 43_200_000,
  '1d': 86_400_000,
  '1w': 604_800_000,
};

/** Milliseconds of a timeframe such as "1m", "4h", "1d"; throws RangeError when unknown. */
export function timeframeMs(timeframe: string): number {
  const ms = TIMEFRAMES[timeframe];
  if (ms === undefined) throw new RangeError(`unknown timeframe ${JSON.stringify(timeframe)} (known: ${Object.keys(TIMEFRAMES).join(', ')})`);
  return ms;
}

/** A feed whose prices are set by hand (tests). */
export class ManualPriceFeed extends FeedEmitter implements PriceFeed {
  private readonly prices = new Map<string, number>();
  private readonly series = new Map<string, Candle[]>();

  constructor(private readonly now: () => number = Date.now) {
    super();
  }

  price(symbol: string): number | null {
    return this.prices.get(symbol) ?? null;
  }

  set(symbol: string, price: number): void {
    this.prices.set(symbol, price);
    this.emit({ symbol, price, timestamp: this.now() });
  }

  /** Push a whole candle (the engine walks its path); the price becomes its close. */
  pushCandle(symbol: string, candle: Candle): void {
    this.prices.set(symbol, candle.close);
    const list = this.series.get(symbol) ?? [];
    list.push(candle);
    this.series.set(symbol, list);
    this.emit({ symbol, price: candle.close, candle, timestamp: candle.time });
  }

  candles(symbol: string, _timeframe: string, since?: number, limit?: number): Candle[] {
    return sliceCandles(this.series.get(symbol) ?? [], since, limit);
  }
}

export function sliceCandles(list: readonly Candle[], since?: number, limit?: number): Candle[] {
  let out = since === undefined ? [...list] : list.filter((c) => c.time >= since);
  if (limit !== undefined && out.length > limit) out = since === undefined ? out.slice(out.length - limit) : out.slice(0, limit);
  return out.map((c) => ({ ...c }));
}

export interface SimulatedPriceFeedOptions {
  /** Same seed, same symbol: same sequence of prices. Default 1. */
  seed?: number | string;
  /** Start price per symbol; default the bundled reference prices. */
  startPrices?: Record<string, number>;
  /** Markets, for rounding prices to the tick; default the bundled ones. */
  markets?: readonly Market[];
  /** Standard deviation of one step's log return; default 0.001 (0.1%). */
  volatility?: number;
  now?: () => number;
}

interface WalkState {
  price: number;
  tick: number;
  next: () => number;
  steps: number;
}

/**
 * A deterministic seeded random walk per symbol: the k-th price of a symbol
 * depends only on the seed, the symbol, its start price and k (not on which
 * other symbols are walked). A symbol starts walking when first asked for.
 * Steps on demand (`step()`) or on a timer (`start(ms)`).
 */
export class SimulatedPriceFeed extends FeedEmitter implements PriceFeed {
  private readonly seed: number | string;
  private readonly startPrices: Record<string, number>;
  private readonly ticks = new Map<string, number>();
  private readonly volatility: number;
  private readonly now: () => number;
  private readonly walks = new Map<string, WalkState>();
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(opts: SimulatedPriceFeedOptions = {}) {
    super();
    this.seed = opts.seed ?? 1;
    this.startPrices = opts.startPrices ?? bundledReferencePrices();
    for (const m of opts.markets ?? bundledMarkets()) this.ticks.set(m.symbol, m.tickSize);
    this.volatility = opts.volatility ?? 0.001;
    this.now = opts.now ?? Date.now;
  }

  private walk(symbol: string): WalkState | null {
    let w = this.walks.get(symbol);
    if (w) return w;
    const start = this.startPrices[symbol];
    if (start === undefined || !(start > 0)) return null;
    const tick = this.ticks.get(symbol) ?? 0;
    w = { price: tick > 0 ? roundToStep(start, tick) : start, tick, next: seededStream(this.seed, symbol), steps: 0 };
    this.walks.set(symbol, w);
    return w;
  }

  price(symbol: string): number | null {
    return this.walk(symbol)?.price ?? null;
  }

  /** Symbols currently walking. */
  symbols(): string[] {
    return [...this.walks.keys()];
  }

  /** Advance the given symbols (default: every walking symbol) by one step and notify. */
  step(symbols?: readonly string[]): PriceUpdate[] {
    const out: PriceUpdate[] = [];
    const t = this.now();
    for (const symbol of symbols ?? [...this.walks.keys()]) {
      const w = this.walk(symbol);
      if (!w) continue;
      const raw = w.price * Math.exp(this.volatility * gaussian(w.next));
      const p = w.tick > 0 ? Math.max(w.tick, roundToStep(raw, w.tick)) : raw;
      w.price = p;
      w.steps++;
      out.push({ symbol, price: p, timestamp: t });
    }
    for (const u of out) this.emit(u);
    return out;
  }

  /** Continue the walk of `symbol` from `price` (used to follow real prices). */
  anchor(symbol: string, price: number): void {
    const w = this.walk(symbol);
    if (w) w.price = price;
    else this.walks.set(symbol, { price, tick: this.ticks.get(symbol) ?? 0, next: seededStream(this.seed, symbol), steps: 0 });
  }

  start(intervalMs = 1000): void {
    this.stop();
    this.timer = setInterval(() => this.step(), intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  close(): void {
    this.stop();
  }

  /**
   * Synthetic candles ending at the current price in the current period:
   * deterministic for a given seed, symbol, timeframe and period.
   */
  candles(symbol: string, timeframe: string, since?: number, limit = 200): Candle[] {
    const ms = timeframeMs(timeframe);
    const w = this.walk(symbol);
    if (!w) return [];
    const endBucket = Math.floor(this.now() / ms) * ms;
    let count = Math.max(0, Math.min(limit, 1000));
    if (since !== undefined) count = Math.max(0, Math.min(count, Math.floor((endBucket - since) / ms) + 1));
    const rng = seededStream(this.seed, `${symbol}:${timeframe}:${endBucket}`);
    const vol = this.volatility * Math.sqrt(ms / 60_000);
    const round = (v: number): number => (w.tick > 0 ? Math.max(w.tick, roundToStep(v, w.tick)) : v);
    const out: Candle[] = new Array(count);
    let close = w.price;
    for (let i = count - 1; i >= 0; i--) {
      const open = round(close / Math.exp(vol * gaussian(rng)));
      const high = round(Math.max(open, close) * (1 + Math.abs(gaussian(rng)) * vol * 0.5));
      const low = round(Math.min(open, close) * (1 - Math.abs(gaussian(rng)) * vol * 0.5));
      out[i] = { time: endBucket - (count - 1 - i) * ms, open, high, low: Math.min(low, open, close), close, volume: Math.round(rng() * 1000 * 1000) / 1000 };
      close = open;
    }
    return out;
  }
}
