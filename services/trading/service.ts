/**
 * The trading service: signal fan-out, confirm-mode execution, follow-ups,
 * manual trading, tracking and reconciliation — one factory, dependencies
 * injected. Exchange work of one user always runs under that user's lock.
 */
import { signals as signalsRepo, sources, trades as tradesRepo, users, type Db } from '../../db/index.js';
import type { SignalRow } from '../../db/database.js';
import { UserError, type ParseResult, type SignalParse } from '../../models/index.js';
import { createKeyedLock, userLockKey, type KeyedLock } from '../locks.js';
import type { Logger } from '../logger.js';
import type { Notifier } from '../notifications.js';
import { createSettingsService, type SettingsService } from '../settings.js';
import type { ActionResult } from './actions.js';
import { record, type ExchangeProvider, type TradingDeps, type TradingOptions } from './context.js';
import { fanOut, runForUser, SharedQuotes, type FanoutResult, type UserOutcome } from './fanout.js';
import { applyFollowUp, type FollowUpInput, type FollowUpOutcome } from './follow-ups.js';
import { cancelManual, closeManual, moveStopManual, openManual, type ManualOpen, type ManualOpenResult } from './manual.js';
import { reconcileAll, type ReconcileReport } from './reconcile.js';
import { syncTrade, type SyncResult } from './track.js';

export interface TradingServiceDeps {
  db: Db;
  exchanges: ExchangeProvider;
  notifier: Notifier;
  log: Logger;
  clock?: { now(): number };
  locks?: KeyedLock;
  settings?: SettingsService;
  options?: TradingOptions;
}

export interface TradingService {
  /** Fans a stored signal out to its source's subscribers (idempotent per user). */
  handleSignal(signalId: number): Promise<FanoutResult>;
  /** A confirm-mode user pressed Execute: plan again (age and limits still apply) and trade. */
  executeConfirmed(signalId: number, userId: number): Promise<UserOutcome>;
  /** A confirm-mode user pressed Skip. */
  skip(signalId: number, userId: number): Promise<void>;
  handleFollowUp(input: FollowUpInput): Promise<FollowUpOutcome[]>;
  openManual(input: ManualOpen): Promise<ManualOpenResult>;
  closeTrade(userId: number, tradeId: number, fraction?: number): Promise<ActionResult>;
  moveStop(userId: number, tradeId: number, target: { price: number } | { breakeven: true }): Promise<ActionResult>;
  cancelTrade(userId: number, tradeId: number): Promise<ActionResult>;
  /** Reads the exchange's state of one trade and advances it (under the user's lock). */
  syncTrade(tradeId: number): Promise<SyncResult>;
  reconcile(options?: { startup?: boolean }): Promise<ReconcileReport>;
  readonly deps: TradingDeps;
}

function parsedSignal(row: SignalRow): SignalParse {
  const parsed = JSON.parse(row.parse_result) as ParseResult;
  if (parsed.kind !== 'signal') throw new UserError(`signal ${row.id} is not a trade signal`, { details: { signalId: row.id, kind: parsed.kind } });
  return parsed;
}

export function createTradingService(input: TradingServiceDeps): TradingService {
  const clock = input.clock ?? { now: () => Date.now() };
  const deps: TradingDeps = {
    db: input.db,
    exchanges: input.exchanges,
    notifier: input.notifier,
    log: input.log,
    clock,
    locks: input.locks ?? createKeyedLock(),
    settings: input.settings ?? createSettingsService({ db: input.db, clock }),
    options: {
      fanoutConcurrency: input.options?.fanoutConcurrency ?? 256,
      attachStops: input.options?.attachStops ?? {},
      pendingGraceMs: input.options?.pendingGraceMs ?? 120_000,
    },
  };
  const inflight = new Map<number, Promise<FanoutResult>>();

  async function signalRow(signalId: number): Promise<SignalRow> {
    const row = await signalsRepo.findSignal(deps.db, signalId);
    if (!row) throw new UserError(`signal ${signalId} not found`, { details: { signalId } });
    return row;
  }

  async function tradeOwner(tradeId: number): Promise<number> {
    const t = await tradesRepo.findTrade(deps.db, tradeId);
    if (!t) throw new UserError(`trade ${tradeId} not found`, { details: { tradeId } });
    return t.user_id;
  }

  const locked = <T>(userId: number, fn: () => Promise<T>): Promise<T> => deps.locks.run(userLockKey(userId), fn);

  return {
    deps,
    handleSignal(signalId) {
      // The same signal arriving again while its fan-out runs joins that fan-out.
      const running = inflight.get(signalId);
      if (running) return running;
      const p = (async () => {
        const row = await signalRow(signalId);
        return fanOut(deps, row, parsedSignal(row));
      })().finally(() => inflight.delete(signalId));
      inflight.set(signalId, p);
      return p;
    },
    async executeConfirmed(signalId, userId) {
      const row = await signalRow(signalId);
      const parsed = parsedSignal(row);
      const sub = await sources.findSubscription(deps.db, userId, row.source_id);
      if (!sub || !sub.enabled) throw new UserError(`user ${userId} is not subscribed to source ${row.source_id}`);
      const user = await users.findUserById(deps.db, userId);
      const source = (await sources.findSource(deps.db, row.source_id)) ?? null;
      return locked(userId, () =>
        runForUser(deps, row, parsed, source, { userId, mode: sub.mode, accountId: sub.account_id ?? user?.default_account_id ?? null, overrides: sub.overrides }, new SharedQuotes(), true),
      );
    },
    async skip(signalId, userId) {
      const row = await signalRow(signalId);
      await record(deps, { actor: `user:${userId}`, action: 'signal.skipped', entity: 'signal', entityId: signalId, after: { userId }, traceId: row.trace_id });
    },
    handleFollowUp: (followUp) => applyFollowUp(deps, followUp),
    openManual: (open) => locked(open.userId, () => openManual(deps, open)),
    closeTrade: (userId, tradeId, fraction) => locked(userId, () => closeManual(deps, userId, tradeId, fraction)),
    moveStop: (userId, tradeId, target) => locked(userId, () => moveStopManual(deps, userId, tradeId, target)),
    cancelTrade: (userId, tradeId) => locked(userId, () => cancelManual(deps, userId, tradeId)),
    async syncTrade(tradeId) {
      return locked(await tradeOwner(tradeId), () => syncTrade(deps, tradeId));
    },
    reconcile: (options) => reconcileAll(deps, options),
  };
}
