/**
 * Sending orders safely: each order row is stored with status `pending` and
 * its deterministic client order id BEFORE it is sent; only a row this call
 * created is sent (a row that already exists was sent before, or is being
 * reconciled); an unknown outcome marks the row `unknown` for reconciliation.
 */
import { trades as tradesRepo } from '../../db/index.js';
import type { OrderRow, TradeRow } from '../../db/database.js';
import type { ExchangeClient } from '../../exchanges/index.js';
import { OrderStateUnknown, exitSide, isAppError, type Market, type Order, type OrderRequest, type OrderRole, type PositionSide } from '../../models/index.js';
import { clientOrderId, orderIdSalt, tradeKey, tradeSalt } from '../ids.js';
import { applyOrder, definitelyNotPlaced, errInfo, record, type TradingDeps } from './context.js';

export interface Leg {
  leg: string;
  role: OrderRole;
  request: Omit<OrderRequest, 'clientOrderId'>;
}

export interface SentLeg {
  row: OrderRow;
  order: Order | null;
  error: unknown;
  /** False when the row already existed: nothing was sent. */
  sent: boolean;
  /**
   * The entry was placed but its attached stop-loss / take-profit was refused
   * (HyperLiquid `details.entryPlaced`): the position it opens has no stop yet.
   */
  attachedFailed?: boolean;
}

/** The order family key stored with a manual trade opened under a request id ("r<requestId>"). */
function storedOrderKey(plan: string | undefined): string | null {
  if (!plan || !plan.includes('"orderKey"')) return null;
  try {
    const k = (JSON.parse(plan) as { orderKey?: unknown }).orderKey;
    return typeof k === 'string' && k.length > 0 ? k : null;
  } catch {
    return null;
  }
}

/**
 * Deterministic id of one leg of a trade: keyed by its signal, else by the
 * manual request id it was opened under, else by the trade row.
 */
export async function coidFor(deps: Pick<TradingDeps, 'db'>, trade: Pick<TradeRow, 'id' | 'signal_id' | 'user_id'> & { plan?: string }, leg: string): Promise<string> {
  const key = trade.signal_id !== null ? tradeKey({ signalId: trade.signal_id, id: trade.id }) : (storedOrderKey(trade.plan) ?? tradeKey({ signalId: null, id: trade.id }));
  return clientOrderId(key, trade.user_id, leg, tradeSalt(await orderIdSalt(deps.db), trade.id));
}

/** Sends an order row that was stored but never confirmed sent (a crash in between), by its own client order id. */
export async function sendStored(deps: TradingDeps, client: ExchangeClient, trade: TradeRow, row: OrderRow, request: OrderRequest): Promise<SentLeg> {
  let order: Order | null = null;
  let error: unknown = null;
  try {
    order = await client.placeOrder({ ...request, clientOrderId: row.client_order_id });
  } catch (e) {
    error = e;
  }
  const next = await settle(deps, client, trade, row, order, error);
  if (order) await record(deps, { action: 'order.placed', entity: 'order', entityId: row.id, after: { tradeId: trade.id, leg: row.leg, resumed: true, status: order.status, filled: order.filled }, traceId: trade.trace_id });
  return { row: next.row, order: next.order, error, sent: true, ...(next.attachedFailed ? { attachedFailed: true } : {}) };
}

export async function storeLeg(deps: TradingDeps, trade: TradeRow, leg: Leg): Promise<{ row: OrderRow; created: boolean; request: OrderRequest }> {
  const request: OrderRequest = { ...leg.request, clientOrderId: await coidFor(deps, trade, leg.leg) };
  const now = deps.clock.now();
  const { row, created } = await tradesRepo.insertOrderOnce(deps.db, {
    trade_id: trade.id,
    account_id: trade.account_id,
    client_order_id: request.clientOrderId,
    exchange_order_id: null,
    symbol: request.symbol,
    side: request.side,
    type: request.type,
    role: leg.role,
    status: 'pending',
    price: request.price === undefined ? null : String(request.price),
    trigger_price: request.triggerPrice !== undefined ? String(request.triggerPrice) : request.stopLoss !== undefined && leg.role === 'stop-loss' ? String(request.stopLoss) : null,
    quantity: String(request.quantity),
    filled: '0',
    average_price: null,
    reduce_only: request.reduceOnly ? 1 : 0,
    leg: leg.leg,
    created_at: now,
    updated_at: now,
  });
  return { row, created, request };
}

/** The entry went out although the exchange refused its attached stop-loss / take-profit (HyperLiquid). */
export function entryPlacedDespite(error: unknown): boolean {
  return isAppError(error) && error.details['entryPlaced'] === true;
}

/**
 * What the send's outcome means for the row. Only an answer that says the
 * order was definitely not placed marks it `rejected`; an entry placed with
 * its attached protection refused is looked up by its client order id and
 * adopted (its row then says what it did; `attachedFailed` tells the caller
 * the stop is not there); any other doubt is `unknown` (reconciled by id).
 */
async function settle(deps: TradingDeps, client: ExchangeClient, trade: TradeRow, row: OrderRow, order: Order | null, error: unknown): Promise<{ row: OrderRow; order: Order | null; attachedFailed: boolean }> {
  if (order) return { row: await applyOrder(deps, row, order), order, attachedFailed: false };
  if (entryPlacedDespite(error)) {
    const entryId = isAppError(error) && typeof error.details['entryOrderId'] === 'string' ? (error.details['entryOrderId'] as string) : null;
    let found: Order | null = null;
    try {
      found = await client.fetchOrder(row.symbol, entryId ? { id: entryId, clientOrderId: row.client_order_id } : { clientOrderId: row.client_order_id });
    } catch (e) {
      deps.log.warn({ tradeId: trade.id, orderId: row.id, err: errInfo(e) }, 'look-up of a placed entry failed');
    }
    await record(deps, { action: 'order.protection-refused', entity: 'order', entityId: row.id, after: { tradeId: trade.id, leg: row.leg, found: found !== null, status: found?.status ?? null, error: errInfo(error) }, traceId: trade.trace_id });
    if (found) return { row: await applyOrder(deps, row, found), order: found, attachedFailed: true };
    if (entryId) await tradesRepo.updateOrder(deps.db, row.id, { exchange_order_id: entryId }, deps.clock.now());
    const next = await applyOrder(deps, { ...row, exchange_order_id: entryId ?? row.exchange_order_id }, null, { status: 'unknown', reason: 'entry-placed-protection-refused' });
    return { row: next, order: null, attachedFailed: true };
  }
  const unknown = !definitelyNotPlaced(error);
  const next = await applyOrder(deps, row, null, { status: unknown ? 'unknown' : 'rejected', reason: errInfo(error).code });
  await record(deps, {
    action: unknown ? 'order.unknown' : 'order.rejected',
    entity: 'order',
    entityId: row.id,
    after: { tradeId: trade.id, leg: row.leg, error: errInfo(error) },
    traceId: trade.trace_id,
  });
  return { row: next, order: null, attachedFailed: false };
}

/** Stores and sends one order. */
export async function sendOne(deps: TradingDeps, client: ExchangeClient, trade: TradeRow, leg: Leg): Promise<SentLeg> {
  const { row, created, request } = await storeLeg(deps, trade, leg);
  if (!created) return { row, order: null, error: null, sent: false };
  let order: Order | null = null;
  let error: unknown = null;
  try {
    order = await client.placeOrder(request);
  } catch (e) {
    error = e;
  }
  const next = await settle(deps, client, trade, row, order, error);
  if (order) await record(deps, { action: 'order.placed', entity: 'order', entityId: row.id, after: { tradeId: trade.id, leg: leg.leg, ...request, status: order.status, filled: order.filled }, traceId: trade.trace_id });
  return { row: next.row, order: next.order, error, sent: true, ...(next.attachedFailed ? { attachedFailed: true } : {}) };
}

/** Stores all legs, then sends the new ones as one batch (one request where the exchange allows). */
export async function sendBatch(deps: TradingDeps, client: ExchangeClient, trade: TradeRow, legs: Leg[]): Promise<SentLeg[]> {
  if (legs.length === 1) return [await sendOne(deps, client, trade, legs[0]!)];
  const stored = [];
  for (const leg of legs) stored.push(await storeLeg(deps, trade, leg));
  const fresh = stored.filter((s) => s.created);
  const out = new Map<string, SentLeg>();
  for (const s of stored) if (!s.created) out.set(s.row.client_order_id, { row: s.row, order: null, error: null, sent: false });
  if (fresh.length > 0) {
    let results: { ok: boolean; order?: Order; error?: Error }[];
    try {
      results = await client.placeOrders(fresh.map((s) => s.request));
    } catch (e) {
      results = fresh.map(() => ({ ok: false, error: e instanceof Error ? e : new Error(String(e)) }));
    }
    for (let i = 0; i < fresh.length; i++) {
      const s = fresh[i]!;
      const r = results[i];
      const order = r?.ok ? r.order! : null;
      const error = r?.ok ? null : (r?.error ?? new OrderStateUnknown('no result for batch item'));
      const next = await settle(deps, client, trade, s.row, order, error);
      out.set(s.row.client_order_id, { row: next.row, order: next.order, error, sent: true, ...(next.attachedFailed ? { attachedFailed: true } : {}) });
    }
    await record(deps, {
      action: 'orders.placed',
      entity: 'trade',
      entityId: trade.id,
      after: fresh.map((s, i) => ({ leg: s.row.leg, role: s.row.role, price: s.request.price, quantity: s.request.quantity, ok: results[i]?.ok ?? false })),
      traceId: trade.trace_id,
    });
  }
  return stored.map((s) => out.get(s.row.client_order_id)!);
}

/** Take-profit legs as reduce-only limit orders. */
export function ladderLegs(symbol: string, side: PositionSide, version: number, ladder: { index: number; price: number; quantity: number }[]): Leg[] {
  return ladder.map((l) => ({
    leg: `tp-${l.index}-v${version}`,
    role: 'take-profit' as const,
    request: { symbol, side: exitSide(side), type: 'limit' as const, quantity: l.quantity, price: l.price, reduceOnly: true },
  }));
}

/** Cancels an order row on the exchange (gone already = success) and marks it cancelled. */
export async function cancelRow(deps: TradingDeps, client: ExchangeClient, trade: TradeRow, row: OrderRow, reason: string): Promise<boolean> {
  try {
    await client.cancelOrder(row.symbol, row.exchange_order_id ? { id: row.exchange_order_id, clientOrderId: row.client_order_id } : { clientOrderId: row.client_order_id });
  } catch (e) {
    deps.log.warn({ tradeId: trade.id, orderId: row.id, err: errInfo(e) }, 'cancel failed');
    return false;
  }
  // What it filled before the cancel counts: read it back when we can.
  let order: Order | null;
  try {
    order = await client.fetchOrder(row.symbol, { clientOrderId: row.client_order_id });
  } catch {
    order = null;
  }
  const status = order && (order.status === 'filled' || order.status === 'cancelled') ? order.status : 'cancelled';
  await applyOrder(deps, row, order ? { ...order, status } : null, { status: 'cancelled', reason });
  await record(deps, { action: 'order.cancelled', entity: 'order', entityId: row.id, after: { tradeId: trade.id, leg: row.leg, reason }, traceId: trade.trace_id });
  return true;
}

/**
 * HyperLiquid only: the stop-loss / take-profit children attached to the trade's
 * entries (client ids `${entry}:sl` / `${entry}:tp`) are not removed by the exchange
 * when the position ends some other way; left behind they would close part of the
 * next position on the coin. Cancelled by client order id (already gone = success).
 * False when a cancel failed (the caller retries later).
 */
export async function cancelAttachedChildren(deps: TradingDeps, client: ExchangeClient, trade: TradeRow, exchange: string, entries: OrderRow[]): Promise<boolean> {
  if (exchange !== 'hyperliquid') return true;
  let ok = true;
  for (const row of entries) {
    if (row.role !== 'entry' || row.status === 'rejected') continue;
    for (const kind of ['sl', 'tp'] as const) {
      try {
        await client.cancelOrder(row.symbol, { clientOrderId: `${row.client_order_id}:${kind}` });
      } catch (e) {
        ok = false;
        deps.log.warn({ tradeId: trade.id, orderId: row.id, kind, err: errInfo(e) }, 'cancel of an attached protection child failed');
      }
    }
  }
  if (ok) await record(deps, { action: 'orders.children-cancelled', entity: 'trade', entityId: trade.id, after: { entries: entries.filter((r) => r.role === 'entry' && r.status !== 'rejected').length }, traceId: trade.trace_id });
  return ok;
}

/** Minimal market view used when sizing a ladder. */
export type LadderMarket = Market;
