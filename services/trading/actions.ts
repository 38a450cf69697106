/**
 * Actions on an existing trade, shared by follow-ups from a source and manual
 * commands: close (all or part), cancel unfilled entries, move the stop.
 * Callers hold the user's lock.
 */
import { accounts, trades as tradesRepo } from '../../db/index.js';
import type { TradeRow } from '../../db/database.js';
import { UserError, ValidationError, isTerminalTrade, roundPrice, type PositionSide, type TradeStatus } from '../../models/index.js';
import { clientOf, errorCode, num, readDoc, record, setTradeStatus, writeDoc, type TradingDeps } from './context.js';
import { gridManaging } from './grid-guard.js';
import { cancelRow } from './orders.js';
import { closeNow, driveClose, placeLadder, readPosition, resolveRequestClose, sameStop, trySetStop } from './protect.js';
import { syncTrade } from './track.js';

const OPEN = new Set(['pending', 'open', 'partially_filled', 'unknown']);

/**
 * 'close-incomplete': the close filled only part (or the position could not be read
 * back): the trade stays `closing`, what is left keeps its stop, every sync retries.
 * 'invalid-stop': a stop moved before any fill that could not protect the entries
 * (on the wrong side of them); the previous stop is kept.
 * 'exchange-error' with code 'cancel-failed': an order could not be cancelled; nothing
 * was finalized (the next sync retries).
 */
export type ActionResult =
  | { ok: true; tradeId: number; status: TradeStatus }
  | { ok: false; tradeId: number; reason: 'not-open' | 'nothing-to-do' | 'exchange-error' | 'close-incomplete' | 'invalid-stop'; code?: string }
  /** The account's position in the symbol is run by grid bot `gridId`: close it from the grid. */
  | { ok: false; tradeId: number; reason: 'grid-managed'; code: 'grid-managed'; gridId: number };

export interface ActionOptions {
  /**
   * Idempotency key of the request (e.g. the Telegram callback's message id + action):
   * the same key never sends a second close order.
   */
  requestId?: string;
}

async function load(deps: TradingDeps, trade: TradeRow) {
  const account = await accounts.findAccount(deps.db, trade.account_id);
  if (!account) throw new UserError(`account ${trade.account_id} does not exist`);
  return { client: await clientOf(deps, account), doc: readDoc(trade) };
}

/** Cancels the trade's unfilled entries; a trade with nothing filled is cancelled. */
export async function cancelEntries(deps: TradingDeps, trade: TradeRow, why: 'follow-up' | 'manual'): Promise<ActionResult> {
  if (isTerminalTrade(trade.status as TradeStatus)) return { ok: false, tradeId: trade.id, reason: 'not-open' };
  const { client } = await load(deps, trade);
  const rows = await tradesRepo.listOrdersOfTrade(deps.db, trade.id);
  const open = rows.filter((r) => r.role === 'entry' && OPEN.has(r.status));
  if (open.length === 0) return { ok: false, tradeId: trade.id, reason: 'nothing-to-do' };
  let cancelled = true;
  for (const r of open) cancelled = (await cancelRow(deps, client, trade, r, why)) && cancelled;
  // An entry that could not be cancelled may still fill: nothing is marked (the next sync looks again).
  if (!cancelled) return { ok: false, tradeId: trade.id, reason: 'exchange-error', code: 'cancel-failed' };
  const after = await tradesRepo.listOrdersOfTrade(deps.db, trade.id);
  const filled = after.filter((r) => r.role === 'entry').reduce((s, r) => s + num(r.filled), 0);
  if (filled <= 0 && (trade.status === 'opening' || trade.status === 'planned')) {
    await setTradeStatus(deps, trade, 'cancelled', why, { closed_at: deps.clock.now(), close_reason: why });
    deps.notifier.notify({ type: 'trade-cancelled', userId: trade.user_id, traceId: trade.trace_id, tradeId: trade.id, symbol: trade.symbol, side: trade.side as PositionSide, why });
  } else {
    await syncTrade(deps, trade.id);
  }
  const now = await tradesRepo.findTrade(deps.db, trade.id);
  return { ok: true, tradeId: trade.id, status: (now?.status ?? trade.status) as TradeStatus };
}

/**
 * Closes the position (all, or `fraction` of it) with a reduce-only market order.
 * A full close finalizes the trade only once the position is flat; otherwise it
 * stays `closing` (retried by every sync, the rest protected by its stop).
 */
export async function closeTrade(deps: TradingDeps, trade: TradeRow, why: 'follow-up' | 'manual', fraction = 1, opts: ActionOptions = {}): Promise<ActionResult> {
  if (isTerminalTrade(trade.status as TradeStatus)) return { ok: false, tradeId: trade.id, reason: 'not-open' };
  if (!(fraction > 0 && fraction <= 1)) throw new ValidationError(`fraction must be in (0, 1], got ${fraction}`);
  if (opts.requestId !== undefined && (opts.requestId.length === 0 || opts.requestId.length > 100)) throw new ValidationError('requestId must be 1 to 100 characters');
  // The one net position per symbol is the grid's: a generic close would break the grid.
  const grid = await gridManaging(deps.db, trade.account_id, trade.symbol);
  if (grid) return { ok: false, tradeId: trade.id, reason: 'grid-managed', code: 'grid-managed', gridId: grid.gridId };
  const { client, doc } = await load(deps, trade);
  const requestKey = opts.requestId !== undefined ? `${why}-${opts.requestId}` : undefined;
  if (requestKey !== undefined) {
    // The same request again (a double tap, a retried callback): resolve what it sent, send nothing.
    const prior = await resolveRequestClose(deps, client, trade, requestKey);
    if (prior !== null) {
      const now = await tradesRepo.findTrade(deps.db, trade.id);
      if (prior.error !== null) return { ok: false, tradeId: trade.id, reason: 'exchange-error', code: errorCode(prior.error) };
      return { ok: true, tradeId: trade.id, status: (now?.status ?? trade.status) as TradeStatus };
    }
  }
  const positions = await client.fetchPositions([trade.symbol]);
  const position = positions.find((p) => p.symbol === trade.symbol && p.side === trade.side && p.quantity > 0) ?? null;
  if (fraction === 1 || !position) {
    const rows = await tradesRepo.listOrdersOfTrade(deps.db, trade.id);
    let cancelled = true;
    for (const r of rows) if (OPEN.has(r.status) && r.role !== 'close') cancelled = (await cancelRow(deps, client, trade, r, why)) && cancelled;
    if (!position) {
      // An order that could not be cancelled may still fill: nothing is finalized.
      if (!cancelled) return { ok: false, tradeId: trade.id, reason: 'exchange-error', code: 'cancel-failed' };
      await syncTrade(deps, trade.id);
      const t = await tradesRepo.findTrade(deps.db, trade.id);
      if (t && !isTerminalTrade(t.status as TradeStatus)) {
        await setTradeStatus(deps, t, 'cancelled', why, { closed_at: deps.clock.now(), close_reason: why });
      }
      return { ok: true, tradeId: trade.id, status: ((await tradesRepo.findTrade(deps.db, trade.id))?.status ?? 'cancelled') as TradeStatus };
    }
    if (trade.status === 'open' || trade.status === 'opening') await setTradeStatus(deps, trade, 'closing', why);
    const r = await driveClose(deps, client, trade, doc, { reason: why === 'manual' ? 'manual' : 'follow-up', ...(requestKey !== undefined ? { requestKey } : {}) });
    if (r.state !== 'closing') return { ok: true, tradeId: trade.id, status: trade.status as TradeStatus };
    if (r.error !== null) return { ok: false, tradeId: trade.id, reason: 'exchange-error', code: errorCode(r.error) };
    return { ok: false, tradeId: trade.id, reason: 'close-incomplete', code: 'close-incomplete' };
  }
  const market = await client.market(trade.symbol);
  const qty = position.quantity * fraction;
  const { error } = await closeNow(deps, client, trade, doc, why, { quantity: qty, ...(requestKey !== undefined ? { requestKey } : {}) });
  if (error) return { ok: false, tradeId: trade.id, reason: 'exchange-error', code: errorCode(error) };
  // The ladder shrinks with the position.
  const rows = await tradesRepo.listOrdersOfTrade(deps.db, trade.id);
  for (const r of rows) if (r.role === 'take-profit' && OPEN.has(r.status)) await cancelRow(deps, client, trade, r, 'partial-close');
  const left = (await client.fetchPositions([trade.symbol])).find((p) => p.symbol === trade.symbol && p.side === trade.side && p.quantity > 0);
  if (left) await placeLadder(deps, client, trade, doc, left.quantity, market);
  await writeDoc(deps, trade.id, doc);
  await syncTrade(deps, trade.id);
  return { ok: true, tradeId: trade.id, status: ((await tradesRepo.findTrade(deps.db, trade.id))?.status ?? trade.status) as TradeStatus };
}

/** Moves the stop (or to breakeven). Before any fill, the new stop is remembered and applied on fill. */
export async function moveStop(deps: TradingDeps, trade: TradeRow, target: { price: number } | { breakeven: true }, why: 'follow-up' | 'manual'): Promise<ActionResult> {
  if (isTerminalTrade(trade.status as TradeStatus)) return { ok: false, tradeId: trade.id, reason: 'not-open' };
  const { client, doc } = await load(deps, trade);
  const market = await client.market(trade.symbol);
  let price: number;
  if ('breakeven' in target) {
    const entry = num(trade.entry_price);
    if (!(entry > 0)) return { ok: false, tradeId: trade.id, reason: 'nothing-to-do' };
    price = roundPrice(market, entry);
  } else {
    price = roundPrice(market, target.price);
  }
  if (!(price > 0)) throw new ValidationError(`stop price must be positive (got ${price})`);
  const side = trade.side as PositionSide;
  if (trade.status === 'open' || trade.status === 'closing') {
    // Already there on the exchange (e.g. "move SL to entry" after breakeven): success, nothing sent.
    // The exchange's stop decides, not ours: one removed or changed by hand is re-placed.
    const position = await readPosition(client, trade);
    if (position && position.stopLoss !== null && sameStop(position.stopLoss, price, market.tickSize)) {
      if (trade.stop_loss === null || !sameStop(Number(trade.stop_loss), price, market.tickSize)) {
        // The exchange already carries it (set by hand): our record follows, or tracking would undo it.
        const before = trade.stop_loss;
        await tradesRepo.updateTrade(deps.db, trade.id, { stop_loss: String(price) }, deps.clock.now());
        trade.stop_loss = String(price);
        await record(deps, { action: 'stop.set', entity: 'trade', entityId: trade.id, before: { stopLoss: before }, after: { stopLoss: price, why, already: true }, traceId: trade.trace_id });
      }
      return { ok: true, tradeId: trade.id, status: trade.status as TradeStatus };
    }
    const a = await trySetStop(deps, client, trade, doc, price, why);
    if (a.error !== null) {
      // The position keeps its last valid stop; a follow-up's failure is told (a manual one returns it).
      if (why === 'follow-up') {
        const kept = a.positionStop ?? (trade.stop_loss === null ? null : Number(trade.stop_loss));
        deps.notifier.notify({ type: 'sl-move-failed', userId: trade.user_id, traceId: trade.trace_id, tradeId: trade.id, symbol: trade.symbol, side, stopLoss: price, kept, errorCode: errorCode(a.error) });
      }
      return { ok: false, tradeId: trade.id, reason: 'exchange-error', code: errorCode(a.error) };
    }
  } else {
    // Before any fill: a stop on the wrong side of the entries could never protect the position
    // (it would be refused on the fill): refused now, the previous stop stays.
    const prices = doc.plan.entries.map((e) => e.price).filter((p): p is number => p !== null);
    const ref = prices.length > 0 ? prices : [doc.plan.avgEntry];
    const valid = side === 'long' ? price < Math.min(...ref) : price > Math.max(...ref);
    if (!valid) {
      await record(deps, { action: 'stop.move-refused', entity: 'trade', entityId: trade.id, after: { stopLoss: price, entries: ref, why }, traceId: trade.trace_id });
      if (why === 'follow-up') {
        deps.notifier.notify({ type: 'sl-move-failed', userId: trade.user_id, traceId: trade.trace_id, tradeId: trade.id, symbol: trade.symbol, side, stopLoss: price, kept: doc.plan.stopLoss, errorCode: 'invalid-stop' });
      }
      return { ok: false, tradeId: trade.id, reason: 'invalid-stop', code: 'invalid-stop' };
    }
    doc.plan.stopLoss = price;
    await tradesRepo.updateTrade(deps.db, trade.id, { stop_loss: String(price) }, deps.clock.now());
    await record(deps, { action: 'stop.pending', entity: 'trade', entityId: trade.id, after: { stopLoss: price, why }, traceId: trade.trace_id });
  }
  await writeDoc(deps, trade.id, doc);
  deps.notifier.notify({ type: 'sl-moved', userId: trade.user_id, traceId: trade.trace_id, tradeId: trade.id, symbol: trade.symbol, side, stopLoss: price, why: why === 'manual' ? 'manual' : 'follow-up' });
  return { ok: true, tradeId: trade.id, status: trade.status as TradeStatus };
}
