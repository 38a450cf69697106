/**
 * In-memory call metrics: per exchange and op, counts, error codes and
 * latency percentiles over the most recent samples. Fed by the client's
 * CallObserver events; the admin health page reads `snapshot()`.
 */
import type { CallEvent, CallObserver } from './types.js';

export interface OpMetrics {
  exchange: string;
  op: string;
  calls: number;
  ok: number;
  failed: number;
  /** Failures by error code. */
  errors: Record<string, number>;
  /** Request weight sent (limiter cost against the host). */
  weight: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; samples: number };
}

export interface CallMetrics {
  observer: CallObserver;
  record(event: CallEvent): void;
  snapshot(): OpMetrics[];
  reset(): void;
}

const SAMPLES = 1024;

interface Acc {
  exchange: string;
  op: string;
  calls: number;
  ok: number;
  failed: number;
  errors: Map<string, number>;
  weight: number;
  ring: number[];
  next: number;
  max: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

export function createMetrics(): CallMetrics {
  const byKey = new Map<string, Acc>();

  function record(e: CallEvent): void {
    const key = `${e.exchange}\u0000${e.op}`;
    let a = byKey.get(key);
    if (!a) {
      a = { exchange: e.exchange, op: e.op, calls: 0, ok: 0, failed: 0, errors: new Map(), weight: 0, ring: [], next: 0, max: 0 };
      byKey.set(key, a);
    }
    a.calls++;
    if (e.ok) a.ok++;
    else {
      a.failed++;
      const code = e.errorCode ?? 'error';
      a.errors.set(code, (a.errors.get(code) ?? 0) + 1);
    }
    a.weight += e.weight ?? 0;
    if (a.ring.length < SAMPLES) a.ring.push(e.ms);
    else a.ring[a.next] = e.ms;
    a.next = (a.next + 1) % SAMPLES;
    if (e.ms > a.max) a.max = e.ms;
  }

  return {
    observer: record,
    record,
    snapshot() {
      return [...byKey.values()].map((a) => {
        const sorted = [...a.ring].sort((x, y) => x - y);
        return {
          exchange: a.exchange,
          op: a.op,
          calls: a.calls,
          ok: a.ok,
          failed: a.failed,
          errors: Object.fromEntries(a.errors),
          weight: a.weight,
          latencyMs: { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: a.max, samples: sorted.length },
        };
      });
    },
    reset() {
      byKey.clear();
    },
  };
}

/** Fan one event out to several observers; a throwing observer never breaks a call. */
export function combineObservers(...observers: (CallObserver | undefined)[]): CallObserver {
  const list = observers.filter((o): o is CallObserver => o !== undefined);
  return (event) => {
    for (const o of list) {
      try {
        o(event);
      } catch {
        // metrics must never break trading
      }
    }
  };
}
