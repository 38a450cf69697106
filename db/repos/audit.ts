import type { DbOrTx } from '../client.js';
import type { AuditRow } from '../database.js';

export interface AuditEntry {
  actor: string;
  action: string;
  entity: string;
  entityId?: string | number | null;
  before?: unknown;
  after?: unknown;
  traceId?: string | null;
  at: number;
}

const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));

/** Append-only: there is no update or delete (the table refuses them). */
export async function appendAudit(db: DbOrTx, e: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      at: e.at,
      actor: e.actor,
      action: e.action,
      entity: e.entity,
      entity_id: e.entityId == null ? null : String(e.entityId),
      before: json(e.before),
      after: json(e.after),
      trace_id: e.traceId ?? null,
    })
    .execute();
}

export function listAudit(db: DbOrTx, filter: { traceId?: string; entity?: string; entityId?: string; limit?: number } = {}): Promise<AuditRow[]> {
  let q = db.selectFrom('audit_log').selectAll();
  if (filter.traceId) q = q.where('trace_id', '=', filter.traceId);
  if (filter.entity) q = q.where('entity', '=', filter.entity);
  if (filter.entityId) q = q.where('entity_id', '=', filter.entityId);
  return q.orderBy('id', 'desc').limit(filter.limit ?? 100).execute();
}
