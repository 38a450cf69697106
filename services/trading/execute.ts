/**
 * Executing a plan on one user's account with the fewest requests:
 *  - margin mode / leverage only when they differ from what we last set;
 *  - the entry with its stop-loss attached (one request; several limit
 *    entries go as one batch);
 *  - the take-profit ladder as one reduce-only batch sized to what filled.
 * Market entry + stop + 3 targets is 2 requests once leverage is known.
 * A position that cannot be protected is closed at once (unless the user
 * explicitly allowed trading without a stop).
 */
import { accounts as accountsRepo, inTransaction, trades as tradesRepo } from '../../db/index.js';
import type { AccountRow, OrderRow, TradeRow } from '../../db/database.js';
import { findManualRequest, getSymbolSettings, linkManualRequest, putSymbolSettings } from '../../db/repos/trading.js';
import type { ExchangeClient } from '../../exchanges/index.js';
import { AuthFailed, InsufficientFunds, InvalidOrderSize, MarketNotFound, PermissionDenied, entrySide, type Market, type OrderRequest } from '../../models/index.js';
import type { RefusalReason } from '../notifications.js';
import { summarize, type TradePlan } from './plan.js';
import { applyOrder, attachesStops, clientOf, errInfo, errorCode, newRuntime, num, readDoc, record, setTradeStatus, type TradeDoc, type TradingDeps } from './context.js';
import type { Refusal } from './limits.js';
import { cancelRow, coidFor, sendBatch, sendOne, sendStored, storeLeg, type Leg, type SentLeg } from './orders.js';
import { protectFilled, readPosition } from './protect.js';

export interface OpenInput {
  userId: number;
  account: AccountRow;
  plan: TradePlan;
  signalId: number | null;
  sourceId: number | null;
  traceId: string;
  notifyFills: boolean;
  actor?: string;
  /** The market the plan was made for (saves a look-up). */
  market?: Market;
  /**
   * Manual trades: the caller's idempotency key (e.g. the confirmation message id).
   * Reserved beforehand with reserveManualRequest; linked to the trade in the same
   * transaction that inserts it; the trade's client order ids derive from it.
   */
  requestId?: string;
}

/** The manual request id was already used for a trade (a concurrent or repeated call). */
class RequestTaken extends Error {
  constructor() {
    super('request already has a trade');
  }
}

export type OpenOutcome =
  | { status: 'opened' | 'placed'; tradeId: number }
  | { status: 'duplicate'; tradeId: number }
  | { status: 'failed'; tradeId: number | null; reason: RefusalReason; code: string };

export function refusalOf(e: unknown): RefusalReason {
  if (e instanceof InsufficientFunds) return 'insufficient-balance';
  if (e instanceof InvalidOrderSize) return 'below-min-size';
  if (e instanceof MarketNotFound) return 'market-not-found';
  if (e instanceof AuthFailed || e instanceof PermissionDenied) return 'account-unavailable';
  return 'exchange-error';
}

/** How long a leverage / margin mode stored for an account+symbol is trusted (like the client's cache). */
export const LEVERAGE_TTL_MS = 10 * 60_000;

/**
 * Sets margin mode and leverage only when they differ from what was last set on
 * this account+symbol, or when that was more than LEVERAGE_TTL_MS ago (the user
 * may have changed them on the exchange since).
 */
export async function ensureLeverage(deps: TradingDeps, client: ExchangeClient, accountId: number, plan: Pick<TradePlan, 'symbol' | 'leverage' | 'marginMode'>): Promise<void> {
  const stored = await getSymbolSettings(deps.db, accountId, plan.symbol);
  const known = stored && deps.clock.now() - stored.updatedAt < LEVERAGE_TTL_MS ? stored : null;
  if (known && known.leverage === plan.leverage && known.marginMode === plan.marginMode) return;
  if (!known || known.marginMode !== plan.marginMode) await client.setMarginMode(plan.symbol, plan.marginMode, plan.leverage);
  await client.setLeverage(plan.symbol, plan.leverage);
  await putSymbolSettings(deps.db, accountId, plan.symbol, plan.leverage, plan.marginMode, deps.clock.now());
}

export function entryLegs(plan: TradePlan, attachStop: boolean): Leg[] {
  const side = entrySide(plan.side);
  const single = plan.takeProfits.length === 1 && plan.trailingPct === 0 ? plan.takeProfits[0]!.price : undefined;
  return plan.entries.map((e, i) => {
    const request: Omit<OrderRequest, 'clientOrderId'> = { symbol: plan.symbol, side, type: plan.entryType, quantity: e.quantity };
    if (plan.entryType === 'market') request.price = plan.avgEntry;
    else if (plan.entryTrigger && e.price !== null) {
      request.type = 'market';
      request.triggerPrice = e.price;
      request.triggerDirection = plan.entryTrigger;
    } else if (e.price !== null) request.price = e.price;
    if (attachStop && plan.stopLoss !== null) request.stopLoss = plan.stopLoss;
    // A single target covering the whole position rides on the entry too: no ladder request.
    if (attachStop && single !== undefined) request.takeProfit = single;
    return { leg: `entry-${i}`, role: 'entry' as const, request };
  });
}

export async function openTrade(deps: TradingDeps, input: OpenInput): Promise<OpenOutcome> {
  const { plan, account } = input;
  const now = deps.clock.now();
  if (input.signalId !== null) {
    const existing = await tradesRepo.findTradeBySignalUser(deps.db, input.signalId, input.userId);
    if (existing) return { status: 'duplicate', tradeId: existing.id };
  }
  const doc: TradeDoc = { plan, rt: { ...newRuntime(input.notifyFills), sentStop: plan.stopLoss }, ...(input.requestId !== undefined ? { orderKey: `r${input.requestId}` } : {}) };
  const values = {
    user_id: input.userId,
    account_id: account.id,
    signal_id: input.signalId,
    source_id: input.sourceId,
    symbol: plan.symbol,
    side: plan.side,
    status: 'planned',
    leverage: plan.leverage,
    margin_mode: plan.marginMode,
    entry_price: null,
    quantity: '0',
    stop_loss: plan.stopLoss === null ? null : String(plan.stopLoss),
    take_profits: JSON.stringify(plan.takeProfits.map((t) => t.price)),
    plan: JSON.stringify(doc),
    realized_pnl: '0',
    fees: '0',
    close_reason: null,
    trace_id: input.traceId,
    opened_at: null,
    closed_at: null,
    created_at: now,
    updated_at: now,
  };
  let trade: TradeRow;
  try {
    if (input.requestId !== undefined) {
      const requestId = input.requestId;
      trade = await inTransaction(deps.db, async (tx) => {
        const row = await tradesRepo.insertTrade(tx, values);
        if (!(await linkManualRequest(tx, input.userId, requestId, row.id))) throw new RequestTaken();
        return row;
      });
    } else {
      trade = await tradesRepo.insertTrade(deps.db, values);
    }
  } catch (e) {
    if (e instanceof RequestTaken && input.requestId !== undefined) {
      const taken = await findManualRequest(deps.db, input.userId, input.requestId);
      if (taken?.trade_id != null) return { status: 'duplicate', tradeId: taken.trade_id };
    }
    // The unique (signal, user) index: another path created it first.
    if (input.signalId !== null) {
      const existing = await tradesRepo.findTradeBySignalUser(deps.db, input.signalId, input.userId);
      if (existing) return { status: 'duplicate', tradeId: existing.id };
    }
    throw e;
  }
  await record(deps, { actor: input.actor, action: 'trade.planned', entity: 'trade', entityId: trade.id, after: summarize(plan), traceId: input.traceId });

  let client: ExchangeClient;
  try {
    client = await clientOf(deps, account);
    await ensureLeverage(deps, client, account.id, plan);
  } catch (e) {
    deps.log.warn({ userId: input.userId, tradeId: trade.id, err: errInfo(e) }, 'leverage / client failed');
    return failTrade(deps, null, trade, refusalOf(e), e);
  }

  await setTradeStatus(deps, trade, 'opening', 'entries-sent');
  const attach = attachesStops(deps, account.exchange);
  const legs = entryLegs(plan, attach);
  const sent = legs.length === 1 ? [await sendOne(deps, client, trade, legs[0]!)] : await sendBatch(deps, client, trade, legs);
  return afterEntries(deps, client, trade, doc, sent, { attach, market: input.market ?? null });
}

const LIVE = new Set(['pending', 'open', 'partially_filled', 'unknown']);

/**
 * The trade could not be opened: mark it failed and tell the user. An entry
 * order that may be live on the exchange is cancelled first (by client order
 * id); if one cannot be cancelled, or one filled, the trade is NOT marked
 * failed: it stays `opening`, and the next sync adopts or cancels it.
 */
async function failTrade(deps: TradingDeps, client: ExchangeClient | null, trade: TradeRow, reason: RefusalReason, e: unknown): Promise<OpenOutcome> {
  const live = (await tradesRepo.listOrdersOfTrade(deps.db, trade.id)).filter((r) => LIVE.has(r.status));
  if (live.length > 0) {
    let ok = client !== null;
    if (client) for (const r of live) ok = (await cancelRow(deps, client, trade, r, 'trade-failed')) && ok;
    const filled = (await tradesRepo.listOrdersOfTrade(deps.db, trade.id)).filter((r) => r.role === 'entry').reduce((s, r) => s + num(r.filled), 0);
    if (!ok || filled > 0) {
      await record(deps, { action: 'trade.fail-deferred', entity: 'trade', entityId: trade.id, after: { reason, error: errInfo(e), cancelled: ok, filled }, traceId: trade.trace_id });
      deps.log.warn({ tradeId: trade.id, reason, filled }, 'failed trade left to reconciliation: an entry may be live');
      return { status: 'failed', tradeId: trade.id, reason, code: errorCode(e) };
    }
  }
  await setTradeStatus(deps, trade, 'failed', reason, { close_reason: reason, closed_at: deps.clock.now() });
  await record(deps, { action: 'trade.failed', entity: 'trade', entityId: trade.id, after: { reason, error: errInfo(e) }, traceId: trade.trace_id });
  deps.notifier.notify({ type: 'plan-refused', userId: trade.user_id, traceId: trade.trace_id, signalId: trade.signal_id, symbol: trade.symbol, reason, details: { code: errorCode(e) } });
  return { status: 'failed', tradeId: trade.id, reason, code: errorCode(e) };
}

/** After the entries went out: protect what filled (stop, ladder) or report them as working. */
async function afterEntries(deps: TradingDeps, client: ExchangeClient, trade: TradeRow, doc: TradeDoc, sent: SentLeg[], o: { attach: boolean; market: Market | null }): Promise<OpenOutcome> {
  const plan = doc.plan;
  const live = sent.filter((s) => s.row.status !== 'rejected');
  if (live.length === 0) return failTrade(deps, client, trade, refusalOf(sent[0]?.error), sent[0]?.error);
  // HyperLiquid: an entry placed with its attached stop refused: the position has no stop yet.
  const attachedOk = !sent.some((s) => s.attachedFailed);
  let filled = 0;
  let cost = 0;
  for (const s of sent) {
    let f = num(s.row.filled);
    // A market order the exchange acknowledged without fill details (Bybit answers with an id only)
    // fills at once: size the protection to it; the next sync corrects it from the exchange.
    if (f === 0 && plan.entryType === 'market' && s.row.status !== 'unknown' && s.row.status !== 'rejected' && s.order && !s.attachedFailed) f = num(s.row.quantity);
    filled += f;
    cost += f * (num(s.row.average_price) || plan.avgEntry);
  }
  if (filled <= 0 && !attachedOk && sent.some((s) => s.attachedFailed && s.row.status === 'unknown')) {
    // An entry placed without its stop that could not be looked up: the position says whether it filled.
    const position = await readPosition(client, trade);
    if (position) {
      filled = position.quantity;
      cost = position.quantity * position.entryPrice;
      await record(deps, { action: 'trade.position-adopted', entity: 'trade', entityId: trade.id, after: { quantity: position.quantity, entryPrice: position.entryPrice }, traceId: trade.trace_id });
    }
  }
  if (filled <= 0) {
    deps.notifier.notify({ type: 'entry-placed', userId: trade.user_id, traceId: trade.trace_id, tradeId: trade.id, symbol: plan.symbol, side: plan.side, plan: summarize(plan) });
    return { status: 'placed', tradeId: trade.id };
  }
  const ok = await protectFilled(deps, client, trade, doc, { filled, avgPrice: cost / filled, stopAttached: o.attach && attachedOk && plan.stopLoss !== null, market: o.market });
  return ok ? { status: 'opened', tradeId: trade.id } : { status: 'failed', tradeId: trade.id, reason: 'exchange-error', code: 'stop-failed' };
}

const UNCONFIRMED = new Set(['pending', 'unknown']);

/**
 * Resumes a trade a crash interrupted before any of its entries reached the
 * exchange (trade row stored; entry rows missing or still `pending`). Each
 * stored entry is first looked up by its client order id: found = it was sent,
 * and tracking takes it from there ('duplicate'). Only when none is on the
 * exchange are the entries sent — by the same client order ids — after
 * `mayEnter` (entry gate, signal age) agreed; otherwise the trade is cancelled.
 */
export async function resumeOpen(deps: TradingDeps, trade: TradeRow, mayEnter: () => Promise<Refusal | null>, market: Market | null): Promise<OpenOutcome | Refusal> {
  if (trade.status !== 'planned' && trade.status !== 'opening') return { status: 'duplicate', tradeId: trade.id };
  const rows = (await tradesRepo.listOrdersOfTrade(deps.db, trade.id)).filter((r) => r.role === 'entry');
  if (rows.some((r) => !UNCONFIRMED.has(r.status))) return { status: 'duplicate', tradeId: trade.id };
  const account = await accountsRepo.findAccount(deps.db, trade.account_id);
  if (!account) return { status: 'duplicate', tradeId: trade.id };
  const client = await clientOf(deps, account);
  for (const r of rows) {
    const ex = await client.fetchOrder(r.symbol, { clientOrderId: r.client_order_id });
    if (ex) {
      await applyOrder(deps, r, ex);
      await record(deps, { action: 'reconcile.order-adopted', entity: 'trade', entityId: trade.id, after: { leg: r.leg, status: ex.status, resumed: true }, traceId: trade.trace_id });
      return { status: 'duplicate', tradeId: trade.id };
    }
  }
  const doc = readDoc(trade);
  const refusal = await mayEnter();
  if (refusal) {
    for (const r of rows) await applyOrder(deps, r, null, { status: 'rejected', reason: 'not-sent' });
    await setTradeStatus(deps, trade, 'cancelled', refusal.reason, { closed_at: deps.clock.now(), close_reason: refusal.reason });
    await record(deps, { action: 'trade.cancelled', entity: 'trade', entityId: trade.id, after: { why: refusal.reason, details: refusal.details, resumed: true }, traceId: trade.trace_id });
    return refusal;
  }
  try {
    await ensureLeverage(deps, client, account.id, doc.plan);
  } catch (e) {
    return failTrade(deps, client, trade, refusalOf(e), e);
  }
  if (trade.status === 'planned') await setTradeStatus(deps, trade, 'opening', 'entries-sent');
  const attach = attachesStops(deps, account.exchange);
  const sent: SentLeg[] = [];
  for (const leg of entryLegs(doc.plan, attach)) {
    const coid = await coidFor(deps, trade, leg.leg);
    const row: OrderRow | undefined = rows.find((r) => r.client_order_id === coid);
    if (row) sent.push(await sendStored(deps, client, trade, row, { ...leg.request, clientOrderId: row.client_order_id }));
    else {
      const stored = await storeLeg(deps, trade, leg);
      sent.push(stored.created ? await sendStored(deps, client, trade, stored.row, stored.request) : { row: stored.row, order: null, error: null, sent: false });
    }
  }
  await record(deps, { action: 'trade.resumed', entity: 'trade', entityId: trade.id, after: { legs: sent.length }, traceId: trade.trace_id });
  return afterEntries(deps, client, trade, doc, sent, { attach, market });
}
