/**
 * Bybit v5 order path: createOrder / create-batch arguments (precision,
 * orderLinkId rules, attached TP/SL, conditional orders), order lookup
 * (/v5/order/realtime then /v5/order/history), amend and cancel.
 */
import ccxt from 'ccxt';
import { ValidationError, type Market, type Order, type OrderRequest } from '../../models/index.js';
import type { BatchItemResult } from '../types.js';
import type { Fail } from './adapter-core.js';
import { amountString, mapCcxtError, priceString as guardedPrice } from './base.js';
import { toOrder } from './map.js';

/** Bybit's per-request maximum for linear batch orders (some doc versions say 10: we never send more than BYBIT_DEFAULT_BATCH). */
export const BYBIT_MAX_BATCH = 20;
/** Default orders per batch request: the per-UID create-batch quota is 10 orders per second. */
export const BYBIT_DEFAULT_BATCH = 10;
export const BYBIT_MAX_ORDER_LINK_ID = 36;

export interface BybitOrderDeps {
  ex: any;
  market(symbol: string): Promise<Market>;
  fail: Fail;
  /** Orders per /v5/order/create-batch request. */
  batchSize: number;
}

export function bybitOrders({ ex, market, fail, batchSize }: BybitOrderDeps) {
  const qtyString = (m: Market, qty: number, operation: string): string => amountString(ex, 'bybit', m, qty, operation);
  const priceString = (m: Market, price: number, operation: string): string => guardedPrice(ex, 'bybit', m, price, operation);

  function checkClientOrderId(id: string): void {
    if (!id || id.length > BYBIT_MAX_ORDER_LINK_ID || !/^[A-Za-z0-9_-]+$/.test(id)) {
      throw new ValidationError(
        `bybit orderLinkId must be 1-${BYBIT_MAX_ORDER_LINK_ID} characters of [A-Za-z0-9_-] (got ${JSON.stringify(id)}, ${id.length} chars)`,
        { details: { clientOrderId: id } },
      );
    }
  }

  /** createOrder arguments for one request; validates precision and the client order id. */
  function orderArgs(m: Market, r: OrderRequest, operation: string) {
    checkClientOrderId(r.clientOrderId);
    const amount = Number(qtyString(m, r.quantity, operation));
    let price: number | undefined;
    if (r.type === 'limit') {
      if (r.price === undefined) throw new ValidationError(`limit order ${r.clientOrderId} needs a price`);
      price = Number(priceString(m, r.price, operation));
    }
    const params: Record<string, unknown> = { clientOrderId: r.clientOrderId, positionIdx: 0 };
    if (r.reduceOnly) params.reduceOnly = true;
    if (r.postOnly) params.postOnly = true;
    if (r.stopLoss !== undefined || r.takeProfit !== undefined) {
      params.tpslMode = 'Full';
      if (r.stopLoss !== undefined) params.stopLoss = { triggerPrice: Number(priceString(m, r.stopLoss, operation)) };
      if (r.takeProfit !== undefined) params.takeProfit = { triggerPrice: Number(priceString(m, r.takeProfit, operation)) };
    }
    if (r.triggerPrice !== undefined) {
      if (!r.triggerDirection) throw new ValidationError(`trigger order ${r.clientOrderId} needs triggerDirection`);
      params.triggerPrice = Number(priceString(m, r.triggerPrice, operation));
      params.triggerDirection = r.triggerDirection === 'above' ? 'ascending' : 'descending';
    }
    return { symbol: m.exchangeSymbol, type: r.type, side: r.side, amount, price, params };
  }


  async function fetchRawOrder(m: Market, ref: { id?: string; clientOrderId?: string }): Promise<any | null> {
    const req: Record<string, string> = { category: 'linear', symbol: ex.market(m.exchangeSymbol).id };
    if (ref.id) req.orderId = ref.id;
    else if (ref.clientOrderId) req.orderLinkId = ref.clientOrderId;
    else throw new ValidationError('fetchOrder needs an id or a clientOrderId');
    // Open and recent (last 500) closed orders, then the order history.
    for (const endpoint of ['privateGetV5OrderRealtime', 'privateGetV5OrderHistory']) {
      const res = await ex[endpoint](req);
      const row = res?.result?.list?.[0];
      if (row) return row;
    }
    return null;
  }

  async function fetchOrder(symbol: string, ref: { id?: string; clientOrderId?: string }): Promise<Order | null> {
    const m = await market(symbol);
    const raw = await fetchRawOrder(m, ref).catch(fail('fetchOrder', m));
    return raw ? toOrder(ex.parseOrder(raw, ex.market(m.exchangeSymbol)), m.symbol) : null;
  }

  async function placeOrder(r: OrderRequest): Promise<Order> {
    const m = await market(r.symbol);
    const a = orderArgs(m, r, 'placeOrder');
    const o = await ex.createOrder(a.symbol, a.type, a.side, a.amount, a.price, a.params).catch(fail('placeOrder', m));
    return toOrder(o, m.symbol, r);
  }

  async function placeOrders(requests: OrderRequest[]): Promise<BatchItemResult[]> {
    const results: BatchItemResult[] = new Array(requests.length);
    const ready: { index: number; market: Market; args: ReturnType<typeof orderArgs> }[] = [];
    for (const [index, r] of requests.entries()) {
      try {
        const m = await market(r.symbol);
        ready.push({ index, market: m, args: orderArgs(m, r, 'placeOrders') });
      } catch (error) {
        results[index] = { ok: false, error: error as Error, request: r };
      }
    }
    for (let i = 0; i < ready.length; i += batchSize) {
      const chunk = ready.slice(i, i + batchSize);
      try {
        const orders: any[] = await ex.createOrders(
          chunk.map((c) => ({ symbol: c.args.symbol, type: c.args.type, side: c.args.side, amount: c.args.amount, price: c.args.price, params: c.args.params })),
        );
        chunk.forEach((c, j) => {
          const request = requests[c.index]!;
          const o = orders[j];
          const code = o?.info?.code;
          if (o && o.status !== 'rejected' && (code === undefined || String(code) === '0')) {
            results[c.index] = { ok: true, order: toOrder(o, c.market.symbol, request) };
          } else {
            results[c.index] = { ok: false, error: batchItemError(o?.info, c.market), request };
          }
        });
      } catch (e) {
        const error = mapCcxtError(e, { exchange: 'bybit', operation: 'placeOrders', market: chunk[0]!.market });
        for (const c of chunk) results[c.index] = { ok: false, error, request: requests[c.index]! };
      }
    }
    return results;
  }

  /** A failed item of a batch answer ({code, msg}) as the typed error a single call would give. */
  function batchItemError(info: any, m: Market): Error {
    const body = JSON.stringify({ retCode: Number(info?.code ?? -1), retMsg: String(info?.msg ?? 'rejected'), result: {}, retExtInfo: {} });
    try {
      ex.throwExactlyMatchedException(ex.exceptions.exact, String(info?.code), `bybit ${body}`);
      ex.throwBroadlyMatchedException(ex.exceptions.broad, String(info?.msg ?? ''), `bybit ${body}`);
      throw new (ccxt as any).ExchangeError(`bybit ${body}`);
    } catch (e) {
      return mapCcxtError(e, { exchange: 'bybit', operation: 'placeOrders', market: m });
    }
  }

  async function amendOrder(symbol: string, id: string, changes: { price?: number; quantity?: number; triggerPrice?: number }): Promise<Order> {
    const m = await market(symbol);
    const req: Record<string, string> = { category: 'linear', symbol: ex.market(m.exchangeSymbol).id, orderId: id };
    if (changes.quantity !== undefined) req.qty = qtyString(m, changes.quantity, 'amendOrder');
    if (changes.price !== undefined) req.price = priceString(m, changes.price, 'amendOrder');
    if (changes.triggerPrice !== undefined) req.triggerPrice = priceString(m, changes.triggerPrice, 'amendOrder');
    await ex.privatePostV5OrderAmend(req).catch(fail('amendOrder', m));
    const order = await fetchOrder(symbol, { id });
    if (!order) throw mapCcxtError(new (ccxt as any).OrderNotFound(`bybit order ${id} not found after amend`), { exchange: 'bybit', operation: 'amendOrder', market: m });
    return order;
  }

  async function cancelOrder(symbol: string, ref: { id?: string; clientOrderId?: string }): Promise<void> {
    const m = await market(symbol);
    const params = ref.id ? {} : { orderLinkId: ref.clientOrderId };
    if (!ref.id && !ref.clientOrderId) throw new ValidationError('cancelOrder needs an id or a clientOrderId');
    try {
      await ex.cancelOrder(ref.id, m.exchangeSymbol, params);
    } catch (e) {
      const mapped = mapCcxtError(e, { exchange: 'bybit', operation: 'cancelOrder', market: m });
      if (mapped.code === 'order-not-found') return; // already gone: success
      throw mapped;
    }
  }

  async function cancelAllOrders(symbol: string): Promise<void> {
    const m = await market(symbol);
    await ex.cancelAllOrders(m.exchangeSymbol).catch(fail('cancelAllOrders', m));
  }

  return { qtyString, priceString, fetchOrder, placeOrder, placeOrders, amendOrder, cancelOrder, cancelAllOrders };
}
