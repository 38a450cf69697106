/**
 * Retries with exponential backoff and full jitter, for idempotent calls only
 * (reads, cancels, leverage/margin mode). Orders never go through here: see
 * placement.ts for the look-up-before-re-send rule.
 */
import { isAppError } from '../models/index.js';
import { sleep, systemClock, type Clock } from './limiter.js';

export interface RetryOptions {
  /** Total attempts including the first (default 4). */
  attempts?: number;
  /** First backoff ceiling in ms (default 250). */
  baseMs?: number;
  /** Largest backoff ceiling in ms (default 5,000). */
  maxMs?: number;
}

export interface RetryDeps {
  clock?: Clock;
  /** Uniform [0, 1); injectable for deterministic tests. */
  random?: () => number;
}

export const DEFAULT_RETRY: Required<RetryOptions> = { attempts: 4, baseMs: 250, maxMs: 5_000 };

/** RateLimited, ExchangeUnavailable (not CircuitOpen) and NetworkTimeout say retryable = true. */
export function isRetryable(e: unknown): boolean {
  return isAppError(e) && e.retryable;
}

/** Full jitter: a uniform delay in [0, min(maxMs, baseMs * 2^attempt)). */
export function backoffDelay(attempt: number, options: RetryOptions = {}, random: () => number = Math.random): number {
  const base = options.baseMs ?? DEFAULT_RETRY.baseMs;
  const max = options.maxMs ?? DEFAULT_RETRY.maxMs;
  const ceiling = Math.min(max, base * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/**
 * Run `fn` until it succeeds, throws a non-retryable error, or attempts run
 * out (the last error is thrown). `retryAfterMs` in an error's details (e.g.
 * from a 429) is honoured as a lower bound on the next delay.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions & RetryDeps & { retryable?: (e: unknown) => boolean; onRetry?: (e: unknown, attempt: number, delayMs: number) => void } = {},
): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? DEFAULT_RETRY.attempts);
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const retryable = options.retryable ?? isRetryable;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt + 1 >= attempts || !retryable(e)) throw e;
      let delay = backoffDelay(attempt, options, random);
      const hinted = isAppError(e) ? e.details['retryAfterMs'] : undefined;
      if (typeof hinted === 'number' && Number.isFinite(hinted) && hinted > delay) delay = Math.min(hinted, 60_000);
      options.onRetry?.(e, attempt, delay);
      await sleep(clock, delay);
    }
  }
}
