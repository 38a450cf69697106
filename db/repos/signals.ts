import type { Updateable } from 'kysely';
import type { DbOrTx } from '../client.js';
import type { SignalRow, SignalsTable } from '../database.js';

export interface NewSignal {
  sourceId: number;
  messageId: string;
  rawText: string;
  parseResult: string;
  kind: string;
  status: string;
  traceId: string;
  replyToMessageId?: string | null;
  now: number;
}

/**
 * Inserts a signal once per (source, message). Returns the stored row and
 * whether this call created it (false: the same post was delivered again).
 */
export async function insertSignalOnce(db: DbOrTx, s: NewSignal): Promise<{ row: SignalRow; created: boolean }> {
  const inserted = await db
    .insertInto('signals')
    .values({
      source_id: s.sourceId,
      message_id: s.messageId,
      raw_text: s.rawText,
      parse_result: s.parseResult,
      kind: s.kind,
      status: s.status,
      trace_id: s.traceId,
      reply_to_message_id: s.replyToMessageId ?? null,
      received_at: s.now,
      updated_at: s.now,
    })
    .onConflict((oc) => oc.columns(['source_id', 'message_id']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { row: inserted, created: true };
  const row = await findSignalByMessage(db, s.sourceId, s.messageId);
  if (!row) throw new Error(`signal ${s.sourceId}/${s.messageId} vanished`);
  return { row, created: false };
}

export function findSignalByMessage(db: DbOrTx, sourceId: number, messageId: string): Promise<SignalRow | undefined> {
  return db.selectFrom('signals').selectAll().where('source_id', '=', sourceId).where('message_id', '=', messageId).executeTakeFirst();
}

export function findSignal(db: DbOrTx, id: number): Promise<SignalRow | undefined> {
  return db.selectFrom('signals').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function updateSignal(db: DbOrTx, id: number, patch: Updateable<SignalsTable>, now: number): Promise<void> {
  await db.updateTable('signals').set({ ...patch, updated_at: now }).where('id', '=', id).execute();
}

export async function countSignalsSince(db: DbOrTx, since: number): Promise<number> {
  const r = await db.selectFrom('signals').select((eb) => eb.fn.countAll<number>().as('n')).where('received_at', '>=', since).executeTakeFirst();
  return Number(r?.n ?? 0);
}
