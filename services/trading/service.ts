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
import { moveStop, type ActionOptions, type ActionResult } from './actions.js';
import { listUnfinishedSignals } from '../../db/repos/trading.js';
import { canManage, record, type EntryGatePort, type ExchangeProvider, type TradingDeps, type TradingOptions } from './context.js';
import { fanOut, runForUser, SharedQuotes, type FanoutResult, type UserOutcome } from './fanout.js';
import { applyFollowUp, type FollowUpInput, type FollowUpOutcome } from './follow-ups.js';
import { gridManaging, type GridManaged } from './grid-guard.js';
import { cancelManual, closeManual, moveStopManual, openManual, type ManualOpen, type ManualOpenResult } from './manual.js';
import { pendingUpdates } from './pending-updates.js';
import { reconcileAll, type ReconcileReport } from './reconcile.js';
import { syncTrade, type SyncResult } from './track.js';
import { trackOpen, type TrackFilter, type TrackReport } from './tracking.js';

export interface TradingServiceDeps {
  db: Db;
  exchanges: ExchangeProvider;
  notifier: Notifier;
  log: Logger;
  clock?: { now(): number };
  locks?: KeyedLock;
  settings?: SettingsService;
  options?: TradingOptions;
  /**
   * The entry gate (services/entry-gate.ts createEntryGate): canOpenEntries before
   * every new entry (fan-out, Execute, forwarded posts, manual trades), canManage
   * before optional management (breakeven, trailing, ladder resizing, stop-moving
   * follow-ups). Absent: everything allowed.
   */
  entryGate?: EntryGatePort;
}

export interface TradingService {
  /**
   * Fans a stored signal out to its source's subscribers (idempotent per user).
   * A signal left 'fanning-out' by a crash is resumed for the users not reached
   * yet (within resumeMaxAgeMs).
   */
  handleSignal(signalId: number): Promise<FanoutResult>;
  /** Resumes the signal's fan-out if it did not finish (re-delivered post); null when it had. */
  resumeSignal(signalId: number): Promise<FanoutResult | null>;
  /** Resumes every unfinished fan-out not running in this process (start-up). */
  resumeUnfinished(): Promise<FanoutResult[]>;
  /** A confirm-mode user pressed Execute: plan again (age and limits still apply) and trade. */
  executeConfirmed(signalId: number, userId: number): Promise<UserOutcome>;
  /** A confirm-mode user pressed Skip. */
  skip(signalId: number, userId: number): Promise<void>;
  handleFollowUp(input: FollowUpInput): Promise<FollowUpOutcome[]>;
  openManual(input: ManualOpen): Promise<ManualOpenResult>;
  /**
   * Closes a trade (all, or `fraction` of it). `requestId`: the request's idempotency key
   * (e.g. the Telegram callback's message id + action): a repeated request never sends a
   * second close. A result with reason 'close-incomplete' means the trade stays `closing`
   * (what is left keeps its stop; every sync retries).
   */
  closeTrade(userId: number, tradeId: number, fraction?: number, options?: ActionOptions): Promise<ActionResult>;
  moveStop(userId: number, tradeId: number, target: { price: number } | { breakeven: true }): Promise<ActionResult>;
  /**
   * Is the account's position in `symbol` run by an active grid bot? The generic close
   * paths (trades, untracked positions) must refuse it with reason 'grid-managed'.
   */
  gridManaging(accountId: number, symbol: string): Promise<GridManaged | null>;
  cancelTrade(userId: number, tradeId: number): Promise<ActionResult>;
  /** Reads the exchange's state of one trade and advances it (under the user's lock). */
  syncTrade(tradeId: number): Promise<SyncResult>;
  /** Start-up (and periodic) reconciliation; at start-up, unfinished fan-outs are resumed first. */
  reconcile(options?: { startup?: boolean }): Promise<ReconcileReport>;
  /**
   * One pass of the live tracking loop: per account one fetchOpenOrders + one
   * fetchPositions, then every open trade of the account advanced from them.
   */
  trackOpen(filter?: TrackFilter): Promise<TrackReport>;
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
      trackConcurrency: input.options?.trackConcurrency ?? 16,
      resumeMaxAgeMs: input.options?.resumeMaxAgeMs ?? 3_600_000,
    },
    entryGate: input.entryGate ?? null,
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

  function handleSignal(signalId: number): Promise<FanoutResult> {
    // The same signal arriving again while its fan-out runs joins that fan-out.
    const running = inflight.get(signalId);
    if (running) return running;
    const p = (async () => {
      const row = await signalRow(signalId);
      // 'fanning-out' and not running here: a fan-out a crash interrupted.
      const resumed = row.status === 'fanning-out';
      if (resumed) deps.log.warn({ signalId, traceId: row.trace_id }, 'resuming an interrupted fan-out');
      return fanOut(deps, row, parsedSignal(row), resumed ? { resumeMaxAgeMs: deps.options.resumeMaxAgeMs } : {});
    })().finally(() => inflight.delete(signalId));
    inflight.set(signalId, p);
    return p;
  }

  async function resumeUnfinished(): Promise<FanoutResult[]> {
    const rows = await listUnfinishedSignals(deps.db, deps.clock.now() - deps.options.resumeMaxAgeMs);
    const out: FanoutResult[] = [];
    for (const row of rows) {
      if (inflight.has(row.id)) continue;
      try {
        out.push(await handleSignal(row.id));
      } catch (e) {
        deps.log.error({ signalId: row.id, err: e instanceof Error ? { name: e.name, message: e.message } : String(e) }, 'resuming a fan-out failed');
      }
    }
    return out;
  }

  return {
    deps,
    handleSignal,
    async resumeSignal(signalId) {
      const running = inflight.get(signalId);
      if (running) return running;
      const row = await signalsRepo.findSignal(deps.db, signalId);
      if (!row || row.kind !== 'signal' || (row.status !== 'fanning-out' && row.status !== 'received')) return null;
      return handleSignal(signalId);
    },
    resumeUnfinished,
    async executeConfirmed(signalId, userId) {
      const row = await signalRow(signalId);
      const parsed = parsedSignal(row);
      const sub = await sources.findSubscription(deps.db, userId, row.source_id);
      if (!sub || !sub.enabled) throw new UserError(`user ${userId} is not subscribed to source ${row.source_id}`);
      const user = await users.findUserById(deps.db, userId);
      const source = (await sources.findSource(deps.db, row.source_id)) ?? null;
      return locked(userId, async () => {
        // Follow-ups posted while the preview waited apply now (P3.16): a moved stop is planned
        // with, a close / cancel opens nothing, a breakeven is set once the position exists.
        const existing = await tradesRepo.findTradeBySignalUser(deps.db, row.id, userId);
        const pending = existing ? null : await pendingUpdates(deps, row, parsed);
        if (pending && pending.applied.length > 0) {
          await record(deps, { actor: `user:${userId}`, action: 'signal.updates-applied', entity: 'signal', entityId: row.id, after: { userId, updates: pending.applied, stopLoss: pending.signal.stopLoss, closed: pending.closed, breakeven: pending.breakeven }, traceId: row.trace_id });
        }
        if (pending?.closed) {
          const details = { updates: pending.applied };
          await record(deps, { actor: `user:${userId}`, action: 'plan.refused', entity: 'signal', entityId: row.id, after: { userId, reason: 'signal-closed', details }, traceId: row.trace_id });
          deps.notifier.notify({ type: 'plan-refused', userId, traceId: row.trace_id, signalId: row.id, symbol: parsed.symbol, reason: 'signal-closed', details });
          return { userId, status: 'refused', reason: 'signal-closed', details } satisfies UserOutcome;
        }
        const out = await runForUser(deps, row, pending?.signal ?? parsed, source, { userId, mode: sub.mode, accountId: sub.account_id ?? user?.default_account_id ?? null, overrides: sub.overrides }, new SharedQuotes(), { forceAuto: true });
        if (pending?.breakeven && out.status === 'opened' && (await canManage(deps, userId))) {
          const trade = await tradesRepo.findTrade(deps.db, out.tradeId);
          if (trade) await moveStop(deps, trade, { breakeven: true }, 'follow-up');
        }
        return out;
      });
    },
    async skip(signalId, userId) {
      const row = await signalRow(signalId);
      await record(deps, { actor: `user:${userId}`, action: 'signal.skipped', entity: 'signal', entityId: signalId, after: { userId }, traceId: row.trace_id });
    },
    handleFollowUp: (followUp) => applyFollowUp(deps, followUp),
    openManual: (open) => locked(open.userId, () => openManual(deps, open)),
    gridManaging: (accountId, symbol) => gridManaging(deps.db, accountId, symbol),
    closeTrade: (userId, tradeId, fraction, options) => locked(userId, () => closeManual(deps, userId, tradeId, fraction, options)),
    moveStop: (userId, tradeId, target) => locked(userId, () => moveStopManual(deps, userId, tradeId, target)),
    cancelTrade: (userId, tradeId) => locked(userId, () => cancelManual(deps, userId, tradeId)),
    async syncTrade(tradeId) {
      return locked(await tradeOwner(tradeId), () => syncTrade(deps, tradeId));
    },
    async reconcile(options) {
      // Before any trade is synced: a resumed fan-out sends the entries a crash left stored but unsent
      // (a sync would judge them never placed once the pending grace is over).
      const resumed = await resumeUnfinished();
      const report = await reconcileAll(deps, options);
      return { ...report, resumedSignals: resumed.map((r) => r.signalId) };
    },
    trackOpen: (filter) => trackOpen(deps, filter),
  };
}
