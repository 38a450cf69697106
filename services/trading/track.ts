/**
 * syncTrade: read the exchange's state of one trade (open orders, position,
 * and each order that left the open list) and advance the trade: entry fills
 * (partial ones resize the ladder), take-profit hits (and the breakeven move),
 * trailing after the last placed target, entry timeout, a missing stop
 * re-placed, and the close when the position is gone — with realized PnL.
 * Used by the tracking loop and by reconciliation alike.
 */
import { accounts, trades as tradesRepo } from '../../db/index.js';
import type { OrderRow, TradeRow } from '../../db/database.js';
import type { ExchangeClient } from '../../exchanges/index.js';
import { clean, isTerminalTrade, roundPrice, type Order, type Position, type PositionSide, type TradeStatus } from '../../models/index.js';
import type { CloseReason } from '../notifications.js';
import { attachesStops, applyOrder, canManage, clientOf, errInfo, errorCode, num, readDoc, record, setTradeStatus, writeDoc, type TradeDoc, type TradingDeps } from './context.js';
import { cancelRow } from './orders.js';
import { driveClose, emergencyClose, finalizeTrade, placeLadder, protectFilled, sameStop, setStop, tickOf, trySetStop } from './protect.js';

export interface Discrepancy {
  kind: 'order-adopted' | 'order-never-placed' | 'order-missing' | 'stop-missing' | 'stop-mismatch' | 'position-gone' | 'fill-while-down';
  tradeId: number;
  details: Record<string, unknown>;
}

export interface SyncResult {
  tradeId: number;
  status: TradeStatus | 'missing';
  discrepancies: Discrepancy[];
}

const OPEN = new Set(['pending', 'open', 'partially_filled', 'unknown']);

function tpIndex(row: OrderRow): number | null {
  const m = /^tp-(\d+)-v\d+$/.exec(row.leg ?? '');
  return m ? Number(m[1]) : null;
}

const crossed = (side: PositionSide, price: number, level: number, tolerance = 0.005): boolean =>
  side === 'long' ? price <= level * (1 + tolerance) : price >= level * (1 - tolerance);

/** Updates every unfinished order row of the trade from the exchange. */
async function refreshOrders(deps: TradingDeps, client: ExchangeClient, trade: TradeRow, openOnExchange: Order[], out: Discrepancy[]): Promise<OrderRow[]> {
  const rows = await tradesRepo.listOrdersOfTrade(deps.db, trade.id);
  const now = deps.clock.now();
  for (const row of rows) {
    if (!OPEN.has(row.status)) continue;
    let ex: Order | null =
      openOnExchange.find((o) => o.clientOrderId === row.client_order_id || (row.exchange_order_id !== null && o.id === row.exchange_order_id)) ?? null;
    if (!ex) {
      try {
        ex = await client.fetchOrder(row.symbol, row.exchange_order_id ? { id: row.exchange_order_id, clientOrderId: row.client_order_id } : { clientOrderId: row.client_order_id });
      } catch (e) {
        deps.log.warn({ tradeId: trade.id, orderId: row.id, err: errInfo(e) }, 'order look-up failed');
        continue;
      }
    }
    if (ex) {
      if (row.status === 'pending' || row.status === 'unknown') {
        out.push({ kind: 'order-adopted', tradeId: trade.id, details: { leg: row.leg, was: row.status, now: ex.status, filled: ex.filled } });
      }
      await applyOrder(deps, row, ex);
    } else if (row.status === 'pending' || row.status === 'unknown') {
      if (now - row.updated_at >= deps.options.pendingGraceMs) {
        out.push({ kind: 'order-never-placed', tradeId: trade.id, details: { leg: row.leg, was: row.status } });
        await applyOrder(deps, row, null, { status: 'rejected', reason: 'not-on-exchange' });
      }
    } else {
      out.push({ kind: 'order-missing', tradeId: trade.id, details: { leg: row.leg, was: row.status } });
      await applyOrder(deps, row, null, { status: 'cancelled', reason: 'not-on-exchange' });
    }
  }
  return tradesRepo.listOrdersOfTrade(deps.db, trade.id);
}

function entryStats(rows: OrderRow[]): { filled: number; avg: number; open: OrderRow[]; allDone: boolean } {
  let filled = 0;
  let cost = 0;
  const open: OrderRow[] = [];
  for (const r of rows) {
    if (r.role !== 'entry') continue;
    const f = num(r.filled);
    filled += f;
    cost += f * (num(r.average_price) || num(r.price));
    if (OPEN.has(r.status)) open.push(r);
  }
  return { filled: clean(filled), avg: filled > 0 ? clean(cost / filled) : 0, open, allDone: open.length === 0 };
}

async function whyGone(deps: TradingDeps, client: ExchangeClient, trade: TradeRow, doc: TradeDoc, rows: OrderRow[]): Promise<{ reason: CloseReason; hint: number | null }> {
  const entries = entryStats(rows);
  const exits = rows.filter((r) => r.role !== 'entry').reduce((s, r) => s + num(r.filled), 0);
  if (exits >= entries.filled - 1e-12) {
    const lastWasClose = rows.some((r) => r.role === 'close' && num(r.filled) > 0);
    return { reason: lastWasClose ? 'manual' : 'take-profit', hint: null };
  }
  let last: number | null;
  try {
    last = (await client.fetchTicker(trade.symbol)).last;
  } catch {
    last = null;
  }
  const side = trade.side as PositionSide;
  const liq = doc.rt.liquidationPrice;
  if (last !== null && liq !== null && liq > 0 && crossed(side, last, liq, 0.001)) return { reason: 'liquidation', hint: liq };
  const stop = trade.stop_loss === null ? null : Number(trade.stop_loss);
  if (stop !== null && (last === null || crossed(side, last, stop))) return { reason: 'stop-loss', hint: stop };
  return { reason: 'position-gone', hint: last };
}

/**
 * What the exchange said about one account in one read: its open orders and
 * positions (for every symbol the account's trades are in). The tracking loop
 * reads it once per account per tick and advances every trade from it.
 */
export interface AccountSnapshot {
  openOrders: Order[];
  positions: Position[];
  /** Symbols the snapshot covers (a trade in another symbol reads its own). */
  symbols: ReadonlySet<string> | null;
}

/** Reads an account's snapshot with two requests (one symbol: scoped to it; several: the whole account). */
export async function readSnapshot(client: ExchangeClient, symbols: string[]): Promise<AccountSnapshot> {
  const unique = [...new Set(symbols)];
  const one = unique.length === 1 ? unique[0]! : undefined;
  const [openOrders, positions] = await Promise.all([client.fetchOpenOrders(one), client.fetchPositions(one ? [one] : undefined)]);
  return { openOrders, positions, symbols: one ? new Set([one]) : null };
}

export async function syncTrade(deps: TradingDeps, tradeId: number, snapshot?: AccountSnapshot): Promise<SyncResult> {
  const out: Discrepancy[] = [];
  const trade = await tradesRepo.findTrade(deps.db, tradeId);
  if (!trade) return { tradeId, status: 'missing', discrepancies: out };
  if (isTerminalTrade(trade.status as TradeStatus)) return { tradeId, status: trade.status as TradeStatus, discrepancies: out };
  const account = await accounts.findAccount(deps.db, trade.account_id);
  if (!account) return { tradeId, status: trade.status as TradeStatus, discrepancies: out };
  const client = await clientOf(deps, account);
  const doc = readDoc(trade);
  const side = trade.side as PositionSide;
  const covered = snapshot && (snapshot.symbols === null || snapshot.symbols.has(trade.symbol));
  const [openOnExchange, positions] = covered
    ? [snapshot.openOrders.filter((o) => o.symbol === trade.symbol), snapshot.positions]
    : await Promise.all([client.fetchOpenOrders(trade.symbol), client.fetchPositions([trade.symbol])]);
  // Optional management (breakeven, trailing, ladder resizing) needs the gate's yes; protection does not.
  let managed: boolean | null = null;
  const mayManage = async (): Promise<boolean> => (managed ??= await canManage(deps, trade.user_id));
  const position: Position | null = positions.find((p) => p.symbol === trade.symbol && p.side === side && p.quantity > 0) ?? null;
  if (position?.liquidationPrice != null) doc.rt.liquidationPrice = position.liquidationPrice;
  const rows = await refreshOrders(deps, client, trade, openOnExchange, out);
  // The stop as of the snapshot: a stop set in this pass (breakeven) is not compared with it.
  const stopAtRead = trade.stop_loss;
  const entries = entryStats(rows);
  const now = deps.clock.now();
  const timedOut = doc.plan.entryTimeoutMin > 0 && now - trade.created_at >= doc.plan.entryTimeoutMin * 60_000;
  const done = async (): Promise<SyncResult> => {
    await writeDoc(deps, trade.id, doc);
    for (const d of out) await record(deps, { action: `reconcile.${d.kind}`, entity: 'trade', entityId: trade.id, after: d.details, traceId: trade.trace_id });
    return { tradeId, status: trade.status as TradeStatus, discrepancies: out };
  };

  if (trade.status === 'planned' || trade.status === 'opening') {
    if (entries.filled > 0) {
      if (!position) {
        out.push({ kind: 'fill-while-down', tradeId: trade.id, details: { filled: entries.filled, position: 0 } });
        await setTradeStatus(deps, trade, 'open', 'filled-while-down', { entry_price: String(entries.avg), quantity: String(entries.filled), opened_at: now });
        const why = await whyGone(deps, client, trade, doc, rows);
        await finalizeTrade(deps, client, trade, doc, why.reason, why.hint);
        return done();
      }
      // The stop rides on the entry where the exchange supports it; the position says whether it is there.
      const wanted = doc.plan.stopLoss;
      const stopThere = wanted === null || (position.stopLoss !== null && sameStop(position.stopLoss, wanted, await tickOf(client, trade.symbol)));
      if (!stopThere) out.push({ kind: 'stop-missing', tradeId: trade.id, details: { stopLoss: doc.plan.stopLoss } });
      if (entries.filled > 0 && trade.status === 'planned') await setTradeStatus(deps, trade, 'opening', 'adopted');
      await writeDoc(deps, trade.id, doc);
      await protectFilled(deps, client, trade, doc, { filled: Math.min(entries.filled, position.quantity), avgPrice: entries.avg, stopAttached: stopThere && attachesStops(deps, account.exchange), market: null });
      return done();
    }
    if (entries.allDone || timedOut) {
      for (const r of entries.open) await cancelRow(deps, client, trade, r, 'timeout');
      const why = entries.allDone ? (rows.some((r) => r.role === 'entry' && r.status === 'rejected') ? 'rejected' : 'never-sent') : 'timeout';
      if (await setTradeStatus(deps, trade, 'cancelled', why, { closed_at: now, close_reason: why })) {
        await record(deps, { action: 'trade.cancelled', entity: 'trade', entityId: trade.id, after: { why }, traceId: trade.trace_id });
        deps.notifier.notify({ type: 'trade-cancelled', userId: trade.user_id, traceId: trade.trace_id, tradeId: trade.id, symbol: trade.symbol, side, why });
      }
    }
    return done();
  }

  // open / closing
  const closing = trade.status === 'closing' ? (doc.rt.closing ?? null) : null;
  if (!position) {
    if (closing) {
      // The close we kept retrying is done (or something else closed the rest).
      await finalizeTrade(deps, client, trade, doc, closing.reason, null);
      return done();
    }
    const why = await whyGone(deps, client, trade, doc, rows);
    if (why.reason === 'position-gone') out.push({ kind: 'position-gone', tradeId: trade.id, details: { lastPrice: why.hint } });
    await finalizeTrade(deps, client, trade, doc, why.reason, why.hint);
    return done();
  }
  if (closing) {
    // A close that did not complete (failed, or filled only part): protect the rest, try again.
    await driveClose(deps, client, trade, doc, { reason: closing.reason });
    return done();
  }
  if (trade.status === 'closing' && !rows.some((r) => r.role === 'close' && OPEN.has(r.status))) {
    await setTradeStatus(deps, trade, 'open', 'close-did-not-complete');
  }

  // New entry fills (partial fills of limit entries): resize the ladder to the position.
  if (entries.filled > doc.rt.notifiedFilled + 1e-12) {
    await tradesRepo.updateTrade(deps.db, trade.id, { quantity: String(entries.filled), entry_price: String(entries.avg) }, now);
    trade.quantity = String(entries.filled);
    trade.entry_price = String(entries.avg);
    if (doc.rt.notifyFills) {
      deps.notifier.notify({ type: 'entry-filled', userId: trade.user_id, traceId: trade.trace_id, tradeId: trade.id, symbol: trade.symbol, side, filled: entries.filled, planned: doc.plan.quantity, averagePrice: entries.avg, first: false });
    }
    doc.rt.notifiedFilled = entries.filled;
  }

  // Take-profit fills.
  const tpFilled = rows.filter((r) => r.role === 'take-profit' && r.status === 'filled');
  for (const r of tpFilled) {
    const i = tpIndex(r);
    if (i === null || doc.rt.tpHit.includes(i)) continue;
    doc.rt.tpHit.push(i);
    await record(deps, { action: 'tp.filled', entity: 'trade', entityId: trade.id, after: { index: i, price: num(r.average_price) || num(r.price), quantity: num(r.filled) }, traceId: trade.trace_id });
    if (doc.rt.notifyFills) {
      deps.notifier.notify({ type: 'tp-hit', userId: trade.user_id, traceId: trade.trace_id, tradeId: trade.id, symbol: trade.symbol, side, index: i, price: num(r.average_price) || num(r.price), quantity: num(r.filled), remaining: position.quantity });
    }
  }
  const k = doc.plan.breakevenAfterTp;
  if (k > 0 && !doc.rt.breakevenDone && doc.rt.tpHit.some((i) => i >= k - 1) && entries.avg > 0 && (await mayManage())) {
    const market = await client.market(trade.symbol);
    const be = roundPrice(market, entries.avg);
    const e = await setStop(deps, client, trade, doc, be, 'breakeven');
    if (e === null) {
      doc.rt.breakevenDone = true;
      deps.notifier.notify({ type: 'sl-moved', userId: trade.user_id, traceId: trade.trace_id, tradeId: trade.id, symbol: trade.symbol, side, stopLoss: be, why: 'breakeven' });
    }
  }

  // A missing stop is put back; if it cannot be, the position is closed.
  const stopPrice = trade.stop_loss === null ? doc.plan.stopLoss : Number(trade.stop_loss);
  if (stopPrice !== null && position.stopLoss === null) {
    out.push({ kind: 'stop-missing', tradeId: trade.id, details: { stopLoss: stopPrice } });
    const e = await setStop(deps, client, trade, doc, stopPrice, 'restore');
    if (e !== null && !doc.plan.allowNoStop) {
      await emergencyClose(deps, client, trade, doc, e);
      return done();
    }
  } else if (stopPrice !== null && position.stopLoss !== null && trade.stop_loss === stopAtRead && !sameStop(position.stopLoss, stopPrice, await tickOf(client, trade.symbol))) {
    // A stop other than ours: a later limit entry that filled with the stop it was sent with
    // (Bybit Full mode, Paper) or its attached child (HyperLiquid) reset the moved one. Put ours back;
    // if the exchange refuses, the position keeps the stop it has (it is protected) and the user is told once.
    const told = doc.rt.stopMismatchTold === stopPrice;
    if (!told) out.push({ kind: 'stop-mismatch', tradeId: trade.id, details: { stopLoss: stopPrice, onExchange: position.stopLoss } });
    const a = await trySetStop(deps, client, trade, doc, stopPrice, 'reassert');
    if (a.error === null) doc.rt.stopMismatchTold = null;
    else if (!told) {
      doc.rt.stopMismatchTold = stopPrice;
      deps.notifier.notify({ type: 'sl-move-failed', userId: trade.user_id, traceId: trade.trace_id, tradeId: trade.id, symbol: trade.symbol, side, stopLoss: stopPrice, kept: position.stopLoss, errorCode: errorCode(a.error) });
    }
  }

  // Ladder sized to the position: after a partial entry fill, or when its orders are gone.
  const openTps = rows.filter((r) => r.role === 'take-profit' && OPEN.has(r.status));
  const entryGrew = entries.filled > doc.rt.ladderFor + 1e-12;
  if (entryGrew && doc.plan.takeProfits.length > 0 && (await mayManage())) {
    for (const r of openTps) await cancelRow(deps, client, trade, r, 'resize');
    await placeLadder(deps, client, trade, doc, position.quantity, null);
  }

  // Unfilled entries past their time are cancelled; the filled part stays.
  if (timedOut) for (const r of entries.open) await cancelRow(deps, client, trade, r, 'timeout');

  // Trailing after the last placed target.
  if (doc.plan.trailingPct > 0 && doc.plan.takeProfits.length > 0) {
    const lastPlaced = doc.plan.takeProfits.length - 2;
    const reached = lastPlaced < 0 ? true : doc.rt.tpHit.includes(lastPlaced);
    const mark = position.markPrice;
    if (reached && mark !== null) {
      const best = doc.rt.trailBest === null ? mark : side === 'long' ? Math.max(doc.rt.trailBest, mark) : Math.min(doc.rt.trailBest, mark);
      doc.rt.trailBest = best;
      const market = await client.market(trade.symbol);
      const candidate = roundPrice(market, side === 'long' ? best * (1 - doc.plan.trailingPct / 100) : best * (1 + doc.plan.trailingPct / 100));
      const current = trade.stop_loss === null ? null : Number(trade.stop_loss);
      const tighter = current === null || (side === 'long' ? candidate > current : candidate < current);
      if (tighter && (side === 'long' ? candidate < mark : candidate > mark) && (await mayManage())) {
        const e = await setStop(deps, client, trade, doc, candidate, 'trailing');
        if (e === null) deps.notifier.notify({ type: 'sl-moved', userId: trade.user_id, traceId: trade.trace_id, tradeId: trade.id, symbol: trade.symbol, side, stopLoss: candidate, why: 'trailing' });
      }
    }
  }
  return done();
}
