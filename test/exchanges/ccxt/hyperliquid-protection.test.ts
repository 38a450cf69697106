/**
 * HyperLiquid stops and take-profits (review findings C2, M4, M9) against a
 * real ccxt.hyperliquid whose HTTP goes to a fake fetch:
 * - standalone reduce-only trigger orders (a grid's sized stop, a
 *   take-profit trigger) go out as HyperLiquid `trigger` orders, grouping
 *   `na`; conditional entries are still refused;
 * - setPositionProtection replaces only the position's own protection, never
 *   another trigger on the coin, and is idempotent by client order id;
 * - an entry's attached children can be cancelled by their derived id.
 *
 * Keys: the public Hardhat development key #0 as the API wallet, dev address
 * #1 as the main wallet — never a real account.
 */
import { describe, expect, it } from 'vitest';
import {
  PROTECTION_CLOID_TAG,
  createHyperliquidAdapter,
  isProtectionCloid,
  protectionClientOrderId,
  toHyperliquidCloid,
  triggerTpsl,
} from '../../../exchanges/ccxt/hyperliquid.js';
import { requestOf } from '../../../services/grid/service.js';
import type { GridOrder } from '../../../services/grid/core.js';
import { fakeHttp, fixture, type FakeHttp, type RecordedRequest, type Reply, type Route } from './fake-http.js';

const WALLET = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
const AGENT_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const BASE = 'http://127.0.0.1:18090';

const act = (type: string) => (r: RecordedRequest) => r.json?.action?.type === type;
const exchange = (type: string, reply: Reply | ((r: RecordedRequest) => Reply), once = false): Route => ({ method: 'POST', path: '/exchange', when: act(type), reply, once });
const infoRoute = (type: string, reply: Reply): Route => ({ method: 'POST', path: '/info', when: (r) => r.json?.type === type, reply });
const waiting: Reply = { body: fixture('hyperliquid/order-trigger.json') };
const orderError = (error: string): Reply => ({ body: { status: 'ok', response: { type: 'order', data: { statuses: [{ error }] } } } });

function setup(extra: Route[] = [], openOrders: unknown = fixture('hyperliquid/frontend-open-orders-mixed.json')) {
  const http = fakeHttp([
    infoRoute('metaAndAssetCtxs', { body: fixture('hyperliquid/meta-and-asset-ctxs.json') }),
    infoRoute('allMids', { body: fixture('hyperliquid/all-mids.json') }),
    infoRoute('clearinghouseState', { body: fixture('hyperliquid/clearinghouse-state.json') }),
    infoRoute('frontendOpenOrders', { body: openOrders }),
    ...extra,
  ]);
  const adapter = createHyperliquidAdapter({
    accountId: 'acc-hl',
    environment: 'mainnet',
    credentials: { walletAddress: WALLET, privateKey: AGENT_KEY },
    apiUrl: BASE,
    fetchImpl: http.fetch,
    timeoutMs: 2_000,
  });
  return { http, adapter };
}

const actions = (http: FakeHttp) => http.requests.filter((r) => r.path === '/exchange').map((r) => r.json.action);

describe('hyperliquid: standalone reduce-only trigger orders', () => {
  it("a grid's stop of a given size: ONE order action, a market `sl` trigger, grouping na, slippage-bounded price", async () => {
    const { http, adapter } = setup([exchange('order', waiting)]);
    const o = await adapter.placeOrder({
      symbol: 'BTC/USDT',
      side: 'sell',
      type: 'market',
      quantity: 0.012,
      triggerPrice: 95000,
      triggerDirection: 'below',
      reduceOnly: true,
      clientOrderId: 'grid9-c1-sl1',
    });
    expect(actions(http)).toEqual([
      {
        type: 'order',
        // 95000 x (1 - 0.05) = 90250: the IOC bound once it triggers
        orders: [{ a: 0, b: false, p: '90250', s: '0.012', r: true, t: { trigger: { isMarket: true, triggerPx: '95000', tpsl: 'sl' } }, c: toHyperliquidCloid('grid9-c1-sl1') }],
        grouping: 'na',
      },
    ]);
    expect(o).toMatchObject({ status: 'open', clientOrderId: 'grid9-c1-sl1', type: 'market', triggerPrice: 95000, reduceOnly: true, quantity: 0.012 });
    // Not a protection id: the position's own stop logic never touches it.
    expect(isProtectionCloid(actions(http)[0].orders[0].c)).toBe(false);
  });

  it('a take-profit trigger (limit): `tp`, isMarket false, the limit price as given', async () => {
    const { http, adapter } = setup([exchange('order', waiting)]);
    await adapter.placeOrder({ symbol: 'ETH/USDT', side: 'sell', type: 'limit', price: 3495.5, quantity: 0.25, triggerPrice: 3500, triggerDirection: 'above', reduceOnly: true, clientOrderId: 'tp-trig-1' });
    expect(actions(http)).toEqual([
      {
        type: 'order',
        orders: [{ a: 1, b: false, p: '3495.5', s: '0.25', r: true, t: { trigger: { isMarket: false, triggerPx: '3500', tpsl: 'tp' } }, c: toHyperliquidCloid('tp-trig-1') }],
        grouping: 'na',
      },
    ]);
  });

  it("a short's stop is a buy triggered above (`sl`); a batch carries triggers next to plain orders in one action", async () => {
    const { http, adapter } = setup([
      exchange('order', { body: { status: 'ok', response: { type: 'order', data: { statuses: ['waitingForTrigger', { resting: { oid: 9000000401 } }] } } } }),
    ]);
    const results = await adapter.placeOrders([
      { symbol: 'SOL/USDT', side: 'buy', type: 'market', quantity: 3, triggerPrice: 200, triggerDirection: 'above', reduceOnly: true, clientOrderId: 'g-sl' },
      { symbol: 'SOL/USDT', side: 'buy', type: 'limit', price: 180, quantity: 3, reduceOnly: true, clientOrderId: 'g-tp' },
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    expect(actions(http)).toEqual([
      {
        type: 'order',
        orders: [
          { a: 2, b: true, p: '210', s: '3', r: true, t: { trigger: { isMarket: true, triggerPx: '200', tpsl: 'sl' } }, c: toHyperliquidCloid('g-sl') },
          { a: 2, b: true, p: '180', s: '3', r: true, t: { limit: { tif: 'Gtc' } }, c: toHyperliquidCloid('g-tp') },
        ],
        grouping: 'na',
      },
    ]);
  });

  it('the grid core\'s stop-loss, through the grid\'s own request builder, goes out as a HyperLiquid trigger order', async () => {
    const { http, adapter } = setup([exchange('order', waiting)]);
    const stop: GridOrder = {
      key: 'c1-sl1', role: 'stop-loss', level: null, side: 'sell', type: 'market', price: null, triggerPrice: 171.1, triggerDirection: 'below',
      quantity: 5.26, reduceOnly: true, status: 'new', filled: 0, cost: 0, fee: 0,
    };
    await adapter.placeOrder(requestOf('SOL/USDT', stop, 'st-0123456789abcdef0123456789abcdef'));
    expect(actions(http)[0]).toEqual({
      type: 'order',
      orders: [{ a: 2, b: false, p: '162.55', s: '5.26', r: true, t: { trigger: { isMarket: true, triggerPx: '171.1', tpsl: 'sl' } }, c: toHyperliquidCloid('st-0123456789abcdef0123456789abcdef') }],
      grouping: 'na',
    });
  });

  it.each([
    ['not reduce-only (a conditional entry)', { reduceOnly: false, triggerDirection: 'below' as const }, /conditional entries/],
    ['no trigger direction', { reduceOnly: true }, /triggerDirection/],
    ['a trigger with its own attached stop', { reduceOnly: true, triggerDirection: 'below' as const, stopLoss: 90000 }, /cannot carry/],
  ])('refused before sending: %s', async (_name, over, message) => {
    const { http, adapter } = setup([exchange('order', waiting)]);
    await expect(adapter.placeOrder({ symbol: 'BTC/USDT', side: 'sell', type: 'market', quantity: 0.01, triggerPrice: 95000, clientOrderId: 'x1', ...over })).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(message),
    });
    expect(actions(http)).toHaveLength(0);
  });

  it.each([
    ['sell', 'below', 'sl'],
    ['sell', 'above', 'tp'],
    ['buy', 'above', 'sl'],
    ['buy', 'below', 'tp'],
  ] as const)('triggerTpsl(%s, %s) = %s', (side, direction, kind) => {
    expect(triggerTpsl(side, direction)).toBe(kind);
  });
});

describe('hyperliquid: protection cloids', () => {
  it('protection ids carry the tag; no other id ever does', () => {
    expect(toHyperliquidCloid('st-abc:sl')).toMatch(new RegExp(`^0x${PROTECTION_CLOID_TAG}[0-9a-f]{24}$`));
    expect(toHyperliquidCloid('st-abc:tp#2')).toMatch(new RegExp(`^0x${PROTECTION_CLOID_TAG}`));
    expect(toHyperliquidCloid('st-abc:sl')).not.toBe(toHyperliquidCloid('st-abc:tp'));
    // 20,000 other ids: 32 hex digits each, none tagged, all distinct
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const c = toHyperliquidCloid(`st-${i}`);
      if (!/^0x[0-9a-f]{32}$/.test(c) || isProtectionCloid(c)) throw new Error(`st-${i} got ${c}`);
      seen.add(c);
    }
    expect(seen.size).toBe(20_000);
  });
});

describe('hyperliquid: setPositionProtection touches only the position\'s own protection (M4)', () => {
  it("moving the stop cancels the position's previous stops and leaves the grid's stop, the take-profit, other coins and plain orders alone", async () => {
    const { http, adapter } = setup([exchange('order', waiting), exchange('cancel', { body: fixture('hyperliquid/cancel-ok.json') })]);
    await adapter.setPositionProtection('BTC/USDT', 'long', { stopLoss: 96500, clientOrderId: 'sig42-sl-1-9650000000000' });
    expect(actions(http)).toEqual([
      {
        type: 'order',
        orders: [{ a: 0, b: false, p: '91675', s: '0', r: true, t: { trigger: { isMarket: true, triggerPx: '96500', tpsl: 'sl' } }, c: toHyperliquidCloid(protectionClientOrderId('sig42-sl-1-9650000000000', 'sl')) }],
        grouping: 'positionTpsl',
      },
      // 9000000101: position TP/SL; 9000000111: our earlier protection. Not 9000000121 (a grid's sized stop), 9000000131 (TP), 9000000141 (ETH), 9000000151 (plain).
      { type: 'cancel', cancels: [{ a: 0, o: 9000000101 }, { a: 0, o: 9000000111 }] },
    ]);
  });

  it('removing the take-profit cancels only the position take-profit', async () => {
    const { http, adapter } = setup([exchange('cancel', { body: fixture('hyperliquid/cancel-ok.json') })]);
    await adapter.setPositionProtection('BTC/USDT', 'long', { takeProfit: null });
    expect(actions(http)).toEqual([{ type: 'cancel', cancels: [{ a: 0, o: 9000000131 }] }]);
  });

  it("positions report only the position's protection as their stop: a grid's own stop is not the position's", async () => {
    const gridStopOnly = fixture('hyperliquid/frontend-open-orders-mixed.json').filter((o: any) => o.oid === 9000000121);
    const { adapter } = setup([], gridStopOnly);
    expect((await adapter.fetchPositions(['BTC/USDT']))[0]).toMatchObject({ symbol: 'BTC/USDT', quantity: 0.01, stopLoss: null, takeProfit: null });
    // With the mixed book: the position's stops are 95000 and 94000 (the closer one protects first), TP 99000.
    const { adapter: mixed } = setup();
    expect((await mixed.fetchPositions(['BTC/USDT']))[0]).toMatchObject({ stopLoss: 95000, takeProfit: 99000 });
  });
});

describe('hyperliquid: restoring a stop under the same client order id', () => {
  const id = 'sig42-sl-1-9650000000000';
  const live = (cloid: string, triggerPx: string) => ({
    coin: 'BTC', side: 'A', limitPx: '91675.0', sz: '0.0', oid: 9000000201, timestamp: 1735689600500, triggerCondition: `Price below ${triggerPx}`,
    isTrigger: true, triggerPx, children: [], isPositionTpsl: true, reduceOnly: true, orderType: 'Stop Market', origSz: '0.0', tif: null, cloid,
  });

  it('the same id still resting with the same stop (an earlier attempt landed) is success: nothing is sent or cancelled', async () => {
    const { http, adapter } = setup([], [live(toHyperliquidCloid(`${id}:sl`), '96500.0')]);
    await expect(adapter.setPositionProtection('BTC/USDT', 'long', { stopLoss: 96500, clientOrderId: id })).resolves.toBeUndefined();
    expect(actions(http)).toEqual([]);
  });

  it('a duplicate-cloid refusal for a finished order with that id: placed under the next derived id, then the old stop goes', async () => {
    // HyperLiquid does not document cloid reuse; this answer's wording is assumed.
    // (later routes answer first: the refusal once, then the acceptance)
    const { http, adapter } = setup([
      exchange('order', waiting),
      exchange('order', orderError('Order has duplicate cloid.'), true),
      exchange('cancel', { body: fixture('hyperliquid/cancel-ok.json') }),
    ]);
    await adapter.setPositionProtection('BTC/USDT', 'long', { stopLoss: 96500, clientOrderId: id });
    const sent = actions(http);
    expect(sent.map((a) => a.type)).toEqual(['order', 'order', 'cancel']);
    expect(sent[0].orders[0].c).toBe(toHyperliquidCloid(`${id}:sl`));
    expect(sent[1].orders[0]).toMatchObject({ c: toHyperliquidCloid(`${id}:sl#1`), t: { trigger: { triggerPx: '96500', tpsl: 'sl' } } });
    expect(isProtectionCloid(sent[1].orders[0].c)).toBe(true);
    expect(sent[2]).toEqual({ type: 'cancel', cancels: [{ a: 0, o: 9000000101 }, { a: 0, o: 9000000111 }] });
  });

  it('a duplicate-cloid refusal while the order with that id is resting (seen on the second look) is success', async () => {
    let looks = 0;
    const http = setup([
      exchange('order', orderError('Order has duplicate cloid.')),
      { method: 'POST', path: '/info', when: (r) => r.json?.type === 'frontendOpenOrders', reply: () => ({ body: looks++ === 0 ? [] : [live(toHyperliquidCloid(`${id}:sl`), '96500.0')] }) },
    ]);
    await expect(http.adapter.setPositionProtection('BTC/USDT', 'long', { stopLoss: 96500, clientOrderId: id })).resolves.toBeUndefined();
    expect(actions(http.http).map((a) => a.type)).toEqual(['order']);
  });

  it('the same id resting at another price: the new stop goes under the next id, the old one is cancelled', async () => {
    const { http, adapter } = setup([exchange('order', waiting), exchange('cancel', { body: fixture('hyperliquid/cancel-ok.json') })], [live(toHyperliquidCloid(`${id}:sl`), '96000.0')]);
    await adapter.setPositionProtection('BTC/USDT', 'long', { stopLoss: 96500, clientOrderId: id });
    const sent = actions(http);
    expect(sent[0].orders[0].c).toBe(toHyperliquidCloid(`${id}:sl#1`));
    expect(sent[1]).toEqual({ type: 'cancel', cancels: [{ a: 0, o: 9000000201 }] });
  });

  it('any other refusal is thrown and the old stop stays', async () => {
    const { http, adapter } = setup([exchange('order', orderError('Invalid TP/SL price. asset=0'))]);
    await expect(adapter.setPositionProtection('BTC/USDT', 'long', { stopLoss: 96500, clientOrderId: id })).rejects.toMatchObject({ name: 'OrderRejected' });
    expect(actions(http).map((a) => a.type)).toEqual(['order']);
  });
});

describe('hyperliquid: attached children can be cancelled by their derived id (M9)', () => {
  it("cancelOrder({ clientOrderId: `${entry}:sl` }) cancels exactly the entry's stop child; already gone is success", async () => {
    const { http, adapter } = setup([
      exchange('order', { body: fixture('hyperliquid/order-entry-with-tpsl.json') }),
      exchange('cancelByCloid', { body: fixture('hyperliquid/cancel-gone.json') }),
    ]);
    await adapter.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: 0.01, price: 97000, clientOrderId: 'st-entry', stopLoss: 95000, takeProfit: 99000 });
    const [entry] = actions(http);
    const [, tpChild, slChild] = entry.orders;
    await adapter.cancelOrder('BTC/USDT', { clientOrderId: protectionClientOrderId('st-entry', 'sl') });
    await adapter.cancelOrder('BTC/USDT', { clientOrderId: protectionClientOrderId('st-entry', 'tp') });
    const cancels = actions(http).slice(1);
    expect(cancels).toEqual([
      { type: 'cancelByCloid', cancels: [{ asset: 0, cloid: slChild.c }] },
      { type: 'cancelByCloid', cancels: [{ asset: 0, cloid: tpChild.c }] },
    ]);
    expect([tpChild.c, slChild.c].every(isProtectionCloid)).toBe(true);
    expect(isProtectionCloid(entry.orders[0].c)).toBe(false);
  });
});
