/**
 * The client's write path: orders follow placement.ts (look up by client
 * order id, never a blind re-send), every order needs a deterministic client
 * order id, and quantities and prices are rounded and checked
 * (client-precision.ts) before anything is sent. Batches are split by
 * `limits.maxBatch`.
 */
import {
  ExchangeError,
  InvalidOrderSize,
  MarketNotFound,
  OrderStateUnknown,
  ValidationError,
  normalizeOrder,
  type Market,
  type OrderRequest,
  type PositionSide,
} from '../models/index.js';
import type { CallPath } from './client-call.js';
import { checkedPrice, normalizeRequest } from './client-precision.js';
import type { ClientDeps, ExchangeClient } from './client.js';
import type { ClientOp, CostContext } from './limits.js';
import { placeBatchIdempotent, placeIdempotent, type PlacementDeps } from './placement.js';
import type { BatchItemResult, PositionProtection } from './types.js';

export type ClientWrites = Pick<ExchangeClient, 'placeOrder' | 'placeOrders' | 'amendOrder' | 'setPositionProtection' | 'closePosition'>;

export function createClientWrites(deps: ClientDeps, path: CallPath, market: (symbol: string) => Promise<Market>): ClientWrites {
  const { adapter, limits, clock } = deps;
  const options = deps.options ?? {};
  const random = deps.random ?? Math.random;
  const exchange = adapter.id;
  const { call, refuse } = path;

  async function prepare(op: ClientOp, request: OrderRequest): Promise<OrderRequest> {
    if (typeof request.clientOrderId !== 'string' || request.clientOrderId.length === 0) {
      refuse(op, new ValidationError(`${op}: every order needs a deterministic clientOrderId`));
    }
    const m = await market(request.symbol);
    try {
      return normalizeRequest(m, request);
    } catch (e) {
      return refuse(op, e);
    }
  }

  const placement: PlacementDeps = {
    exchange,
    clock,
    random,
    options: options.placement ?? {},
    lookup: (symbol, clientOrderId) => call('fetchOrder', () => adapter.fetchOrder(symbol, { clientOrderId })),
  };

  /**
   * One batch request per `limits.maxBatch` orders (Bybit: 10, its per-UID
   * batch quota per second), each priced by its own length. A chunk whose call
   * fails gives that error to each of its orders (placement looks them up).
   */
  async function sendBatch(reqs: OrderRequest[]): Promise<BatchItemResult[]> {
    const max = limits.maxBatch !== undefined && limits.maxBatch > 0 ? Math.floor(limits.maxBatch) : reqs.length;
    const one = (chunk: OrderRequest[]) =>
      call('placeOrders', () => adapter.placeOrders(chunk), {
        batchSize: chunk.length,
        withoutPrice: chunk.filter((r) => r.type === 'market' && r.price === undefined).length,
      });
    if (reqs.length <= max) return one(reqs);
    const chunks: OrderRequest[][] = [];
    for (let i = 0; i < reqs.length; i += max) chunks.push(reqs.slice(i, i + max));
    const results = await Promise.all(
      chunks.map(async (chunk): Promise<BatchItemResult[]> => {
        try {
          const r = await one(chunk);
          if (r.length === chunk.length) return r;
          throw new OrderStateUnknown(`placeOrders: adapter returned ${r.length} results for ${chunk.length} orders`, { exchange, operation: 'placeOrders' });
        } catch (e) {
          const error = e instanceof Error ? e : new Error(String(e));
          return chunk.map((request) => ({ ok: false as const, error, request }));
        }
      }),
    );
    return results.flat();
  }

  return {
    async placeOrder(request) {
      const req = await prepare('placeOrder', request);
      const ctx: CostContext = req.type === 'market' && req.price === undefined ? { withoutPrice: 1 } : {};
      return placeIdempotent(placement, 'placeOrder', req, (r) => call('placeOrder', () => adapter.placeOrder(r), ctx));
    },

    async placeOrders(requests) {
      if (requests.length === 0) return [];
      const results: (BatchItemResult | undefined)[] = [];
      const valid: { index: number; request: OrderRequest }[] = [];
      for (const [index, request] of requests.entries()) {
        try {
          valid.push({ index, request: await prepare('placeOrders', request) });
        } catch (e) {
          if (e instanceof MarketNotFound || e instanceof InvalidOrderSize || e instanceof ValidationError) {
            results[index] = { ok: false, error: e, request };
          } else throw e;
        }
      }
      if (valid.length > 0) {
        const sent = await placeBatchIdempotent(placement, valid.map((v) => v.request), sendBatch);
        sent.forEach((r, i) => (results[valid[i]!.index] = r));
      }
      return requests.map((request, i) => results[i] ?? { ok: false, error: new ExchangeError('placeOrders: no result', { exchange }), request });
    },

    async amendOrder(symbol, id, changes) {
      const m = await market(symbol);
      const out: { price?: number; quantity?: number; triggerPrice?: number } = {};
      try {
        if (changes.price !== undefined) out.price = checkedPrice(m, 'price', changes.price);
        if (changes.triggerPrice !== undefined) out.triggerPrice = checkedPrice(m, 'triggerPrice', changes.triggerPrice);
        if (changes.quantity !== undefined) out.quantity = normalizeOrder(m, { quantity: changes.quantity, reduceOnly: true }).quantity;
      } catch (e) {
        refuse('amendOrder', e);
      }
      return call('amendOrder', () => adapter.amendOrder(symbol, id, out));
    },

    async setPositionProtection(symbol: string, side: PositionSide, protection: PositionProtection) {
      const m = await market(symbol);
      const out: PositionProtection = { ...protection };
      try {
        for (const key of ['stopLoss', 'takeProfit'] as const) {
          const v = protection[key];
          if (v !== undefined && v !== null) out[key] = checkedPrice(m, key, v);
        }
        if (protection.quantity !== undefined) out.quantity = normalizeOrder(m, { quantity: protection.quantity, reduceOnly: true }).quantity;
      } catch (e) {
        refuse('setPositionProtection', e);
      }
      // Not retried here: exchanges that implement protection as orders need the
      // caller's reconciliation by clientOrderId; the caller decides.
      return call('setPositionProtection', () => adapter.setPositionProtection(symbol, side, out));
    },

    async closePosition(symbol, side, closeOptions) {
      if (!closeOptions.clientOrderId) refuse('closePosition', new ValidationError('closePosition: a deterministic clientOrderId is required'));
      let quantity = closeOptions.quantity;
      if (quantity !== undefined) {
        const m = await market(symbol);
        try {
          quantity = normalizeOrder(m, { quantity, reduceOnly: true }).quantity;
        } catch (e) {
          refuse('closePosition', e);
        }
      }
      const side0 = side === 'long' ? 'sell' : 'buy';
      const asRequest: OrderRequest = {
        symbol,
        side: side0,
        type: 'market',
        quantity: quantity ?? 0,
        reduceOnly: true,
        clientOrderId: closeOptions.clientOrderId,
      };
      const opts = quantity === undefined ? { clientOrderId: closeOptions.clientOrderId } : { quantity, clientOrderId: closeOptions.clientOrderId };
      return placeIdempotent(placement, 'closePosition', asRequest, () =>
        call('closePosition', () => adapter.closePosition(symbol, side, opts), { fullClose: quantity === undefined }),
      );
    },
  };
}
