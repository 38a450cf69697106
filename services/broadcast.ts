/**
 * Admin broadcasts to every active user or to a source's subscribers, through
 * a `send(telegramId, text)` port, throttled to Telegram's overall limit (at
 * most `perSecond` messages in any 1-second window; default 25, under the
 * ~30/s Telegram allows, leaving room for trade notifications). Counts
 * delivered / blocked (403: the user blocked the bot, marked inactive) /
 * failed. A 429 waits `retry_after` and tries the same user again.
 *
 * Time is injected (`now` + `sleep`), so tests run instantly on a fake clock.
 */
import { audit, users as usersRepo, type Db } from '../db/index.js';
import * as accessRepo from '../db/repos/access.js';
import { UserError } from '../models/errors.js';
import { adminActor, type AccessService, type Actor } from './access.js';
import type { Logger } from './logger.js';

/** What the bot's sender reports for one message. */
export type SendOutcome = 'delivered' | 'blocked' | 'failed' | { retryAfterMs: number };

export type BroadcastSend = (telegramId: number, text: string) => Promise<SendOutcome>;

export type BroadcastTarget = { kind: 'all' } | { kind: 'source'; sourceId: number };

export interface BroadcastReport {
  total: number;
  delivered: number;
  blocked: number;
  failed: number;
  startedAt: number;
  finishedAt: number;
}

export interface BroadcastTiming {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface BroadcastDeps {
  db: Db;
  access: Pick<AccessService, 'assertAdmin'>;
  /** Default sender; a call may bring its own (bot/ passes one built on its Bot API). */
  send?: BroadcastSend;
  timing?: BroadcastTiming;
  /** Messages in any 1-second window (default 25). */
  perSecond?: number;
  /** How long past the 1-second window a send keeps counting (default 200 ms; absorbs delivery jitter). */
  guardMs?: number;
  /** Sends in flight at once (default 4). */
  concurrency?: number;
  /** Tries per recipient on 429 (default 3). */
  maxAttempts?: number;
  log?: Logger;
}

export interface Broadcaster {
  /** Recipients a target reaches now (for the confirmation screen). */
  countRecipients(actor: Actor, target: BroadcastTarget): Promise<number>;
  broadcast(actor: Actor, target: BroadcastTarget, text: string, options?: { send?: BroadcastSend; onProgress?: (r: BroadcastReport) => void }): Promise<BroadcastReport>;
}

export const MAX_BROADCAST_LENGTH = 4000;

const realTiming: BroadcastTiming = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

/**
 * Sliding 1-second window: `acquire()` resolves when one more send fits.
 * A grant keeps counting for windowMs + guardMs: Telegram counts messages
 * when they arrive, and a send may leave a little after its grant.
 */
export function createWindowThrottle(perSecond: number, timing: BroadcastTiming, windowMs = 1_000, guardMs = 200) {
  const sent: number[] = [];
  const span = windowMs + guardMs;
  return {
    async acquire(): Promise<void> {
      for (;;) {
        const t = timing.now();
        while (sent.length > 0 && sent[0]! <= t - span) sent.shift();
        if (sent.length < perSecond) {
          sent.push(t);
          return;
        }
        await timing.sleep(Math.max(1, sent[0]! + span - t));
      }
    },
  };
}

export function createBroadcaster(deps: BroadcastDeps): Broadcaster {
  const { db } = deps;
  const timing = deps.timing ?? realTiming;
  const perSecond = deps.perSecond ?? 25;
  const concurrency = Math.max(1, deps.concurrency ?? 4);
  const maxAttempts = Math.max(1, deps.maxAttempts ?? 3);
  if (!Number.isInteger(perSecond) || perSecond < 1 || perSecond > 30) throw new UserError('perSecond must be 1..30', { details: { perSecond } });

  async function recipients(target: BroadcastTarget) {
    return target.kind === 'all' ? accessRepo.listActiveTelegramIds(db) : accessRepo.listSourceSubscriberTelegramIds(db, target.sourceId);
  }

  return {
    async countRecipients(actor, target) {
      await deps.access.assertAdmin(actor);
      return (await recipients(target)).length;
    },

    async broadcast(actor, target, text, options = {}) {
      await deps.access.assertAdmin(actor);
      const sender = options.send ?? deps.send;
      if (!sender) throw new UserError('no sender configured for broadcasts');
      const send: BroadcastSend = sender;
      const onProgress = options.onProgress;
      if (!text.trim() || text.length > MAX_BROADCAST_LENGTH) throw new UserError(`broadcast text must be 1..${MAX_BROADCAST_LENGTH} characters`, { details: { length: text.length } });
      const list = await recipients(target);
      const throttle = createWindowThrottle(perSecond, timing, 1_000, deps.guardMs ?? 200);
      const report: BroadcastReport = { total: list.length, delivered: 0, blocked: 0, failed: 0, startedAt: timing.now(), finishedAt: 0 };
      let next = 0;

      async function one(r: { userId: number; telegramId: number }): Promise<void> {
        for (let attempt = 1; ; attempt++) {
          await throttle.acquire();
          let outcome: SendOutcome;
          try {
            outcome = await send(r.telegramId, text);
          } catch {
            outcome = 'failed';
          }
          if (outcome === 'delivered') {
            report.delivered++;
            return;
          }
          if (outcome === 'blocked') {
            report.blocked++;
            try {
              await usersRepo.updateUser(db, r.userId, { status: 'inactive' }, timing.now());
            } catch (e) {
              deps.log?.warn({ userId: r.userId, err: e instanceof Error ? e.message : String(e) }, 'could not mark user inactive');
            }
            return;
          }
          if (outcome === 'failed' || attempt >= maxAttempts) {
            report.failed++;
            return;
          }
          await timing.sleep(Math.min(Math.max(0, outcome.retryAfterMs), 60_000));
        }
      }

      async function worker(): Promise<void> {
        while (next < list.length) {
          const r = list[next++]!;
          await one(r);
          onProgress?.({ ...report });
        }
      }
      await Promise.all(Array.from({ length: Math.min(concurrency, list.length) }, worker));
      report.finishedAt = timing.now();
      await audit.appendAudit(db, {
        actor: adminActor(actor),
        action: 'broadcast',
        entity: target.kind === 'all' ? 'users' : 'source',
        entityId: target.kind === 'source' ? target.sourceId : null,
        after: { total: report.total, delivered: report.delivered, blocked: report.blocked, failed: report.failed, length: text.length },
        at: report.finishedAt,
      });
      deps.log?.info({ target: target.kind, total: report.total, delivered: report.delivered, blocked: report.blocked, failed: report.failed }, 'broadcast finished');
      return report;
    },
  };
}
