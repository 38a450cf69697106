import { describe, expect, it } from 'vitest';
import { createRateLimiter, type WindowLimit } from '../../../exchanges/limiter.js';
import { ManualClock, maxInWindow } from '../../helpers/fake-exchange.js';

const HOST: WindowLimit = { limit: 600, windowMs: 5_000 };
const ACCOUNT: WindowLimit = { limit: 10, windowMs: 1_000 };

function setup() {
  const clock = new ManualClock();
  const limiter = createRateLimiter({ clock });
  const grants: { tag: string; at: number; cost: number }[] = [];
  const acquire = (tag: string, opts: { account?: string; accountCost?: number; hostCost?: number; host?: WindowLimit; accountLimit?: WindowLimit }) =>
    limiter
      .acquire({
        account: opts.account ? { key: `acct:${opts.account}`, limit: opts.accountLimit ?? ACCOUNT, cost: opts.accountCost ?? 1 } : undefined,
        host: { key: 'host:x', limit: opts.host ?? HOST, cost: opts.hostCost ?? 1 },
      })
      .then(() => grants.push({ tag, at: clock.now(), cost: opts.hostCost ?? 1 }));
  return { clock, limiter, grants, acquire };
}

describe('windowed rate limiter', () => {
  it('lets the whole budget out at once, then exactly one budget per window', async () => {
    const { clock, grants, acquire } = setup();
    const all = Promise.all(Array.from({ length: 1_000 }, (_, i) => acquire(`r${i}`, {})));
    await clock.flush();
    const t0 = clock.now();
    // Full concurrency: 600 granted immediately, nothing serialised.
    expect(grants.length).toBe(600);
    await clock.run(all);
    expect(grants.length).toBe(1_000);
    expect(maxInWindow(grants, 5_000)).toBe(600);
    // The rest went out exactly when the first window closed: the floor.
    expect(Math.max(...grants.map((g) => g.at)) - t0).toBe(5_000);
    // One timer per bucket, not one per waiting call.
    expect(clock.scheduled).toBeLessThan(10);
  });

  it('never allows 2N in one exchange window, however the window is aligned (unlike a refilling bucket)', async () => {
    const { clock, grants, acquire } = setup();
    const limit: WindowLimit = { limit: 10, windowMs: 1_000 };
    // Trickle, then burst right at the edge of the window.
    const first = Promise.all(Array.from({ length: 10 }, (_, i) => acquire(`a${i}`, { host: limit })));
    await clock.run(first);
    await clock.advance(999);
    const second = Promise.all(Array.from({ length: 30 }, (_, i) => acquire(`b${i}`, { host: limit })));
    await clock.run(second);
    for (let w = 1; w <= 3_000; w += 97) expect(maxInWindow(grants, Math.min(w, 1_000))).toBeLessThanOrEqual(10);
    expect(maxInWindow(grants, 1_000)).toBe(10);
  });

  it('counts weighted costs against the budget', async () => {
    const { clock, grants, acquire } = setup();
    const limit: WindowLimit = { limit: 1_200, windowMs: 60_000 };
    const p = Promise.all([
      ...Array.from({ length: 50 }, (_, i) => acquire(`info${i}`, { host: limit, hostCost: 20 })),
      ...Array.from({ length: 100 }, (_, i) => acquire(`act${i}`, { host: limit, hostCost: 2 })),
    ]);
    await clock.flush();
    // 50 * 20 = 1000 granted, then 100 of the 2-weight ones fit (200)... the 1,200 budget is full.
    expect(grants.reduce((s, g) => s + g.cost, 0)).toBe(1_200);
    await clock.run(p);
    expect(maxInWindow(grants, 60_000)).toBeLessThanOrEqual(1_200);
  });

  it('holds a per-account limit and records the account cost at the instant the request goes out', async () => {
    const { clock, grants, acquire } = setup();
    // The host budget (20 per 3 s) is slower than the account's (10/s): calls
    // pile up between the stages. Counting the account cost when the account
    // stage passes (not when the request leaves) would let 20 of A's requests
    // out together when the host window reopens.
    const host: WindowLimit = { limit: 20, windowMs: 3_000 };
    const others = Promise.all(Array.from({ length: 20 }, (_, i) => acquire(`b${i}`, { host })));
    const p = Promise.all(Array.from({ length: 40 }, (_, i) => acquire(`a${i}`, { account: 'A', host })));
    await clock.run(Promise.all([others, p]));
    expect(grants.length).toBe(60);
    expect(maxInWindow(grants, 3_000)).toBeLessThanOrEqual(20);
    const aSends = grants.filter((g) => g.tag.startsWith('a'));
    expect(maxInWindow(aSends, 1_000)).toBeLessThanOrEqual(10);
  });

  it('does not let one account flooding its own bucket delay another account (no head-of-line blocking)', async () => {
    const { clock, grants, acquire } = setup();
    const flood = Promise.all(Array.from({ length: 100 }, (_, i) => acquire(`A${i}`, { account: 'A' })));
    await clock.flush();
    const start = clock.now();
    const other = acquire('B0', { account: 'B' });
    await clock.run(other);
    const b = grants.find((g) => g.tag === 'B0')!;
    expect(b.at).toBe(start);
    await clock.run(flood);
    const aTimes = grants.filter((g) => g.tag.startsWith('A'));
    expect(maxInWindow(aTimes, 1_000)).toBe(10);
  });

  it('serves the host queue first-come first-served across accounts', async () => {
    const { clock, grants, acquire } = setup();
    const host: WindowLimit = { limit: 1, windowMs: 100 };
    const order = ['A1', 'B1', 'C1', 'A2', 'B2', 'C2'];
    const p = Promise.all(order.map((tag) => acquire(tag, { account: tag[0]!, host })));
    await clock.run(p);
    expect(grants.map((g) => g.tag)).toEqual(order);
  });

  it('holds a bucket until the time the exchange says its quota resets', async () => {
    const { clock, limiter, grants, acquire } = setup();
    await clock.run(acquire('first', { account: 'A' }));
    const resetAt = clock.now() + 3_000;
    limiter.hold('acct:A', resetAt);
    const p = acquire('second', { account: 'A' });
    await clock.run(p);
    expect(grants[1]!.at).toBe(resetAt);
  });

  it('reports usage and queue depths for the health page', async () => {
    const { clock, limiter, acquire } = setup();
    const p = Promise.all(Array.from({ length: 15 }, (_, i) => acquire(`a${i}`, { account: 'A' })));
    await clock.flush();
    const acct = limiter.snapshot().find((b) => b.key === 'acct:A')!;
    expect(acct).toMatchObject({ limit: 10, used: 10, queued: 5, reserved: 0 });
    expect(limiter.queued()).toBe(5);
    await clock.run(p);
    expect(limiter.queued()).toBe(0);
  });
});
