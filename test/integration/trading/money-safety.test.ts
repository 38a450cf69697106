/**
 * Money-safety review findings (C1, H1–H6, M3, M5, M6, M9), each as a scenario
 * on the Paper exchange behind the real registry/unified client, with a test
 * double wrapping the adapter where a failure is injected.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { trades as tradesRepo } from '../../../db/index.js';
import type { ExchangeAdapter } from '../../../exchanges/index.js';
import type { PaperAdapter } from '../../../exchanges/paper/index.js';
import { ExchangeUnavailable, NetworkTimeout, OrderRejected, type Order, type OrderRequest, type PositionSide } from '../../../models/index.js';
import { clientOrderId } from '../../../services/ids.js';
import { createHarness, signal, type Harness } from './harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const REQUESTS = new Set([
  'fetchTicker', 'fetchPositions', 'fetchOpenOrders', 'fetchOrder', 'placeOrder', 'placeOrders', 'amendOrder', 'cancelOrder', 'cancelAllOrders',
  'setLeverage', 'setMarginMode', 'setPositionProtection', 'closePosition',
]);

type Override = (paper: PaperAdapter, ...args: never[]) => Promise<unknown>;

/** Wraps every account's adapter: records requests; `set(op, fn)` replaces one operation until `heal(op)`. */
function faults() {
  const overrides = new Map<string, Override>();
  const calls: { account: string; op: string; args: unknown[] }[] = [];
  const wrap = (accountId: string, paper: PaperAdapter): ExchangeAdapter =>
    new Proxy(paper, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== 'function' || !REQUESTS.has(String(prop))) return v;
        return (...args: unknown[]) => {
          calls.push({ account: accountId, op: String(prop), args });
          const o = overrides.get(String(prop));
          return o ? (o as (p: PaperAdapter, ...a: unknown[]) => Promise<unknown>)(target, ...args) : (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    }) as ExchangeAdapter;
  return {
    wrap,
    calls,
    set: (op: string, fn: Override) => void overrides.set(op, fn),
    heal: (op?: string) => (op ? void overrides.delete(op) : overrides.clear()),
    count: (op: string) => calls.filter((c) => c.op === op).length,
    clear: () => void calls.splice(0, calls.length),
  };
}

const down = (op: string) => () => Promise.reject(new ExchangeUnavailable('exchange down', { exchange: 'paper', operation: op }));
const stopRefused = () => Promise.reject(new OrderRejected('stop refused', { exchange: 'paper', operation: 'setPositionProtection' }));

/** HyperLiquid's answer when the entry went out but its attached stop did not. */
function entryPlacedError(o: Order, r: OrderRequest): OrderRejected {
  return new OrderRejected(`entry ${o.id} placed but an attached stop-loss/take-profit was rejected`, {
    exchange: 'hyperliquid',
    operation: 'placeOrder',
    details: { entryPlaced: true, entryOrderId: o.id, clientOrderId: r.clientOrderId },
  });
}

const plain = (r: OrderRequest): OrderRequest => {
  const { stopLoss: _sl, takeProfit: _tp, ...rest } = r;
  return rest as OrderRequest;
};

async function position(h: Harness, accountId: number, symbol = 'BTC/USDT') {
  return (await h.paper(accountId).fetchPositions([symbol]))[0] ?? null;
}

async function tradeOf(h: Harness, tradeId: number) {
  return (await tradesRepo.findTrade(h.db, tradeId))!;
}

/** What the user was told, reconciliation's discrepancy reports left out. */
const told = (h: Harness, userId: number) => h.notifier.of(userId).filter((e) => e.type !== 'reconcile-discrepancy');
const types = (h: Harness, userId: number) => told(h, userId).map((e) => e.type);

describe('C1: entry placed, attached stop refused (HyperLiquid entryPlaced)', () => {
  it('adopts the placed entry and protects it with a position stop; the trade is open and tracked', async () => {
    const f = faults();
    h = await createHarness({ wrap: f.wrap });
    f.set('placeOrder', (async (t: PaperAdapter, r: OrderRequest) => {
      if (r.stopLoss === undefined) return t.placeOrder(r);
      throw entryPlacedError(await t.placeOrder(plain(r)), r);
    }) as Override);
    const u = await h.addUser();
    const r = await h.post('1', signal());
    expect(r.fanout!.outcomes[0]).toMatchObject({ status: 'opened' });
    const tradeId = (r.fanout!.outcomes[0] as { tradeId: number }).tradeId;
    expect(await position(h, u.accountId)).toMatchObject({ quantity: 0.004, stopLoss: 49_000 });
    expect((await tradeOf(h, tradeId)).status).toBe('open');
    const entry = (await tradesRepo.listOrdersOfTrade(h.db, tradeId)).find((o) => o.role === 'entry')!;
    expect(entry.status).toBe('filled');
    // The ladder goes out too (the single-target shortcut rode on the refused attachment).
    expect((await h.paper(u.accountId).fetchOpenOrders('BTC/USDT')).filter((o) => o.reduceOnly)).toHaveLength(3);
    expect(types(h, u.userId)).toEqual(['trade-opened']);
  });

  it('protects the position at once when the placed entry cannot be looked up', async () => {
    const f = faults();
    h = await createHarness({ wrap: f.wrap });
    f.set('placeOrder', (async (t: PaperAdapter, r: OrderRequest) => {
      if (r.stopLoss === undefined) return t.placeOrder(r);
      throw entryPlacedError(await t.placeOrder(plain(r)), r);
    }) as Override);
    f.set('fetchOrder', down('fetchOrder'));
    const u = await h.addUser();
    const r = await h.post('1', signal());
    const tradeId = (r.fanout!.outcomes[0] as { tradeId: number }).tradeId;
    expect(r.fanout!.outcomes[0]).toMatchObject({ status: 'opened' });
    expect(await position(h, u.accountId)).toMatchObject({ quantity: 0.004, stopLoss: 49_000 });
    expect((await tradesRepo.listOrdersOfTrade(h.db, tradeId)).find((o) => o.role === 'entry')).toMatchObject({ status: 'unknown', exchange_order_id: 'paper-1' });
    // The look-up works again: the entry row is resolved, the trade stays open.
    f.heal();
    await h.trading.trackOpen();
    expect((await tradesRepo.listOrdersOfTrade(h.db, tradeId)).find((o) => o.role === 'entry')).toMatchObject({ status: 'filled' });
    expect((await tradeOf(h, tradeId)).status).toBe('open');
  });

  it('closes the adopted position when the position stop is refused too', async () => {
    const f = faults();
    h = await createHarness({ wrap: f.wrap });
    f.set('placeOrder', (async (t: PaperAdapter, r: OrderRequest) => {
      if (r.stopLoss === undefined) return t.placeOrder(r);
      throw entryPlacedError(await t.placeOrder(plain(r)), r);
    }) as Override);
    f.set('setPositionProtection', stopRefused);
    const u = await h.addUser();
    const r = await h.post('1', signal());
    const tradeId = (r.fanout!.outcomes[0] as { tradeId: number }).tradeId;
    expect(await position(h, u.accountId)).toBeNull();
    expect(await tradeOf(h, tradeId)).toMatchObject({ status: 'closed', close_reason: 'stop-failed' });
    expect(types(h, u.userId)).toEqual(['stop-failed-closed', 'trade-closed']);
  });

  it('never leaves a placed limit entry behind a failed trade: the batch item that went out is tracked and can be cancelled', async () => {
    const f = faults();
    h = await createHarness({ wrap: f.wrap });
    f.set('placeOrders', (async (t: PaperAdapter, reqs: OrderRequest[]) => {
      const out = [];
      for (const [i, r] of reqs.entries()) {
        if (i === 0) out.push({ ok: false, error: entryPlacedError(await t.placeOrder(plain(r)), r), request: r });
        else out.push({ ok: false, error: new OrderRejected('refused', { exchange: 'paper', operation: 'placeOrders' }), request: r });
      }
      return out;
    }) as Override);
    const u = await h.addUser({ settings: { sizeValue: 100 } });
    const r = await h.post('1', signal({ entries: [49_900, 49_500], entryMarket: false }));
    const tradeId = (r.fanout!.outcomes[0] as { tradeId: number }).tradeId;
    expect(r.fanout!.outcomes[0]).toMatchObject({ status: 'placed' });
    expect((await tradeOf(h, tradeId)).status).toBe('opening');
    expect(await h.paper(u.accountId).fetchOpenOrders('BTC/USDT')).toHaveLength(1);
    // It fills later: the position gets its stop from the position (nothing was attached).
    h.feed.set('BTC/USDT', 49_880);
    await h.trading.trackOpen();
    expect(await position(h, u.accountId)).toMatchObject({ stopLoss: 49_000 });
    expect((await tradeOf(h, tradeId)).status).toBe('open');
  });
});

describe('H1: the emergency close fails', () => {
  it('tells the user to act (critical), keeps the trade closing, and the tracking loop closes it once the exchange accepts', async () => {
    const f = faults();
    h = await createHarness({ options: { attachStops: { paper: false } }, wrap: f.wrap });
    f.set('setPositionProtection', stopRefused);
    f.set('closePosition', down('closePosition'));
    const u = await h.addUser();
    const r = await h.post('1', signal());
    const tradeId = (r.fanout!.outcomes[0] as { tradeId: number }).tradeId;
    expect(await position(h, u.accountId)).toMatchObject({ quantity: 0.004, stopLoss: null });
    expect((await tradeOf(h, tradeId)).status).toBe('closing');
    expect(types(h, u.userId)).toEqual(['stop-failed-close-failed']);
    expect(h.notifier.of(u.userId)[0]).toMatchObject({ severity: 'critical', reason: 'stop-failed', remaining: 0.004 });

    // Still down: retried, not re-announced every tick.
    h.clock.advance(60_000);
    await h.trading.trackOpen();
    expect(types(h, u.userId)).toEqual(['stop-failed-close-failed']);
    expect((await tradeOf(h, tradeId)).status).toBe('closing');

    f.heal('closePosition');
    h.clock.advance(180_000);
    await h.trading.trackOpen();
    expect(await position(h, u.accountId)).toBeNull();
    expect(await tradeOf(h, tradeId)).toMatchObject({ status: 'closed', close_reason: 'stop-failed' });
    expect(types(h, u.userId)).toEqual(['stop-failed-close-failed', 'stop-failed-closed', 'trade-closed']);
  });
});

describe('H2: a close that fills only part', () => {
  /** An IOC market close that fills half and cancels the rest. */
  const halfFill = (async (t: PaperAdapter, symbol: string, side: PositionSide, o: { quantity?: number; clientOrderId: string }) => {
    const [p] = await t.fetchPositions([symbol]);
    const half = Math.floor(((o.quantity ?? p!.quantity) / 2) * 1000) / 1000;
    const filled = await t.closePosition(symbol, side, { quantity: half, clientOrderId: o.clientOrderId });
    return { ...filled, status: 'cancelled', quantity: o.quantity ?? p!.quantity };
  }) as Override;

  it('emergency close: the trade stays closing, the user is told, the next tick closes the rest', async () => {
    const f = faults();
    h = await createHarness({ options: { attachStops: { paper: false } }, wrap: f.wrap });
    f.set('setPositionProtection', stopRefused);
    f.set('closePosition', halfFill);
    const u = await h.addUser({ settings: { sizeValue: 100 } });
    const r = await h.post('1', signal());
    const tradeId = (r.fanout!.outcomes[0] as { tradeId: number }).tradeId;
    expect(await position(h, u.accountId)).toMatchObject({ quantity: 0.01 });
    expect((await tradeOf(h, tradeId)).status).toBe('closing');
    expect(types(h, u.userId)).toEqual(['stop-failed-close-failed']);

    f.heal('closePosition');
    h.clock.advance(5_000);
    await h.trading.trackOpen();
    expect(await position(h, u.accountId)).toBeNull();
    expect(await tradeOf(h, tradeId)).toMatchObject({ status: 'closed', close_reason: 'stop-failed' });
  });

  it('manual close: close-incomplete, the rest keeps its stop, the next tick finishes it', async () => {
    const f = faults();
    h = await createHarness({ wrap: f.wrap });
    const u = await h.addUser({ settings: { sizeValue: 100 } });
    const r = await h.post('1', signal());
    const tradeId = (r.fanout!.outcomes[0] as { tradeId: number }).tradeId;
    f.set('closePosition', halfFill);
    h.notifier.clear();
    expect(await h.trading.closeTrade(u.userId, tradeId)).toMatchObject({ ok: false, reason: 'close-incomplete' });
    expect(await position(h, u.accountId)).toMatchObject({ quantity: 0.01, stopLoss: 49_000 });
    expect((await tradeOf(h, tradeId)).status).toBe('closing');
    expect(h.notifier.of(u.userId)).toMatchObject([{ type: 'close-incomplete', remaining: 0.01, stopLoss: 49_000, reason: 'manual' }]);

    f.heal('closePosition');
    await h.trading.trackOpen();
    expect(await position(h, u.accountId)).toBeNull();
    expect(await tradeOf(h, tradeId)).toMatchObject({ status: 'closed', close_reason: 'manual' });
  });
});

describe('H3: a moved stop reset by a later limit entry', () => {
  it('is put back by the next sync', async () => {
    h = await createHarness();
    const u = await h.addUser({ settings: { sizeValue: 100 } });
    const r = await h.post('1', signal({ entries: [49_900, 49_500], entryMarket: false }));
    const tradeId = (r.fanout!.outcomes[0] as { tradeId: number }).tradeId;
    h.feed.set('BTC/USDT', 49_880);
    await h.trading.trackOpen();
    expect(await h.trading.moveStop(u.userId, tradeId, { price: 49_300 })).toMatchObject({ ok: true });
    expect((await position(h, u.accountId))!.stopLoss).toBe(49_300);
    h.feed.set('BTC/USDT', 49_480);
    // The second entry filled with the stop it was sent with.
    expect(await position(h, u.accountId)).toMatchObject({ quantity: 0.02, stopLoss: 49_000 });
    const report = await h.trading.trackOpen();
    expect(report.discrepancies).toMatchObject([{ kind: 'stop-mismatch', details: { stopLoss: 49_300, onExchange: 49_000 } }]);
    expect((await position(h, u.accountId))!.stopLoss).toBe(49_300);
    // Agreed now: the next tick leaves it alone.
    expect((await h.trading.trackOpen()).discrepancies).toEqual([]);
  });
});

describe('H5: closes are keyed on an idempotency key', () => {
  it('the same close request twice closes once', async () => {
    const f = faults();
    h = await createHarness({ wrap: f.wrap });
    const u = await h.addUser({ settings: { sizeValue: 100 } });
    const r = await h.post('1', signal());
    const tradeId = (r.fanout!.outcomes[0] as { tradeId: number }).tradeId;
    f.clear();
    expect(await h.trading.closeTrade(u.userId, tradeId, 0.5, { requestId: 'msg-7:close-50' })).toMatchObject({ ok: true });
    expect(await h.trading.closeTrade(u.userId, tradeId, 0.5, { requestId: 'msg-7:close-50' })).toMatchObject({ ok: true });
    expect(f.count('closePosition')).toBe(1);
    expect((await position(h, u.accountId))!.quantity).toBe(0.01);
    // Another request is another close.
    await h.trading.closeTrade(u.userId, tradeId, 0.5, { requestId: 'msg-8:close-50' });
    expect((await position(h, u.accountId))!.quantity).toBe(0.005);
  });

  it('an unresolved close is looked up by its id before another one is sent', async () => {
    const f = faults();
    h = await createHarness({ wrap: f.wrap });
    const u = await h.addUser({ settings: { sizeValue: 100 } });
    const r = await h.post('1', signal());
    const tradeId = (r.fanout!.outcomes[0] as { tradeId: number }).tradeId;
    // The close lands (half of it fills) but the answer is lost, and so are the look-ups.
    f.set('closePosition', (async (t: PaperAdapter, symbol: string, side: PositionSide, o: { clientOrderId: string }) => {
      await t.closePosition(symbol, side, { quantity: 0.01, clientOrderId: o.clientOrderId });
      throw new NetworkTimeout('timed out', { exchange: 'paper', operation: 'closePosition' });
    }) as Override);
    f.set('fetchOrder', down('fetchOrder'));
    expect(await h.trading.closeTrade(u.userId, tradeId)).toMatchObject({ ok: false, reason: 'exchange-error' });
    expect((await tradeOf(h, tradeId)).status).toBe('closing');
    const close = (await tradesRepo.listOrdersOfTrade(h.db, tradeId)).filter((o) => o.role === 'close');
    expect(close.map((o) => o.status)).toEqual(['unknown']);

    // Pressed again: the look-up works now and finds it; nothing new is sent for it.
    f.heal();
    f.clear();
    expect(await h.trading.closeTrade(u.userId, tradeId)).toMatchObject({ ok: false, reason: 'close-incomplete' });
    expect(f.count('closePosition')).toBe(0);
    const resolved = (await tradesRepo.listOrdersOfTrade(h.db, tradeId)).filter((o) => o.role === 'close');
    expect(resolved).toMatchObject([{ status: 'filled', filled: '0.01' }]);
    // The next tick closes the rest under a new version.
    await h.trading.trackOpen();
    expect(f.count('closePosition')).toBe(1);
    expect(await position(h, u.accountId)).toBeNull();
    expect((await tradeOf(h, tradeId)).status).toBe('closed');
    expect((await tradesRepo.listOrdersOfTrade(h.db, tradeId)).filter((o) => o.role === 'close').map((o) => o.status)).toEqual(['filled', 'filled']);
  });
});

describe('H6: failed cancels keep the trade from being finalized', () => {
  it('a full close with an entry that cannot be cancelled stays closing until the cancel succeeds', async () => {
    const f = faults();
    h = await createHarness({ wrap: f.wrap });
    const u = await h.addUser({ settings: { sizeValue: 100 } });
    const r = await h.post('1', signal({ entries: [49_900, 49_500], entryMarket: false }));
    const tradeId = (r.fanout!.outcomes[0] as { tradeId: number }).tradeId;
    h.feed.set('BTC/USDT', 49_880);
    await h.trading.trackOpen();
    expect((await tradeOf(h, tradeId)).status).toBe('open');
    f.set('cancelOrder', down('cancelOrder'));
    await h.trading.closeTrade(u.userId, tradeId);
    expect(await position(h, u.accountId)).toBeNull();
    // The second entry is still live on the exchange: not finalized.
    expect((await h.paper(u.accountId).fetchOpenOrders('BTC/USDT')).filter((o) => !o.reduceOnly)).toHaveLength(1);
    expect((await tradeOf(h, tradeId)).status).toBe('closing');

    f.heal();
    await h.trading.trackOpen();
    expect((await h.paper(u.accountId).fetchOpenOrders('BTC/USDT')).filter((o) => !o.reduceOnly)).toEqual([]);
    expect(await tradeOf(h, tradeId)).toMatchObject({ status: 'closed', close_reason: 'manual' });
  });

  it('cancelling entries that cannot be cancelled does not mark the trade cancelled', async () => {
    const f = faults();
    h = await createHarness({ wrap: f.wrap });
    const u = await h.addUser({ settings: { sizeValue: 100 } });
    const r = await h.post('1', signal({ entries: [49_900, 49_500], entryMarket: false }));
    const tradeId = (r.fanout!.outcomes[0] as { tradeId: number }).tradeId;
    f.set('cancelOrder', down('cancelOrder'));
    expect(await h.trading.cancelTrade(u.userId, tradeId)).toMatchObject({ ok: false, code: 'cancel-failed' });
    expect((await tradeOf(h, tradeId)).status).toBe('opening');
    f.heal();
    expect(await h.trading.cancelTrade(u.userId, tradeId)).toMatchObject({ ok: true, status: 'cancelled' });
    expect(await h.paper(u.accountId).fetchOpenOrders('BTC/USDT')).toEqual([]);
  });
});

describe('M3: stop failures that are not what they seem', () => {
  it('a stop request that timed out but landed is not an emergency close', async () => {
    const f = faults();
    h = await createHarness({ options: { attachStops: { paper: false } }, wrap: f.wrap });
    f.set('setPositionProtection', (async (t: PaperAdapter, ...args: Parameters<PaperAdapter['setPositionProtection']>) => {
      await t.setPositionProtection(...args);
      throw new NetworkTimeout('timed out', { exchange: 'paper', operation: 'setPositionProtection' });
    }) as Override);
    const u = await h.addUser();
    const r = await h.post('1', signal());
    const tradeId = (r.fanout!.outcomes[0] as { tradeId: number }).tradeId;
    expect(r.fanout!.outcomes[0]).toMatchObject({ status: 'opened' });
    expect(await position(h, u.accountId)).toMatchObject({ quantity: 0.004, stopLoss: 49_000 });
    expect((await tradeOf(h, tradeId)).status).toBe('open');
  });

  it('a stop moved before the fill to the wrong side of the entry is refused; the stop stays', async () => {
    h = await createHarness();
    const u = await h.addUser({ settings: { sizeValue: 100 } });
    const r = await h.post('1', signal({ entries: [49_900], entryMarket: false }));
    const tradeId = (r.fanout!.outcomes[0] as { tradeId: number }).tradeId;
    expect(await h.trading.moveStop(u.userId, tradeId, { price: 50_500 })).toMatchObject({ ok: false, reason: 'invalid-stop' });
    expect((await tradeOf(h, tradeId)).stop_loss).toBe('49000');
    h.feed.set('BTC/USDT', 49_880);
    await h.trading.trackOpen();
    expect(await tradeOf(h, tradeId)).toMatchObject({ status: 'open', stop_loss: '49000' });
    expect(await position(h, u.accountId)).toMatchObject({ stopLoss: 49_000 });
  });

  it('a stop moved before the fill that the fill makes invalid keeps the stop the entry carried (no close) and tells the user', async () => {
    h = await createHarness();
    const u = await h.addUser({ settings: { sizeValue: 100 } });
    const r = await h.post('1', signal({ entries: [49_900], entryMarket: false }));
    const tradeId = (r.fanout!.outcomes[0] as { tradeId: number }).tradeId;
    expect(await h.trading.moveStop(u.userId, tradeId, { price: 49_850 })).toMatchObject({ ok: true });
    // The price falls through the entry and the moved stop before the next tick.
    h.feed.set('BTC/USDT', 49_700);
    h.notifier.clear();
    await h.trading.trackOpen();
    expect(await position(h, u.accountId)).toMatchObject({ stopLoss: 49_000 });
    expect(await tradeOf(h, tradeId)).toMatchObject({ status: 'open', stop_loss: '49000' });
    expect(told(h, u.userId)).toMatchObject([{ type: 'sl-move-failed', stopLoss: 49_850, kept: 49_000 }, { type: 'trade-opened', stopLoss: 49_000 }]);
  });
});

describe('M5: client order ids are salted per installation', () => {
  it('an order left on the account by an earlier database under the same row ids does not stand in for a new one', async () => {
    h = await createHarness();
    const u = await h.addUser();
    const client = await h.registry.client({ accountId: String(u.accountId), exchange: 'paper', environment: 'mainnet' });
    // The earlier installation's entry of signal 1 for user 1 (unsalted id), still resting.
    const old = await client.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'limit', price: 40_000, quantity: 0.004, clientOrderId: clientOrderId('s1', u.userId, 'entry-0') });
    const r = await h.post('1', signal());
    const tradeId = (r.fanout!.outcomes[0] as { tradeId: number }).tradeId;
    const entry = (await tradesRepo.listOrdersOfTrade(h.db, tradeId)).find((o) => o.role === 'entry')!;
    expect((await tradeOf(h, tradeId)).signal_id).toBe(1);
    expect(entry.exchange_order_id).not.toBe(old.id);
    expect(r.fanout!.outcomes[0]).toMatchObject({ status: 'opened' });
    expect(await position(h, u.accountId)).toMatchObject({ quantity: 0.004, stopLoss: 49_000 });
  });
});

describe('M6: the stored leverage expires', () => {
  it('is set again after the TTL (the user changed it on the exchange)', async () => {
    h = await createHarness();
    const u = await h.addUser({ leverageKnown: 10 });
    await h.registry.client({ accountId: String(u.accountId), exchange: 'paper', environment: 'mainnet' });
    await h.paper(u.accountId).setLeverage('BTC/USDT', 5);
    h.clock.advance(11 * 60_000);
    await h.post('1', signal({ leverage: 10 }));
    expect((await position(h, u.accountId))!.leverage).toBe(10);
  });
});

describe('M9: HyperLiquid attached children are cancelled when the trade ends', () => {
  it('cancels <entry>:sl and <entry>:tp on a HyperLiquid account, never on others', async () => {
    const f = faults();
    h = await createHarness({ wrap: f.wrap });
    const hl = await h.addUser({ exchange: 'hyperliquid' });
    const paper = await h.addUser();
    const r = await h.post('1', signal({ takeProfits: [51_000] }));
    for (const o of r.fanout!.outcomes) expect(o).toMatchObject({ status: 'opened' });
    for (const u of [hl, paper]) {
      const trade = (await tradesRepo.listOpenTrades(h.db, { userId: u.userId }))[0]!;
      await h.trading.closeTrade(u.userId, trade.id);
      expect((await tradeOf(h, trade.id)).status).toBe('closed');
    }
    const hlTrade = (await tradesRepo.listOrdersOfTrade(h.db, (await h.db.selectFrom('trades').select('id').where('user_id', '=', hl.userId).executeTakeFirstOrThrow()).id)).find((o) => o.role === 'entry')!;
    const cancels = (account: number) => f.calls.filter((c) => c.op === 'cancelOrder' && c.account === String(account)).map((c) => (c.args[1] as { clientOrderId?: string }).clientOrderId);
    expect(cancels(hl.accountId)).toEqual([`${hlTrade.client_order_id}:sl`, `${hlTrade.client_order_id}:tp`]);
    expect(cancels(paper.accountId).filter((id) => id?.includes(':'))).toEqual([]);
  });
});
