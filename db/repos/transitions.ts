import type { TransitionRecord } from '../../models/state-machines.js';
import type { DbOrTx } from '../client.js';

/** Records a state-machine transition of an order or a trade. */
export async function recordTransition(db: DbOrTx, entityId: number, record: TransitionRecord<string>): Promise<void> {
  if (record.from === record.to) return;
  await db
    .insertInto('state_transitions')
    .values({
      entity: record.machine,
      entity_id: entityId,
      from_status: record.from,
      to_status: record.to,
      reason: record.reason ?? null,
      at: record.at,
    })
    .execute();
}

export function listTransitions(db: DbOrTx, entity: string, entityId: number) {
  return db.selectFrom('state_transitions').selectAll().where('entity', '=', entity).where('entity_id', '=', entityId).orderBy('id').execute();
}
