import { beforeEach, describe, expect, it } from 'vitest';
import { audit, sources, users as usersRepo, type Db } from '../../../db/index.js';
import { NotAuthorized } from '../../../services/access.js';
import { createBroadcaster, type BroadcastTiming, type SendOutcome } from '../../../services/broadcast.js';
import { memoryDb } from '../../helpers/db.js';
import { addUser, admin, services } from './helpers.js';

/**
 * A virtual clock: sleeps register timers; `run` lets every worker go as far
 * as it can (until the event loop is idle), then jumps to the earliest timer.
 * Nothing really waits, and concurrent workers see one consistent time.
 */
function fakeTiming(): BroadcastTiming & { t: number; run<T>(p: Promise<T>): Promise<T> } {
  const timers: { at: number; resolve: () => void }[] = [];
  const timing = {
    t: 0,
    now: () => timing.t,
    sleep: (ms: number) => new Promise<void>((resolve) => timers.push({ at: timing.t + ms, resolve })),
    async run<T>(p: Promise<T>): Promise<T> {
      let done = false;
      const settled = p.finally(() => {
        done = true;
      });
      settled.catch(() => undefined);
      while (!done) {
        await new Promise((r) => setImmediate(r));
        if (done || timers.length === 0) continue;
        timers.sort((a, b) => a.at - b.at);
        const next = timers.shift()!;
        timing.t = Math.max(timing.t, next.at);
        next.resolve();
      }
      return p;
    },
  };
  return timing;
}

function maxInAnyWindow(times: number[], windowMs = 1_000): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi]! - sorted[lo]! >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

describe('broadcast', () => {
  let db: Db;
  beforeEach(async () => {
    db = await memoryDb();
  });

  it('reaches 100 users within the throttle and counts the one who blocked the bot', async () => {
    const { access } = services(db);
    const users = [];
    for (let i = 0; i < 100; i++) users.push(await addUser(db, 10_000 + i));
    await addUser(db, 20_000, { status: 'blocked' });
    await addUser(db, 20_001, { status: 'pending' });
    const blockedTg = 10_042;
    const timing = fakeTiming();
    const sentAt: number[] = [];
    const sentTo: number[] = [];
    const send = async (tg: number): Promise<SendOutcome> => {
      sentAt.push(timing.now());
      sentTo.push(tg);
      return tg === blockedTg ? 'blocked' : 'delivered';
    };
    const b = createBroadcaster({ db, access, send, timing, perSecond: 25, concurrency: 4 });
    expect(await b.countRecipients(admin, { kind: 'all' })).toBe(100);
    const report = await timing.run(b.broadcast(admin, { kind: 'all' }, 'Maintenance at 02:00 UTC'));
    expect(report).toMatchObject({ total: 100, delivered: 99, blocked: 1, failed: 0 });
    expect(new Set(sentTo).size).toBe(100);
    expect(sentTo).not.toContain(20_000);
    expect(maxInAnyWindow(sentAt)).toBeLessThanOrEqual(25);
    // 100 messages at 25 per second need at least three full windows.
    expect(report.finishedAt - report.startedAt).toBeGreaterThanOrEqual(3_000);
    expect((await usersRepo.findUserByTelegramId(db, blockedTg))?.status).toBe('inactive');
    const [row] = await audit.listAudit(db, { entity: 'users' });
    expect(row?.action).toBe('broadcast');
    expect(JSON.parse(row!.after!)).toMatchObject({ total: 100, delivered: 99, blocked: 1 });
  });

  it('waits on 429 and retries the same user; failures are counted; a throwing sender is a failure', async () => {
    const { access } = services(db);
    for (let i = 0; i < 3; i++) await addUser(db, 30_000 + i);
    const timing = fakeTiming();
    let first = true;
    const calls: number[] = [];
    const send = async (tg: number): Promise<SendOutcome> => {
      calls.push(tg);
      if (tg === 30_000 && first) {
        first = false;
        return { retryAfterMs: 5_000 };
      }
      if (tg === 30_001) throw new Error('network');
      return tg === 30_002 ? 'failed' : 'delivered';
    };
    const b = createBroadcaster({ db, access, send, timing, concurrency: 1 });
    const r = await timing.run(b.broadcast(admin, { kind: 'all' }, 'hi'));
    expect(r).toMatchObject({ total: 3, delivered: 1, failed: 2, blocked: 0 });
    expect(calls).toEqual([30_000, 30_000, 30_001, 30_002]);
    expect(timing.t).toBeGreaterThanOrEqual(5_000);
  });

  it("targets a source's enabled subscribers only", async () => {
    const { access } = services(db);
    const src = await sources.upsertSource(db, { kind: 'channel', chatId: '-100', title: 'Calls', now: 0 });
    const a = await addUser(db, 1);
    const b2 = await addUser(db, 2);
    await addUser(db, 3);
    await sources.upsertSubscription(db, { userId: a.id, sourceId: src.id, now: 0 });
    await sources.upsertSubscription(db, { userId: b2.id, sourceId: src.id, enabled: false, now: 0 });
    const to: number[] = [];
    const timing = fakeTiming();
    const b = createBroadcaster({ db, access, send: async (tg) => (to.push(tg), 'delivered'), timing });
    const r = await timing.run(b.broadcast(admin, { kind: 'source', sourceId: src.id }, 'news'));
    expect(r.total).toBe(1);
    expect(to).toEqual([1]);
  });

  it('refuses non-admins and empty or oversized texts', async () => {
    const { access } = services(db);
    await addUser(db, 5);
    const sent: number[] = [];
    const b = createBroadcaster({ db, access, send: async (tg) => (sent.push(tg), 'delivered'), timing: fakeTiming() });
    await expect(b.broadcast({ telegramId: 5 }, { kind: 'all' }, 'x')).rejects.toBeInstanceOf(NotAuthorized);
    await expect(b.countRecipients({ telegramId: 5 }, { kind: 'all' })).rejects.toBeInstanceOf(NotAuthorized);
    await expect(b.broadcast(admin, { kind: 'all' }, '   ')).rejects.toMatchObject({ code: 'user-input' });
    await expect(b.broadcast(admin, { kind: 'all' }, 'x'.repeat(4001))).rejects.toMatchObject({ code: 'user-input' });
    expect(sent).toEqual([]);
  });
});
