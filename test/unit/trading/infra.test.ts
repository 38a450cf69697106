import { describe, expect, it } from 'vitest';
import { CLIENT_ORDER_ID_PATTERN, clientOrderId } from '../../../services/ids.js';
import { createJobs } from '../../../services/jobs.js';
import { createKeyedLock } from '../../../services/locks.js';
import { silentLogger } from '../../../services/logger.js';
import { createNotificationQueue, type TradingEvent } from '../../../services/notifications.js';
import { ManualClock } from '../../helpers/fake-exchange.js';

const ev = (userId: number, n: number): TradingEvent => ({ type: 'error', userId, code: `e${n}` });

describe('client order ids', () => {
  it('are deterministic, short and distinct per (signal, user, leg)', () => {
    const a = clientOrderId('s1', 7, 'entry-0');
    expect(a).toBe(clientOrderId('s1', 7, 'entry-0'));
    expect(a).toMatch(CLIENT_ORDER_ID_PATTERN);
    expect(a.length).toBeLessThanOrEqual(36);
    const all = new Set([a, clientOrderId('s1', 7, 'entry-1'), clientOrderId('s1', 8, 'entry-0'), clientOrderId('s2', 7, 'entry-0'), clientOrderId('t1', 7, 'entry-0')]);
    expect(all.size).toBe(5);
  });
});

describe('keyed lock', () => {
  it('runs one key in order and different keys at once; a failure does not block the key', async () => {
    const lock = createKeyedLock();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a1 = lock.run('a', async () => {
      await gate;
      log.push('a1');
    });
    const a2 = lock.run('a', async () => void log.push('a2'));
    const b1 = lock.run('b', async () => void log.push('b1'));
    await b1;
    expect(log).toEqual(['b1']);
    release();
    await Promise.all([a1, a2]);
    expect(log).toEqual(['b1', 'a1', 'a2']);
    await expect(lock.run('a', () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(await lock.run('a', async () => 5)).toBe(5);
  });
});

describe('notification queue', () => {
  it('coalesces a burst per user and keeps 1 message per second per chat', async () => {
    const clock = new ManualClock(0);
    const sent: { at: number; userId: number; n: number }[] = [];
    const q = createNotificationQueue({ clock, coalesceMs: 300, send: async (userId, events) => void sent.push({ at: clock.now(), userId, n: events.length }) });
    q.notify(ev(1, 1));
    q.notify(ev(1, 2));
    q.notify(ev(1, 3));
    await clock.advance(299);
    expect(sent).toEqual([]);
    await clock.advance(1);
    expect(sent).toEqual([{ at: 300, userId: 1, n: 3 }]);
    q.notify(ev(1, 4));
    await clock.advance(500);
    expect(sent).toHaveLength(1);
    await clock.advance(500);
    expect(sent[1]).toEqual({ at: 1300, userId: 1, n: 1 });
    q.stop();
  });

  it('sends at most 30 messages in any second overall', async () => {
    const clock = new ManualClock(0);
    const sent: number[] = [];
    const q = createNotificationQueue({ clock, coalesceMs: 0, send: async () => void sent.push(clock.now()) });
    for (let u = 1; u <= 100; u++) q.notify(ev(u, 0));
    await clock.advance(1);
    expect(sent).toHaveLength(30);
    await clock.advance(3_100);
    expect(sent).toHaveLength(100);
    for (const t of sent) expect(sent.filter((x) => x >= t && x < t + 1_000).length).toBeLessThanOrEqual(30);
    q.stop();
  });

  it('honours retry_after from the sink and never throws into the caller', async () => {
    const clock = new ManualClock(0);
    let calls = 0;
    const got: number[] = [];
    const q = createNotificationQueue({
      clock,
      coalesceMs: 0,
      log: silentLogger(),
      send: async (_u, events) => {
        calls++;
        if (calls === 1) throw Object.assign(new Error('429'), { retryAfterMs: 5_000 });
        got.push(events.length);
      },
    });
    q.notify(ev(1, 1));
    await clock.advance(10);
    q.notify(ev(1, 2));
    await clock.advance(4_000);
    expect(got).toEqual([]);
    await clock.advance(1_100);
    expect(got).toEqual([2]);
    q.stop();
  });
});

describe('jobs', () => {
  it('reconciles at start, then on each scheduled tick, never two at once', async () => {
    const calls: boolean[] = [];
    let tick!: () => Promise<void>;
    let release!: () => void;
    const jobs = createJobs({
      log: silentLogger(),
      scheduler: { schedule: (expr, task) => ((tick = task), expect(expr).toBe('*/5 * * * *'), { stop: () => undefined }) },
      reconcileEvery: '*/5 * * * *',
      reconcile: async ({ startup }) => {
        calls.push(startup);
        if (!startup) await new Promise<void>((r) => (release = r));
      },
    });
    await jobs.start();
    const t1 = tick();
    const t2 = tick();
    release();
    await Promise.all([t1, t2]);
    expect(calls).toEqual([true, false]);
    jobs.stop();
  });
});
