/**
 * Bybit adapter against a real ccxt.bybit whose HTTP goes to a fake fetch:
 * the exact v5 paths, parameters and signed headers (HMAC recomputed here),
 * and each typed error from a realistic Bybit answer.
 */
import { describe, expect, it } from 'vitest';
import { createBybitAdapter, bybitSignature, parseKeyAudit } from '../../../exchanges/ccxt/bybit.js';
import { fakeHttp, fixture, type FakeHttp, type RecordedRequest, type Reply } from './fake-http.js';

const KEY = 'TESTKEY000000000';
const SECRET = 'TESTSECRET0000000000000000000000000';
const BASE = 'http://127.0.0.1:18080';

function setup(extra: Parameters<FakeHttp['route']>[0][] = [], opts: { environment?: 'mainnet' | 'testnet' | 'demo'; apiUrl?: string | null; timeoutMs?: number } = {}) {
  const http = fakeHttp([
    { method: 'GET', path: '/v5/market/instruments-info', reply: { body: fixture('bybit/instruments-linear.json') } },
    { method: 'GET', path: '/v5/market/instruments-info', when: (r) => r.query.status === 'PreLaunch', reply: { body: fixture('bybit/instruments-prelaunch.json') } },
    { method: 'GET', path: '/v5/user/query-api', reply: { body: fixture('bybit/query-api.json') } },
    { method: 'GET', path: '/v5/account/info', reply: { body: fixture('bybit/account-info.json') } },
    ...extra,
  ]);
  const adapter = createBybitAdapter({
    accountId: 'acc-1',
    environment: opts.environment ?? 'mainnet',
    credentials: { apiKey: KEY, secret: SECRET },
    ...(opts.apiUrl === null ? {} : { apiUrl: opts.apiUrl ?? BASE }),
    fetchImpl: http.fetch,
    timeoutMs: opts.timeoutMs ?? 2_000,
  });
  return { http, adapter };
}

const STARTUP = new Set(['/v5/market/instruments-info', '/v5/user/query-api', '/v5/account/info']);
const trading = (http: FakeHttp) => http.requests.filter((r) => !STARTUP.has(r.path));

/** Recompute Bybit's HMAC from what was actually sent and compare. */
function expectSigned(r: RecordedRequest): void {
  expect(r.headers['X-BAPI-API-KEY']).toBe(KEY);
  expect(r.headers['X-BAPI-RECV-WINDOW']).toBe('5000');
  const ts = r.headers['X-BAPI-TIMESTAMP']!;
  expect(ts).toMatch(/^\d{13}$/);
  const payload = r.method === 'POST' ? (r.body ?? '') : r.rawQuery;
  expect(r.headers['X-BAPI-SIGN']).toBe(bybitSignature(SECRET, ts, KEY, '5000', payload));
}

const bybitError = (retCode: number, retMsg: string): Reply => ({ body: { retCode, retMsg, result: {}, retExtInfo: {}, time: 1735689600000 } });

describe('bybit adapter: markets and symbols', () => {
  it('loads linear USDT perps only (two public requests, no signed currency call) and maps symbols', async () => {
    const { http, adapter } = setup();
    const markets = await adapter.loadMarkets();
    expect(markets.map((m) => m.symbol).sort()).toEqual(['1000PEPE/USDT', '1000SHIB/USDT', 'BTC/USDT', 'ETH/USDT']);
    expect(http.requests.map((r) => `${r.method} ${r.path}?${r.rawQuery}`).sort()).toEqual([
      'GET /v5/market/instruments-info?category=linear&limit=1000',
      'GET /v5/market/instruments-info?category=linear&limit=1000&status=PreLaunch',
    ]);
    const btc = await adapter.market('BTC/USDT');
    expect(btc).toMatchObject({ exchangeSymbol: 'BTC/USDT:USDT', tickSize: 0.1, stepSize: 0.001, minQty: 0.001, maxQty: 1190, minNotional: 5, maxLeverage: 100 });
    expect((await adapter.market('1000SHIB/USDT')).exchangeSymbol).toBe('SHIB1000/USDT:USDT');
    expect((await adapter.market('kPEPE/USDT')).exchangeSymbol).toBe('1000PEPE/USDT:USDT');
  });

  it('says clearly when the market does not exist', async () => {
    const { adapter } = setup();
    await expect(adapter.market('NOPE/USDT')).rejects.toMatchObject({ name: 'MarketNotFound', message: expect.stringContaining('NOPE/USDT') });
  });

  it('BYBIT_API_URL replaces every REST base; without it testnet and demo use their own hosts', async () => {
    expect(setup([], { apiUrl: 'http://10.1.2.3:9999/' }).adapter.host).toBe('http://10.1.2.3:9999');
    expect(setup([], { apiUrl: null }).adapter.host).toBe('https://api.bybit.com');
    expect(setup([], { apiUrl: null, environment: 'testnet' }).adapter.host).toBe('https://api-testnet.bybit.com');
    expect(setup([], { apiUrl: null, environment: 'demo' }).adapter.host).toBe('https://api-demo.bybit.com');
    const { http, adapter } = setup([], { environment: 'demo', apiUrl: 'http://127.0.0.1:18081' });
    await adapter.loadMarkets();
    expect(http.requests.every((r) => r.url.origin === 'http://127.0.0.1:18081')).toBe(true);
  });
});

describe('bybit adapter: orders', () => {
  it('market entry with attached stop-loss and take-profit: one signed POST /v5/order/create', async () => {
    const { http, adapter } = setup([{ method: 'POST', path: '/v5/order/create', reply: { body: fixture('bybit/order-create.json') } }]);
    const order = await adapter.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: 0.01, price: 97000, clientOrderId: 'sig42-entry', stopLoss: 95000, takeProfit: 99000 });
    const sent = trading(http);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.path).toBe('/v5/order/create');
    expect(sent[0]!.json).toEqual({
      symbol: 'BTCUSDT',
      side: 'Buy',
      orderType: 'Market',
      orderLinkId: 'sig42-entry',
      category: 'linear',
      qty: '0.01',
      stopLoss: '95000',
      takeProfit: '99000',
      positionIdx: 0,
      tpslMode: 'Full',
    });
    expectSigned(sent[0]!);
    // ccxt detected the account type once, with signed GETs.
    const detect = http.requests.filter((r) => r.path === '/v5/user/query-api' || r.path === '/v5/account/info');
    expect(detect).toHaveLength(2);
    detect.forEach(expectSigned);
    expect(order).toMatchObject({ id: '1321003749386327552', clientOrderId: 'sig42-entry', status: 'open', side: 'buy', type: 'market', quantity: 0.01 });
  });

  it('limit entry, post-only, with a conditional trigger', async () => {
    const { http, adapter } = setup([{ method: 'POST', path: '/v5/order/create', reply: { body: fixture('bybit/order-create.json') } }]);
    await adapter.placeOrder({ symbol: 'ETH/USDT', side: 'sell', type: 'limit', quantity: 0.5, price: 3450.5, clientOrderId: 'sig43-e1', postOnly: true });
    await adapter.placeOrder({ symbol: 'ETH/USDT', side: 'buy', type: 'limit', quantity: 0.5, price: 3500, clientOrderId: 'sig43-e2', triggerPrice: 3490, triggerDirection: 'above' });
    const [a, b] = trading(http);
    expect(a!.json).toEqual({ symbol: 'ETHUSDT', side: 'Sell', orderType: 'Limit', timeInForce: 'PostOnly', orderLinkId: 'sig43-e1', price: '3450.5', category: 'linear', qty: '0.5', positionIdx: 0 });
    expect(b!.json).toMatchObject({ orderType: 'Limit', price: '3500', qty: '0.5', triggerPrice: '3490', triggerDirection: 1, orderLinkId: 'sig43-e2' });
    expectSigned(a!);
    expectSigned(b!);
  });

  it('reduce-only take-profit ladder goes out in ONE /v5/order/create-batch', async () => {
    const { http, adapter } = setup([{ method: 'POST', path: '/v5/order/create-batch', reply: { body: fixture('bybit/order-create-batch.json') } }]);
    const ladder = [99000, 100000, 101000].map((price, i) => ({
      symbol: 'BTC/USDT',
      side: 'sell' as const,
      type: 'limit' as const,
      quantity: i === 2 ? 0.002 : 0.004,
      price,
      reduceOnly: true,
      clientOrderId: `sig42-tp${i + 1}`,
    }));
    const results = await adapter.placeOrders(ladder);
    const sent = trading(http);
    expect(sent.map((r) => r.path)).toEqual(['/v5/order/create-batch']);
    expectSigned(sent[0]!);
    expect(sent[0]!.json).toEqual({
      category: 'linear',
      request: ladder.map((l) => ({
        symbol: 'BTCUSDT',
        side: 'Sell',
        orderType: 'Limit',
        orderLinkId: l.clientOrderId,
        price: String(l.price),
        qty: String(l.quantity),
        positionIdx: 0,
        reduceOnly: true,
      })),
    });
    expect(results.map((r) => r.ok && r.order.id)).toEqual([
      'b1a0f0c2-0000-4000-8000-000000000001',
      'b1a0f0c2-0000-4000-8000-000000000002',
      'b1a0f0c2-0000-4000-8000-000000000003',
    ]);
  });

  it('a batch answer with one failed item gives per-item results with the typed error and reason', async () => {
    const { adapter } = setup([{ method: 'POST', path: '/v5/order/create-batch', reply: { body: fixture('bybit/order-create-batch-partial.json') } }]);
    const results = await adapter.placeOrders(
      [99000, 100000].map((price, i) => ({ symbol: 'BTC/USDT', side: 'sell' as const, type: 'limit' as const, quantity: 0.004, price, reduceOnly: true, clientOrderId: `sig42-tp${i + 1}` })),
    );
    expect(results[0]).toMatchObject({ ok: true });
    expect(results[1]).toMatchObject({ ok: false, request: { clientOrderId: 'sig42-tp2' } });
    const err = (results[1] as { error: Error }).error;
    expect(err).toMatchObject({ name: 'OrderRejected', details: { exchangeCode: '110017' } });
    expect(err.message).toContain('Reduce-only order has same side with current position');
  });

  it('more than 10 orders are split into batches of 10 (the per-UID batch quota is 10 orders per second)', async () => {
    const { http, adapter } = setup([{ method: 'POST', path: '/v5/order/create-batch', reply: { body: fixture('bybit/order-create-batch.json') } }]);
    await adapter.placeOrders(Array.from({ length: 23 }, (_, i) => ({ symbol: 'BTC/USDT', side: 'sell' as const, type: 'limit' as const, quantity: 0.001, price: 99000 + i * 10, reduceOnly: true, clientOrderId: `grid-${i}` })));
    expect(trading(http).map((r) => r.json.request.length)).toEqual([10, 10, 3]);
  });

  it('rejects a client order id longer than 36 characters before sending anything', async () => {
    const { http, adapter } = setup();
    await expect(adapter.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: 0.01, clientOrderId: 'x'.repeat(37) })).rejects.toMatchObject({ name: 'ValidationError' });
    expect(trading(http)).toHaveLength(0);
  });

  it('refuses a quantity that is not on the step instead of silently truncating it', async () => {
    const { http, adapter } = setup();
    await expect(adapter.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: 0.0105, clientOrderId: 'sig44' })).rejects.toMatchObject({
      name: 'InvalidOrderSize',
      message: expect.stringContaining('step 0.001'),
    });
    expect(trading(http)).toHaveLength(0);
  });

  it('moves the stop-loss with /v5/position/trading-stop (Full), removes a take-profit with "0"', async () => {
    const { http, adapter } = setup([{ method: 'POST', path: '/v5/position/trading-stop', reply: { body: fixture('bybit/ok-empty.json') } }]);
    await adapter.setPositionProtection('BTC/USDT', 'long', { stopLoss: 96500, takeProfit: null });
    await adapter.setPositionProtection('BTC/USDT', 'long', { stopLoss: 96000, quantity: 0.005 });
    const [full, partial] = trading(http);
    expectSigned(full!);
    expect(full!.json).toEqual({ category: 'linear', symbol: 'BTCUSDT', positionIdx: 0, tpslMode: 'Full', stopLoss: '96500', slTriggerBy: 'LastPrice', takeProfit: '0', tpTriggerBy: 'LastPrice' });
    expect(partial!.json).toEqual({ category: 'linear', symbol: 'BTCUSDT', positionIdx: 0, tpslMode: 'Partial', stopLoss: '96000', slTriggerBy: 'LastPrice', slSize: '0.005', slOrderType: 'Market' });
  });

  it('"not modified" (34040) when moving the stop to where it is, is success', async () => {
    const { adapter } = setup([{ method: 'POST', path: '/v5/position/trading-stop', reply: bybitError(34040, 'not modified') }]);
    await expect(adapter.setPositionProtection('BTC/USDT', 'long', { stopLoss: 96500 })).resolves.toBeUndefined();
  });

  it('partial close: reduce-only market order for the given quantity', async () => {
    const { http, adapter } = setup([{ method: 'POST', path: '/v5/order/create', reply: { body: fixture('bybit/order-create.json') } }]);
    await adapter.closePosition('BTC/USDT', 'long', { quantity: 0.004, clientOrderId: 'sig42-close1' });
    expect(trading(http)[0]!.json).toEqual({ symbol: 'BTCUSDT', side: 'Sell', orderType: 'Market', orderLinkId: 'sig42-close1', category: 'linear', qty: '0.004', positionIdx: 0, reduceOnly: true });
  });

  it('full close: reads the position size, then one reduce-only market order', async () => {
    const { http, adapter } = setup([
      { method: 'GET', path: '/v5/position/list', reply: { body: fixture('bybit/position-list.json') } },
      { method: 'POST', path: '/v5/order/create', reply: { body: fixture('bybit/order-create.json') } },
    ]);
    await adapter.closePosition('BTC/USDT', 'long', { clientOrderId: 'sig42-close' });
    const [list, create] = trading(http);
    expect(`${list!.method} ${list!.path}`).toBe('GET /v5/position/list');
    expect(list!.query).toMatchObject({ category: 'linear', symbol: 'BTCUSDT' });
    expectSigned(list!);
    expect(create!.json).toMatchObject({ side: 'Sell', orderType: 'Market', qty: '0.01', reduceOnly: true, orderLinkId: 'sig42-close' });
  });

  it('amends an order (/v5/order/amend) and reads it back', async () => {
    const { http, adapter } = setup([
      { method: 'POST', path: '/v5/order/amend', reply: { body: fixture('bybit/order-cancel.json') } },
      { method: 'GET', path: '/v5/order/realtime', reply: { body: fixture('bybit/order-realtime-open.json') } },
    ]);
    const o = await adapter.amendOrder('BTC/USDT', 'b1a0f0c2-0000-4000-8000-000000000001', { price: 99500, quantity: 0.004 });
    expect(trading(http)[0]!.json).toEqual({ category: 'linear', symbol: 'BTCUSDT', orderId: 'b1a0f0c2-0000-4000-8000-000000000001', qty: '0.004', price: '99500' });
    expect(o.clientOrderId).toBe('sig42-tp1');
  });

  it('finds an order by client order id (orderLinkId), then in history, else null', async () => {
    const { http, adapter } = setup([
      { method: 'GET', path: '/v5/order/realtime', reply: { body: fixture('bybit/order-list-empty.json') } },
      { method: 'GET', path: '/v5/order/history', reply: { body: fixture('bybit/order-list-empty.json') } },
      { method: 'GET', path: '/v5/order/history', reply: { body: fixture('bybit/order-realtime-filled.json') }, once: true },
    ]);
    const found = await adapter.fetchOrder('BTC/USDT', { clientOrderId: 'sig42-entry' });
    expect(found).toMatchObject({ id: '1321003749386327552', clientOrderId: 'sig42-entry', status: 'filled', filled: 0.01, averagePrice: 97012.4 });
    expect(trading(http).map((r) => `${r.path}?${r.rawQuery}`)).toEqual([
      '/v5/order/realtime?category=linear&symbol=BTCUSDT&orderLinkId=sig42-entry',
      '/v5/order/history?category=linear&symbol=BTCUSDT&orderLinkId=sig42-entry',
    ]);
    expect(await adapter.fetchOrder('BTC/USDT', { clientOrderId: 'nope' })).toBeNull();
  });

  it('cancel by client order id; cancelling an order that is already gone (110001) is success', async () => {
    const { http, adapter } = setup([{ method: 'POST', path: '/v5/order/cancel', reply: bybitError(110001, 'order not exists or too late to cancel') }]);
    await expect(adapter.cancelOrder('BTC/USDT', { clientOrderId: 'sig42-tp1' })).resolves.toBeUndefined();
    expect(trading(http)[0]!.json).toEqual({ symbol: 'BTCUSDT', category: 'linear', orderLinkId: 'sig42-tp1' });
    expectSigned(trading(http)[0]!);
  });

  it('open orders, positions and balance map to models', async () => {
    const { adapter } = setup([
      { method: 'GET', path: '/v5/order/realtime', reply: { body: fixture('bybit/order-realtime-open.json') } },
      { method: 'GET', path: '/v5/position/list', reply: { body: fixture('bybit/position-list.json') } },
      { method: 'GET', path: '/v5/account/wallet-balance', reply: { body: fixture('bybit/wallet-balance.json') } },
    ]);
    const orders = await adapter.fetchOpenOrders();
    expect(orders.map((o) => [o.clientOrderId, o.status, o.reduceOnly, o.price])).toEqual([
      ['sig42-tp1', 'open', true, 99000],
      ['sig42-tp2', 'partially_filled', true, 101000],
    ]);
    const positions = await adapter.fetchPositions();
    expect(positions).toHaveLength(1); // the size-0 ETH entry is not a position
    expect(positions[0]).toMatchObject({ symbol: 'BTC/USDT', side: 'long', quantity: 0.01, entryPrice: 97012.4, leverage: 10, stopLoss: 95000, takeProfit: 99000, liquidationPrice: 87800.1, marginMode: 'cross' });
    const balance = await adapter.fetchBalance();
    expect(balance.currency).toBe('USDT');
    expect(balance.total).toBeCloseTo(1249.62, 6); // ccxt: walletBalance
    expect(balance.used + balance.free).toBeCloseTo(balance.total, 6);
  });

  it('ticker and candles', async () => {
    const { http, adapter } = setup([
      { method: 'GET', path: '/v5/market/tickers', reply: { body: fixture('bybit/tickers.json') } },
      { method: 'GET', path: '/v5/market/kline', reply: { body: fixture('bybit/kline.json') } },
    ]);
    expect(await adapter.fetchTicker('BTC/USDT')).toMatchObject({ symbol: 'BTC/USDT', last: 97010, bid: 97009.9, ask: 97010, mark: 97015.2 });
    const candles = await adapter.fetchCandles('BTC/USDT', '1h', undefined, 2);
    expect(candles.map((c) => c.time)).toEqual([1735686000000, 1735689600000]);
    expect(trading(http).map((r) => `${r.path}?${r.rawQuery}`)).toEqual(['/v5/market/tickers?symbol=BTCUSDT&category=linear', '/v5/market/kline?symbol=BTCUSDT&limit=2&interval=60&category=linear']);
  });
});

describe('bybit adapter: leverage and margin mode', () => {
  it('set leverage: /v5/position/set-leverage; "leverage not modified" (110043) is success', async () => {
    const { http, adapter } = setup([{ method: 'POST', path: '/v5/position/set-leverage', reply: bybitError(110043, 'Set leverage not modified') }]);
    await expect(adapter.setLeverage('BTC/USDT', 10)).resolves.toBeUndefined();
    expect(trading(http)[0]!.json).toEqual({ symbol: 'BTCUSDT', buyLeverage: '10', sellLeverage: '10', category: 'linear' });
    expectSigned(trading(http)[0]!);
  });

  it('unified account: reads the account margin mode and switches only when it differs', async () => {
    const { http, adapter } = setup([
      { method: 'POST', path: '/v5/account/set-margin-mode', reply: { body: fixture('bybit/set-margin-mode.json') } },
      { method: 'POST', path: '/v5/position/set-leverage', reply: { body: fixture('bybit/ok-empty.json') } },
    ]);
    await adapter.setMarginMode('BTC/USDT', 'isolated', 5);
    await adapter.setMarginMode('BTC/USDT', 'cross', 5); // fixture says REGULAR_MARGIN already
    expect(trading(http).map((r) => `${r.method} ${r.path} ${r.body ?? ''}`.trim())).toEqual([
      'POST /v5/account/set-margin-mode {"setMarginMode":"ISOLATED_MARGIN"}',
      'POST /v5/position/set-leverage {"symbol":"BTCUSDT","buyLeverage":"5","sellLeverage":"5","category":"linear"}',
      'POST /v5/position/set-leverage {"symbol":"BTCUSDT","buyLeverage":"5","sellLeverage":"5","category":"linear"}',
    ]);
  });

  it('classic account: /v5/position/switch-isolated; "margin mode not modified" (110026) is success', async () => {
    const classic = fixture('bybit/query-api.json');
    classic.result.uta = 0;
    const { http, adapter } = setup([
      { method: 'GET', path: '/v5/user/query-api', reply: { body: classic } },
      { method: 'POST', path: '/v5/position/switch-isolated', reply: bybitError(110026, 'Cross/isolated margin mode is not modified') },
      { method: 'POST', path: '/v5/position/set-leverage', reply: bybitError(110043, 'Set leverage not modified') },
    ]);
    await expect(adapter.setMarginMode('ETH/USDT', 'isolated', 3)).resolves.toBeUndefined();
    expect(trading(http)[0]!.json).toEqual({ category: 'linear', symbol: 'ETHUSDT', tradeMode: 1, buyLeverage: '3', sellLeverage: '3' });
  });
});

describe('bybit adapter: key audit and rate-limit headers', () => {
  it('auditKey reads /v5/user/query-api', async () => {
    const { http, adapter } = setup();
    const audit = await adapter.auditKey();
    expect(audit).toEqual({ readOnly: false, canTrade: true, canWithdraw: false, ipBound: false, expiresAt: Date.parse('2025-03-26T03:21:05Z'), unifiedAccount: true });
    expectSigned(http.requests.find((r) => r.path === '/v5/user/query-api')!);
  });

  it.each([
    [{ readOnly: 1, permissions: { ContractTrade: [], Wallet: ['AccountTransfer', 'Withdraw'] }, ips: ['1.2.3.4'], expiredAt: '' }, { readOnly: true, canTrade: false, canWithdraw: true, ipBound: true, expiresAt: null }],
    [{ readOnly: 0, permissions: { ContractTrade: ['Order', 'Position'], Wallet: [] }, ips: ['*'], expiredAt: '2025-01-01T00:00:00Z' }, { readOnly: false, canTrade: true, canWithdraw: false, ipBound: false, expiresAt: 1735689600000 }],
    [{}, { readOnly: null, canTrade: null, canWithdraw: null, ipBound: null, expiresAt: null }],
  ])('parseKeyAudit %#', (input, expected) => {
    expect(parseKeyAudit(input)).toEqual(expected);
  });

  it('rateLimitStatus comes from the last X-Bapi-Limit* headers', async () => {
    const { adapter } = setup([
      { method: 'POST', path: '/v5/order/create', reply: { body: fixture('bybit/order-create.json'), headers: { 'X-Bapi-Limit': '10', 'X-Bapi-Limit-Status': '7', 'X-Bapi-Limit-Reset-Timestamp': '1735689601000' } } },
    ]);
    expect(adapter.rateLimitStatus()).toBeNull();
    await adapter.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: 0.01, clientOrderId: 'rl-1' });
    expect(adapter.rateLimitStatus()).toEqual({ limit: 10, remaining: 7, resetAt: 1735689601000 });
  });
});

describe('bybit adapter: typed errors from realistic answers', () => {
  const order = { symbol: 'BTC/USDT', side: 'buy' as const, type: 'market' as const, quantity: 0.01, clientOrderId: 'err-1' };
  it.each([
    ['10003 invalid key', bybitError(10003, 'API key is invalid.'), 'AuthFailed'],
    ['10004 invalid sign', bybitError(10004, 'error sign! origin_string[1735689600000TESTKEY5000{...}]'), 'AuthFailed'],
    ['10005 permission', bybitError(10005, 'Permission denied, please check your API key permissions.'), 'PermissionDenied'],
    ['110007 funds', bybitError(110007, 'ab not enough for new order'), 'InsufficientFunds'],
    ['10001 qty', bybitError(10001, 'The number of contracts exceeds minimum limit allowed'), 'InvalidOrderSize'],
    ['110094 notional', bybitError(110094, 'Order does not meet minimum order value 5USDT'), 'InvalidOrderSize'],
    ['110017 reduce-only', bybitError(110017, 'current position is zero, cannot fix reduce-only order qty'), 'OrderRejected'],
    ['110072 duplicate id', bybitError(110072, 'OrderLinkedID is duplicate'), 'OrderRejected'],
    ['10006 rate limit', { body: { retCode: 10006, retMsg: 'Too many visits!', result: {}, retExtInfo: {} }, headers: { 'X-Bapi-Limit': '10', 'X-Bapi-Limit-Status': '0', 'X-Bapi-Limit-Reset-Timestamp': '1735689601000' } } as Reply, 'RateLimited'],
    ['HTTP 403 IP limit', { status: 403, body: '<html>403 Forbidden</html>' } as Reply, 'RateLimited'],
    ['HTTP 503', { status: 503, body: '<html>503 Service Temporarily Unavailable</html>' } as Reply, 'ExchangeUnavailable'],
    ['HTTP 502', { status: 502, body: 'Bad Gateway' } as Reply, 'ExchangeUnavailable'],
    ['connection refused', 'connection-refused' as Reply, 'ExchangeUnavailable'],
    ['timeout', 'timeout' as Reply, 'NetworkTimeout'],
  ])('%s', async (_name, reply, expected) => {
    const { adapter } = setup([{ method: 'POST', path: '/v5/order/create', reply }], { timeoutMs: 50 });
    const err = await adapter.placeOrder(order).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.name).toBe(expected);
    expect(err?.message).toMatch(/^bybit placeOrder on BTC\/USDT: /);
    expect(err?.message).not.toContain(SECRET);
    expect(err?.message).not.toContain(KEY);
  });

  it('InvalidOrderSize carries the market limits in the message and details', async () => {
    const { adapter } = setup([{ method: 'POST', path: '/v5/order/create', reply: bybitError(110094, 'Order does not meet minimum order value 5USDT') }]);
    const err = (await adapter.placeOrder(order).then(
      () => null,
      (e: unknown) => e,
    )) as Error & { details: Record<string, unknown> };
    expect(err.message).toContain('min notional 5 USDT');
    expect(err.message).toContain('min qty 0.001');
    expect(err.details).toMatchObject({ minQty: 0.001, stepSize: 0.001, minNotional: 5, exchangeCode: '110094' });
  });

  it('110001 on amend is OrderNotFound (only cancel treats a gone order as success)', async () => {
    const { adapter } = setup([{ method: 'POST', path: '/v5/order/amend', reply: bybitError(110001, 'order not exists or too late to replace') }]);
    await expect(adapter.amendOrder('BTC/USDT', '123', { price: 99000 })).rejects.toMatchObject({ name: 'OrderNotFound' });
  });
});

describe('bybit adapter: IP-level rate limit', () => {
  const order = { symbol: 'BTC/USDT', side: 'buy' as const, type: 'market' as const, quantity: 0.01, clientOrderId: 'ip-1' };
  const errorOf = async (reply: Reply) => {
    const { adapter } = setup([{ method: 'POST', path: '/v5/order/create', reply }]);
    return (await adapter.placeOrder(order).then(
      () => null,
      (e: unknown) => e,
    )) as (Error & { details: Record<string, unknown> }) | null;
  };

  it.each([
    // Bybit's answer when the IP broke 600 requests / 5 s ("403, access too frequent").
    ['HTTP 403 "access too frequent"', { status: 403, body: 'access too frequent', headers: { 'Content-Type': 'text/plain' } } as Reply],
    // The same refusal as the CDN's HTML error page.
    ['HTTP 403 HTML page', { status: 403, body: '<html><head><title>403 Forbidden</title></head><body><h1>403 Forbidden</h1></body></html>', headers: { 'Content-Type': 'text/html' } } as Reply],
    ['retCode 10018 (IP rate limit)', bybitError(10018, 'Exceeded the IP Rate Limit.')],
  ])('%s -> RateLimited with scope ip', async (_name, reply) => {
    const err = await errorOf(reply);
    expect(err?.name).toBe('RateLimited');
    expect(err?.details['scope']).toBe('ip');
    expect(err?.message).toMatch(/^bybit placeOrder on BTC\/USDT: IP rate limit/);
  });

  it('the per-account limit (10006) stays scoped to the account', async () => {
    const err = await errorOf(bybitError(10006, 'Too many visits!'));
    expect(err?.name).toBe('RateLimited');
    expect(err?.details['scope']).toBe('account');
  });
});

describe('bybit adapter: cancel all', () => {
  it('cancelAllOrders: one signed POST /v5/order/cancel-all for the symbol', async () => {
    const body = { retCode: 0, retMsg: 'OK', result: { list: [{ orderId: 'b1a0f0c2-0000-4000-8000-000000000001', orderLinkId: 'sig42-tp1' }], success: '1' }, retExtInfo: {}, time: 1735689600500 };
    const { http, adapter } = setup([{ method: 'POST', path: '/v5/order/cancel-all', reply: { body } }]);
    await expect(adapter.cancelAllOrders('BTC/USDT')).resolves.toBeUndefined();
    const sent = trading(http);
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /v5/order/cancel-all']);
    expect(sent[0]!.json).toEqual({ category: 'linear', symbol: 'BTCUSDT' });
    expectSigned(sent[0]!);
  });

  it('cancelAllOrders failing maps to a typed error', async () => {
    const { adapter } = setup([{ method: 'POST', path: '/v5/order/cancel-all', reply: bybitError(10005, 'Permission denied, please check your API key permissions.') }]);
    await expect(adapter.cancelAllOrders('BTC/USDT')).rejects.toMatchObject({ name: 'PermissionDenied', message: expect.stringMatching(/^bybit cancelAllOrders on BTC\/USDT/) });
  });
});

describe('bybit adapter: account type before the first order', () => {
  const order = { symbol: 'BTC/USDT', side: 'buy' as const, type: 'market' as const, quantity: 0.01, clientOrderId: 'at-1' };
  const create = { method: 'POST', path: '/v5/order/create', reply: { body: fixture('bybit/order-create.json') } };
  const paths = (http: FakeHttp) => http.requests.map((r) => r.path);

  it('prepare probes /v5/user/query-api once (not query-api + account/info), then orders go alone', async () => {
    const { http, adapter } = setup([create]);
    await adapter.prepare('placeOrder');
    await adapter.placeOrder(order);
    await adapter.prepare('placeOrder');
    await adapter.placeOrder({ ...order, clientOrderId: 'at-2' });
    expect(paths(http).filter((p) => p !== '/v5/market/instruments-info')).toEqual(['/v5/user/query-api', '/v5/order/create', '/v5/order/create']);
  });

  it('prepare for reads that never need the account type sends nothing for it', async () => {
    const { http, adapter } = setup([{ method: 'GET', path: '/v5/position/list', reply: { body: fixture('bybit/position-list.json') } }]);
    await adapter.prepare('fetchPositions');
    await adapter.fetchPositions();
    expect(paths(http).filter((p) => p !== '/v5/market/instruments-info')).toEqual(['/v5/position/list']);
  });

  it('with the account type known (credentials.unifiedAccount) the first order is one request', async () => {
    const http = fakeHttp([
      { method: 'GET', path: '/v5/market/instruments-info', reply: { body: fixture('bybit/instruments-linear.json') } },
      create,
    ]);
    const adapter = createBybitAdapter({ accountId: 'acc-9', environment: 'mainnet', credentials: { apiKey: KEY, secret: SECRET }, apiUrl: BASE, fetchImpl: http.fetch, unifiedAccount: true });
    await adapter.loadMarkets();
    const before = http.requests.length;
    await adapter.prepare('placeOrder');
    await adapter.placeOrder(order);
    expect(http.requests.slice(before).map((r) => r.path)).toEqual(['/v5/order/create']);
    expect(http.unmatched).toEqual([]);
  });
});
