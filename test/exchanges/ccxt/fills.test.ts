/**
 * fetchFills on the ccxt adapters: the exact request each exchange gets
 * (Bybit GET /v5/execution/list, category linear; HyperLiquid info
 * userFillsByTime) and the mapping of a recorded answer to our Fill.
 */
import { describe, expect, it } from 'vitest';
import { createBybitAdapter } from '../../../exchanges/ccxt/bybit.js';
import { createHyperliquidAdapter } from '../../../exchanges/ccxt/hyperliquid.js';
import { fakeHttp, fixture, type RecordedRequest } from './fake-http.js';

describe('bybit fetchFills', () => {
  it('one signed GET /v5/execution/list for the symbol since the time, mapped oldest first with closedSize as reduce-only', async () => {
    const http = fakeHttp([
      { method: 'GET', path: '/v5/market/instruments-info', reply: { body: fixture('bybit/instruments-linear.json') } },
      { method: 'GET', path: '/v5/market/instruments-info', when: (r) => r.query.status === 'PreLaunch', reply: { body: fixture('bybit/instruments-prelaunch.json') } },
      { method: 'GET', path: '/v5/execution/list', reply: { body: fixture('bybit/execution-list.json') } },
    ]);
    const adapter = createBybitAdapter({
      accountId: 'acc-1',
      environment: 'mainnet',
      credentials: { apiKey: 'TESTKEY000000000', secret: 'TESTSECRET0000000000000000000000000' },
      apiUrl: 'http://127.0.0.1:18080',
      fetchImpl: http.fetch,
      timeoutMs: 2_000,
    });
    const fills = await adapter.fetchFills!('BTC/USDT', 1735689600000);
    const sent = http.requests.filter((r) => r.path === '/v5/execution/list');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.method).toBe('GET');
    expect(sent[0]!.query).toEqual({ category: 'linear', execType: 'Trade', limit: '100', startTime: '1735689600000', symbol: 'BTCUSDT' });
    expect(sent[0]!.headers['X-BAPI-API-KEY']).toBe('TESTKEY000000000');
    expect(fills).toEqual([
      { orderId: '1321003749386327552', clientOrderId: 'sig42-entry', symbol: 'BTC/USDT', side: 'buy', price: 97_000, quantity: 0.01, fee: 0.5335, reduceOnly: false, timestamp: 1735689600100 },
      { orderId: '5c1ffd3a-1d0c-4b2b-9c5e-7d7d0d7e1b11', clientOrderId: null, symbol: 'BTC/USDT', side: 'sell', price: 95_900, quantity: 0.01, fee: 0.52745, reduceOnly: true, timestamp: 1735693200500 },
    ]);
  });
});

describe('hyperliquid fetchFills', () => {
  it('one info userFillsByTime for the wallet since the time, the coin\'s fills only, "Close …" as reduce-only', async () => {
    const WALLET = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
    const info = (type: string) => (r: RecordedRequest) => r.json?.type === type;
    const http = fakeHttp([
      { method: 'POST', path: '/info', when: info('metaAndAssetCtxs'), reply: { body: fixture('hyperliquid/meta-and-asset-ctxs.json') } },
      { method: 'POST', path: '/info', when: info('userFillsByTime'), reply: { body: fixture('hyperliquid/user-fills-by-time.json') } },
    ]);
    const adapter = createHyperliquidAdapter({
      accountId: 'acc-2',
      environment: 'mainnet',
      credentials: { walletAddress: WALLET, privateKey: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80' },
      apiUrl: 'http://127.0.0.1:18090',
      fetchImpl: http.fetch,
      timeoutMs: 2_000,
    });
    const fills = await adapter.fetchFills!('BTC/USDT', 1735689600000);
    const sent = http.requests.filter((r) => r.json?.type === 'userFillsByTime');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.json).toEqual({ type: 'userFillsByTime', user: WALLET, startTime: 1735689600000, aggregateByTime: false });
    expect(fills).toEqual([
      { orderId: '9000001', clientOrderId: '0x00000000000000000000000000000001', symbol: 'BTC/USDT', side: 'buy', price: 97_000, quantity: 0.01, fee: 0.4365, reduceOnly: false, timestamp: 1735689600100 },
      { orderId: '9000003', clientOrderId: null, symbol: 'BTC/USDT', side: 'sell', price: 95_900, quantity: 0.01, fee: 0.44155, reduceOnly: true, timestamp: 1735693200500 },
    ]);
  });
});

describe('fetchFills through the limiter', () => {
  it('is an account read: Bybit 1 host + 1 account, HyperLiquid weight 20', async () => {
    const { OP_CLASS, BYBIT_LIMITS, HYPERLIQUID_LIMITS } = await import('../../../exchanges/limits.js');
    expect(OP_CLASS.fetchFills).toBe('account-read');
    expect(BYBIT_LIMITS.cost('fetchFills')).toEqual({ host: 1, account: 1 });
    expect(HYPERLIQUID_LIMITS.cost('fetchFills')).toEqual({ host: 20, account: 0 });
  });
});
