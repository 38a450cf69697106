/**
 * The client's guarded call path: every adapter call goes
 *   breaker check → limiter (account bucket of the op's class + host bucket)
 *   → adapter call with a timeout → metrics → error mapping,
 * and `retried` adds retries with backoff and jitter (reads and other
 * idempotent calls only; orders follow placement.ts). The adapter's own
 * start-up requests are bound to the same path.
 */
import { ExchangeError, NetworkTimeout, RateLimited, isAppError, type AppError } from '../models/index.js';
import type { ClientDeps } from './client.js';
import type { Clock } from './limiter.js';
import { OP_CLASS, type ClientOp, type CostContext } from './limits.js';
import { withRetry } from './retry.js';
import type { AdapterInternalOp, RateLimitStatus } from './types.js';

const MAX_MESSAGE = 300;
const INTERNAL_OPS: ReadonlySet<string> = new Set<AdapterInternalOp>(['loadMarkets', 'detectAccount']);

/** Adapters already map to our errors; anything else becomes an ExchangeError with its message only. */
export function toAppError(raw: unknown, exchange: string, operation: string): AppError {
  if (isAppError(raw)) return raw;
  const message = raw instanceof Error ? raw.message : typeof raw === 'string' ? raw : 'unexpected failure';
  return new ExchangeError(`${exchange} ${operation}: ${message.slice(0, MAX_MESSAGE)}`, { exchange, operation });
}

function withTimeout<T>(clock: Clock, promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  if (!(ms > 0) || !Number.isFinite(ms)) return promise;
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(onTimeout()), ms);
    promise.then(
      (v) => {
        clock.clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clock.clearTimeout(timer);
        reject(e);
      },
    );
  });
}

export interface CallPath {
  /** One guarded call, after the adapter got ready for it (prepare). */
  call<T>(op: ClientOp, fn: () => Promise<T>, ctx?: CostContext): Promise<T>;
  /** `call` with retries (reads, cancels, leverage/margin). */
  retried<T>(op: ClientOp, fn: () => Promise<T>, ctx?: CostContext): Promise<T>;
  /** Refuse a call before it is sent: observed as a failed call, then thrown. */
  refuse(op: ClientOp, e: unknown): never;
}

export function createCallPath(deps: ClientDeps): CallPath {
  const { ref, adapter, limiter, breakers, limits, clock } = deps;
  const options = deps.options ?? {};
  const random = deps.random ?? Math.random;
  const timeoutMs = options.timeoutMs ?? 20_000;
  const exchange = adapter.id;
  const host = adapter.host;

  function observe(op: string, ms: number, error: unknown, weight: number): void {
    try {
      deps.observer({
        exchange,
        accountId: ref.accountId,
        host,
        op,
        ms,
        ok: error === null,
        ...(error === null ? {} : { errorCode: isAppError(error) ? error.code : 'error' }),
        weight,
      });
    } catch {
      // metrics never break trading
    }
  }

  function accountKey(op: ClientOp): string {
    return `acct:${ref.accountId}:${OP_CLASS[op]}`;
  }

  /** Honour the exchange's own word on the remaining quota (Bybit X-Bapi-Limit-Status). */
  function afterCall(op: ClientOp, error: unknown): void {
    const now = clock.now();
    if (error instanceof RateLimited && error.details['scope'] === 'ip' && limits.host) {
      // The IP itself is refused (Bybit 403 "access too frequent"): stop everyone on this host.
      const hinted = error.details['retryAfterMs'];
      limiter.hold(`host:${host}`, now + (typeof hinted === 'number' && hinted > 0 ? hinted : (limits.ipBanMs ?? 60_000)));
      return;
    }
    if (!limits.account[OP_CLASS[op]]) return;
    let status: RateLimitStatus | null;
    try {
      status = adapter.rateLimitStatus?.() ?? null;
    } catch {
      status = null;
    }
    const window = limits.account[OP_CLASS[op]]?.windowMs ?? 1_000;
    // Cap holds: a skewed server clock must not freeze an account for long.
    const cap = now + 10 * window;
    if (status && status.remaining <= 0 && status.resetAt > now) {
      limiter.hold(accountKey(op), Math.min(status.resetAt, cap));
    } else if (error instanceof RateLimited) {
      const hinted = error.details['retryAfterMs'];
      limiter.hold(accountKey(op), Math.min(cap, now + (typeof hinted === 'number' && hinted > 0 ? hinted : window)));
    }
  }

  /** One guarded request, after the adapter got ready for it (its own requests guarded the same way). */
  async function call<T>(op: ClientOp, fn: () => Promise<T>, ctx?: CostContext): Promise<T> {
    deps.activity?.start();
    try {
      if (adapter.prepare && !INTERNAL_OPS.has(op)) {
        try {
          await adapter.prepare(op);
        } catch (e) {
          // Typed errors come from its guarded requests (observed there); anything else is a bug, observed here.
          if (!isAppError(e)) observe(op, 0, toAppError(e, exchange, op), 0);
          throw toAppError(e, exchange, op);
        }
      }
      return await guarded(op, fn, ctx);
    } finally {
      deps.activity?.end();
    }
  }

  /** Breaker, limiter, timeout, metrics, error mapping. No retries. */
  async function guarded<T>(op: ClientOp, fn: () => Promise<T>, ctx?: CostContext): Promise<T> {
    let permit;
    try {
      permit = breakers.enter(host, ref.accountId, { exchange, operation: op });
    } catch (e) {
      observe(op, 0, e, 0);
      throw e;
    }
    // An adapter with prepare() answers market() from the markets prepare loaded: no request.
    const cost = op === 'market' && adapter.prepare ? { host: 0, account: 0 } : limits.cost(op, ctx);
    const accountLimit = limits.account[OP_CLASS[op]];
    try {
      await limiter.acquire({
        account: accountLimit && cost.account > 0 ? { key: accountKey(op), limit: accountLimit, cost: cost.account } : undefined,
        host: limits.host && cost.host > 0 ? { key: `host:${host}`, limit: limits.host, cost: cost.host } : undefined,
      });
    } catch (e) {
      permit.neutral();
      throw toAppError(e, exchange, op);
    }
    const started = clock.now();
    try {
      const pending = fn();
      // A timed-out request may still settle later; nobody is listening then.
      pending.catch(() => undefined);
      const result = await withTimeout(
        clock,
        pending,
        timeoutMs,
        () => new NetworkTimeout(`${exchange} ${op} did not answer within ${timeoutMs} ms`, { exchange, operation: op }),
      );
      permit.success();
      observe(op, clock.now() - started, null, cost.host);
      afterCall(op, null);
      return result;
    } catch (raw) {
      const e = toAppError(raw, exchange, op);
      permit.failure(e);
      observe(op, clock.now() - started, e, cost.host);
      afterCall(op, e);
      throw e;
    }
  }

  // The adapter's own start-up requests (market load, account-type probe) go the same guarded way.
  deps.context?.bind((op, fn) => guarded(op, fn));

  function retried<T>(op: ClientOp, fn: () => Promise<T>, ctx?: CostContext): Promise<T> {
    return withRetry(() => call(op, fn, ctx), { ...options.retry, clock, random });
  }

  function refuse(op: ClientOp, e: unknown): never {
    observe(op, 0, e, 0);
    throw e;
  }

  return { call, retried, refuse };
}
