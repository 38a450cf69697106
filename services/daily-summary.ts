/**
 * The daily summary: a node-cron job that, shortly after midnight UTC, sends
 * each active user with notifyDaily on and at least one closed trade
 * yesterday their day's statistics through a delivery callback (bot/).
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from './logger.js';
import type { SettingsService } from './settings.js';
import type { StatsReport, StatsService } from './stats.js';
import type { User, UsersService } from './users.js';

export type DailyDelivery = (user: User, report: StatsReport) => Promise<void>;

export interface DailySummaryJob {
  /** bot/ sets how a summary is delivered. */
  setDelivery(deliver: DailyDelivery): void;
  start(): void;
  stop(): void;
  /** Runs the job now (tests, admin); returns how many users got a summary. */
  runOnce(): Promise<number>;
}

export const DAILY_SUMMARY_CRON = '5 0 * * *';

export function createDailySummaryJob(deps: {
  users: UsersService;
  stats: StatsService;
  settings: SettingsService;
  listActiveUsers: () => Promise<number[]>;
  log: Logger;
  clock?: { now(): number };
  schedule?: string;
}): DailySummaryJob {
  let deliver: DailyDelivery | null = null;
  let task: ScheduledTask | null = null;

  async function runOnce(): Promise<number> {
    if (!deliver) return 0;
    let sent = 0;
    for (const userId of await deps.listActiveUsers()) {
      try {
        const s = await deps.settings.getGlobal(userId);
        if (!s.notifyDaily) continue;
        // "day" of the job's clock shortly after midnight is the new day: report the last 24 h window via 'day' of yesterday.
        const report = await deps.stats.report(userId, 'day', { dayOffset: -1 });
        if (report.trades === 0) continue;
        await deliver(await deps.users.get(userId), report);
        sent++;
      } catch (e) {
        deps.log.warn({ userId, err: e instanceof Error ? e.message : String(e) }, 'daily summary failed for a user');
      }
    }
    return sent;
  }

  return {
    setDelivery(d) {
      deliver = d;
    },
    start() {
      if (task) return;
      task = cron.schedule(deps.schedule ?? DAILY_SUMMARY_CRON, () => void runOnce(), { timezone: 'Etc/UTC' });
    },
    stop() {
      void task?.stop();
      task = null;
    },
    runOnce,
  };
}
