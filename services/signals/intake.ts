/**
 * Intake: a message from a source (channel post, forwarded post, built-in
 * strategy) is parsed once and stored once per (source, message id). The same
 * post delivered twice (or again after a restart) is the same signal. An edit
 * before execution updates the stored signal; after execution the edit is
 * treated as a possible update (a changed stop-loss moves the stop).
 * "Executed" means trades exist for the signal: an edit of a signal everyone
 * only previewed or was refused is planned again for those users.
 */
import { signals as signalsRepo, type Db } from '../../db/index.js';
import { clearNonTradeDeliveries, countExecutedTradesOfSignal } from '../../db/repos/trading.js';
import type { SignalRow } from '../../db/database.js';
import type { ParseResult, UpdateParse } from '../../models/index.js';
import { newTraceId } from '../ids.js';

export interface IncomingMessage {
  sourceId: number;
  messageId: string;
  text: string;
  /** The post this one replies to, if any. */
  replyToMessageId?: string | null;
  /** When the post was made (epoch ms); default now. Signal age counts from here. */
  postedAt?: number;
  edited?: boolean;
}

export type IntakeResult =
  /** A new signal, or an edit of one not executed yet: fan it out. */
  | { action: 'signal'; signal: SignalRow; created: boolean }
  /** A follow-up (new update post, or an edit of an executed signal). */
  | { action: 'update'; signal: SignalRow; update: UpdateParse; replyToMessageId: string | null }
  /** Already handled (duplicate delivery) or nothing to trade. */
  | { action: 'none'; signal: SignalRow; why: 'duplicate' | 'not-a-signal' | 'unchanged' };

export interface IntakeDeps {
  db: Db;
  parse: (text: string) => ParseResult;
  clock?: { now(): number };
}

/** Stop-loss change between two parses of one post, as an update. */
export function editAsUpdate(before: ParseResult, after: ParseResult): UpdateParse | null {
  if (before.kind !== 'signal') return null;
  if (after.kind === 'update') return after;
  if (after.kind === 'signal' && after.symbol === before.symbol && after.stopLoss !== null && after.stopLoss !== before.stopLoss) {
    return { kind: 'update', symbol: after.symbol, action: 'move_sl', stopLoss: after.stopLoss, breakeven: false };
  }
  return null;
}

export async function intake(deps: IntakeDeps, msg: IncomingMessage): Promise<IntakeResult> {
  const now = deps.clock?.now() ?? Date.now();
  const parsed = deps.parse(msg.text);
  const { row, created } = await signalsRepo.insertSignalOnce(deps.db, {
    sourceId: msg.sourceId,
    messageId: msg.messageId,
    rawText: msg.text,
    parseResult: JSON.stringify(parsed),
    kind: parsed.kind,
    status: parsed.kind === 'none' ? 'ignored' : 'received',
    traceId: newTraceId(),
    replyToMessageId: msg.replyToMessageId ?? null,
    now: msg.postedAt ?? now,
  });
  if (created) return route(row, parsed);
  if (!msg.edited || row.raw_text === msg.text) return { action: 'none', signal: row, why: 'duplicate' };

  // An edit.
  const before = JSON.parse(row.parse_result) as ParseResult;
  if ((await countExecutedTradesOfSignal(deps.db, row.id)) > 0) {
    // Trades exist: the edit may be an update to them. The stored signal also takes the
    // new parameters so users who confirm later get them.
    const update = editAsUpdate(before, parsed);
    if (parsed.kind === 'signal') await signalsRepo.updateSignal(deps.db, row.id, { raw_text: msg.text, parse_result: JSON.stringify(parsed) }, now);
    const fresh = (await signalsRepo.findSignal(deps.db, row.id)) ?? row;
    if (update) return { action: 'update', signal: fresh, update, replyToMessageId: row.message_id };
    return { action: 'none', signal: fresh, why: 'unchanged' };
  }
  // Previews and refusals of the old text are forgotten: those users are planned again.
  await clearNonTradeDeliveries(deps.db, row.id);
  await signalsRepo.updateSignal(
    deps.db,
    row.id,
    { raw_text: msg.text, parse_result: JSON.stringify(parsed), kind: parsed.kind, status: parsed.kind === 'none' ? 'ignored' : 'received' },
    now,
  );
  const fresh = (await signalsRepo.findSignal(deps.db, row.id)) ?? row;
  return route(fresh, parsed);
}

function route(row: SignalRow, parsed: ParseResult): IntakeResult {
  if (parsed.kind === 'signal') return { action: 'signal', signal: row, created: true };
  if (parsed.kind === 'update') return { action: 'update', signal: row, update: parsed, replyToMessageId: row.reply_to_message_id };
  return { action: 'none', signal: row, why: 'not-a-signal' };
}
