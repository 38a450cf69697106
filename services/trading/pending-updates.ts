/**
 * Follow-ups that arrived while a confirm-mode preview was waiting: the
 * source's updates to the signal (replies to its post, or updates naming its
 * symbol without replying to another post) stored since it was received.
 * Execute applies them: a moved stop replaces the signal's stop before
 * planning, a close / cancel means the signal is over (nothing is opened), a
 * breakeven is applied once the position exists.
 */
import type { SignalRow } from '../../db/database.js';
import type { ParseResult, SignalParse, UpdateParse } from '../../models/index.js';
import type { TradingDeps } from './context.js';

export interface PendingUpdates {
  /** The signal with every stored stop move applied (the last one wins). */
  signal: SignalParse;
  /** A close or cancel arrived: the signal is over. */
  closed: boolean;
  /** A breakeven arrived after the last stop move: move the stop to the entry once filled. */
  breakeven: boolean;
  /** Ids of the update rows applied, oldest first. */
  applied: number[];
}

function parseUpdate(row: Pick<SignalRow, 'parse_result'>): UpdateParse | null {
  try {
    const p = JSON.parse(row.parse_result) as ParseResult;
    return p.kind === 'update' ? p : null;
  } catch {
    return null;
  }
}

/** Pure: which stored updates concern `signal` and what they do to it. */
export function foldUpdates(signal: Pick<SignalRow, 'message_id' | 'received_at' | 'id'>, parsed: SignalParse, rows: readonly Pick<SignalRow, 'id' | 'parse_result' | 'reply_to_message_id' | 'received_at'>[]): PendingUpdates {
  const out: PendingUpdates = { signal: { ...parsed }, closed: false, breakeven: false, applied: [] };
  const ordered = [...rows].filter((r) => r.id !== signal.id && r.received_at >= signal.received_at).sort((a, b) => a.received_at - b.received_at || a.id - b.id);
  for (const r of ordered) {
    const u = parseUpdate(r);
    if (!u) continue;
    const mine = r.reply_to_message_id === signal.message_id || (r.reply_to_message_id === null && u.symbol === parsed.symbol);
    if (!mine) continue;
    if (u.action === 'close' || u.action === 'cancel') {
      out.closed = true;
      out.applied.push(r.id);
    } else if (u.breakeven) {
      out.breakeven = true;
      out.applied.push(r.id);
    } else if (u.action === 'move_sl' && u.stopLoss !== null && u.stopLoss > 0) {
      out.signal.stopLoss = u.stopLoss;
      out.breakeven = false;
      out.applied.push(r.id);
    }
  }
  return out;
}

/** The source's updates stored since `signal` was received, folded onto it. */
export async function pendingUpdates(deps: TradingDeps, signal: SignalRow, parsed: SignalParse): Promise<PendingUpdates> {
  const rows = await deps.db
    .selectFrom('signals')
    .select(['id', 'parse_result', 'reply_to_message_id', 'received_at'])
    .where('source_id', '=', signal.source_id)
    .where('kind', '=', 'update')
    .where('received_at', '>=', signal.received_at)
    .orderBy('received_at')
    .orderBy('id')
    .execute();
  return foldUpdates(signal, parsed, rows);
}
