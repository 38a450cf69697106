/**
 * Markets are loaded once per (exchange, environment, API URL) and shared by
 * every account's ccxt instance the factories build — not once per account.
 * Real ccxt instances, HTTP intercepted (fake-http.ts).
 */
import { describe, expect, it } from 'vitest';
import { ccxtAdapterFactories } from '../../../exchanges/ccxt/index.js';
import { createSharedMarkets, type CcxtMarketSource } from '../../../exchanges/ccxt/market-store.js';
import type { AccountRef, Credentials } from '../../../exchanges/types.js';
import { fakeHttp, fixture, type FakeHttp, type RecordedRequest, type Route } from './fake-http.js';

const BYBIT = 'http://127.0.0.1:18080';
const HL = 'http://127.0.0.1:18090';
const WALLET = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
const AGENT_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

const instruments = (r: RecordedRequest) => r.path === '/v5/market/instruments-info';
const bybitRoutes = (): Route[] => [
  { method: 'GET', path: '/v5/market/instruments-info', reply: { body: fixture('bybit/instruments-linear.json') } },
  { method: 'GET', path: '/v5/market/instruments-info', when: (r) => r.query.status === 'PreLaunch', reply: { body: fixture('bybit/instruments-prelaunch.json') } },
];
const ref = (accountId: string, exchange: 'bybit' | 'hyperliquid' = 'bybit', environment: 'mainnet' | 'testnet' = 'mainnet'): AccountRef => ({ accountId, exchange, environment });
const bybitKeys = (i: number): Credentials => ({ apiKey: `KEY${String(i).padStart(13, '0')}`, secret: 'TESTSECRET0000000000000000000000000' });

/** The linear instruments fixture plus one more listing (a new coin appears on the exchange). */
function withListing(base: string): unknown {
  const body = fixture('bybit/instruments-linear.json');
  const btc = body.result.list[0];
  body.result.list.push({ ...btc, symbol: `${base}USDT`, baseCoin: base });
  return body;
}

describe('shared markets: Bybit', () => {
  it('1,000 adapters built by the factory load the instruments once, not 1,000 times', async () => {
    const http = fakeHttp(bybitRoutes());
    const factories = ccxtAdapterFactories({ bybitApiUrl: BYBIT, fetchImpl: http.fetch });
    const adapters = Array.from({ length: 1_000 }, (_, i) => factories.bybit(ref(`acc-${i}`), bybitKeys(i)));
    const markets = await Promise.all(adapters.map((a) => a.market('BTC/USDT')));
    // One load = the two public requests (Trading + PreLaunch); every instance has the markets.
    expect(http.requests.filter(instruments).map((r) => r.rawQuery).sort()).toEqual(['category=linear&limit=1000', 'category=linear&limit=1000&status=PreLaunch']);
    expect(http.requests).toHaveLength(2);
    expect(new Set(markets.map((m) => m.exchangeSymbol))).toEqual(new Set(['BTC/USDT:USDT']));
    expect(markets[999]).toEqual(markets[0]);
    // A later instance gets them without a request too, and its ccxt instance can trade with them.
    const late = factories.bybit(ref('acc-late'), bybitKeys(5_000));
    await late.prepare!('fetchTicker');
    expect((await late.loadMarkets()).map((m) => m.symbol).sort()).toEqual(['1000PEPE/USDT', '1000SHIB/USDT', 'BTC/USDT', 'ETH/USDT']);
    expect(http.requests).toHaveLength(2);
  }, 60_000);

  it('environments and API URLs do not share markets', async () => {
    const http = fakeHttp(bybitRoutes());
    const factories = ccxtAdapterFactories({ bybitApiUrl: BYBIT, fetchImpl: http.fetch });
    await factories.bybit(ref('a'), bybitKeys(1)).market('BTC/USDT');
    await factories.bybit(ref('b'), bybitKeys(2)).market('BTC/USDT');
    await factories.bybit(ref('c', 'bybit', 'testnet'), bybitKeys(3)).market('BTC/USDT');
    const other = ccxtAdapterFactories({ bybitApiUrl: BYBIT, fetchImpl: http.fetch });
    await other.bybit(ref('d'), bybitKeys(4)).market('BTC/USDT');
    // mainnet once, testnet once, the second factory set (its own store) once: 3 loads of 2 requests.
    expect(http.requests.filter(instruments)).toHaveLength(6);
  });

  it('a reload by one account is seen by the others (a new listing becomes tradable everywhere)', async () => {
    const http = fakeHttp(bybitRoutes());
    const factories = ccxtAdapterFactories({ bybitApiUrl: BYBIT, fetchImpl: http.fetch });
    const a = factories.bybit(ref('a'), bybitKeys(1));
    const b = factories.bybit(ref('b'), bybitKeys(2));
    await a.market('BTC/USDT');
    await b.market('BTC/USDT');
    await expect(b.market('NEWCOIN/USDT')).rejects.toMatchObject({ name: 'MarketNotFound' });
    http.route({ method: 'GET', path: '/v5/market/instruments-info', when: (r) => r.query.status !== 'PreLaunch', reply: { body: withListing('NEWCOIN') } });
    await a.loadMarkets(true);
    expect((await b.market('NEWCOIN/USDT')).exchangeSymbol).toBe('NEWCOIN/USDT:USDT');
    expect(http.requests.filter(instruments)).toHaveLength(4);
  });

  it('a failed first load fails the call with a typed error and is retried by the next caller', async () => {
    const http = fakeHttp(bybitRoutes());
    // Later routes answer first: the exchange is down for one request.
    http.route({ method: 'GET', path: '/v5/market/instruments-info', reply: { status: 503, body: 'Service Unavailable' }, once: true });
    const factories = ccxtAdapterFactories({ bybitApiUrl: BYBIT, fetchImpl: http.fetch });
    const a = factories.bybit(ref('a'), bybitKeys(1));
    await expect(a.market('BTC/USDT')).rejects.toMatchObject({ name: 'ExchangeUnavailable' });
    await expect(factories.bybit(ref('b'), bybitKeys(2)).market('BTC/USDT')).resolves.toMatchObject({ symbol: 'BTC/USDT' });
  });
});

describe('shared markets: HyperLiquid', () => {
  it('200 adapters send one metaAndAssetCtxs between them', async () => {
    const http: FakeHttp = fakeHttp([{ method: 'POST', path: '/info', when: (r) => r.json?.type === 'metaAndAssetCtxs', reply: { body: fixture('hyperliquid/meta-and-asset-ctxs.json') } }]);
    const factories = ccxtAdapterFactories({ hyperliquidApiUrl: HL, fetchImpl: http.fetch });
    const adapters = Array.from({ length: 200 }, (_, i) => factories.hyperliquid(ref(`h-${i}`, 'hyperliquid'), { walletAddress: WALLET, privateKey: AGENT_KEY }));
    const markets = await Promise.all(adapters.map((a) => a.market('1000PEPE/USDT')));
    expect(http.requests.map((r) => r.json?.type)).toEqual(['metaAndAssetCtxs']);
    expect(markets.every((m) => m.exchangeSymbol === 'KPEPE/USDC:USDC')).toBe(true);
  }, 60_000);
});

describe('SharedMarkets store', () => {
  function source(): CcxtMarketSource & { calls: number; fail: boolean } {
    const s = {
      id: 'x',
      markets: undefined as Record<string, unknown> | undefined,
      calls: 0,
      fail: false,
      async loadMarkets() {
        s.calls++;
        await Promise.resolve();
        if (s.fail) throw new Error('down');
        s.markets = { 'A/B': { n: s.calls } };
        return s.markets;
      },
    };
    return s;
  }

  it('one in-flight load for concurrent callers; the wrapper runs once', async () => {
    const src = source();
    const store = createSharedMarkets('k', src);
    let wrapped = 0;
    const wrap = <T>(fn: () => Promise<T>) => {
      wrapped++;
      return fn();
    };
    await Promise.all(Array.from({ length: 50 }, () => store.load(false, wrap)));
    expect([src.calls, wrapped, store.version, store.loads]).toEqual([1, 1, 1, 1]);
    await store.load(false, wrap);
    expect(src.calls).toBe(1);
    await store.load(true, wrap);
    expect([src.calls, store.version]).toEqual([2, 2]);
  });

  it('stale after maxAgeMs; a failed refresh keeps the markets and pauses retries for retryMs', async () => {
    let now = 1_000;
    const src = source();
    const store = createSharedMarkets('k', src, { maxAgeMs: 100, retryMs: 50, now: () => now });
    expect(store.due()).toBe(true);
    await store.load(false);
    expect([store.fresh(), store.due()]).toEqual([true, false]);
    now += 100;
    expect([store.fresh(), store.due()]).toEqual([false, true]);
    src.fail = true;
    await expect(store.load(true)).rejects.toThrow('down');
    expect(store.version).toBe(1);
    expect(store.due()).toBe(false);
    now += 50;
    expect(store.due()).toBe(true);
  });

  it('hands the markets to an instance once per version and derives views once per version', async () => {
    const src = source();
    const store = createSharedMarkets('k', src);
    const target = { id: 'x', markets: undefined as unknown, from: [] as unknown[], setMarketsFromExchange(s: unknown) { this.from.push(s); } };
    expect(store.applyTo(target as never, 0)).toBe(false); // nothing loaded yet
    await store.load(false);
    expect(store.applyTo(target as never, 0)).toBe(true);
    expect(store.applyTo(target as never, 1)).toBe(false);
    expect(target.from).toEqual([src]);
    let computed = 0;
    const view = () => store.derived('v', () => ++computed);
    expect([view(), view()]).toEqual([1, 1]);
    await store.load(true);
    expect(view()).toBe(2);
  });
});
