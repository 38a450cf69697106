/**
 * HyperLiquid client order ids and position-protection tags (pure).
 *
 * Client order ids: `cloid` = "0x" + md5(clientOrderId) (32 hex chars).
 * Position protection (attached children and setPositionProtection orders)
 * uses the ids `${clientOrderId}:sl` / `:tp` (`#n` appended for a re-used
 * id), whose cloids carry PROTECTION_CLOID_TAG in their first four bytes: so
 * the adapter can tell "the position's stop" from any other reduce-only
 * trigger on the coin (a grid's own stop, a user's manual order) without
 * storing anything, and services can cancel an attached child by its derived
 * id (`cancelOrder(symbol, { clientOrderId: `${entryId}:sl` })`).
 */
import { createHash } from 'node:crypto';
import type { Side } from '../../models/index.js';

/** HyperLiquid's orderType of a trigger order -> which wire field carries it; null for plain orders. */
export function triggerKind(orderType: unknown): 'tp' | 'sl' | null {
  const t = String(orderType ?? '').toLowerCase();
  if (t.startsWith('take profit')) return 'tp';
  if (t.startsWith('stop')) return 'sl';
  return null;
}

/** First four bytes of every position-protection cloid (never the start of any other cloid of ours). */
export const PROTECTION_CLOID_TAG = 'feedc0de';
const PROTECTION_ID = /:(sl|tp)(#\d+)?$/;

/** Our client order id of an entry's attached stop-loss / take-profit child (also what setPositionProtection derives from its clientOrderId). */
export function protectionClientOrderId(clientOrderId: string, kind: 'sl' | 'tp'): string {
  return `${clientOrderId}:${kind}`;
}

/** Is this a position-protection id (`...:sl`, `...:tp`, optionally `#n`)? */
export function isProtectionClientOrderId(clientOrderId: string): boolean {
  return PROTECTION_ID.test(clientOrderId);
}

/**
 * Deterministic HyperLiquid cloid for one of our client order ids:
 * "0x" + md5 (32 hex chars). Protection ids get PROTECTION_CLOID_TAG in
 * their first 8 hex chars; any other id whose md5 happens to start with the
 * tag has its first hex digit changed, so the two sets never meet.
 */
export function toHyperliquidCloid(clientOrderId: string): string {
  const h = createHash('md5').update(clientOrderId).digest('hex');
  if (isProtectionClientOrderId(clientOrderId)) return '0x' + PROTECTION_CLOID_TAG + h.slice(PROTECTION_CLOID_TAG.length);
  if (h.startsWith(PROTECTION_CLOID_TAG)) return '0x' + (parseInt(h[0]!, 16) ^ 1).toString(16) + h.slice(1);
  return '0x' + h;
}

/** A cloid read back from HyperLiquid belongs to position protection placed by this adapter. */
export function isProtectionCloid(cloid: unknown): boolean {
  return typeof cloid === 'string' && cloid.toLowerCase().startsWith('0x' + PROTECTION_CLOID_TAG);
}

/**
 * HyperLiquid trigger kind of a reduce-only trigger order: a sell closes a
 * long, so a sell triggered below is its stop-loss and above its
 * take-profit; a buy closes a short, the other way round.
 */
export function triggerTpsl(side: Side, direction: 'above' | 'below'): 'sl' | 'tp' {
  return (side === 'sell') === (direction === 'below') ? 'sl' : 'tp';
}
