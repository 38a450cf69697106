/**
 * Protection of a filled position and the end of a trade: the stop-loss
 * (attached to the entry, or set on the position), the take-profit ladder
 * sized to what is filled, the emergency close when the stop cannot be
 * placed, and the final realized PnL including fees.
 */
import { trades as tradesRepo } from '../../db/index.js';
import type { OrderRow, TradeRow } from '../../db/database.js';
import type { ExchangeClient } from '../../exchanges/index.js';
import { clean, exitSide, isTerminalTrade, pnl, type Market, type Order, type PositionSide } from '../../models/index.js';
import type { CloseReason } from '../notifications.js';
import { ladderFor } from './plan.js';
import { applyOrder, errInfo, errorCode, num, record, setTradeStatus, writeDoc, type TradeDoc, type TradingDeps } from './context.js';
import { cancelRow, coidFor, ladderLegs, sendBatch, storeLeg, type SentLeg } from './orders.js';

const OPEN = new Set(['pending', 'open', 'partially_filled', 'unknown']);

async function marketOf(client: ExchangeClient, symbol: string, given: Market | null): Promise<Market> {
  return given ?? client.market(symbol);
}

/** Sets or moves the position's stop-loss. Returns the error, or null on success. */
export async function setStop(deps: TradingDeps, client: ExchangeClient, trade: TradeRow, doc: TradeDoc, stopLoss: number, why: string): Promise<unknown> {
  try {
    await client.setPositionProtection(trade.symbol, trade.side as PositionSide, { stopLoss, clientOrderId: coidFor(trade, `sl-${doc.rt.closeVersion}-${Math.round(stopLoss * 1e8)}`) });
  } catch (e) {
    await record(deps, { action: 'stop.failed', entity: 'trade', entityId: trade.id, after: { stopLoss, why, error: errInfo(e) }, traceId: trade.trace_id });
    return e;
  }
  const before = trade.stop_loss;
  await tradesRepo.updateTrade(deps.db, trade.id, { stop_loss: String(stopLoss) }, deps.clock.now());
  trade.stop_loss = String(stopLoss);
  await record(deps, { action: 'stop.set', entity: 'trade', entityId: trade.id, before: { stopLoss: before }, after: { stopLoss, why }, traceId: trade.trace_id });
  return null;
}

/** Reduce-only market close of the whole position with a deterministic id. */
export async function closeNow(deps: TradingDeps, client: ExchangeClient, trade: TradeRow, doc: TradeDoc, why: string, quantity?: number): Promise<{ order: Order | null; error: unknown }> {
  doc.rt.closeVersion += 1;
  await writeDoc(deps, trade.id, doc);
  const leg = `close-${doc.rt.closeVersion}`;
  const side = trade.side as PositionSide;
  const { row, created, request } = await storeLeg(deps, trade, {
    leg,
    role: 'close',
    request: { symbol: trade.symbol, side: exitSide(side), type: 'market', quantity: quantity ?? Math.max(num(trade.quantity), 0), reduceOnly: true },
  });
  if (!created) return { order: null, error: null };
  try {
    const order = await client.closePosition(trade.symbol, side, quantity === undefined ? { clientOrderId: request.clientOrderId } : { quantity, clientOrderId: request.clientOrderId });
    await applyOrder(deps, row, order);
    await record(deps, { action: 'position.close', entity: 'trade', entityId: trade.id, after: { why, quantity: quantity ?? 'all', filled: order.filled, price: order.averagePrice }, traceId: trade.trace_id });
    return { order, error: null };
  } catch (e) {
    await applyOrder(deps, row, null, { status: errorCode(e) === 'order-state-unknown' ? 'unknown' : 'rejected', reason: errorCode(e) });
    await record(deps, { action: 'position.close-failed', entity: 'trade', entityId: trade.id, after: { why, error: errInfo(e) }, traceId: trade.trace_id });
    deps.log.error({ tradeId: trade.id, err: errInfo(e) }, 'close failed');
    return { order: null, error: e };
  }
}

/** The stop could not be placed: close at once and tell the user. */
export async function emergencyClose(deps: TradingDeps, client: ExchangeClient, trade: TradeRow, doc: TradeDoc, cause: unknown): Promise<void> {
  deps.log.error({ tradeId: trade.id, userId: trade.user_id, err: errInfo(cause) }, 'stop-loss could not be placed: closing the position');
  if (trade.status === 'opening' || trade.status === 'open') await setTradeStatus(deps, trade, 'closing', 'stop-failed');
  // Unfilled entries must not reopen it.
  for (const row of await tradesRepo.listOrdersOfTrade(deps.db, trade.id)) {
    if (row.role === 'entry' && OPEN.has(row.status)) await cancelRow(deps, client, trade, row, 'stop-failed');
  }
  const { order } = await closeNow(deps, client, trade, doc, 'stop-failed');
  deps.notifier.notify({ type: 'stop-failed-closed', userId: trade.user_id, traceId: trade.trace_id, tradeId: trade.id, symbol: trade.symbol, side: trade.side as PositionSide, errorCode: errorCode(cause) });
  if (order && (order.status === 'filled' || order.filled > 0)) await finalizeTrade(deps, client, trade, doc, 'stop-failed', order.averagePrice);
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
    const e = await setStop(deps, client, trade, doc, plan.stopLoss, 'initial');
    if (e !== null) {
      if (!plan.allowNoStop) {
        await emergencyClose(deps, client, trade, doc, e);
        return false;
      }
      deps.notifier.notify({ type: 'protection-failed', userId: trade.user_id, traceId: trade.trace_id, tradeId: trade.id, symbol: trade.symbol, side: trade.side as PositionSide, what: 'stop-loss', errorCode: errorCode(e) });
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
  await record(deps, { action: 'trade.opened', entity: 'trade', entityId: trade.id, after: { entryPrice: fill.avgPrice, quantity: fill.filled, stopLoss: plan.stopLoss }, traceId: trade.trace_id });
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

/** Realized PnL from the trade's orders; a remainder closed outside our orders is valued at `exitHint`. */
export function computePnl(side: PositionSide, orders: OrderRow[], market: Pick<Market, 'takerFee'> | null, exitHint: number | null): PnlBreakdown {
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
  const remainder = clean(entryQty - exitQty, 10);
  if (remainder > 0 && exitHint !== null) {
    exitQty += remainder;
    exitValue += remainder * exitHint;
    fees += remainder * exitHint * (market?.takerFee ?? 0);
    estimated = true;
  }
  const exitAvg = exitQty > 0 ? exitValue / exitQty : null;
  const gross = exitAvg === null ? 0 : pnl(side, entryAvg, exitAvg, Math.min(exitQty, entryQty));
  return { entryQty, entryAvg, exitQty, realizedPnl: clean(gross - fees, 8), fees: clean(fees, 8), exitAvg: exitAvg === null ? null : clean(exitAvg), estimated };
}

/** Closes the trade record: cancels what is left of its orders, books PnL, tells the user. */
export async function finalizeTrade(deps: TradingDeps, client: ExchangeClient | null, trade: TradeRow, doc: TradeDoc, reason: CloseReason, exitHint: number | null): Promise<void> {
  if (isTerminalTrade(trade.status as never)) return;
  let orders = await tradesRepo.listOrdersOfTrade(deps.db, trade.id);
  if (client) {
    for (const row of orders) if (OPEN.has(row.status) && row.status !== 'pending') await cancelRow(deps, client, trade, row, `trade-${reason}`);
    orders = await tradesRepo.listOrdersOfTrade(deps.db, trade.id);
  }
  let market: Market | null;
  try {
    market = client ? await client.market(trade.symbol) : null;
  } catch {
    market = null;
  }
  const hint = exitHint ?? (reason === 'stop-loss' && trade.stop_loss !== null ? Number(trade.stop_loss) : reason === 'liquidation' ? doc.rt.liquidationPrice : null);
  const p = computePnl(trade.side as PositionSide, orders, market, hint);
  const now = deps.clock.now();
  if (p.entryQty <= 0) {
    await setTradeStatus(deps, trade, 'cancelled', reason, { closed_at: now, close_reason: reason });
    return;
  }
  const ok = await setTradeStatus(deps, trade, 'closed', reason, { closed_at: now, close_reason: reason, realized_pnl: String(p.realizedPnl), fees: String(p.fees) });
  if (!ok) return;
  await record(deps, { action: 'trade.closed', entity: 'trade', entityId: trade.id, after: { reason, ...p }, traceId: trade.trace_id });
  const side = trade.side as PositionSide;
  if (reason === 'stop-loss') deps.notifier.notify({ type: 'sl-hit', userId: trade.user_id, traceId: trade.trace_id, tradeId: trade.id, symbol: trade.symbol, side, price: hint ?? 0 });
  deps.notifier.notify({ type: 'trade-closed', userId: trade.user_id, traceId: trade.trace_id, tradeId: trade.id, symbol: trade.symbol, side, reason, exitPrice: p.exitAvg, realizedPnl: p.realizedPnl, fees: p.fees, estimated: p.estimated });
}
