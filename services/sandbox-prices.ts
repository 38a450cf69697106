/**
 * The local sandbox's prices for the Paper exchange (`npm run demo`): public
 * Bybit prices when the machine is online, the deterministic simulated walk
 * otherwise (PublicPriceFeed falls back on any failure and never throws).
 * bot/sandbox/demo.ts may not import exchanges/, so it asks for the feed here.
 */
import { PublicPriceFeed, SimulatedPriceFeed, type FetchLike, type PriceFeed } from '../exchanges/paper/index.js';

export interface SandboxPriceFeed extends PriceFeed {
  /** Whether the last refresh got public prices. */
  readonly live: boolean;
  /** Refresh now (the first refresh runs at once), then every `intervalMs`. */
  start(intervalMs?: number): void;
  stop(): void;
  /** One refresh: public prices, or one step of the walk. Resolves true when live. */
  refresh(): Promise<boolean>;
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
}

const offlineFetch: FetchLike = () => Promise.reject(new Error('offline sandbox'));

export function createSandboxPriceFeed(options: SandboxPriceFeedOptions = {}): SandboxPriceFeed {
  const fallback = new SimulatedPriceFeed({ seed: options.seed ?? 'sandbox', volatility: options.volatility ?? 0.0015 });
  const online = options.online ?? true;
  return new PublicPriceFeed({
    fallback,
    timeoutMs: options.timeoutMs ?? 4_000,
    ...(options.fetch ? { fetch: options.fetch } : online ? {} : { fetch: offlineFetch }),
  });
}
