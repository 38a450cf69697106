import { createPaperAdapter, type PaperAdapter, type PaperAdapterOptions } from '../../../exchanges/paper/adapter.js';
import { ManualPriceFeed } from '../../../exchanges/paper/price-feed.js';

export const T0 = Date.UTC(2025, 0, 1);

/** A fixed, manually advanced clock. */
export function fixedClock(start = T0): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

export interface PaperSetup {
  paper: PaperAdapter;
  feed: ManualPriceFeed;
  clock: ReturnType<typeof fixedClock>;
}

/** A Paper adapter on a manual feed with BTC at 60,000 and ETH at 3,000, no persistence. */
export async function setupPaper(opts: Partial<PaperAdapterOptions> = {}, prices: Record<string, number> = { 'BTC/USDT': 60_000, 'ETH/USDT': 3_000 }): Promise<PaperSetup> {
  const clock = fixedClock();
  const feed = new ManualPriceFeed(clock.now);
  for (const [s, p] of Object.entries(prices)) feed.set(s, p);
  const paper = createPaperAdapter({ accountId: 'test', feed, now: clock.now, ...opts });
  await paper.ready();
  return { paper, feed, clock };
}

/** Deterministic client order ids for a test file. */
export function cids(prefix = 'c'): () => string {
  let n = 0;
  return () => `${prefix}-${++n}`;
}
