/**
 * HyperLiquid order path: placing (one `order` action per request with its
 * attached TP/SL children, or batched), order lookup, open orders, amend.
 */
import ccxt from 'ccxt';
import { OrderRejected, ValidationError, exitSide, type Market, type Order, type OrderRequest } from '../../models/index.js';
import type { BatchItemResult } from '../types.js';
import { mapCcxtError } from './base.js';
import { toHyperliquidCloid, triggerKind } from './hyperliquid-ids.js';
import type { Grouping, HyperliquidCore, HyperliquidWire, OrderWire } from './hyperliquid-wire.js';
import { toOrder } from './map.js';

export function hyperliquidOrders(core: HyperliquidCore, w: HyperliquidWire) {
  const { ex, wallet, batchSize, fail, loadMarkets, market, unifiedOf } = core;
  const { cloidFor, withClientId, checkedQty, checkedPrice, wire, sendAction, sendOrders, orderFromStatus, requestWire } = w;

  async function placeOrder(r: OrderRequest): Promise<Order> {
    const m = await market(r.symbol);
    const entry = await requestWire(m, r, 'placeOrder');
    const wires = [entry];
    let grouping: Grouping = 'na';
    if (r.stopLoss !== undefined || r.takeProfit !== undefined) {
      // normalTpsl: [entry, tp?, sl?], each child a reduce-only trigger market order with its own cloid.
      grouping = 'normalTpsl';
      const out = exitSide(r.side === 'buy' ? 'long' : 'short');
      if (r.takeProfit !== undefined) {
        const tp = checkedPrice(m, r.takeProfit, 'placeOrder');
        wires.push(wire(m, { type: 'market', side: out, qty: r.quantity, price: tp, tp, reduceOnly: true, cloid: cloidFor(`${r.clientOrderId}:tp`) }));
      }
      if (r.stopLoss !== undefined) {
        const sl = checkedPrice(m, r.stopLoss, 'placeOrder');
        wires.push(wire(m, { type: 'market', side: out, qty: r.quantity, price: sl, sl, reduceOnly: true, cloid: cloidFor(`${r.clientOrderId}:sl`) }));
      }
    }
    const results = await sendOrders(wires, grouping, 'placeOrder', m);
    const first = results[0];
    if (first instanceof Error) throw first;
    const order = orderFromStatus(first, r, m);
    const childError = results.slice(1).find((x): x is Error => x instanceof Error);
    if (childError) {
      // The entry is on the exchange but a protective child is not: never hide that.
      throw new OrderRejected(`hyperliquid placeOrder on ${m.symbol}: entry ${order.id} placed but an attached stop-loss/take-profit was rejected: ${childError.message}`, {
        exchange: 'hyperliquid',
        operation: 'placeOrder',
        cause: childError,
        details: { entryPlaced: true, entryOrderId: order.id, clientOrderId: r.clientOrderId },
      });
    }
    return order;
  }

  async function placeOrders(requests: OrderRequest[]): Promise<BatchItemResult[]> {
    const results: BatchItemResult[] = new Array(requests.length);
    const plain: { index: number; market: Market; wire: OrderWire }[] = [];
    for (const [index, r] of requests.entries()) {
      try {
        if (r.stopLoss !== undefined || r.takeProfit !== undefined) {
          // Attached TP/SL need their own normalTpsl action.
          results[index] = { ok: true, order: await placeOrder(r) };
          continue;
        }
        const m = await market(r.symbol);
        plain.push({ index, market: m, wire: await requestWire(m, r, 'placeOrders') });
      } catch (error) {
        results[index] = { ok: false, error: error as Error, request: r };
      }
    }
    for (let i = 0; i < plain.length; i += batchSize) {
      const chunk = plain.slice(i, i + batchSize);
      try {
        const statuses = await sendOrders(chunk.map((c) => c.wire), 'na', 'placeOrders', chunk[0]!.market);
        chunk.forEach((c, j) => {
          const s = statuses[j];
          const request = requests[c.index]!;
          results[c.index] = s instanceof Error ? { ok: false, error: s, request } : { ok: true, order: orderFromStatus(s, request, c.market) };
        });
      } catch (error) {
        for (const c of chunk) results[c.index] = { ok: false, error: error as Error, request: requests[c.index]! };
      }
    }
    return results;
  }

  /** The ccxt order (with HyperLiquid's raw entry in `info`), or null when the exchange has no such order. */
  async function fetchCcxtOrder(m: Market, ref: { id?: string; clientOrderId?: string }, operation: string): Promise<any | null> {
    if (!ref.id && !ref.clientOrderId) throw new ValidationError(`${operation} needs an id or a clientOrderId`);
    const params = ref.clientOrderId ? { clientOrderId: cloidFor(ref.clientOrderId) } : {};
    try {
      return await ex.fetchOrder(ref.id, m.exchangeSymbol, params);
    } catch (e) {
      const mapped = mapCcxtError(e, { exchange: 'hyperliquid', operation, market: m });
      if (mapped.code === 'order-not-found') return null;
      throw mapped;
    }
  }

  async function fetchOrder(symbol: string, ref: { id?: string; clientOrderId?: string }): Promise<Order | null> {
    const m = await market(symbol);
    const o = await fetchCcxtOrder(m, ref, 'fetchOrder');
    return o ? withClientId(toOrder(o, m.symbol)) : null;
  }

  async function rawOpenOrders(): Promise<any[]> {
    return ex.publicPostInfo({ type: 'frontendOpenOrders', user: wallet }).catch(fail('fetchOpenOrders'));
  }

  async function fetchOpenOrders(symbol?: string): Promise<Order[]> {
    const m = symbol ? await market(symbol) : undefined;
    await loadMarkets();
    const raw: any[] = await ex.fetchOpenOrders(m?.exchangeSymbol).catch(fail('fetchOpenOrders', m));
    return raw.filter((o) => !m || o.symbol === m.exchangeSymbol).map((o) => withClientId(toOrder(o, unifiedOf(o.symbol))));
  }

  /**
   * batchModify re-sends the whole order wire: a trigger order keeps its kind
   * (take-profit stays `tpsl: tp`, stop-loss `tpsl: sl`), read from the
   * order's own `orderType` ("Take Profit Market", "Stop Limit", ...).
   */
  async function amendOrder(symbol: string, id: string, changes: { price?: number; quantity?: number; triggerPrice?: number }): Promise<Order> {
    const m = await market(symbol);
    const raw = await fetchCcxtOrder(m, { id }, 'amendOrder');
    if (!raw) throw mapCcxtError(new (ccxt as any).OrderNotFound(`hyperliquid order ${id} not found`), { exchange: 'hyperliquid', operation: 'amendOrder', market: m });
    const current = withClientId(toOrder(raw, m.symbol));
    const entry = raw.info?.order ?? raw.info ?? {};
    const kind = triggerKind(entry.orderType);
    const trigger = changes.triggerPrice ?? current.triggerPrice ?? undefined;
    if (changes.triggerPrice !== undefined && kind === null) {
      throw new ValidationError(`hyperliquid amendOrder: order ${id} on ${m.symbol} is not a trigger order (${String(entry.orderType ?? 'unknown type')}); it has no trigger price to move`);
    }
    const qty = checkedQty(m, changes.quantity ?? current.quantity - current.filled, 'amendOrder');
    const isTrigger = kind !== null && trigger !== undefined && trigger !== null;
    // "Take Profit Market" / "Stop Market": a market trigger, priced like placeOrder's
    // children (the slippage bound is taken from the trigger price).
    const marketTrigger = isTrigger && /market/i.test(String(entry.orderType ?? ''));
    const type = marketTrigger ? 'market' : current.type;
    const price =
      changes.price !== undefined ? checkedPrice(m, changes.price, 'amendOrder') : marketTrigger ? trigger : (current.price ?? trigger ?? 0);
    const w = wire(m, {
      type,
      side: current.side,
      qty,
      price,
      reduceOnly: current.reduceOnly,
      ...(current.clientOrderId?.startsWith('0x') ? { cloid: current.clientOrderId } : current.clientOrderId ? { cloid: toHyperliquidCloid(current.clientOrderId) } : {}),
      ...(isTrigger ? { [kind]: trigger } : {}),
    });
    const res = await sendAction({ type: 'batchModify', modifies: [{ oid: Number(id), order: w }] }, 'amendOrder', m);
    const s = res?.response?.data?.statuses?.[0];
    const newId = s?.resting?.oid ?? s?.filled?.oid ?? id;
    return { ...current, id: String(newId), type, quantity: qty, price: type === 'limit' ? price : current.price, triggerPrice: trigger ?? null };
  }

  return { placeOrder, placeOrders, fetchOrder, rawOpenOrders, fetchOpenOrders, amendOrder };
}
