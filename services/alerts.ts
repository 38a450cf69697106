/**
 * Alerts to admins as typed events (bot/ renders and sends them to every
 * admin): an exchange breaker opened, errors repeat for one account (more
 * than 5 in a row), reconciliation found discrepancies, the process
 * restarted, the kill switch changed. Alerts with the same key are sent at
 * most once per `dedupeMs`, and at most `maxPerMinute` alerts go out per
 * minute; what is held back is counted and reported with the next alert.
 */
import * as accessRepo from '../db/repos/access.js';
import type { Db } from '../db/index.js';
import type { BreakerEvent, CallEvent } from '../exchanges/index.js';
import type { KillSwitchState } from './entry-gate.js';
import type { TradingEvent } from './notifications.js';

export type AdminAlert =
  | { type: 'breaker-opened'; scope: 'exchange' | 'account'; key: string; reason: string | null }
  | { type: 'repeated-errors'; accountId: string; exchange: string | null; count: number; lastCode: string }
  | { type: 'reconcile-discrepancy'; userId: number; kind: string; tradeId: number | null; symbol: string | null }
  | { type: 'process-restarted'; startedAt: number; previousStartAt: number | null }
  | { type: 'kill-switch'; on: boolean; by: number | null };

export interface AlertEnvelope {
  alert: AdminAlert;
  at: number;
  /** Alerts held back (dedupe or rate limit) since the last one that went out. */
  suppressed: number;
}

export type AlertSink = (envelope: AlertEnvelope) => void;

export interface AlertsDeps {
  sink: AlertSink;
  clock?: { now(): number };
  /** Same alert key at most once per this (default 10 min). */
  dedupeMs?: number;
  /** Alerts per minute at most (default 10). */
  maxPerMinute?: number;
  /** Consecutive failures of one account that raise an alert: more than this (default 5). */
  consecutiveErrors?: number;
  /** For the restart alert's previous start (optional). */
  db?: Db;
}

export interface Alerts {
  raise(alert: AdminAlert): boolean;
  onBreakerChange(event: BreakerEvent): void;
  /** Exchange call outcomes (the registry's CallObserver). */
  observer(event: CallEvent): void;
  /** A trade or order outcome for an account, from outside the exchange client (ok resets the streak). */
  recordAccountResult(accountId: string, ok: boolean, code?: string, exchange?: string | null): void;
  onTradingEvent(event: TradingEvent): void;
  onKillSwitch(state: KillSwitchState): void;
  /** Call once at start: records the start and alerts admins. */
  processStarted(): Promise<void>;
}

/** Dedupe key; null = never deduped. */
const alertKey = (a: AdminAlert): string | null => {
  switch (a.type) {
    case 'breaker-opened':
      return `breaker:${a.scope}:${a.key}`;
    case 'repeated-errors':
      return `errors:${a.accountId}`;
    case 'reconcile-discrepancy':
      return `recon:${a.userId}:${a.kind}:${a.tradeId ?? a.symbol ?? ''}`;
    case 'process-restarted':
      return `restart:${a.startedAt}`;
    case 'kill-switch':
      return null;
  }
};

export const LAST_START_KEY = 'process_last_start';

/** Codes that say nothing about the account's health (the user's own limits, the market). */
const BENIGN_CODES = new Set(['insufficient-funds', 'invalid-order-size', 'order-not-found', 'market-not-found', 'circuit-open']);

export function createAlerts(deps: AlertsDeps): Alerts {
  const now = () => deps.clock?.now() ?? Date.now();
  const dedupeMs = deps.dedupeMs ?? 10 * 60_000;
  const maxPerMinute = deps.maxPerMinute ?? 10;
  const threshold = deps.consecutiveErrors ?? 5;
  const lastSent = new Map<string, number>();
  const sentTimes: number[] = [];
  let suppressed = 0;
  const streaks = new Map<string, { count: number; alerted: boolean }>();

  function raise(alert: AdminAlert): boolean {
    const at = now();
    const key = alertKey(alert);
    const last = key === null ? undefined : lastSent.get(key);
    if (last !== undefined && at - last < dedupeMs) {
      suppressed++;
      return false;
    }
    while (sentTimes.length > 0 && sentTimes[0]! <= at - 60_000) sentTimes.shift();
    if (sentTimes.length >= maxPerMinute && alert.type !== 'kill-switch') {
      suppressed++;
      return false;
    }
    sentTimes.push(at);
    if (key !== null) lastSent.set(key, at);
    if (lastSent.size > 5_000) {
      for (const [k, t] of lastSent) if (at - t >= dedupeMs) lastSent.delete(k);
    }
    const envelope: AlertEnvelope = { alert, at, suppressed };
    suppressed = 0;
    try {
      deps.sink(envelope);
    } catch {
      // alerting must never break the caller
    }
    return true;
  }

  function recordAccountResult(accountId: string, ok: boolean, code = 'error', exchange: string | null = null): void {
    if (ok) {
      streaks.delete(accountId);
      return;
    }
    if (BENIGN_CODES.has(code)) return;
    const s = streaks.get(accountId) ?? { count: 0, alerted: false };
    s.count++;
    streaks.set(accountId, s);
    if (s.count > threshold && !s.alerted) {
      s.alerted = true;
      raise({ type: 'repeated-errors', accountId, exchange, count: s.count, lastCode: code });
    }
  }

  return {
    raise,
    onBreakerChange(e) {
      if (e.to === 'open' && e.from !== 'open') raise({ type: 'breaker-opened', scope: e.scope, key: e.key, reason: e.reason });
    },
    observer(e) {
      recordAccountResult(e.accountId, e.ok, e.errorCode, e.exchange);
    },
    recordAccountResult,
    onTradingEvent(e) {
      if (e.type === 'reconcile-discrepancy') raise({ type: 'reconcile-discrepancy', userId: e.userId, kind: e.kind, tradeId: e.tradeId, symbol: e.symbol });
      // A position left open by a close that did not complete (critical: the trade stays 'closing').
      if (e.type === 'stop-failed-close-failed' || e.type === 'close-incomplete') raise({ type: 'reconcile-discrepancy', userId: e.userId, kind: e.type, tradeId: e.tradeId, symbol: e.symbol });
    },
    onKillSwitch(state) {
      raise({ type: 'kill-switch', on: state.on, by: state.by });
    },
    async processStarted() {
      const at = now();
      let previous: number | null = null;
      if (deps.db) {
        const prev = await accessRepo.getSystemState(deps.db, LAST_START_KEY);
        previous = prev ? Number(prev.value) || null : null;
        await accessRepo.putSystemState(deps.db, LAST_START_KEY, String(at), at);
      }
      raise({ type: 'process-restarted', startedAt: at, previousStartAt: previous });
    },
  };
}
