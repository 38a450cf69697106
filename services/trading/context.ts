/**
 * What every trading module shares: dependencies, the trade document stored
 * in trades.plan (the plan plus the tracking state), status changes through
 * the state machines (recorded), and the audit log.
 */
import { audit, trades as tradesRepo, transitions, type Db } from '../../db/index.js';
import type { AccountRow, OrderRow, TradeRow } from '../../db/database.js';
import type { AccountRef, ExchangeClient } from '../../exchanges/index.js';
import {
  CircuitOpen,
  ExchangeUnavailable,
  NetworkTimeout,
  ORDER_MACHINE,
  OrderStateUnknown,
  TRADE_MACHINE,
  UserError,
  canTransition,
  isAppError,
  transition,
  type Environment,
  type ExchangeId,
  type Order,
  type OrderStatus,
  type TradeStatus,
} from '../../models/index.js';
import type { KeyedLock } from '../locks.js';
import type { Logger } from '../logger.js';
import type { Notifier } from '../notifications.js';
import type { SettingsService } from '../settings.js';
import type { TradePlan } from './plan.js';

export interface ExchangeProvider {
  /** The account's unified client (ExchangeRegistry.client). */
  client(ref: AccountRef): Promise<ExchangeClient>;
}

export interface TradingOptions {
  /** Most users worked on at once in a fan-out (default 256); the client's limiter does the pacing. */
  fanoutConcurrency?: number;
  /** Exchanges whose orders carry an attached stop-loss (default: all). */
  attachStops?: Partial<Record<ExchangeId, boolean>>;
  /** How long a pending/unknown order the exchange does not show is given before it is judged never placed (default 2 min). */
  pendingGraceMs?: number;
  /** Accounts synced at once by trackOpen() (default 16). */
  trackConcurrency?: number;
  /**
   * A fan-out interrupted by a crash is resumed (re-delivered post or start-up
   * reconciliation) for the users not reached yet, only while the signal is
   * younger than this (default 1 h); older, they get 'signal-too-old'. Each
   * user's own maxSignalAgeSec applies as well.
   */
  resumeMaxAgeMs?: number;
}

/**
 * The one gate before new entries and optional management (services/entry-gate.ts
 * implements it). Absent: everything allowed.
 */
export interface EntryGatePort {
  canOpenEntries(userId: number, ctx?: { sourceId?: number | null }): Promise<{ ok: true } | { ok: false; reason: string }>;
  canManage(userId: number): Promise<boolean>;
}

export interface TradingDeps {
  db: Db;
  exchanges: ExchangeProvider;
  notifier: Notifier;
  log: Logger;
  clock: { now(): number };
  locks: KeyedLock;
  settings: SettingsService;
  options: Required<TradingOptions>;
  entryGate: EntryGatePort | null;
}

/** canManage, failing closed to "leave the exchange alone" when the gate itself fails. */
export async function canManage(deps: TradingDeps, userId: number): Promise<boolean> {
  if (!deps.entryGate) return true;
  try {
    return await deps.entryGate.canManage(userId);
  } catch (e) {
    deps.log.warn({ userId, err: errInfo(e) }, 'entry gate (canManage) failed');
    return false;
  }
}

/** canOpenEntries; a failing gate refuses (no new exposure on doubt). */
export async function canOpenEntries(deps: TradingDeps, userId: number, sourceId: number | null): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (!deps.entryGate) return { ok: true };
  try {
    return await deps.entryGate.canOpenEntries(userId, { sourceId });
  } catch (e) {
    deps.log.warn({ userId, err: errInfo(e) }, 'entry gate (canOpenEntries) failed');
    return { ok: false, reason: 'gate-unavailable' };
  }
}

/** Tracking state kept with the plan (trades.plan JSON). */
export interface TradeRuntime {
  /** Version of the take-profit ladder (bumped on every resize: new client order ids). */
  tpVersion: number;
  /** Take-profit indexes already notified as hit. */
  tpHit: number[];
  breakevenDone: boolean;
  /** Best price seen since trailing started. */
  trailBest: number | null;
  /** Entry quantity last reported to the user. */
  notifiedFilled: number;
  liquidationPrice: number | null;
  notifyFills: boolean;
  /** Quantity the current ladder was sized for. */
  ladderFor: number;
  /** Version of close orders sent (each close gets its own id). */
  closeVersion: number;
  /** Leg of the last close the system minted (`close-<reason>-<version>`), stored before it is sent. */
  closeLeg?: string | null;
  /**
   * A close that must finish: set when a close starts (emergency, manual, follow-up)
   * and kept while the position is not flat; each sync retries it (the trade stays
   * `closing`). `alertedAt`: when the user was last told it did not complete.
   */
  closing?: { reason: 'stop-failed' | 'manual' | 'follow-up'; attempts: number; alertedAt: number | null } | null;
  /** The stop-loss sent with the entries (the last one known valid when a later move could not be applied). */
  sentStop?: number | null;
  /** A stop mismatch already reported (the stop price), so a failing re-set is told once. */
  stopMismatchTold?: number | null;
}

export interface TradeDoc {
  plan: TradePlan;
  rt: TradeRuntime;
  /** Key of the trade's client order ids when not its signal or row (manual trades with a request id). */
  orderKey?: string;
}

export function newRuntime(notifyFills: boolean): TradeRuntime {
  return { tpVersion: 0, tpHit: [], breakevenDone: false, trailBest: null, notifiedFilled: 0, liquidationPrice: null, notifyFills, ladderFor: 0, closeVersion: 0 };
}

export function readDoc(row: TradeRow): TradeDoc {
  const raw = JSON.parse(row.plan) as Partial<TradeDoc>;
  if (!raw.plan) throw new UserError(`trade ${row.id} has no plan`);
  return { plan: raw.plan, rt: { ...newRuntime(true), ...raw.rt }, ...(raw.orderKey ? { orderKey: raw.orderKey } : {}) };
}

export async function writeDoc(deps: TradingDeps, tradeId: number, doc: TradeDoc): Promise<void> {
  await tradesRepo.updateTrade(deps.db, tradeId, { plan: JSON.stringify(doc) }, deps.clock.now());
}

export function accountRef(account: Pick<AccountRow, 'id' | 'exchange' | 'environment'>): AccountRef {
  return { accountId: String(account.id), exchange: account.exchange as ExchangeId, environment: account.environment as Environment };
}

export async function clientOf(deps: TradingDeps, account: Pick<AccountRow, 'id' | 'exchange' | 'environment'>): Promise<ExchangeClient> {
  return deps.exchanges.client(accountRef(account));
}

export function attachesStops(deps: TradingDeps, exchange: string): boolean {
  return deps.options.attachStops[exchange as ExchangeId] ?? true;
}

/** Moves a trade through the trade state machine, recording the transition. Returns false if not allowed. */
export async function setTradeStatus(deps: TradingDeps, trade: TradeRow, to: TradeStatus, reason: string, patch: Parameters<typeof tradesRepo.updateTrade>[2] = {}): Promise<boolean> {
  const from = trade.status as TradeStatus;
  if (!canTransition(TRADE_MACHINE, from, to)) {
    deps.log.warn({ tradeId: trade.id, from, to, reason }, 'trade transition refused');
    return false;
  }
  const now = deps.clock.now();
  await tradesRepo.updateTrade(deps.db, trade.id, { ...patch, status: to }, now);
  await transitions.recordTransition(deps.db, trade.id, transition(TRADE_MACHINE, from, to, now, reason));
  trade.status = to;
  return true;
}

export function num(v: string | null | undefined): number {
  const n = v == null ? 0 : Number(v);
  return Number.isFinite(n) ? n : 0;
}

/** Applies what the exchange says about an order to its row (status through the order machine). */
export async function applyOrder(deps: TradingDeps, row: OrderRow, order: Order | null, fallback?: { status: OrderStatus; reason: string }): Promise<OrderRow> {
  const now = deps.clock.now();
  const from = row.status as OrderStatus;
  let to: OrderStatus = order ? order.status : (fallback?.status ?? from);
  if (to === 'pending') to = from;
  const patch: Parameters<typeof tradesRepo.updateOrder>[2] = {};
  if (order) {
    if (order.id && order.id !== row.exchange_order_id) patch.exchange_order_id = order.id;
    if (order.filled > num(row.filled)) patch.filled = String(order.filled);
    if (order.averagePrice !== null && String(order.averagePrice) !== row.average_price) patch.average_price = String(order.averagePrice);
    if (order.fee > num(row.fee)) patch.fee = String(order.fee);
  }
  if (to !== from) {
    if (canTransition(ORDER_MACHINE, from, to)) {
      patch.status = to;
      await transitions.recordTransition(deps.db, row.id, transition(ORDER_MACHINE, from, to, now, fallback?.reason ?? 'exchange'));
    } else {
      deps.log.warn({ orderId: row.id, from, to }, 'order transition refused');
    }
  }
  if (Object.keys(patch).length === 0) return row;
  await tradesRepo.updateOrder(deps.db, row.id, patch, now);
  return { ...row, ...patch } as OrderRow;
}

export async function record(
  deps: TradingDeps,
  e: { actor?: string; action: string; entity: 'trade' | 'order' | 'signal' | 'account'; entityId: number | string | null; before?: unknown; after?: unknown; traceId: string | null },
): Promise<void> {
  try {
    await audit.appendAudit(deps.db, { actor: e.actor ?? 'system', action: e.action, entity: e.entity, entityId: e.entityId, before: e.before, after: e.after, traceId: e.traceId, at: deps.clock.now() });
  } catch (err) {
    deps.log.error({ err, action: e.action }, 'audit write failed');
  }
}

/** Outcomes that may hide a placed order: timeouts, 5xx, a lost connection (not the breaker refusing). */
export function isUnknownOutcome(e: unknown): boolean {
  return e instanceof NetworkTimeout || e instanceof OrderStateUnknown || (e instanceof ExchangeUnavailable && !(e instanceof CircuitOpen));
}

/**
 * Whether a failed send definitely placed nothing: a typed refusal, not an
 * unknown outcome, and not "placed but its attached protection was refused"
 * (`details.entryPlaced`). Anything else (untyped errors included) is a doubt.
 */
export function definitelyNotPlaced(e: unknown): boolean {
  if (!isAppError(e) || isUnknownOutcome(e)) return false;
  return e.details['entryPlaced'] !== true;
}

export function errorCode(e: unknown): string {
  return isAppError(e) ? e.code : 'internal';
}

/** Log-safe summary of an error: name, code, message (our errors never carry secrets). */
export function errInfo(e: unknown): { name: string; code: string; message: string } {
  return e instanceof Error ? { name: e.name, code: errorCode(e), message: e.message.slice(0, 300) } : { name: 'unknown', code: 'internal', message: String(e).slice(0, 300) };
}
