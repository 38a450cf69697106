/**
 * Deterministic client order ids. The same (trade key, user, leg) always gives
 * the same id, so a retry, a restart or a re-delivered signal can never place
 * a second order: the exchange (and our unique index) refuses the duplicate.
 * Format: "st-" + 32 hex characters (35 characters, [A-Za-z0-9-]) — inside
 * Bybit's 36-character orderLinkId; HyperLiquid's adapter maps it to a cloid.
 *
 * The keys come from auto-increment row ids (s<signal>, t<trade>, grid<bot>), so
 * a per-installation random salt (generated once, stored in the database by
 * migration 0006) is mixed in: a reset database or a second installation on the
 * same exchange account never derives an id an earlier one used (placement would
 * adopt that old order as "the duplicate that landed" and never place the new one).
 * Trades and grid bots that existed before the salt keep their unsalted ids.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '../db/index.js';
import { getOrCreateOrderIdSalt, type OrderIdSaltRow } from '../db/repos/trading.js';

export const CLIENT_ORDER_ID_PATTERN = /^st-[0-9a-f]{32}$/;

/** Key of a trade's order family: the signal for signal trades, the trade row for manual ones. */
export function tradeKey(trade: { signalId: number | null; id: number }): string {
  return trade.signalId !== null ? `s${trade.signalId}` : `t${trade.id}`;
}

/**
 * Deterministic id of one leg ("entry-0", "tp-2", "sl", "close-1", ...) of a user's trade.
 * `salt` is the installation's salt (orderIdSalt); empty = the unsalted (pre-0006) id.
 */
export function clientOrderId(key: string, userId: number, leg: string, salt = ''): string {
  const input = salt === '' ? `signal-trader/coid/v1|${key}|${userId}|${leg}` : `signal-trader/coid/v2|${salt}|${key}|${userId}|${leg}`;
  const digest = createHash('sha256').update(input).digest('hex');
  return `st-${digest.slice(0, 32)}`;
}

export type OrderIdSalt = OrderIdSaltRow;

const salts = new WeakMap<object, Promise<OrderIdSalt>>();

/** The installation's order id salt (read once per database handle, created if missing). */
export function orderIdSalt(db: Db): Promise<OrderIdSalt> {
  let p = salts.get(db);
  if (!p) {
    p = getOrCreateOrderIdSalt(db, () => randomBytes(16).toString('hex'), Date.now());
    p.catch(() => salts.delete(db));
    salts.set(db, p);
  }
  return p;
}

/** The salt a trade's ids use ('' for trades older than the salt). */
export function tradeSalt(s: OrderIdSalt, tradeId: number): string {
  return tradeId > s.fromTrade ? s.salt : '';
}

/** The salt a grid bot's ids use ('' for bots older than the salt). */
export function gridSalt(s: OrderIdSalt, botId: number): string {
  return botId > s.fromGrid ? s.salt : '';
}

/** A new trace id: follows one signal (or one manual action) through every user and log line. */
export function newTraceId(): string {
  return randomUUID();
}
