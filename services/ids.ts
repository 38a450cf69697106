/**
 * Deterministic client order ids. The same (trade key, user, leg) always gives
 * the same id, so a retry, a restart or a re-delivered signal can never place
 * a second order: the exchange (and our unique index) refuses the duplicate.
 * Format: "st-" + 32 hex characters (35 characters, [A-Za-z0-9-]) — inside
 * Bybit's 36-character orderLinkId; HyperLiquid's adapter maps it to a cloid.
 */
import { createHash, randomUUID } from 'node:crypto';

export const CLIENT_ORDER_ID_PATTERN = /^st-[0-9a-f]{32}$/;

/** Key of a trade's order family: the signal for signal trades, the trade row for manual ones. */
export function tradeKey(trade: { signalId: number | null; id: number }): string {
  return trade.signalId !== null ? `s${trade.signalId}` : `t${trade.id}`;
}

/** Deterministic id of one leg ("entry-0", "tp-2", "sl", "close-1", ...) of a user's trade. */
export function clientOrderId(key: string, userId: number, leg: string): string {
  const digest = createHash('sha256').update(`signal-trader/coid/v1|${key}|${userId}|${leg}`).digest('hex');
  return `st-${digest.slice(0, 32)}`;
}

/** A new trace id: follows one signal (or one manual action) through every user and log line. */
export function newTraceId(): string {
  return randomUUID();
}
