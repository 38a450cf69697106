/**
 * Per-key mutual exclusion as a promise chain: work for one key (a user)
 * runs one after another, work for different keys runs concurrently. Signal
 * fan-out, Telegram commands and cron jobs all go through the same lock, so
 * two of them never act on one user's trades at once.
 */
export interface KeyedLock {
  run<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /** Keys with work running or queued. */
  busy(): number;
}

export function createKeyedLock(): KeyedLock {
  const tails = new Map<string, Promise<unknown>>();
  return {
    run<T>(key: string, fn: () => Promise<T>): Promise<T> {
      const previous = tails.get(key) ?? Promise.resolve();
      const result = previous.then(fn, fn);
      const tail = result.then(
        () => undefined,
        () => undefined,
      );
      tails.set(key, tail);
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return result;
    },
    busy: () => tails.size,
  };
}

export const userLockKey = (userId: number): string => `user:${userId}`;
