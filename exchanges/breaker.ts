/**
 * Circuit breakers: one per exchange host (outages) and one per account
 * (credential errors). While a breaker is open, calls fail fast with
 * CircuitOpen so services can tell the user the exchange is down instead of
 * piling up timeouts.
 *
 * Host breaker: closed → open after `failureThreshold` consecutive outage
 * errors (ExchangeUnavailable, NetworkTimeout), or when at least
 * `rateMinCalls` calls in the last `rateWindowMs` failed at `failureRate` or
 * more; open → half-open after `openMs` (doubling on each failed trial, up to
 * `maxOpenMs`); half-open lets `halfOpenMax` trial calls through; a success
 * closes it, a failure re-opens it.
 * Account breaker: opens on AuthFailed / PermissionDenied and stays open
 * until reset (new credentials → registry.invalidate, or a manual reset).
 */
import {
  AuthFailed,
  CircuitOpen,
  ExchangeUnavailable,
  NetworkTimeout,
  PermissionDenied,
} from '../models/index.js';
import { systemClock, type Clock } from './limiter.js';

export type BreakerStatus = 'closed' | 'open' | 'half-open';
export type BreakerScope = 'exchange' | 'account';

export interface BreakerState {
  scope: BreakerScope;
  /** Host (exchange scope) or account id (account scope). */
  key: string;
  status: BreakerStatus;
  /** Error code that opened it, when open or half-open. */
  reason: string | null;
  openedAt: number | null;
  /** When an open host breaker will let a trial through; null for account breakers (manual). */
  retryAt: number | null;
  consecutiveFailures: number;
}

export interface BreakerEvent {
  scope: BreakerScope;
  key: string;
  from: BreakerStatus;
  to: BreakerStatus;
  at: number;
  reason: string | null;
}
export type BreakerListener = (event: BreakerEvent) => void;

export interface BreakerOptions {
  failureThreshold?: number;
  openMs?: number;
  maxOpenMs?: number;
  halfOpenMax?: number;
  rateWindowMs?: number;
  rateMinCalls?: number;
  failureRate?: number;
}

const DEFAULTS: Required<BreakerOptions> = {
  failureThreshold: 5,
  openMs: 30_000,
  maxOpenMs: 5 * 60_000,
  halfOpenMax: 1,
  rateWindowMs: 60_000,
  rateMinCalls: 20,
  failureRate: 0.5,
};

/** Outage errors count against the host breaker (CircuitOpen itself never does). */
export function isOutageError(e: unknown): boolean {
  return (e instanceof ExchangeUnavailable && !(e instanceof CircuitOpen)) || e instanceof NetworkTimeout;
}

export function isCredentialError(e: unknown): boolean {
  return e instanceof AuthFailed || e instanceof PermissionDenied;
}

function errorCode(e: unknown): string {
  return e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : 'error';
}

/** A permit from `enter()`; call exactly one of its methods when the call ends. */
export interface BreakerPermit {
  success(): void;
  failure(error: unknown): void;
  /** The call ended in a way that says nothing about the exchange's health. */
  neutral(): void;
}

interface HostState {
  status: BreakerStatus;
  reason: string | null;
  openedAt: number | null;
  retryAt: number | null;
  consecutive: number;
  openMs: number;
  trials: number;
  outcomes: { at: number; ok: boolean }[];
}

interface AccountState {
  status: 'closed' | 'open';
  reason: string | null;
  openedAt: number | null;
}

export interface Breakers {
  /** Throws CircuitOpen when the host or the account breaker is open; else returns a permit. */
  enter(host: string, accountId: string, context: { exchange: string; operation: string }): BreakerPermit;
  hostState(host: string): BreakerState;
  accountState(accountId: string): BreakerState;
  resetHost(host: string): void;
  resetAccount(accountId: string): void;
  onStateChange(listener: BreakerListener): () => void;
  snapshot(): BreakerState[];
}

export function createBreakers(options: BreakerOptions & { clock?: Clock } = {}): Breakers {
  const clock = options.clock ?? systemClock;
  const cfg: Required<BreakerOptions> = { ...DEFAULTS, ...stripUndefined(options) };
  const hosts = new Map<string, HostState>();
  const accounts = new Map<string, AccountState>();
  const listeners = new Set<BreakerListener>();

  function emit(scope: BreakerScope, key: string, from: BreakerStatus, to: BreakerStatus, reason: string | null): void {
    if (from === to) return;
    const event: BreakerEvent = { scope, key, from, to, at: clock.now(), reason };
    for (const l of listeners) {
      try {
        l(event);
      } catch {
        // a listener must never break a call
      }
    }
  }

  function host(key: string): HostState {
    let s = hosts.get(key);
    if (!s) {
      s = { status: 'closed', reason: null, openedAt: null, retryAt: null, consecutive: 0, openMs: cfg.openMs, trials: 0, outcomes: [] };
      hosts.set(key, s);
    }
    return s;
  }

  function account(key: string): AccountState {
    let s = accounts.get(key);
    if (!s) {
      s = { status: 'closed', reason: null, openedAt: null };
      accounts.set(key, s);
    }
    return s;
  }

  /** Move an open host breaker to half-open once its cool-down is over. */
  function refresh(key: string, s: HostState): void {
    if (s.status === 'open' && s.retryAt !== null && clock.now() >= s.retryAt) {
      s.status = 'half-open';
      s.trials = 0;
      emit('exchange', key, 'open', 'half-open', s.reason);
    }
  }

  function open(key: string, s: HostState, reason: string): void {
    const from = s.status;
    const now = clock.now();
    if (from === 'half-open') s.openMs = Math.min(s.openMs * 2, cfg.maxOpenMs);
    s.status = 'open';
    s.reason = reason;
    s.openedAt = now;
    s.retryAt = now + s.openMs;
    s.trials = 0;
    emit('exchange', key, from, 'open', reason);
  }

  function close(key: string, s: HostState): void {
    const from = s.status;
    s.status = 'closed';
    s.reason = null;
    s.openedAt = null;
    s.retryAt = null;
    s.consecutive = 0;
    s.openMs = cfg.openMs;
    s.trials = 0;
    s.outcomes = [];
    emit('exchange', key, from, 'closed', null);
  }

  function note(s: HostState, ok: boolean): void {
    const now = clock.now();
    s.outcomes.push({ at: now, ok });
    const horizon = now - cfg.rateWindowMs;
    let drop = 0;
    while (drop < s.outcomes.length && s.outcomes[drop]!.at <= horizon) drop++;
    if (drop > 0) s.outcomes.splice(0, drop);
    if (s.outcomes.length > 1000) s.outcomes.splice(0, s.outcomes.length - 1000);
  }

  function failureRateExceeded(s: HostState): boolean {
    if (s.outcomes.length < cfg.rateMinCalls) return false;
    const failed = s.outcomes.filter((o) => !o.ok).length;
    return failed / s.outcomes.length >= cfg.failureRate;
  }

  function hostView(key: string, s: HostState): BreakerState {
    refresh(key, s);
    return {
      scope: 'exchange',
      key,
      status: s.status,
      reason: s.reason,
      openedAt: s.openedAt,
      retryAt: s.status === 'open' ? s.retryAt : null,
      consecutiveFailures: s.consecutive,
    };
  }

  function accountView(key: string, s: AccountState): BreakerState {
    return { scope: 'account', key, status: s.status, reason: s.reason, openedAt: s.openedAt, retryAt: null, consecutiveFailures: 0 };
  }

  return {
    enter(hostKey, accountId, context) {
      const a = account(accountId);
      if (a.status === 'open') {
        throw new CircuitOpen(`${context.exchange}: account ${accountId} is paused after a credential error (${a.reason}); update the API keys`, {
          exchange: context.exchange,
          operation: context.operation,
          details: { scope: 'account', accountId, reason: a.reason },
        });
      }
      const s = host(hostKey);
      refresh(hostKey, s);
      if (s.status === 'open' || (s.status === 'half-open' && s.trials >= cfg.halfOpenMax)) {
        throw new CircuitOpen(`${context.exchange} is unavailable (circuit open after ${s.reason}); retry later`, {
          exchange: context.exchange,
          operation: context.operation,
          details: { scope: 'exchange', host: hostKey, reason: s.reason, retryAt: s.retryAt },
        });
      }
      const trial = s.status === 'half-open';
      if (trial) s.trials++;
      let done = false;
      const finish = (): boolean => {
        if (done) return false;
        done = true;
        if (trial) s.trials = Math.max(0, s.trials - 1);
        return true;
      };
      return {
        success() {
          if (!finish()) return;
          note(s, true);
          s.consecutive = 0;
          if (s.status === 'half-open' && trial) close(hostKey, s);
        },
        failure(error) {
          if (!finish()) return;
          if (isCredentialError(error)) {
            const acc = account(accountId);
            if (acc.status !== 'open') {
              acc.status = 'open';
              acc.reason = errorCode(error);
              acc.openedAt = clock.now();
              emit('account', accountId, 'closed', 'open', acc.reason);
            }
            return;
          }
          if (!isOutageError(error)) {
            // The exchange answered: it is up.
            note(s, true);
            s.consecutive = 0;
            if (s.status === 'half-open' && trial) close(hostKey, s);
            return;
          }
          note(s, false);
          s.consecutive++;
          if (s.status === 'half-open') {
            if (trial) open(hostKey, s, errorCode(error));
          } else if (s.status === 'closed' && (s.consecutive >= cfg.failureThreshold || failureRateExceeded(s))) {
            open(hostKey, s, errorCode(error));
          }
        },
        neutral() {
          finish();
        },
      };
    },
    hostState: (key) => hostView(key, host(key)),
    accountState: (key) => accountView(key, account(key)),
    resetHost(key) {
      const s = hosts.get(key);
      if (s && s.status !== 'closed') close(key, s);
    },
    resetAccount(key) {
      const s = accounts.get(key);
      if (s && s.status === 'open') {
        s.status = 'closed';
        const reason = s.reason;
        s.reason = null;
        s.openedAt = null;
        emit('account', key, 'open', 'closed', reason);
      }
    },
    onStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    snapshot() {
      return [
        ...[...hosts.entries()].map(([k, s]) => hostView(k, s)),
        ...[...accounts.entries()].map(([k, s]) => accountView(k, s)),
      ];
    },
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
