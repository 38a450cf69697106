/**
 * Scheduled jobs (node-cron): reconciliation at start and every few minutes,
 * and the live tracking loop (open trades synced with the exchange every few
 * seconds, on its own schedule per group of exchanges). The scheduler is
 * injectable so tests drive the ticks themselves; a tick that is still running
 * when the next one is due is skipped, not stacked. `start()` runs the
 * start-up reconciliation first, then schedules everything.
 */
import cron from 'node-cron';
import type { ExchangeId } from '../models/index.js';
import type { Logger } from './logger.js';

export interface Scheduler {
  schedule(expression: string, task: () => Promise<void>): { stop(): void };
}

export const cronScheduler: Scheduler = {
  schedule(expression, task) {
    const t = cron.schedule(expression, () => {
      void task();
    });
    return { stop: () => void t.stop() };
  },
};

/** One tracking schedule: which exchanges' accounts, how often (cron with seconds). */
export interface TrackSchedule {
  exchanges: ExchangeId[];
  /** node-cron expression; six fields for seconds, e.g. every 5 s: '*\/5 * * * * *'. */
  every: string;
}

/**
 * Paper fills are local and free to read: every 5 s. Bybit and HyperLiquid
 * cost two requests per account per tick against shared per-IP budgets: every 15 s.
 */
export const DEFAULT_TRACK_SCHEDULES: readonly TrackSchedule[] = [
  { exchanges: ['paper'], every: '*/5 * * * * *' },
  { exchanges: ['bybit', 'hyperliquid'], every: '*/15 * * * * *' },
];

export interface JobsOptions {
  /** Cron expression of the reconciliation tick (default every 2 minutes). */
  reconcileEvery?: string;
  scheduler?: Scheduler;
  log: Logger;
  reconcile: (options: { startup: boolean }) => Promise<unknown>;
  /** One tracking pass over the accounts of these exchanges (TradingService.trackOpen). Absent: no tracking loop. */
  track?: (filter: { exchanges: ExchangeId[] }) => Promise<unknown>;
  /** Tracking schedules (default DEFAULT_TRACK_SCHEDULES). */
  trackSchedules?: readonly TrackSchedule[];
}

export interface Jobs {
  /** Runs the start-up reconciliation, then schedules the periodic one and the tracking loop. */
  start(): Promise<void>;
  /** One periodic reconciliation tick (what the schedule runs). */
  tick(): Promise<void>;
  /** One tracking tick of schedule `index` (what that schedule runs); skipped while its previous one runs. */
  trackTick(index?: number): Promise<void>;
  stop(): void;
}

const errOf = (e: unknown) => (e instanceof Error ? { name: e.name, message: e.message } : String(e));

/** A task that never runs twice at once: a call while it runs gets the running one. */
function single(fn: () => Promise<unknown>, onError: (e: unknown) => void): () => Promise<void> {
  let running: Promise<void> | null = null;
  return () => {
    if (running) return running;
    running = fn()
      .then(() => undefined)
      .catch(onError)
      .finally(() => {
        running = null;
      });
    return running;
  };
}

export function createJobs(options: JobsOptions): Jobs {
  const scheduler = options.scheduler ?? cronScheduler;
  const handles: { stop(): void }[] = [];
  let reconciling: Promise<void> | null = null;
  const reconcile = (startup: boolean): Promise<void> => {
    if (reconciling) return reconciling;
    reconciling = options
      .reconcile({ startup })
      .then(() => undefined)
      .catch((e: unknown) => options.log.error({ err: errOf(e) }, 'reconciliation failed'))
      .finally(() => {
        reconciling = null;
      });
    return reconciling;
  };
  const schedules = options.track ? (options.trackSchedules ?? DEFAULT_TRACK_SCHEDULES) : [];
  const trackers = schedules.map((s) =>
    single(
      () => options.track!({ exchanges: [...s.exchanges] }),
      (e) => options.log.error({ err: errOf(e), exchanges: s.exchanges }, 'tracking pass failed'),
    ),
  );
  return {
    async start() {
      await reconcile(true);
      handles.push(scheduler.schedule(options.reconcileEvery ?? '*/2 * * * *', () => reconcile(false)));
      schedules.forEach((s, i) => handles.push(scheduler.schedule(s.every, trackers[i]!)));
    },
    tick: () => reconcile(false),
    trackTick: (index = 0) => trackers[index]?.() ?? Promise.resolve(),
    stop() {
      for (const h of handles.splice(0)) h.stop();
    },
  };
}
