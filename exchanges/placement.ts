/**
 * Order placement without duplicates. An order is never re-sent blind:
 * - an unknown outcome (NetworkTimeout, OrderStateUnknown, ExchangeUnavailable
 *   but not CircuitOpen) is followed by a look-up by client order id (with
 *   backoff, after a short settle delay so a request still in flight can land);
 *   found → that order is the result; definitely absent → re-sent with the SAME
 *   client order id, at most `maxResends` times; look-up failing → OrderStateUnknown;
 * - RateLimited means the exchange refused it: re-sent after a backoff with the
 *   same id (counted against `maxResends`);
 * - a "duplicate client order id" rejection means an earlier attempt landed:
 *   it is fetched and returned;
 * - once any attempt's outcome was unknown, every later failure ends as
 *   OrderStateUnknown (the caller records the order as unknown and
 *   reconciliation resolves it by client order id), never as "not placed".
 */
import {
  CircuitOpen,
  ExchangeError,
  ExchangeUnavailable,
  NetworkTimeout,
  OrderStateUnknown,
  RateLimited,
  isAppError,
  type Order,
  type OrderRequest,
} from '../models/index.js';
import { sleep, type Clock } from './limiter.js';
import { backoffDelay, isRetryable, withRetry, type RetryOptions } from './retry.js';
import type { BatchItemResult } from './types.js';

/**
 * Adapters mark a duplicate-client-order-id rejection with `details.reason`
 * set to this, or `details.duplicateClientOrderId: true` (ccxt/base.ts does).
 */
export const DUPLICATE_CLIENT_ORDER_ID = 'duplicate-client-order-id';

/** Bybit 110072 "OrderLinkedID is duplicate"; HyperLiquid/ccxt wording varies. */
const DUPLICATE_PATTERN = /duplicate|110072|already exists|orderlinkid.*(used|exist)|cloid.*(used|exist)/i;

export function isUnknownOutcome(e: unknown): boolean {
  return e instanceof NetworkTimeout || e instanceof OrderStateUnknown || (e instanceof ExchangeUnavailable && !(e instanceof CircuitOpen));
}

export function isDuplicateClientOrderId(e: unknown): boolean {
  if (!(e instanceof ExchangeError) || isUnknownOutcome(e) || e instanceof RateLimited || e instanceof CircuitOpen) return false;
  return e.details['reason'] === DUPLICATE_CLIENT_ORDER_ID || e.details['duplicateClientOrderId'] === true || DUPLICATE_PATTERN.test(e.message);
}

export interface PlacementOptions {
  /** Re-sends after a confirmed absence or a rate-limit refusal (default 2). */
  maxResends?: number;
  /** Wait before the first look-up so an in-flight request can land (default 500 ms). */
  settleMs?: number;
  /** Look-up retries (default 5 attempts, 500 ms base, 5 s max). */
  lookup?: RetryOptions;
}

export interface PlacementDeps {
  exchange: string;
  clock: Clock;
  random: () => number;
  options: PlacementOptions;
  /** One guarded fetchOrder by client order id (no retries of its own). */
  lookup(symbol: string, clientOrderId: string): Promise<Order | null>;
}

const LOOKUP_DEFAULTS: Required<RetryOptions> = { attempts: 5, baseMs: 500, maxMs: 5_000 };

function codeOf(e: unknown): string {
  return isAppError(e) ? e.code : 'error';
}

function unknownError(deps: PlacementDeps, operation: string, req: OrderRequest, why: string, cause: unknown): OrderStateUnknown {
  return new OrderStateUnknown(`${operation} ${req.symbol} ${req.clientOrderId}: outcome unknown (${why}); reconcile by client order id`, {
    exchange: deps.exchange,
    operation,
    cause,
    details: { symbol: req.symbol, clientOrderId: req.clientOrderId, lastErrorCode: codeOf(cause) },
  });
}

/** Look the order up until the exchange answers; throws OrderStateUnknown if it never does. */
async function lookupKnown(deps: PlacementDeps, operation: string, req: OrderRequest): Promise<Order | null> {
  try {
    return await withRetry(() => deps.lookup(req.symbol, req.clientOrderId), {
      ...LOOKUP_DEFAULTS,
      ...deps.options.lookup,
      clock: deps.clock,
      random: deps.random,
      retryable: isRetryable,
    });
  } catch (e) {
    throw unknownError(deps, operation, req, `look-up failed: ${codeOf(e)}`, e);
  }
}

async function rateLimitPause(deps: PlacementDeps, e: unknown, attempt: number): Promise<void> {
  let delay = backoffDelay(attempt, { baseMs: 500, maxMs: 5_000 }, deps.random);
  const hinted = isAppError(e) ? e.details['retryAfterMs'] : undefined;
  if (typeof hinted === 'number' && Number.isFinite(hinted)) delay = Math.max(delay, Math.min(hinted, 60_000));
  await sleep(deps.clock, delay);
}

export async function placeIdempotent(
  deps: PlacementDeps,
  operation: string,
  req: OrderRequest,
  send: (req: OrderRequest) => Promise<Order>,
): Promise<Order> {
  const maxResends = deps.options.maxResends ?? 2;
  const settleMs = deps.options.settleMs ?? 500;
  let resends = 0;
  let uncertain = false;
  for (;;) {
    try {
      return await send(req);
    } catch (e) {
      if (isDuplicateClientOrderId(e)) {
        const existing = await lookupKnown(deps, operation, req);
        if (existing) return existing;
        throw unknownError(deps, operation, req, 'exchange reports a duplicate client order id it does not show', e);
      }
      if (e instanceof RateLimited && resends < maxResends) {
        resends++;
        await rateLimitPause(deps, e, resends - 1);
        continue;
      }
      if (!isUnknownOutcome(e)) {
        if (uncertain) throw unknownError(deps, operation, req, `re-send failed: ${codeOf(e)}`, e);
        throw e;
      }
      uncertain = true;
      await sleep(deps.clock, settleMs);
      const found = await lookupKnown(deps, operation, req);
      if (found) return found;
      if (resends >= maxResends) throw unknownError(deps, operation, req, `not found after ${resends} re-send(s)`, e);
      resends++;
    }
  }
}

interface Slot {
  index: number;
  request: OrderRequest;
  uncertain: boolean;
}

/**
 * The same rule per item of a batch: items whose outcome is unknown (the whole
 * call failed that way, or the item did) are looked up; the absent ones go
 * out again together, with their original client order ids.
 */
export async function placeBatchIdempotent(
  deps: PlacementDeps,
  requests: OrderRequest[],
  sendBatch: (reqs: OrderRequest[]) => Promise<BatchItemResult[]>,
): Promise<BatchItemResult[]> {
  const operation = 'placeOrders';
  const maxResends = deps.options.maxResends ?? 2;
  const settleMs = deps.options.settleMs ?? 500;
  const results: (BatchItemResult | undefined)[] = requests.map(() => undefined);
  let pending: Slot[] = requests.map((request, index) => ({ index, request, uncertain: false }));
  for (let round = 0; pending.length > 0; round++) {
    let outcomes: BatchItemResult[];
    try {
      outcomes = await sendBatch(pending.map((s) => s.request));
      if (outcomes.length !== pending.length) {
        throw new OrderStateUnknown(`placeOrders: adapter returned ${outcomes.length} results for ${pending.length} orders`, { exchange: deps.exchange, operation });
      }
    } catch (e) {
      outcomes = pending.map((s) => ({ ok: false as const, error: e instanceof Error ? e : new Error(String(e)), request: s.request }));
    }
    const next: Slot[] = [];
    const toLookUp: { slot: Slot; error: unknown }[] = [];
    let rateLimited: unknown = null;
    pending.forEach((slot, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) {
        results[slot.index] = outcome;
        return;
      }
      const e = outcome.error;
      if (isDuplicateClientOrderId(e) || isUnknownOutcome(e)) {
        toLookUp.push({ slot, error: e });
      } else if (e instanceof RateLimited && round < maxResends) {
        rateLimited = e;
        next.push(slot);
      } else if (slot.uncertain) {
        results[slot.index] = { ok: false, error: unknownError(deps, operation, slot.request, `re-send failed: ${codeOf(e)}`, e), request: slot.request };
      } else {
        results[slot.index] = { ok: false, error: e, request: slot.request };
      }
    });
    if (toLookUp.some((t) => isUnknownOutcome(t.error))) await sleep(deps.clock, settleMs);
    for (const { slot, error } of toLookUp) {
      const duplicate = isDuplicateClientOrderId(error);
      try {
        const found = await lookupKnown(deps, operation, slot.request);
        if (found) results[slot.index] = { ok: true, order: found };
        else if (duplicate) results[slot.index] = { ok: false, error: unknownError(deps, operation, slot.request, 'duplicate id not visible', error), request: slot.request };
        else if (round >= maxResends) results[slot.index] = { ok: false, error: unknownError(deps, operation, slot.request, `not found after ${round} re-send(s)`, error), request: slot.request };
        else next.push({ ...slot, uncertain: true });
      } catch (lookupError) {
        results[slot.index] = { ok: false, error: lookupError as Error, request: slot.request };
      }
    }
    if (rateLimited !== null && next.length > 0) await rateLimitPause(deps, rateLimited, round);
    pending = next.sort((a, b) => a.index - b.index);
  }
  return results.map((r, i) => r ?? { ok: false, error: unknownError(deps, operation, requests[i]!, 'no result', null), request: requests[i]! });
}
