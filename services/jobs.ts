/**
 * Scheduled jobs (node-cron): reconciliation at start and every few minutes.
 * The scheduler is injectable so tests drive the ticks themselves; a tick
 * that is still running when the next one is due is skipped, not stacked.
 */
import cron from 'node-cron';
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

export interface JobsOptions {
  /** Cron expression of the reconciliation tick (default every 2 minutes). */
  reconcileEvery?: string;
  scheduler?: Scheduler;
  log: Logger;
  reconcile: (options: { startup: boolean }) => Promise<unknown>;
}

export interface Jobs {
  /** Runs the start-up reconciliation, then schedules the periodic one. */
  start(): Promise<void>;
  /** One periodic tick (what the schedule runs). */
  tick(): Promise<void>;
  stop(): void;
}

export function createJobs(options: JobsOptions): Jobs {
  const scheduler = options.scheduler ?? cronScheduler;
  let running: Promise<void> | null = null;
  let handle: { stop(): void } | null = null;
  const run = (startup: boolean): Promise<void> => {
    if (running) return running;
    running = options
      .reconcile({ startup })
      .then(() => undefined)
      .catch((e: unknown) => options.log.error({ err: e instanceof Error ? { name: e.name, message: e.message } : String(e) }, 'reconciliation failed'))
      .finally(() => {
        running = null;
      });
    return running;
  };
  return {
    async start() {
      await run(true);
      handle = scheduler.schedule(options.reconcileEvery ?? '*/2 * * * *', () => run(false));
    },
    tick: () => run(false),
    stop() {
      handle?.stop();
      handle = null;
    },
  };
}
