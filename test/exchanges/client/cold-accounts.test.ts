/**
 * Cold accounts through the whole stack: registry → client → real ccxt Bybit
 * adapters (HTTP intercepted). Every request that reaches the exchange host
 * is one the host limiter counted — including the market load and the
 * account-type probe the adapters make on their own — and a cold account's
 * first order costs a known number of requests.
 */
import { describe, expect, it } from 'vitest';
import { RateLimited } from '../../../models/index.js';
import { ccxtAdapterFactories } from '../../../exchanges/ccxt/index.js';
import { createExchangeRegistry, type ExchangeRegistryOptions } from '../../../exchanges/registry.js';
import type { AccountRef, Credentials } from '../../../exchanges/types.js';
import { fakeHttp, fixture, type FakeHttp, type Route } from '../ccxt/fake-http.js';

const BASE = 'http://127.0.0.1:18080';
const SECRET = 'TESTSECRET0000000000000000000000000';
const ref = (accountId: string): AccountRef => ({ accountId, exchange: 'bybit', environment: 'mainnet' });
const order = (i: number) => ({ symbol: 'BTC/USDT', side: 'buy' as const, type: 'market' as const, quantity: 0.01, clientOrderId: `cold-${i}` });

function stack(o: { unifiedAccount?: boolean; extra?: Route[]; registry?: Partial<ExchangeRegistryOptions> } = {}) {
  const http: FakeHttp = fakeHttp([
    { method: 'GET', path: '/v5/market/instruments-info', reply: { body: fixture('bybit/instruments-linear.json') } },
    { method: 'GET', path: '/v5/market/instruments-info', when: (r) => r.query.status === 'PreLaunch', reply: { body: fixture('bybit/instruments-prelaunch.json') } },
    { method: 'GET', path: '/v5/user/query-api', reply: { body: fixture('bybit/query-api.json') } },
    { method: 'GET', path: '/v5/account/info', reply: { body: fixture('bybit/account-info.json') } },
    { method: 'POST', path: '/v5/order/create', reply: { body: fixture('bybit/order-create.json') } },
    { method: 'GET', path: '/v5/market/tickers', reply: { body: fixture('bybit/tickers.json') } },
    ...(o.extra ?? []),
  ]);
  const factories = ccxtAdapterFactories({ bybitApiUrl: BASE, fetchImpl: http.fetch, timeoutMs: 2_000 });
  const registry = createExchangeRegistry({
    factories: { bybit: factories.bybit },
    loadCredentials: async (r): Promise<Credentials> => ({
      apiKey: `KEY-${r.accountId.padStart(12, '0')}`,
      secret: SECRET,
      ...(o.unifiedAccount !== undefined ? { unifiedAccount: o.unifiedAccount } : {}),
    }),
    random: () => 0.5,
    ...o.registry,
  });
  const hostUsed = () => registry.health().limiter.buckets.find((b) => b.key === `host:${BASE}`)?.used ?? 0;
  const metric = (op: string) => registry.health().metrics.find((m) => m.op === op);
  return { http, registry, hostUsed, metric };
}

describe('cold accounts: start-up requests go through the limiter, once', () => {
  it("20 cold accounts' first orders: one market load for all, one account-type probe each, and the limiter counted every request", async () => {
    const { http, registry, hostUsed, metric } = stack();
    const clients = await Promise.all(Array.from({ length: 20 }, (_, i) => registry.client(ref(`a${i}`))));
    const placed = await Promise.all(clients.map((c, i) => c.placeOrder(order(i))));
    expect(placed.every((o) => o.id === '1321003749386327552')).toBe(true);
    const count = (path: string) => http.requests.filter((r) => r.path === path).length;
    expect(count('/v5/market/instruments-info')).toBe(2); // Trading + PreLaunch, once
    expect(count('/v5/user/query-api')).toBe(20); // the account type, once per account
    expect(count('/v5/account/info')).toBe(0); // ccxt's second detection request is never sent
    expect(count('/v5/order/create')).toBe(20);
    // The host budget saw exactly what the host saw.
    expect(hostUsed()).toBe(http.requests.length);
    expect(metric('loadMarkets')).toMatchObject({ calls: 1, ok: 1, weight: 2 });
    expect(metric('detectAccount')).toMatchObject({ calls: 20, ok: 20, weight: 20 });

    // Warm: the next order of an account is one request.
    const before = http.requests.length;
    await (await registry.client(ref('a3'))).placeOrder(order(100));
    expect(http.requests.slice(before).map((r) => r.path)).toEqual(['/v5/order/create']);
    expect(hostUsed()).toBe(http.requests.length);
  });

  it('with the account type known at connect time (credentials.unifiedAccount) a cold first order is one request', async () => {
    const { http, registry, hostUsed } = stack({ unifiedAccount: true });
    const c0 = await registry.client(ref('w0'));
    await c0.fetchTicker('BTC/USDT'); // warms the shared markets (2 requests)
    const before = http.requests.length;
    const clients = await Promise.all(Array.from({ length: 10 }, (_, i) => registry.client(ref(`u${i}`))));
    await Promise.all(clients.map((c, i) => c.placeOrder(order(i))));
    expect(http.requests.slice(before).map((r) => r.path)).toEqual(Array.from({ length: 10 }, () => '/v5/order/create'));
    expect(hostUsed()).toBe(http.requests.length);
  });

  it('an account probed once is not probed again when its client is rebuilt with the same keys', async () => {
    const { http, registry } = stack();
    await (await registry.client(ref('e1'))).placeOrder(order(1));
    await registry.invalidate('e1'); // same keys come back: the factory remembers the account type
    await (await registry.client(ref('e1'))).placeOrder(order(2));
    expect(http.requests.filter((r) => r.path === '/v5/user/query-api')).toHaveLength(1);
  });
});

describe('cold accounts: Bybit IP limit holds the whole host', () => {
  it('a realistic HTTP 403 "access too frequent" on one account holds every account on the host', async () => {
    const { http, registry } = stack({
      unifiedAccount: true,
      extra: [{ method: 'GET', path: '/v5/account/wallet-balance', reply: { status: 403, body: 'access too frequent', headers: { 'Content-Type': 'text/plain' } } }],
      registry: { limits: { bybit: { ipBanMs: 300 } }, client: { retry: { attempts: 1 } } },
    });
    const a = await registry.client(ref('ipa'));
    const b = await registry.client(ref('ipb'));
    await a.fetchTicker('BTC/USDT');
    const err = await a.fetchBalance().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RateLimited);
    expect((err as RateLimited).details['scope']).toBe('ip');
    const refusedAt = Date.now();
    const held = registry.health().limiter.buckets.find((x) => x.key === `host:${BASE}`)!.heldUntil;
    expect(held).not.toBeNull();
    // Another account's next request waits for the hold (ipBanMs, 300 ms here; 10 minutes by default).
    const before = http.requests.length;
    await b.fetchTicker('BTC/USDT');
    expect(Date.now() - refusedAt).toBeGreaterThanOrEqual(250);
    expect(http.requests.slice(before).map((r) => r.path)).toEqual(['/v5/market/tickers']);
  });
});
