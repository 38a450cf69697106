/**
 * The local sandbox's prices for the Paper exchange (`npm run demo`): public
 * Bybit prices when the machine is online, the deterministic simulated walk
 * otherwise (PublicPriceFeed falls back on any failure and never throws).
 * bot/sandbox/demo.ts may not import exchanges/, so it asks for the feed here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { bundledReferencePrices, PublicPriceFeed, SimulatedPriceFeed, type FetchLike, type PriceFeed } from '../exchanges/paper/index.js';

export interface SandboxPriceFeed extends PriceFeed {
  /** Whether the last refresh got public prices. */
  readonly live: boolean;
  /** Refresh now (the first refresh runs at once), then every `intervalMs`. */
  start(intervalMs?: number): void;
  stop(): void;
  /** One refresh: public prices, or one step of the walk. Resolves true when live. */
  refresh(): Promise<boolean>;
  /** Write the last prices to `stateFile` now (also done every `saveEveryMs` while started, and by stop()). */
  save(): void;
}

/** What `stateFile` holds: the last price of every symbol the feed served. */
export interface SavedPrices {
  version: 1;
  savedAt: number;
  prices: Record<string, number>;
}

export interface SandboxPriceFeedOptions {
  /** false: never touch the network (tests); the walk only. Default true. */
  online?: boolean;
  /** Seed of the walk; default 'sandbox'. */
  seed?: string | number;
  /** Standard deviation of one walk step's log return; default 0.0015. */
  volatility?: number;
  /** Timeout of one public request (ms); default 4000. */
  timeoutMs?: number;
  /** HTTP seam (tests). */
  fetch?: FetchLike;
  /**
   * Where the last prices are kept between runs (e.g. data/demo/prices.json): the walk
   * resumes from them instead of the bundled reference prices, so saved Paper positions
   * see no price jump at start. Default: none (every run starts from the bundled prices).
   */
  stateFile?: string;
  /** How often the prices are saved while started (ms); default 30 s. */
  saveEveryMs?: number;
  now?: () => number;
}

/** The saved prices in `file`; empty when there is none or it is unreadable (never throws). */
export function loadSavedPrices(file: string): Record<string, number> {
  try {
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<SavedPrices>;
    const out: Record<string, number> = {};
    if (data && data.version === 1 && data.prices && typeof data.prices === 'object') {
      for (const [symbol, price] of Object.entries(data.prices)) if (typeof price === 'number' && Number.isFinite(price) && price > 0) out[symbol] = price;
    }
    return out;
  } catch {
    return {};
  }
}

const offlineFetch: FetchLike = () => Promise.reject(new Error('offline sandbox'));

export function createSandboxPriceFeed(options: SandboxPriceFeedOptions = {}): SandboxPriceFeed {
  const file = options.stateFile;
  const saved = file ? loadSavedPrices(file) : {};
  const fallback = new SimulatedPriceFeed({
    seed: options.seed ?? 'sandbox',
    volatility: options.volatility ?? 0.0015,
    ...(Object.keys(saved).length > 0 ? { startPrices: { ...bundledReferencePrices(), ...saved } } : {}),
  });
  const online = options.online ?? true;
  const now = options.now ?? Date.now;
  const feed = new PublicPriceFeed({
    fallback,
    timeoutMs: options.timeoutMs ?? 4_000,
    ...(options.fetch ? { fetch: options.fetch } : online ? {} : { fetch: offlineFetch }),
  });
  let saveTimer: ReturnType<typeof setInterval> | null = null;
  const save = (): void => {
    if (!file) return;
    const prices: Record<string, number> = { ...saved };
    for (const symbol of fallback.symbols()) {
      const p = feed.price(symbol);
      if (p !== null && p > 0) prices[symbol] = p;
    }
    const body: SavedPrices = { version: 1, savedAt: now(), prices };
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const tmp = `${file}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(body));
      fs.renameSync(tmp, file);
    } catch {
      // best effort: the next save (or the next run from the bundled prices) copes
    }
  };
  const start = feed.start.bind(feed);
  const stop = feed.stop.bind(feed);
  return Object.assign(feed, {
    save,
    start(intervalMs?: number): void {
      start(intervalMs);
      if (file && !saveTimer) {
        saveTimer = setInterval(save, options.saveEveryMs ?? 30_000);
        saveTimer.unref?.();
      }
    },
    stop(): void {
      const wasRunning = saveTimer !== null;
      stop();
      if (saveTimer) clearInterval(saveTimer);
      saveTimer = null;
      if (wasRunning) save();
    },
  });
}
