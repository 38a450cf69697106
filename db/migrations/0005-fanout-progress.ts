import type { Kysely } from 'kysely';

// Migrations never import app code and are never edited once landed.
// Crash-safe fan-out and idempotent manual trades:
//  - signal_deliveries: one row per (signal, user) once that user has an outcome
//    (trade opened/placed, preview sent, refused, failed). A fan-out that died midway
//    resumes for the subscribers without a row (and without a trade).
//  - manual_requests: a manual trade's request id (e.g. the confirmation message)
//    reserved once per user; linked to the trade it opened in the same transaction.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('signal_deliveries')
    .addColumn('signal_id', 'integer', (c) => c.notNull().references('signals.id').onDelete('cascade'))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('trade_id', 'integer')
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('signal_deliveries_pk', ['signal_id', 'user_id'])
    .execute();

  await db.schema
    .createTable('manual_requests')
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('trade_id', 'integer', (c) => c.references('trades.id').onDelete('set null'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('manual_requests_pk', ['user_id', 'request_id'])
    .execute();

  await db.schema.createIndex('signals_status').on('signals').columns(['status', 'received_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('signals_status').ifExists().execute();
  await db.schema.dropTable('manual_requests').ifExists().execute();
  await db.schema.dropTable('signal_deliveries').ifExists().execute();
}
