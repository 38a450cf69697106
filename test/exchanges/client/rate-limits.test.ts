import { describe, expect, it } from 'vitest';
import { RateLimited, type OrderRequest } from '../../../models/index.js';
import { FakeExchangeServer, ManualClock, accountRef, createTestRegistry, maxInWindow } from '../../helpers/fake-exchange.js';

const order = (i: number, symbol = 'BTC/USDT'): OrderRequest => ({
  symbol,
  side: 'buy',
  type: 'limit',
  quantity: 0.01,
  price: 50_000,
  clientOrderId: `cid-${i}`,
});

describe('exchange client rate limiting', () => {
  it('holds a burst of 1,000 order calls under the per-host and per-account limits', async () => {
    const clock = new ManualClock();
    // The exchange enforces its real limits; the client runs on its (safer) defaults.
    const server = new FakeExchangeServer({
      clock,
      latencyMs: 50,
      enforce: { host: { limit: 600, windowMs: 5_000 }, orderPerAccount: { limit: 10, windowMs: 1_000 } },
    });
    const registry = createTestRegistry(server);
    // 50 accounts × 20 orders: the per-account limit (10/s) and the host budget (550/5 s) both bind.
    const clients = await Promise.all(Array.from({ length: 50 }, (_, a) => registry.client(accountRef(`acc-${a}`))));
    await clock.run(clients[0]!.market('BTC/USDT'));
    const start = clock.now();
    const calls = clients.flatMap((c, a) => Array.from({ length: 20 }, (_, i) => c.placeOrder(order(a * 100 + i))));
    const results = await clock.run(Promise.allSettled(calls));

    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(server.rateLimitRejections).toBe(0);
    const placed = server.requestsOf('placeOrder');
    expect(placed).toHaveLength(1_000);
    // Per host: never more than the configured budget in any 5 s window.
    expect(maxInWindow(placed, 5_000)).toBeLessThanOrEqual(550);
    // Per account: never more than 10 in any 1 s window.
    for (let a = 0; a < 50; a++) {
      expect(maxInWindow(placed.filter((r) => r.accountId === `acc-${a}`), 1_000)).toBeLessThanOrEqual(10);
    }
    // And not slower than it has to be: the budget allows 1,000 in two windows.
    const elapsed = Math.max(...placed.map((r) => r.at)) - start;
    expect(elapsed).toBeLessThanOrEqual(5_000 * 1.25);
    // Every order exists exactly once.
    const ids = server.requestsOf('placeOrder').length;
    expect(ids).toBe([...server.orders.values()].reduce((n, l) => n + l.length, 0));
  });

  it('fans one signal out to 1,000 accounts within the per-IP floor, with no rejections', async () => {
    const clock = new ManualClock();
    const server = new FakeExchangeServer({ clock, latencyMs: 50, enforce: { host: { limit: 600, windowMs: 5_000 }, orderPerAccount: { limit: 10, windowMs: 1_000 } } });
    const registry = createTestRegistry(server, { limits: { bybit: { host: { limit: 600, windowMs: 5_000 } } } });
    const clients = await Promise.all(Array.from({ length: 1_000 }, (_, a) => registry.client(accountRef(`u${a}`))));
    const start = clock.now();
    const results = await clock.run(Promise.allSettled(clients.map((c, a) => c.placeOrder(order(a)))));
    const end = clock.now();
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(server.rateLimitRejections).toBe(0);
    // One shared market load (2 weight for an adapter without prepare) + 1,000 orders: 598 go at once, the rest when the window closes.
    const floor = 5_000 + 50;
    expect(end - start).toBeGreaterThanOrEqual(floor);
    expect(end - start).toBeLessThanOrEqual(floor * 1.25);
    expect(server.requestsOf('market')).toHaveLength(1);
  });

  it('counts a batch by its orders against the account and holds the account when the exchange says its quota is spent', async () => {
    const clock = new ManualClock();
    const server = new FakeExchangeServer({ clock, enforce: { orderPerAccount: { limit: 10, windowMs: 1_000 } } });
    const registry = createTestRegistry(server);
    const c = await registry.client(accountRef('A'));
    await clock.run(c.market('BTC/USDT'));
    const t0 = clock.now();
    const batches = [0, 1, 2].map((b) => c.placeOrders(Array.from({ length: 8 }, (_, i) => order(b * 10 + i))));
    const results = await clock.run(Promise.all(batches));
    expect(results.flat().every((r) => r.ok)).toBe(true);
    expect(server.rateLimitRejections).toBe(0);
    const sent = server.requestsOf('placeOrders').map((r) => ({ at: r.at, cost: r.size }));
    expect(sent.map((s) => s.at - t0)).toEqual([0, 1_000, 2_000]);

    // Bybit says: 0 left until resetAt → the next order waits for it.
    const resetAt = clock.now() + 4_000;
    server.setRateLimitStatus('A', { limit: 10, remaining: 0, resetAt });
    await clock.run(c.placeOrder(order(99)));
    server.setRateLimitStatus('A', null);
    const before = clock.now();
    await clock.run(c.placeOrder(order(100)));
    const last = server.requestsOf('placeOrder').at(-1)!;
    expect(last.at).toBeGreaterThanOrEqual(resetAt);
    expect(before).toBeLessThan(resetAt);
  });

  it('splits a large batch into requests of at most 10 orders, each inside the 10 orders/s batch quota', async () => {
    const clock = new ManualClock();
    const server = new FakeExchangeServer({ clock, enforce: { orderPerAccount: { limit: 10, windowMs: 1_000 } } });
    const registry = createTestRegistry(server);
    const c = await registry.client(accountRef('G'));
    await clock.run(c.market('BTC/USDT'));
    const t0 = clock.now();
    const results = await clock.run(c.placeOrders(Array.from({ length: 23 }, (_, i) => order(500 + i))));
    expect(results.map((r) => r.ok)).toEqual(Array.from({ length: 23 }, () => true));
    expect(results.map((r) => r.ok && r.order.clientOrderId)).toEqual(Array.from({ length: 23 }, (_, i) => `cid-${500 + i}`));
    expect(server.rateLimitRejections).toBe(0);
    const sent = server.requestsOf('placeOrders');
    expect(sent.map((r) => [r.size, r.at - t0])).toEqual([
      [10, 0],
      [10, 1_000],
      [3, 2_000],
    ]);
    expect(maxInWindow(sent.map((r) => ({ at: r.at, cost: r.size })), 1_000)).toBeLessThanOrEqual(10);
  });

  it('weighs HyperLiquid info requests by their published weight', async () => {
    const clock = new ManualClock();
    const server = new FakeExchangeServer({ clock, id: 'hyperliquid', host: 'https://api.hl.test' });
    const registry = createTestRegistry(server, { limits: { hyperliquid: { host: { limit: 100, windowMs: 60_000 } } } });
    const c = await registry.client(accountRef('H', 'hyperliquid'));
    const t0 = clock.now();
    // 5 tickers × 20 = 100 weight fill the minute; the sixth waits a full window.
    await clock.run(Promise.all(Array.from({ length: 6 }, () => c.fetchTicker('BTC/USDT'))));
    const times = server.requestsOf('fetchTicker').map((r) => r.at - t0);
    expect(times.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(times[5]).toBe(60_000);
    const health = registry.health();
    expect(health.limiter.buckets.find((b) => b.key === 'host:https://api.hl.test')).toMatchObject({ limit: 100, used: 20 });
  });
});

describe('IP-level refusal', () => {
  it('holds the whole host when the exchange refuses the IP', async () => {
    const clock = new ManualClock();
    const server = new FakeExchangeServer({ clock });
    const registry = createTestRegistry(server, { client: { retry: { attempts: 1 } } });
    const a = await registry.client(accountRef('a'));
    const b = await registry.client(accountRef('b'));
    server.fail({ op: 'fetchBalance', effect: 'skip', error: () => new RateLimited('403 access too frequent', { details: { scope: 'ip' } }) });
    await expect(clock.run(a.fetchBalance())).rejects.toBeInstanceOf(RateLimited);
    const t0 = clock.now();
    await clock.run(b.fetchTicker('BTC/USDT'));
    expect(server.requestsOf('fetchTicker')[0]!.at - t0).toBe(10 * 60_000);
    expect(registry.health().limiter.buckets.find((x) => x.key.startsWith('host:'))!.heldUntil).toBeNull();
  });
});
