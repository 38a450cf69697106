/**
 * Manual trading from Telegram through the same planning and execution:
 * open (market/limit with stop-loss and targets), close all or part, move
 * the stop, cancel unfilled entries. Ownership is checked here.
 */
import { trades as tradesRepo, users } from '../../db/index.js';
import { reserveManualRequest } from '../../db/repos/trading.js';
import type { TradeRow } from '../../db/database.js';
import { UserError, ValidationError, type PositionSide, type Settings, type SignalParse } from '../../models/index.js';
import { newTraceId } from '../ids.js';
import type { RefusalReason } from '../notifications.js';
import { cancelEntries, closeTrade, moveStop, type ActionOptions, type ActionResult } from './actions.js';
import { canOpenEntries, record, type TradingDeps } from './context.js';
import { openTrade } from './execute.js';
import { gateRefusal, prepareForUser, SharedQuotes } from './fanout.js';

export interface ManualOpen {
  userId: number;
  /** Default: the user's default account. */
  accountId?: number;
  symbol: string;
  side: PositionSide;
  entryType: 'market' | 'limit';
  /** Limit price (limit entries). */
  price?: number;
  stopLoss?: number | null;
  takeProfits?: number[];
  leverage?: number;
  /** Margin in USDT (overrides the size settings for this trade). */
  marginUsdt?: number;
  /**
   * Idempotency key (e.g. the id of the confirmation message / draft): the same
   * requestId never opens a second trade (the call returns the first one's id
   * with status 'duplicate'); the trade's client order ids derive from it.
   * At most 100 characters.
   */
  requestId?: string;
}

export type ManualOpenResult =
  | { ok: true; tradeId: number; status: 'opened' | 'placed' | 'duplicate' }
  | { ok: false; reason: RefusalReason; details: Record<string, unknown>; tradeId?: number | null };

export async function ownTrade(deps: TradingDeps, userId: number, tradeId: number): Promise<TradeRow> {
  const t = await tradesRepo.findTrade(deps.db, tradeId);
  if (!t || t.user_id !== userId) throw new UserError(`trade ${tradeId} not found`, { details: { tradeId } });
  return t;
}

export async function openManual(deps: TradingDeps, input: ManualOpen): Promise<ManualOpenResult> {
  if (input.entryType === 'limit' && !(input.price !== undefined && input.price > 0)) throw new ValidationError('a limit entry needs a positive price');
  if (input.requestId !== undefined && (input.requestId.length === 0 || input.requestId.length > 100)) throw new ValidationError('requestId must be 1 to 100 characters');
  const user = await users.findUserById(deps.db, input.userId);
  if (!user) throw new UserError(`user ${input.userId} not found`);
  if (input.requestId !== undefined) {
    const { row } = await reserveManualRequest(deps.db, input.userId, input.requestId, deps.clock.now());
    if (row.trade_id !== null) return { ok: true, tradeId: row.trade_id, status: 'duplicate' };
  }
  const gate = await canOpenEntries(deps, input.userId, null);
  if (!gate.ok) {
    const r = gateRefusal(gate);
    await record(deps, { actor: `user:${input.userId}`, action: 'plan.refused', entity: 'trade', entityId: null, after: { manual: true, reason: r.reason, details: r.details }, traceId: null });
    return { ok: false, reason: r.reason, details: r.details };
  }
  const signal: SignalParse = {
    kind: 'signal',
    symbol: input.symbol,
    side: input.side,
    entries: input.entryType === 'limit' ? [input.price!] : [],
    entryMarket: input.entryType === 'market',
    entryTrigger: null,
    takeProfits: input.takeProfits && input.takeProfits.length > 0 ? input.takeProfits : null,
    takeProfitPercents: null,
    stopLoss: input.stopLoss ?? null,
    leverage: input.leverage ?? null,
    marginMode: null,
    warnings: [],
  };
  let settings: Settings = await deps.settings.getGlobal(input.userId);
  settings = { ...settings, entryMode: 'signal', maxSignalAgeSec: 0 };
  if (input.marginUsdt !== undefined) settings = { ...settings, sizeMode: 'fixed', sizeValue: input.marginUsdt };
  if (input.leverage !== undefined) settings = { ...settings, leverageMode: 'fixed', leverage: input.leverage };
  const traceId = newTraceId();
  const prepared = await prepareForUser(deps, { userId: input.userId, accountId: input.accountId ?? user.default_account_id, settings, signal, signalAt: null }, new SharedQuotes());
  if (!prepared.ok) {
    await record(deps, { actor: `user:${input.userId}`, action: 'plan.refused', entity: 'trade', entityId: null, after: { manual: true, reason: prepared.reason, details: prepared.details }, traceId });
    return { ok: false, reason: prepared.reason, details: prepared.details };
  }
  const { account, plan, market } = prepared.value;
  const out = await openTrade(deps, {
    userId: input.userId,
    account,
    plan,
    market,
    signalId: null,
    sourceId: null,
    traceId,
    notifyFills: settings.notifyFills,
    actor: `user:${input.userId}`,
    ...(input.requestId !== undefined ? { requestId: input.requestId } : {}),
  });
  if (out.status === 'failed') return { ok: false, reason: out.reason, details: { code: out.code }, tradeId: out.tradeId };
  return { ok: true, tradeId: out.tradeId, status: out.status };
}

export async function closeManual(deps: TradingDeps, userId: number, tradeId: number, fraction = 1, options: ActionOptions = {}): Promise<ActionResult> {
  return closeTrade(deps, await ownTrade(deps, userId, tradeId), 'manual', fraction, options);
}

export async function moveStopManual(deps: TradingDeps, userId: number, tradeId: number, target: { price: number } | { breakeven: true }): Promise<ActionResult> {
  return moveStop(deps, await ownTrade(deps, userId, tradeId), target, 'manual');
}

export async function cancelManual(deps: TradingDeps, userId: number, tradeId: number): Promise<ActionResult> {
  return cancelEntries(deps, await ownTrade(deps, userId, tradeId), 'manual');
}
