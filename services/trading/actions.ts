/**
 * Actions on an existing trade, shared by follow-ups from a source and manual
 * commands: close (all or part), cancel unfilled entries, move the stop.
 * Callers hold the user's lock.
 */
import { accounts, trades as tradesRepo } from '../../db/index.js';
import type { TradeRow } from '../../db/database.js';
import { UserError, ValidationError, isTerminalTrade, roundPrice, type PositionSide, type TradeStatus } from '../../models/index.js';
import { clientOf, num, readDoc, record, setTradeStatus, writeDoc, type TradingDeps } from './context.js';
import { cancelRow } from './orders.js';
import { closeNow, finalizeTrade, placeLadder, setStop } from './protect.js';
import { syncTrade } from './track.js';

const OPEN = new Set(['pending', 'open', 'partially_filled', 'unknown']);

export type ActionResult = { ok: true; tradeId: number; status: TradeStatus } | { ok: false; tradeId: number; reason: 'not-open' | 'nothing-to-do' | 'exchange-error'; code?: string };

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
  for (const r of open) await cancelRow(deps, client, trade, r, why);
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

/** Closes the position (all, or `fraction` of it) with a reduce-only market order. */
export async function closeTrade(deps: TradingDeps, trade: TradeRow, why: 'follow-up' | 'manual', fraction = 1): Promise<ActionResult> {
  if (isTerminalTrade(trade.status as TradeStatus)) return { ok: false, tradeId: trade.id, reason: 'not-open' };
  if (!(fraction > 0 && fraction <= 1)) throw new ValidationError(`fraction must be in (0, 1], got ${fraction}`);
  const { client, doc } = await load(deps, trade);
  const positions = await client.fetchPositions([trade.symbol]);
  const position = positions.find((p) => p.symbol === trade.symbol && p.side === trade.side && p.quantity > 0) ?? null;
  if (fraction === 1 || !position) {
    const rows = await tradesRepo.listOrdersOfTrade(deps.db, trade.id);
    for (const r of rows) if (OPEN.has(r.status) && r.status !== 'pending' && r.role !== 'close') await cancelRow(deps, client, trade, r, why);
    if (!position) {
      await syncTrade(deps, trade.id);
      const t = await tradesRepo.findTrade(deps.db, trade.id);
      if (t && !isTerminalTrade(t.status as TradeStatus)) {
        await setTradeStatus(deps, t, 'cancelled', why, { closed_at: deps.clock.now(), close_reason: why });
      }
      return { ok: true, tradeId: trade.id, status: ((await tradesRepo.findTrade(deps.db, trade.id))?.status ?? 'cancelled') as TradeStatus };
    }
    if (trade.status === 'open' || trade.status === 'opening') await setTradeStatus(deps, trade, 'closing', why);
    const { order, error } = await closeNow(deps, client, trade, doc, why);
    if (error) return { ok: false, tradeId: trade.id, reason: 'exchange-error', code: (error as { code?: string }).code ?? 'internal' };
    await finalizeTrade(deps, client, trade, doc, why === 'manual' ? 'manual' : 'follow-up', order?.averagePrice ?? null);
    return { ok: true, tradeId: trade.id, status: trade.status as TradeStatus };
  }
  const market = await client.market(trade.symbol);
  const qty = position.quantity * fraction;
  const { error } = await closeNow(deps, client, trade, doc, why, qty);
  if (error) return { ok: false, tradeId: trade.id, reason: 'exchange-error', code: (error as { code?: string }).code ?? 'internal' };
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
  if (trade.status === 'open' || trade.status === 'closing') {
    const e = await setStop(deps, client, trade, doc, price, why);
    if (e !== null) return { ok: false, tradeId: trade.id, reason: 'exchange-error', code: (e as { code?: string }).code ?? 'internal' };
  } else {
    doc.plan.stopLoss = price;
    await tradesRepo.updateTrade(deps.db, trade.id, { stop_loss: String(price) }, deps.clock.now());
    await record(deps, { action: 'stop.pending', entity: 'trade', entityId: trade.id, after: { stopLoss: price, why }, traceId: trade.trace_id });
  }
  await writeDoc(deps, trade.id, doc);
  deps.notifier.notify({ type: 'sl-moved', userId: trade.user_id, traceId: trade.trace_id, tradeId: trade.id, symbol: trade.symbol, side: trade.side as PositionSide, stopLoss: price, why: why === 'manual' ? 'manual' : 'follow-up' });
  return { ok: true, tradeId: trade.id, status: trade.status as TradeStatus };
}
