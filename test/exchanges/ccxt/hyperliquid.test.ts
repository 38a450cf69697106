/**
 * HyperLiquid adapter against a real ccxt.hyperliquid whose HTTP goes to a
 * fake fetch: the exact action JSON (order type, grouping, cloid,
 * reduce-only, tif), one action per batch, and the typed errors.
 *
 * Keys: the well-known public Hardhat development key #0 as the API wallet
 * and dev address #1 as the main wallet — never a real account.
 */
import { describe, expect, it } from 'vitest';
import { createHyperliquidAdapter, toHyperliquidCloid, triggerKind } from '../../../exchanges/ccxt/hyperliquid.js';
import { fakeHttp, fixture, type FakeHttp, type RecordedRequest, type Reply, type Route } from './fake-http.js';

const WALLET = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
const AGENT_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const AGENT = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266';
const BASE = 'http://127.0.0.1:18090';

const info = (type: string) => (r: RecordedRequest) => r.json?.type === type;
const act = (type: string) => (r: RecordedRequest) => r.json?.action?.type === type;
const exchange = (type: string, reply: Reply, once = false): Route => ({ method: 'POST', path: '/exchange', when: act(type), reply, once });
const infoRoute = (type: string, reply: Reply): Route => ({ method: 'POST', path: '/info', when: info(type), reply });

function setup(extra: Route[] = [], o: { slippage?: number; walletAddress?: string; privateKey?: string; apiUrl?: string | null; environment?: 'mainnet' | 'testnet'; timeoutMs?: number } = {}) {
  const http = fakeHttp([
    infoRoute('metaAndAssetCtxs', { body: fixture('hyperliquid/meta-and-asset-ctxs.json') }),
    infoRoute('allMids', { body: fixture('hyperliquid/all-mids.json') }),
    infoRoute('clearinghouseState', { body: fixture('hyperliquid/clearinghouse-state.json') }),
    infoRoute('frontendOpenOrders', { body: fixture('hyperliquid/frontend-open-orders.json') }),
    infoRoute('userAbstraction', { body: '"disabled"' }),
    ...extra,
  ]);
  const adapter = createHyperliquidAdapter({
    accountId: 'acc-2',
    environment: o.environment ?? 'mainnet',
    credentials: { walletAddress: o.walletAddress ?? WALLET, privateKey: o.privateKey ?? AGENT_KEY },
    ...(o.apiUrl === null ? {} : { apiUrl: o.apiUrl ?? BASE }),
    ...(o.slippage !== undefined ? { slippage: o.slippage } : {}),
    fetchImpl: http.fetch,
    timeoutMs: o.timeoutMs ?? 2_000,
  });
  return { http, adapter };
}

const actions = (http: FakeHttp) => http.requests.filter((r) => r.path === '/exchange');

function expectSignedAction(r: RecordedRequest): void {
  expect(r.json.nonce).toEqual(expect.any(Number));
  // r and s are hex integers without leading zeros (as HyperLiquid's own SDK sends them): 1-64 digits.
  expect(r.json.signature).toEqual({ r: expect.stringMatching(/^0x[0-9a-f]{1,64}$/), s: expect.stringMatching(/^0x[0-9a-f]{1,64}$/), v: expect.any(Number) });
  expect(r.json.action.builder).toBeUndefined(); // never a builder fee
  expect(r.json.vaultAddress).toBeUndefined();
}

describe('hyperliquid adapter: markets and symbols', () => {
  it('maps BTC/USDT to the USDC perp and 1000PEPE to kPEPE; KAVA is not a thousands market', async () => {
    const { adapter } = setup();
    expect((await adapter.market('BTC/USDT')).exchangeSymbol).toBe('BTC/USDC:USDC');
    expect((await adapter.market('BTC/USDC')).exchangeSymbol).toBe('BTC/USDC:USDC');
    const pepe = await adapter.market('1000PEPE/USDT');
    expect(pepe).toMatchObject({ symbol: '1000PEPE/USDT', exchangeSymbol: 'KPEPE/USDC:USDC', quote: 'USDC', settle: 'USDC', stepSize: 1, minNotional: 10, maxLeverage: 10 });
    expect((await adapter.market('KAVA/USDT')).exchangeSymbol).toBe('KAVA/USDC:USDC');
    await expect(adapter.market('1000KAVA/USDT')).rejects.toMatchObject({ name: 'MarketNotFound' });
    await expect(adapter.market('NOPE/USDT')).rejects.toMatchObject({ name: 'MarketNotFound', message: expect.stringContaining('NOPE/USDT') });
  });

  it('tick follows HyperLiquid rules: 5 significant figures, at most 6 - szDecimals decimals', async () => {
    const { adapter } = setup();
    expect((await adapter.market('BTC/USDT')).tickSize).toBe(1); // 97015 -> 5 sig figs, 0 decimals
    expect((await adapter.market('ETH/USDT')).tickSize).toBe(0.1);
    expect((await adapter.market('1000PEPE/USDT')).tickSize).toBe(0.000001);
  });

  it('HYPERLIQUID_API_URL replaces the REST base; testnet has its own host', async () => {
    expect(setup([], { apiUrl: null }).adapter.host).toBe('https://api.hyperliquid.xyz');
    expect(setup([], { apiUrl: null, environment: 'testnet' }).adapter.host).toBe('https://api.hyperliquid-testnet.xyz');
    const { http, adapter } = setup([], { apiUrl: 'http://127.0.0.1:18091' });
    await adapter.loadMarkets();
    expect(http.requests.map((r) => `${r.url.origin}${r.path} ${r.body}`)).toEqual(['http://127.0.0.1:18091/info {"type":"metaAndAssetCtxs"}']);
  });
});

describe('hyperliquid adapter: orders', () => {
  it('market entry with attached SL/TP: ONE normalTpsl action, IOC bounded by the slippage setting, one cloid per order', async () => {
    const { http, adapter } = setup([exchange('order', { body: fixture('hyperliquid/order-entry-with-tpsl.json') })], { slippage: 0.01 });
    const o = await adapter.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: 0.01, price: 97000, clientOrderId: 'sig42-entry', stopLoss: 95000, takeProfit: 99000 });
    const sent = actions(http);
    expect(sent).toHaveLength(1);
    expectSignedAction(sent[0]!);
    expect(sent[0]!.json.action).toEqual({
      type: 'order',
      orders: [
        { a: 0, b: true, p: '97970', s: '0.01', r: false, t: { limit: { tif: 'Ioc' } }, c: toHyperliquidCloid('sig42-entry') },
        { a: 0, b: false, p: '98010', s: '0.01', r: true, t: { trigger: { isMarket: true, triggerPx: '99000', tpsl: 'tp' } }, c: toHyperliquidCloid('sig42-entry:tp') },
        { a: 0, b: false, p: '94050', s: '0.01', r: true, t: { trigger: { isMarket: true, triggerPx: '95000', tpsl: 'sl' } }, c: toHyperliquidCloid('sig42-entry:sl') },
      ],
      grouping: 'normalTpsl',
    });
    expect(o).toMatchObject({ id: '9000000001', clientOrderId: 'sig42-entry', status: 'filled', filled: 0.01, averagePrice: 97012.4 });
    // No builder-fee approval, no referrer, no user-abstraction probe around orders.
    expect(http.requests.map((r) => r.json?.action?.type ?? r.json?.type)).toEqual(['metaAndAssetCtxs', 'order']);
  });

  it('a market order without a reference price takes the mid from allMids', async () => {
    const { http, adapter } = setup([exchange('order', { body: fixture('hyperliquid/order-trigger.json') })]);
    await adapter.placeOrder({ symbol: 'ETH/USDT', side: 'sell', type: 'market', quantity: 0.5, clientOrderId: 'sig50' });
    expect(http.requests.map((r) => r.json?.action?.type ?? r.json?.type)).toEqual(['metaAndAssetCtxs', 'allMids', 'order']);
    // 3400.05 * 0.95 = 3230.0475 -> 5 significant figures
    expect(actions(http)[0]!.json.action.orders[0]).toMatchObject({ b: false, p: '3230', s: '0.5', t: { limit: { tif: 'Ioc' } } });
  });

  it('limit entries: GTC (ALO when post-only)', async () => {
    const { http, adapter } = setup([exchange('order', { body: fixture('hyperliquid/order-trigger.json') })]);
    await adapter.placeOrder({ symbol: 'SOL/USDT', side: 'buy', type: 'limit', quantity: 2.5, price: 185.25, clientOrderId: 'sig51-e1' });
    await adapter.placeOrder({ symbol: 'SOL/USDT', side: 'buy', type: 'limit', quantity: 2.5, price: 184.5, clientOrderId: 'sig51-e2', postOnly: true });
    const [a, b] = actions(http);
    expect(a!.json.action).toEqual({ type: 'order', orders: [{ a: 2, b: true, p: '185.25', s: '2.5', r: false, t: { limit: { tif: 'Gtc' } }, c: toHyperliquidCloid('sig51-e1') }], grouping: 'na' });
    expect(b!.json.action.orders[0].t).toEqual({ limit: { tif: 'Alo' } });
  });

  it('reduce-only take-profit ladder: ONE order action with all orders', async () => {
    const { http, adapter } = setup([exchange('order', { body: fixture('hyperliquid/order-ladder.json') })]);
    const ladder = [99000, 100000, 101000].map((price, i) => ({ symbol: 'BTC/USDT', side: 'sell' as const, type: 'limit' as const, quantity: 0.003, price, reduceOnly: true, clientOrderId: `sig42-tp${i + 1}` }));
    const results = await adapter.placeOrders(ladder);
    const sent = actions(http);
    expect(sent).toHaveLength(1);
    expectSignedAction(sent[0]!);
    expect(sent[0]!.json.action).toEqual({
      type: 'order',
      orders: ladder.map((l) => ({ a: 0, b: false, p: String(l.price), s: '0.003', r: true, t: { limit: { tif: 'Gtc' } }, c: toHyperliquidCloid(l.clientOrderId) })),
      grouping: 'na',
    });
    expect(results.map((r) => r.ok && r.order.id)).toEqual(['9000000102', '9000000103', '9000000104']);
  });

  it('one failed order in the action: the others are reported placed, the failed one gets its typed error', async () => {
    const { adapter } = setup([exchange('order', { body: fixture('hyperliquid/order-ladder-partial.json') })]);
    const results = await adapter.placeOrders(
      [99000, 100000, 101000].map((price, i) => ({ symbol: 'BTC/USDT', side: 'sell' as const, type: 'limit' as const, quantity: 0.003, price, reduceOnly: true, clientOrderId: `sig42-tp${i + 1}` })),
    );
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    const err = (results[1] as { error: Error }).error;
    expect(err.name).toBe('OrderRejected');
    expect(err.message).toContain('Reduce only order would increase position');
  });

  it('moving the stop-loss: new positionTpsl stop first (size 0 = whole position), then the old stop is cancelled', async () => {
    const { http, adapter } = setup([
      exchange('order', { body: fixture('hyperliquid/order-trigger.json') }),
      exchange('cancel', { body: fixture('hyperliquid/cancel-ok.json') }),
    ]);
    await adapter.setPositionProtection('BTC/USDT', 'long', { stopLoss: 96500, clientOrderId: 'sig42-be' });
    const [place, cancel] = actions(http);
    expect(place!.json.action).toEqual({
      type: 'order',
      orders: [{ a: 0, b: false, p: '91675', s: '0', r: true, t: { trigger: { isMarket: true, triggerPx: '96500', tpsl: 'sl' } }, c: toHyperliquidCloid('sig42-be:sl') }],
      grouping: 'positionTpsl',
    });
    expect(cancel!.json.action).toEqual({ type: 'cancel', cancels: [{ a: 0, o: 9000000101 }] });
    expectSignedAction(cancel!);
  });

  it('partial close: reduce-only IOC for the quantity; full close reads the position size', async () => {
    const { http, adapter } = setup([exchange('order', { body: fixture('hyperliquid/order-entry-with-tpsl.json') })]);
    await adapter.closePosition('BTC/USDT', 'long', { quantity: 0.004, clientOrderId: 'sig42-c1' });
    await adapter.closePosition('1000PEPE/USDT', 'short', { clientOrderId: 'sig60-c' });
    const [partial, full] = actions(http);
    expect(partial!.json.action.orders).toEqual([{ a: 0, b: false, p: '92160', s: '0.004', r: true, t: { limit: { tif: 'Ioc' } }, c: toHyperliquidCloid('sig42-c1') }]);
    expect(full!.json.action.orders[0]).toMatchObject({ a: 3, b: true, s: '50000', r: true, t: { limit: { tif: 'Ioc' } } });
  });

  it('leverage and margin mode: one updateLeverage action carrying isCross; setLeverage keeps the mode set before', async () => {
    const { http, adapter } = setup([exchange('updateLeverage', { body: fixture('hyperliquid/default-ok.json') })]);
    await adapter.setMarginMode('ETH/USDT', 'isolated', 5);
    await adapter.setLeverage('ETH/USDT', 7);
    await adapter.setLeverage('SOL/USDT', 3);
    expect(actions(http).map((r) => r.json.action)).toEqual([
      { type: 'updateLeverage', asset: 1, isCross: false, leverage: 5 },
      { type: 'updateLeverage', asset: 1, isCross: false, leverage: 7 },
      { type: 'updateLeverage', asset: 2, isCross: true, leverage: 3 },
    ]);
    await expect(adapter.setLeverage('ETH/USDT', 26)).rejects.toMatchObject({ name: 'ValidationError' });
  });

  it('cancel by client order id uses cancelByCloid; an order already gone is success', async () => {
    const { http, adapter } = setup([exchange('cancelByCloid', { body: fixture('hyperliquid/cancel-gone.json') })]);
    await expect(adapter.cancelOrder('BTC/USDT', { clientOrderId: 'sig42-tp1' })).resolves.toBeUndefined();
    expect(actions(http)[0]!.json.action).toEqual({ type: 'cancelByCloid', cancels: [{ asset: 0, cloid: toHyperliquidCloid('sig42-tp1') }] });
  });

  it('fetchOrder by client order id asks orderStatus with the same cloid; unknown -> null', async () => {
    const { http, adapter } = setup([
      infoRoute('orderStatus', { body: fixture('hyperliquid/order-status-unknown.json') }),
      { method: 'POST', path: '/info', when: (r) => r.json?.type === 'orderStatus' && r.json?.oid === toHyperliquidCloid('sig42-entry'), reply: { body: fixture('hyperliquid/order-status-filled.json') } },
    ]);
    const o = await adapter.fetchOrder('BTC/USDT', { clientOrderId: 'sig42-entry' });
    expect(o).toMatchObject({ id: '9000000001', status: 'filled', filled: 0.01, side: 'buy' });
    expect(await adapter.fetchOrder('BTC/USDT', { clientOrderId: 'never-sent' })).toBeNull();
    expect(http.requests.filter(info('orderStatus')).map((r) => r.json)).toEqual([
      { type: 'orderStatus', user: WALLET, oid: toHyperliquidCloid('sig42-entry') },
      { type: 'orderStatus', user: WALLET, oid: toHyperliquidCloid('never-sent') },
    ]);
  });

  it('positions carry the resting stop-loss; balance is USDC', async () => {
    const { adapter } = setup();
    const positions = await adapter.fetchPositions();
    expect(positions).toEqual([
      expect.objectContaining({ symbol: 'BTC/USDT', side: 'long', quantity: 0.01, leverage: 10, marginMode: 'cross', stopLoss: 95000, takeProfit: null }),
      expect.objectContaining({ symbol: '1000PEPE/USDT', side: 'short', quantity: 50000, leverage: 5, marginMode: 'isolated', stopLoss: null }),
    ]);
    expect(await adapter.fetchBalance()).toEqual({ currency: 'USDC', total: 1250.5, used: 97.015, free: 1153.485 });
  });
});

describe('hyperliquid adapter: credentials', () => {
  it('verifyCredentials: the API wallet derived from the key must be an agent of the wallet address', async () => {
    const { http, adapter } = setup([
      infoRoute('userRole', { body: fixture('hyperliquid/user-role-agent.json') }),
      infoRoute('extraAgents', { body: fixture('hyperliquid/extra-agents.json') }),
    ]);
    expect(await adapter.verifyCredentials()).toEqual({ readOnly: false, canTrade: true, canWithdraw: false, ipBound: null, expiresAt: 1767225600000 });
    expect(http.requests.find(info('userRole'))!.json).toEqual({ type: 'userRole', user: AGENT });
  });

  it('a key that is not approved for the address is AuthFailed', async () => {
    const { adapter } = setup([infoRoute('userRole', { body: fixture('hyperliquid/user-role-missing.json') })]);
    await expect(adapter.verifyCredentials()).rejects.toMatchObject({ name: 'AuthFailed', message: expect.stringContaining(AGENT) });
  });

  it("the main wallet's own key is reported as able to withdraw", async () => {
    const { http, adapter } = setup([], { walletAddress: AGENT });
    expect(await adapter.auditKey()).toMatchObject({ canWithdraw: true });
    expect(http.requests).toHaveLength(0);
  });
});

describe('hyperliquid adapter: typed errors from realistic answers', () => {
  const order = { symbol: 'BTC/USDT', side: 'buy' as const, type: 'market' as const, quantity: 0.01, price: 97000, clientOrderId: 'err-1' };
  it.each([
    ['unknown API wallet', { body: fixture('hyperliquid/err-unknown-wallet.json') } as Reply, 'AuthFailed'],
    ['insufficient margin', { body: fixture('hyperliquid/order-insufficient-margin.json') } as Reply, 'InsufficientFunds'],
    ['below $10', { body: fixture('hyperliquid/order-min-value.json') } as Reply, 'InvalidOrderSize'],
    ['IOC outside the slippage bound', { body: fixture('hyperliquid/order-ioc-no-match.json') } as Reply, 'SlippageExceeded'],
    ['HTTP 429', { status: 429, body: 'null' } as Reply, 'RateLimited'],
    ['HTTP 500', { status: 500, body: 'Internal Server Error' } as Reply, 'ExchangeUnavailable'],
    ['timeout', 'timeout' as Reply, 'NetworkTimeout'],
  ])('%s', async (_name, reply, expected) => {
    const { adapter } = setup([exchange('order', reply)], { timeoutMs: 50 });
    const err = await adapter.placeOrder(order).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.name).toBe(expected);
    expect(err?.message).toMatch(/^hyperliquid placeOrder on BTC\/USDT: /);
    expect(err?.message).not.toContain(AGENT_KEY.slice(2));
  });

  it('slippage rejection says so clearly', async () => {
    const { adapter } = setup([exchange('order', { body: fixture('hyperliquid/order-ioc-no-match.json') })]);
    await expect(adapter.placeOrder(order)).rejects.toThrow(/could not fill within the slippage bound/);
  });

  it('an attached stop that is rejected after the entry filled is not hidden', async () => {
    const body = { status: 'ok', response: { type: 'order', data: { statuses: [{ filled: { totalSz: '0.01', avgPx: '97012.4', oid: 9000000001 } }, { error: 'Invalid TP/SL price. asset=0' }] } } };
    const { adapter } = setup([exchange('order', { body })]);
    await expect(adapter.placeOrder({ ...order, stopLoss: 98000 })).rejects.toMatchObject({ name: 'OrderRejected', details: { entryPlaced: true, entryOrderId: '9000000001' } });
  });
});

describe('hyperliquid adapter: amending trigger orders', () => {
  const triggerStatus = (orderType: string, oid: number, triggerPx: string, limitPx: string) => ({
    status: 'order',
    order: {
      order: {
        coin: 'BTC', side: 'A', limitPx, sz: '0.01', oid, timestamp: 1735689600200, triggerCondition: `Price above ${triggerPx}`, isTrigger: true,
        triggerPx, children: [], isPositionTpsl: false, reduceOnly: true, orderType, origSz: '0.01', tif: null, cloid: null,
      },
      status: 'open',
      statusTimestamp: 1735689600201,
    },
  });
  const modified = (oid: number) => ({ status: 'ok', response: { type: 'batchModify', data: { statuses: [{ resting: { oid } }] } } });

  it('a take-profit trigger moved to a new price stays a take-profit (tpsl "tp")', async () => {
    const { http, adapter } = setup([
      infoRoute('orderStatus', { body: triggerStatus('Take Profit Market', 9000000201, '99000.0', '94050.0') }),
      exchange('batchModify', { body: modified(9000000202) }),
    ]);
    const o = await adapter.amendOrder('BTC/USDT', '9000000201', { triggerPrice: 99500 });
    const [modify] = actions(http);
    expectSignedAction(modify!);
    const wireOrder = modify!.json.action.modifies[0].order;
    expect(modify!.json.action.modifies[0].oid).toBe(9000000201);
    // Market trigger: the slippage bound comes from the new trigger price (99500 x 0.95), as for placeOrder's children.
    expect(wireOrder).toMatchObject({ a: 0, b: false, p: '94525', s: '0.01', r: true, t: { trigger: { isMarket: true, triggerPx: '99500', tpsl: 'tp' } } });
    expect(o).toMatchObject({ id: '9000000202', triggerPrice: 99500 });
  });

  it('a stop-loss trigger stays a stop-loss (tpsl "sl")', async () => {
    const { http, adapter } = setup([
      infoRoute('orderStatus', { body: triggerStatus('Stop Market', 9000000301, '95000.0', '94050.0') }),
      exchange('batchModify', { body: modified(9000000302) }),
    ]);
    await adapter.amendOrder('BTC/USDT', '9000000301', { triggerPrice: 96000 });
    expect(actions(http)[0]!.json.action.modifies[0].order.t).toEqual({ trigger: { isMarket: true, triggerPx: '96000', tpsl: 'sl' } });
  });

  it('a trigger price for a plain limit order is refused before sending', async () => {
    const { http, adapter } = setup([infoRoute('orderStatus', { body: fixture('hyperliquid/order-status-filled.json') })]);
    await expect(adapter.amendOrder('BTC/USDT', '9000000001', { triggerPrice: 96000 })).rejects.toMatchObject({ name: 'ValidationError' });
    expect(actions(http)).toHaveLength(0);
  });

  it.each([
    ['Take Profit Market', 'tp'],
    ['Take Profit Limit', 'tp'],
    ['Stop Market', 'sl'],
    ['Stop Limit', 'sl'],
    ['Limit', null],
    [undefined, null],
  ])('triggerKind(%s) = %s', (orderType, kind) => {
    expect(triggerKind(orderType)).toBe(kind);
  });
});

describe('hyperliquid adapter: cancel all', () => {
  it("cancelAllOrders reads the open orders once and cancels the symbol's orders in ONE cancel action", async () => {
    const { http, adapter } = setup([exchange('cancel', { body: fixture('hyperliquid/cancel-ok.json') })]);
    await adapter.cancelAllOrders('BTC/USDT');
    expect(http.requests.map((r) => r.json?.action?.type ?? r.json?.type)).toEqual(['metaAndAssetCtxs', 'frontendOpenOrders', 'cancel']);
    expect(http.requests.find(info('frontendOpenOrders'))!.json).toEqual({ type: 'frontendOpenOrders', user: WALLET });
    const [cancel] = actions(http);
    expectSignedAction(cancel!);
    expect(cancel!.json.action).toEqual({ type: 'cancel', cancels: [{ a: 0, o: 9000000101 }, { a: 0, o: 9000000102 }] });
  });

  it('no open order on the symbol: no action is sent', async () => {
    const { http, adapter } = setup();
    await adapter.cancelAllOrders('ETH/USDT');
    expect(actions(http)).toHaveLength(0);
  });

  it('orders already gone while cancelling all is success', async () => {
    const { adapter } = setup([exchange('cancel', { body: fixture('hyperliquid/cancel-gone.json') })]);
    await expect(adapter.cancelAllOrders('BTC/USDT')).resolves.toBeUndefined();
  });
});

describe('hyperliquid adapter: prepare', () => {
  it('probes the account abstraction (userAbstraction) once before the first balance read, and nothing for other ops', async () => {
    const { http, adapter } = setup();
    await adapter.prepare('fetchPositions');
    await adapter.prepare('fetchBalance');
    await adapter.fetchBalance();
    await adapter.prepare('fetchBalance');
    await adapter.fetchBalance();
    expect(http.requests.map((r) => r.json?.type)).toEqual(['metaAndAssetCtxs', 'userAbstraction', 'clearinghouseState', 'clearinghouseState']);
  });
});
