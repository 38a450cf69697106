/**
 * Protection of a filled position and the end of a trade: the stop-loss
 * (attached to the entry, or set on the position), the take-profit ladder
 * sized to what is filled, the emergency close when the stop cannot be
 * placed, and the final realized PnL including fees.
 */
import { accounts as accountsRepo, trades as tradesRepo } from '../../db/index.js';
import type { OrderRow, TradeRow } from '../../db/database.js';
import type { ExchangeClient } from '../../exchanges/index.js';
import { OrderStateUnknown, clean, exitSide, isTerminalTrade, pnl, type Fill, type Market, type Order, type Position, type PositionSide } from '../../models/index.js';
import type { CloseReason } from '../notifications.js';
import { listGridBotsOfUser } from '../../db/repos/grid.js';
import { clientOrderId, gridSalt, orderIdSalt } from '../ids.js';
import { ladderFor } from './plan.js';
import { applyOrder, definitelyNotPlaced, errInfo, errorCode, num, record, setTradeStatus, writeDoc, type TradeDoc, type TradingDeps } from './context.js';
import { cancelAttachedChildren, cancelRow, coidFor, ladderLegs, sendBatch, storeLeg, type SentLeg } from './orders.js';

const OPEN = new Set(['pending', 'open', 'partially_filled', 'unknown']);
/** How often a close that does not complete is told again (the first time at once). */
export const CLOSE_ALERT_EVERY_MS = 15 * 60_000;

async function marketOf(client: ExchangeClient, symbol: string, given: Market | null): Promise<Market> {
  return given ?? client.market(symbol);
}

/** Two stop prices are the same stop when at most half a tick apart (exchanges round to the tick). */
export function sameStop(a: number, b: number, tick: number): boolean {
  return Math.abs(a - b) <= Math.max(tick / 2, Math.abs(b) * 1e-9);
}

/** The market's tick (a local look-up, no request); 0 when unknown. */
export async function tickOf(client: ExchangeClient, symbol: string): Promise<number> {
  try {
    return (await client.market(symbol)).tickSize;
  } catch {
    return 0;
  }
}

/** The trade's position now (one fetchPositions): null when flat, undefined when it could not be read. */
export async function readPosition(client: ExchangeClient, trade: Pick<TradeRow, 'symbol' | 'side'>): Promise<Position | null | undefined> {
  try {
    const positions = await client.fetchPositions([trade.symbol]);
    return positions.find((p) => p.symbol === trade.symbol && p.side === trade.side && p.quantity > 0) ?? null;
  } catch {
    return undefined;
  }
}

export interface StopAttempt {
  /** null on success (also when the position turned out to carry the stop after an error). */
  error: unknown;
  /** After a failure: the stop the position carries (null none; undefined when it could not be read). */
  positionStop?: number | null | undefined;
}

/**
 * Sets or moves the position's stop-loss. A failure is checked against the
 * position before it counts (a timeout may hide a stop that landed; a re-sent
 * stop may already be there): only a position without that stop is a failure.
 */
export async function trySetStop(deps: TradingDeps, client: ExchangeClient, trade: TradeRow, doc: TradeDoc, stopLoss: number, why: string): Promise<StopAttempt> {
  let error: unknown = null;
  try {
    await client.setPositionProtection(trade.symbol, trade.side as PositionSide, { stopLoss, clientOrderId: await coidFor(deps, trade, `sl-${doc.rt.closeVersion}-${Math.round(stopLoss * 1e8)}`) });
  } catch (e) {
    error = e;
  }
  if (error !== null) {
    const position = await readPosition(client, trade);
    const positionStop = position === undefined ? undefined : (position?.stopLoss ?? null);
    if (positionStop == null || !sameStop(positionStop, stopLoss, await tickOf(client, trade.symbol))) {
      await record(deps, { action: 'stop.failed', entity: 'trade', entityId: trade.id, after: { stopLoss, why, error: errInfo(error), positionStop: positionStop ?? null }, traceId: trade.trace_id });
      return { error, positionStop };
    }
    await record(deps, { action: 'stop.confirmed-after-error', entity: 'trade', entityId: trade.id, after: { stopLoss, why, error: errInfo(error) }, traceId: trade.trace_id });
  }
  const before = trade.stop_loss;
  await tradesRepo.updateTrade(deps.db, trade.id, { stop_loss: String(stopLoss) }, deps.clock.now());
  trade.stop_loss = String(stopLoss);
  await record(deps, { action: 'stop.set', entity: 'trade', entityId: trade.id, before: { stopLoss: before }, after: { stopLoss, why }, traceId: trade.trace_id });
  return { error: null };
}

/** Sets or moves the position's stop-loss. Returns the error, or null on success. */
export async function setStop(deps: TradingDeps, client: ExchangeClient, trade: TradeRow, doc: TradeDoc, stopLoss: number, why: string): Promise<unknown> {
  return (await trySetStop(deps, client, trade, doc, stopLoss, why)).error;
}

export interface CloseOutcome {
  order: Order | null;
  error: unknown;
  /** Nothing new was sent: the close of this request (or an earlier one still unresolved) was used. */
  reused: boolean;
}

/** Looks an unresolved close up by its client order id. */
async function resolveClose(deps: TradingDeps, client: ExchangeClient, row: OrderRow): Promise<{ state: 'working' | 'finished'; order: Order } | { state: 'absent' | 'wait' } | { state: 'unreadable'; error: unknown }> {
  let ex: Order | null;
  try {
    ex = await client.fetchOrder(row.symbol, row.exchange_order_id ? { id: row.exchange_order_id, clientOrderId: row.client_order_id } : { clientOrderId: row.client_order_id });
  } catch (e) {
    return { state: 'unreadable', error: e };
  }
  if (ex) {
    await applyOrder(deps, row, ex);
    return { state: ex.status === 'open' || ex.status === 'partially_filled' || ex.status === 'pending' ? 'working' : 'finished', order: ex };
  }
  // Not on the exchange: judged never placed only once the grace is over (a request may still land).
  if (deps.clock.now() - row.updated_at < deps.options.pendingGraceMs) return { state: 'wait' };
  await applyOrder(deps, row, null, { status: 'rejected', reason: 'not-on-exchange' });
  return { state: 'absent' };
}

/**
 * Reduce-only market close of the whole position (or `quantity` of it) under an
 * idempotency key. `requestKey` (the caller's: e.g. the Telegram message + action)
 * gives the close its own client order id: the same request never sends a second
 * one. Without it (tracking, emergency, retries) the key is the trade + reason +
 * a version stored BEFORE sending; an earlier system close still pending or
 * unknown is resolved by its id first, and a new version is minted only when it
 * is finished or definitely not on the exchange.
 */
export async function closeNow(deps: TradingDeps, client: ExchangeClient, trade: TradeRow, doc: TradeDoc, why: string, opts: { requestKey?: string; quantity?: number } = {}): Promise<CloseOutcome> {
  const side = trade.side as PositionSide;
  const { quantity } = opts;
  let leg: string;
  if (opts.requestKey !== undefined) {
    leg = `close-r${opts.requestKey}`;
  } else {
    const minted = doc.rt.closeLeg ?? null;
    const prev = minted ? (await tradesRepo.listOrdersOfTrade(deps.db, trade.id)).find((r) => r.leg === minted) : undefined;
    if (minted && !prev) {
      // Minted and stored in the document, never stored as an order: nothing went out under it.
      leg = minted;
    } else {
      if (prev && OPEN.has(prev.status)) {
        const r = await resolveClose(deps, client, prev);
        // Working, or finished just now (its fill is booked): the caller reads the position before any new close.
        if (r.state === 'working' || r.state === 'finished') return { order: r.order, error: null, reused: true };
        if (r.state === 'wait') return { order: null, error: new OrderStateUnknown(`close ${prev.client_order_id} unresolved`, { details: { clientOrderId: prev.client_order_id } }), reused: true };
        if (r.state === 'unreadable') return { order: null, error: r.error, reused: true };
      }
      doc.rt.closeVersion += 1;
      doc.rt.closeLeg = `close-${why}-${doc.rt.closeVersion}`;
      await writeDoc(deps, trade.id, doc);
      leg = doc.rt.closeLeg;
    }
  }
  const { row, created, request } = await storeLeg(deps, trade, {
    leg,
    role: 'close',
    request: { symbol: trade.symbol, side: exitSide(side), type: 'market', quantity: quantity ?? Math.max(num(trade.quantity), 0), reduceOnly: true },
  });
  if (!created) {
    // The same request again: resolve what it sent, never send a second order.
    if (OPEN.has(row.status)) {
      const r = await resolveClose(deps, client, row);
      if (r.state === 'working' || r.state === 'finished') return { order: r.order, error: null, reused: true };
      if (r.state === 'unreadable') return { order: null, error: r.error, reused: true };
      return { order: null, error: new OrderStateUnknown(`close ${row.client_order_id} unresolved`, { details: { clientOrderId: row.client_order_id } }), reused: true };
    }
    return { order: null, error: null, reused: true };
  }
  try {
    const order = await client.closePosition(trade.symbol, side, quantity === undefined ? { clientOrderId: request.clientOrderId } : { quantity, clientOrderId: request.clientOrderId });
    await applyOrder(deps, row, order);
    await record(deps, { action: 'position.close', entity: 'trade', entityId: trade.id, after: { why, leg, quantity: quantity ?? 'all', filled: order.filled, price: order.averagePrice }, traceId: trade.trace_id });
    return { order, error: null, reused: false };
  } catch (e) {
    await applyOrder(deps, row, null, { status: definitelyNotPlaced(e) ? 'rejected' : 'unknown', reason: errorCode(e) });
    await record(deps, { action: 'position.close-failed', entity: 'trade', entityId: trade.id, after: { why, leg, error: errInfo(e) }, traceId: trade.trace_id });
    deps.log.error({ tradeId: trade.id, err: errInfo(e) }, 'close failed');
    return { order: null, error: e, reused: false };
  }
}

/**
 * A close request seen before (its key already has a close order): resolves that
 * order by its client order id and returns; null when the request is new.
 */
export async function resolveRequestClose(deps: TradingDeps, client: ExchangeClient, trade: TradeRow, requestKey: string): Promise<{ order: Order | null; error: unknown } | null> {
  const row = (await tradesRepo.listOrdersOfTrade(deps.db, trade.id)).find((r) => r.role === 'close' && r.leg === `close-r${requestKey}`);
  if (!row) return null;
  await record(deps, { action: 'position.close-repeated', entity: 'trade', entityId: trade.id, after: { leg: row.leg, status: row.status }, traceId: trade.trace_id });
  if (!OPEN.has(row.status)) return { order: null, error: null };
  const r = await resolveClose(deps, client, row);
  if (r.state === 'working' || r.state === 'finished') return { order: r.order, error: null };
  if (r.state === 'unreadable') return { order: null, error: r.error };
  return { order: null, error: null };
}

export type CloseIntentReason = 'stop-failed' | 'manual' | 'follow-up';

export interface DriveResult {
  /** closed: flat and finalized; flat: flat, finalizing deferred (a cancel failed); closing: position left. */
  state: 'closed' | 'flat' | 'closing';
  error: unknown;
  remaining: number | null;
}

/**
 * Sends (or resolves) the close, then reads the position. Flat → the trade is
 * finalized. Not flat (an IOC filled part, the close failed, the position could
 * not be read) → the trade stays `closing` with its intent stored (each sync
 * retries), the remainder keeps or gets its stop, and the user is told: a
 * critical 'stop-failed-close-failed' while no stop protects the rest,
 * 'close-incomplete' when one does (each at most every CLOSE_ALERT_EVERY_MS).
 */
export async function driveClose(deps: TradingDeps, client: ExchangeClient, trade: TradeRow, doc: TradeDoc, o: { reason: CloseIntentReason; requestKey?: string; cause?: unknown }): Promise<DriveResult> {
  doc.rt.closing = { reason: o.reason, attempts: (doc.rt.closing?.attempts ?? 0) + 1, alertedAt: doc.rt.closing?.alertedAt ?? null };
  await writeDoc(deps, trade.id, doc);
  const { order, error } = await closeNow(deps, client, trade, doc, o.reason, o.requestKey !== undefined ? { requestKey: o.requestKey } : {});
  const side = trade.side as PositionSide;
  const position = await readPosition(client, trade);
  if (position === null) {
    if (o.reason === 'stop-failed') {
      deps.notifier.notify({ type: 'stop-failed-closed', userId: trade.user_id, traceId: trade.trace_id, tradeId: trade.id, symbol: trade.symbol, side, errorCode: errorCode(o.cause) });
    }
    const done = await finalizeTrade(deps, client, trade, doc, o.reason, order?.averagePrice ?? null);
    return { state: done ? 'closed' : 'flat', error, remaining: 0 };
  }
  // Something is left: it must stay protected until the next attempt.
  const stopPrice = trade.stop_loss !== null ? Number(trade.stop_loss) : doc.plan.stopLoss;
  let protectedBy: number | null = position?.stopLoss ?? null;
  if (position && protectedBy === null && stopPrice !== null) {
    const a = await trySetStop(deps, client, trade, doc, stopPrice, 'close-remainder');
    if (a.error === null) protectedBy = stopPrice;
  }
  const remaining = position ? position.quantity : null;
  await record(deps, { action: 'position.close-incomplete', entity: 'trade', entityId: trade.id, after: { reason: o.reason, remaining, stopLoss: protectedBy, attempts: doc.rt.closing.attempts, error: error ? errInfo(error) : null }, traceId: trade.trace_id });
  deps.log.error({ tradeId: trade.id, userId: trade.user_id, remaining, protectedBy, err: error ? errInfo(error) : null }, 'close did not complete: retrying on the next sync');
  const now = deps.clock.now();
  const last = doc.rt.closing.alertedAt;
  if (last === null || now - last >= CLOSE_ALERT_EVERY_MS) {
    doc.rt.closing.alertedAt = now;
    const base = { userId: trade.user_id, traceId: trade.trace_id, tradeId: trade.id, symbol: trade.symbol, side, remaining, attempts: doc.rt.closing.attempts, severity: 'critical' as const };
    if (protectedBy === null) deps.notifier.notify({ ...base, type: 'stop-failed-close-failed', reason: o.reason, errorCode: errorCode(error ?? o.cause ?? null) });
    else deps.notifier.notify({ ...base, type: 'close-incomplete', reason: o.reason, stopLoss: protectedBy, errorCode: error ? errorCode(error) : null });
  }
  await writeDoc(deps, trade.id, doc);
  return { state: 'closing', error, remaining };
}

/**
 * The stop could not be placed: cancel unfilled entries and close at once. The
 * user hears 'stop-failed-closed' only once the position is flat; otherwise the
 * trade stays `closing` (retried by every sync) and they are told to act.
 */
export async function emergencyClose(deps: TradingDeps, client: ExchangeClient, trade: TradeRow, doc: TradeDoc, cause: unknown): Promise<DriveResult> {
  deps.log.error({ tradeId: trade.id, userId: trade.user_id, err: errInfo(cause) }, 'stop-loss could not be placed: closing the position');
  if (trade.status === 'opening' || trade.status === 'open') await setTradeStatus(deps, trade, 'closing', 'stop-failed');
  // Unfilled entries must not reopen it (a failed cancel is retried when the trade is finalized).
  for (const row of await tradesRepo.listOrdersOfTrade(deps.db, trade.id)) {
    if (row.role === 'entry' && OPEN.has(row.status)) await cancelRow(deps, client, trade, row, 'stop-failed');
  }
  return driveClose(deps, client, trade, doc, { reason: 'stop-failed', cause });
}

/**
 * A stop (moved before the fill, or re-set) the exchange refuses: keep the last
 * valid one instead of closing. The position's own stop when it has one (the
 * stop attached to the entry), else the stop sent with the entries. Returns the
 * stop kept, or null when none protects the position.
 */
export async function keepValidStop(deps: TradingDeps, client: ExchangeClient, trade: TradeRow, doc: TradeDoc, wanted: number, attempt: StopAttempt): Promise<number | null> {
  let kept: number | null = null;
  if (attempt.positionStop != null) kept = attempt.positionStop;
  else if (doc.rt.sentStop != null && doc.rt.sentStop !== wanted) {
    const again = await trySetStop(deps, client, trade, doc, doc.rt.sentStop, 'last-valid');
    if (again.error === null) kept = doc.rt.sentStop;
  }
  if (kept === null) return null;
  doc.plan.stopLoss = kept;
  await tradesRepo.updateTrade(deps.db, trade.id, { stop_loss: String(kept) }, deps.clock.now());
  trade.stop_loss = String(kept);
  await writeDoc(deps, trade.id, doc);
  await record(deps, { action: 'stop.kept', entity: 'trade', entityId: trade.id, after: { wanted, kept, error: errInfo(attempt.error) }, traceId: trade.trace_id });
  if (!sameStop(kept, wanted, await tickOf(client, trade.symbol))) {
    deps.notifier.notify({ type: 'sl-move-failed', userId: trade.user_id, traceId: trade.trace_id, tradeId: trade.id, symbol: trade.symbol, side: trade.side as PositionSide, stopLoss: wanted, kept, errorCode: errorCode(attempt.error) });
  }
  return kept;
}

/** Places (or re-places, with a new version) the take-profit ladder for the targets not yet hit. */
export async function placeLadder(deps: TradingDeps, client: ExchangeClient, trade: TradeRow, doc: TradeDoc, positionQty: number, market: Market | null): Promise<SentLeg[]> {
  const plan = doc.plan;
  const from = doc.rt.tpHit.length === 0 ? 0 : Math.max(...doc.rt.tpHit) + 1;
  const m = await marketOf(client, trade.symbol, market);
  const ladder = ladderFor(plan, positionQty, m, from);
  doc.rt.tpVersion += 1;
  doc.rt.ladderFor = positionQty;
  await writeDoc(deps, trade.id, doc);
  if (ladder.length === 0) return [];
  const sent = await sendBatch(deps, client, trade, ladderLegs(trade.symbol, trade.side as PositionSide, doc.rt.tpVersion, ladder));
  const failed = sent.filter((s) => s.row.status === 'rejected');
  if (failed.length > 0) {
    deps.notifier.notify({ type: 'protection-failed', userId: trade.user_id, traceId: trade.trace_id, tradeId: trade.id, symbol: trade.symbol, side: trade.side as PositionSide, what: 'take-profit', errorCode: errorCode(failed[0]!.error) });
  }
  return sent;
}

/** Whether the plan's only target rides on the entry order (no ladder). */
export function targetAttached(doc: TradeDoc, stopAttached: boolean): boolean {
  return stopAttached && doc.plan.takeProfits.length === 1 && doc.plan.trailingPct === 0;
}

/**
 * Right after entries filled: make sure the stop is there, place the ladder
 * for the filled quantity, mark the trade open. False when the position had
 * to be closed because the stop could not be placed.
 */
export async function protectFilled(
  deps: TradingDeps,
  client: ExchangeClient,
  trade: TradeRow,
  doc: TradeDoc,
  fill: { filled: number; avgPrice: number; stopAttached: boolean; market: Market | null },
): Promise<boolean> {
  const plan = doc.plan;
  if (plan.stopLoss !== null && !fill.stopAttached) {
    const attempt = await trySetStop(deps, client, trade, doc, plan.stopLoss, 'initial');
    if (attempt.error !== null && (await keepValidStop(deps, client, trade, doc, plan.stopLoss, attempt)) === null) {
      if (!plan.allowNoStop) {
        await emergencyClose(deps, client, trade, doc, attempt.error);
        return false;
      }
      deps.notifier.notify({ type: 'protection-failed', userId: trade.user_id, traceId: trade.trace_id, tradeId: trade.id, symbol: trade.symbol, side: trade.side as PositionSide, what: 'stop-loss', errorCode: errorCode(attempt.error) });
    }
  }
  if (!targetAttached(doc, fill.stopAttached)) await placeLadder(deps, client, trade, doc, fill.filled, fill.market);
  else {
    doc.rt.ladderFor = fill.filled;
    await writeDoc(deps, trade.id, doc);
  }
  const now = deps.clock.now();
  await setTradeStatus(deps, trade, 'open', 'entry-filled', { entry_price: String(clean(fill.avgPrice)), quantity: String(fill.filled), opened_at: now });
  trade.entry_price = String(clean(fill.avgPrice));
  trade.quantity = String(fill.filled);
  doc.rt.notifiedFilled = fill.filled;
  await writeDoc(deps, trade.id, doc);
  await record(deps, { action: 'trade.opened', entity: 'trade', entityId: trade.id, after: { entryPrice: fill.avgPrice, quantity: fill.filled, stopLoss: doc.plan.stopLoss }, traceId: trade.trace_id });
  const stopLoss = trade.stop_loss === null ? null : Number(trade.stop_loss);
  const side = trade.side as PositionSide;
  // The first fill of a multi-entry plan is not the whole trade: say how much of the plan filled.
  const partial = plan.entries.length > 1 && fill.filled < plan.quantity * (1 - 1e-9);
  if (partial) {
    deps.notifier.notify({ type: 'entry-filled', userId: trade.user_id, traceId: trade.trace_id, tradeId: trade.id, symbol: trade.symbol, side, filled: fill.filled, planned: plan.quantity, averagePrice: clean(fill.avgPrice), first: true, stopLoss });
  } else {
    deps.notifier.notify({
      type: 'trade-opened',
      userId: trade.user_id,
      traceId: trade.trace_id,
      tradeId: trade.id,
      symbol: trade.symbol,
      side,
      entryPrice: clean(fill.avgPrice),
      quantity: fill.filled,
      plannedQuantity: plan.quantity,
      leverage: plan.leverage,
      stopLoss,
      takeProfits: plan.takeProfits.map((t) => t.price),
    });
  }
  return true;
}

export interface PnlBreakdown {
  entryQty: number;
  entryAvg: number;
  exitQty: number;
  realizedPnl: number;
  fees: number;
  exitAvg: number | null;
  estimated: boolean;
}

/** An exit the exchange booked outside the trade's own orders (a position stop / TP, a liquidation, a manual close). */
export type OutsideExit = Pick<Fill, 'price' | 'quantity' | 'fee'>;

/**
 * Realized PnL from the trade's orders. A remainder closed outside our orders
 * is valued first from `outside` (the exchange's own fills, most relevant
 * first), and only what they do not cover at `exitHint` (estimated).
 */
export function computePnl(side: PositionSide, orders: OrderRow[], market: Pick<Market, 'takerFee'> | null, exitHint: number | null, outside: readonly OutsideExit[] = []): PnlBreakdown {
  let entryQty = 0;
  let entryCost = 0;
  let exitQty = 0;
  let exitValue = 0;
  let fees = 0;
  for (const o of orders) {
    const f = num(o.filled);
    fees += num(o.fee);
    if (f <= 0) continue;
    const px = num(o.average_price) || num(o.price) || num(o.trigger_price);
    if (o.role === 'entry') {
      entryQty += f;
      entryCost += f * px;
    } else {
      exitQty += f;
      exitValue += f * px;
    }
  }
  const entryAvg = entryQty > 0 ? entryCost / entryQty : 0;
  let estimated = false;
  let remainder = clean(entryQty - exitQty, 10);
  for (const x of outside) {
    if (!(remainder > 0)) break;
    if (!(x.quantity > 0) || !(x.price > 0)) continue;
    const q = Math.min(x.quantity, remainder);
    exitQty += q;
    exitValue += q * x.price;
    fees += x.fee * (q / x.quantity);
    remainder = clean(remainder - q, 10);
  }
  if (remainder > 0) {
    // The fills do not cover the whole exit: whatever is booked for the rest is an estimate.
    estimated = true;
    if (exitHint !== null) {
      exitQty += remainder;
      exitValue += remainder * exitHint;
      fees += remainder * exitHint * (market?.takerFee ?? 0);
    }
  }
  const exitAvg = exitQty > 0 ? exitValue / exitQty : null;
  const gross = exitAvg === null ? 0 : pnl(side, entryAvg, exitAvg, Math.min(exitQty, entryQty));
  return { entryQty, entryAvg, exitQty, realizedPnl: clean(gross - fees, 8), fees: clean(fees, 8), exitAvg: exitAvg === null ? null : clean(exitAvg), estimated };
}

function averagePrice(fills: readonly OutsideExit[]): number {
  const q = fills.reduce((a, f) => a + f.quantity, 0);
  return q > 0 ? clean(fills.reduce((a, f) => a + f.quantity * f.price, 0) / q) : 0;
}

/**
 * The exchange's fills that closed what the trade's own orders did not: the
 * reduce-only fills on the exit side between the trade's open and now (when
 * the position was seen flat) that belong to none of its orders, nor to
 * another trade's or a grid bot's orders on the account, oldest first. Empty
 * when there is nothing left to explain; null when the exchange cannot tell
 * (no fills history, or the read failed): the caller estimates then.
 */
export async function outsideExits(deps: TradingDeps, client: ExchangeClient, trade: TradeRow, orders: OrderRow[]): Promise<OutsideExit[] | null> {
  let entryQty = 0;
  let exitQty = 0;
  for (const o of orders) {
    if (o.role === 'entry') entryQty += num(o.filled);
    else exitQty += num(o.filled);
  }
  if (!(clean(entryQty - exitQty, 10) > 0)) return [];
  if (!client.fetchFills) return null;
  const ids = new Set<string>();
  for (const o of orders) {
    ids.add(`c:${o.client_order_id}`);
    if (o.exchange_order_id) ids.add(`o:${o.exchange_order_id}`);
  }
  const out = exitSide(trade.side as PositionSide);
  let fills: Fill[];
  const since = Math.min(trade.opened_at ?? trade.created_at, trade.created_at);
  const until = deps.clock.now();
  try {
    fills = await client.fetchFills(trade.symbol, since);
  } catch (e) {
    deps.log.warn({ tradeId: trade.id, err: errInfo(e) }, 'fills could not be read: realized PnL estimated');
    return null;
  }
  const candidates = fills.filter(
    (f) => f.side === out && f.reduceOnly !== false && f.timestamp >= since && f.timestamp <= until && !ids.has(`o:${f.orderId}`) && !(f.clientOrderId !== null && ids.has(`c:${f.clientOrderId}`)),
  );
  if (candidates.length === 0) return [];
  const foreign = await foreignOrderIds(deps, trade);
  const kept: Fill[] = [];
  for (const f of candidates) {
    if (foreign.has(`o:${f.orderId}`)) continue;
    if (f.clientOrderId !== null && f.clientOrderId !== '') {
      if (foreign.has(`c:${f.clientOrderId}`)) continue;
      const row = await tradesRepo.findOrderByClientId(deps.db, f.clientOrderId);
      if (row && row.trade_id !== trade.id) continue;
    }
    kept.push(f);
  }
  return kept.sort((a, b) => a.timestamp - b.timestamp);
}

/**
 * Order ids ("o:" exchange id, "c:" client id) of everything else the bot runs on the
 * trade's account and symbol: other trades (open, or closed since this one was created)
 * and grid bots (their deterministic ids, from the keys of the orders in their state).
 */
async function foreignOrderIds(deps: TradingDeps, trade: TradeRow): Promise<Set<string>> {
  const ids = new Set<string>();
  const open = await tradesRepo.listOpenTrades(deps.db, { accountId: trade.account_id, symbol: trade.symbol });
  const closed = (await tradesRepo.listClosedTrades(deps.db, { userId: trade.user_id, since: trade.created_at })).filter((t) => t.account_id === trade.account_id && t.symbol === trade.symbol);
  for (const t of [...open, ...closed]) {
    if (t.id === trade.id) continue;
    for (const o of await tradesRepo.listOrdersOfTrade(deps.db, t.id)) {
      ids.add(`c:${o.client_order_id}`);
      if (o.exchange_order_id) ids.add(`o:${o.exchange_order_id}`);
    }
  }
  const bots = (await listGridBotsOfUser(deps.db, trade.user_id)).filter((b) => b.account_id === trade.account_id && b.symbol === trade.symbol);
  if (bots.length > 0) {
    const salt = await orderIdSalt(deps.db);
    for (const b of bots) {
      for (const key of gridOrderKeys(b.state)) ids.add(`c:${clientOrderId(`grid${b.id}`, b.user_id, key, gridSalt(salt, Number(b.id)))}`);
    }
  }
  return ids;
}

/** The keys of the orders in a grid bot's stored state (and their exchange ids, if kept); [] when unreadable. */
function gridOrderKeys(state: string): string[] {
  try {
    const s = JSON.parse(state) as { orders?: { key?: unknown }[] };
    return (s.orders ?? []).flatMap((o) => (typeof o.key === 'string' ? [o.key] : []));
  } catch {
    return [];
  }
}

/**
 * Closes the trade record: cancels what is left of its orders (pending ones by
 * client order id too; on HyperLiquid also the entries' attached children),
 * books PnL, tells the user. If any cancel fails nothing is finalized: the
 * trade stays `closing` and the next sync tries again. False then.
 */
export async function finalizeTrade(deps: TradingDeps, client: ExchangeClient | null, trade: TradeRow, doc: TradeDoc, reason: CloseReason, exitHint: number | null): Promise<boolean> {
  if (isTerminalTrade(trade.status as never)) return true;
  let orders = await tradesRepo.listOrdersOfTrade(deps.db, trade.id);
  if (client) {
    let ok = true;
    for (const row of orders) if (OPEN.has(row.status)) ok = (await cancelRow(deps, client, trade, row, `trade-${reason}`)) && ok;
    const account = await accountsRepo.findAccount(deps.db, trade.account_id);
    if (account) ok = (await cancelAttachedChildren(deps, client, trade, account.exchange, orders)) && ok;
    if (!ok) {
      if (trade.status === 'open' || trade.status === 'opening') await setTradeStatus(deps, trade, 'closing', 'cleanup-pending');
      await record(deps, { action: 'trade.finalize-deferred', entity: 'trade', entityId: trade.id, after: { reason }, traceId: trade.trace_id });
      deps.log.warn({ tradeId: trade.id, reason }, 'finalizing deferred: an order could not be cancelled');
      return false;
    }
    orders = await tradesRepo.listOrdersOfTrade(deps.db, trade.id);
  }
  let market: Market | null;
  try {
    market = client ? await client.market(trade.symbol) : null;
  } catch {
    market = null;
  }
  const hint = exitHint ?? (reason === 'stop-loss' && trade.stop_loss !== null ? Number(trade.stop_loss) : reason === 'liquidation' ? doc.rt.liquidationPrice : null);
  const outside = client ? await outsideExits(deps, client, trade, orders) : null;
  const p = computePnl(trade.side as PositionSide, orders, market, hint, outside ?? []);
  const now = deps.clock.now();
  if (p.entryQty <= 0) {
    const to = trade.status === 'closing' || trade.status === 'open' ? 'closed' : 'cancelled';
    await setTradeStatus(deps, trade, to, reason, { closed_at: now, close_reason: reason });
    return true;
  }
  const ok = await setTradeStatus(deps, trade, 'closed', reason, { closed_at: now, close_reason: reason, realized_pnl: String(p.realizedPnl), fees: String(p.fees) });
  if (!ok) return false;
  await record(deps, { action: 'trade.closed', entity: 'trade', entityId: trade.id, after: { reason, ...p }, traceId: trade.trace_id });
  const side = trade.side as PositionSide;
  const slPrice = !p.estimated && outside && outside.length > 0 ? averagePrice(outside) : (hint ?? 0);
  if (reason === 'stop-loss') deps.notifier.notify({ type: 'sl-hit', userId: trade.user_id, traceId: trade.trace_id, tradeId: trade.id, symbol: trade.symbol, side, price: slPrice });
  deps.notifier.notify({ type: 'trade-closed', userId: trade.user_id, traceId: trade.trace_id, tradeId: trade.id, symbol: trade.symbol, side, reason, exitPrice: p.exitAvg, realizedPnl: p.realizedPnl, fees: p.fees, estimated: p.estimated });
  return true;
}
