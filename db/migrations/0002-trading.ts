import type { Kysely } from 'kysely';

// Migrations never import app code and are never edited once landed.
export async function up(db: Kysely<any>): Promise<void> {
  // Leverage and margin mode last set per account and symbol: sent again only when they change.
  await db.schema
    .createTable('account_symbol_settings')
    .addColumn('account_id', 'integer', (c) => c.notNull().references('exchange_accounts.id').onDelete('cascade'))
    .addColumn('symbol', 'text', (c) => c.notNull())
    .addColumn('leverage', 'integer', (c) => c.notNull())
    .addColumn('margin_mode', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('account_symbol_settings_pk', ['account_id', 'symbol'])
    .execute();
  // Which leg of its trade an order is ("entry-0", "tp-2", "close-sl", ...).
  await db.schema.alterTable('orders').addColumn('leg', 'text').execute();
  await db.schema.alterTable('orders').addColumn('fee', 'text', (c) => c.notNull().defaultTo('0')).execute();
  await db.schema.createIndex('trades_source_status').on('trades').columns(['source_id', 'status']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('trades_source_status').ifExists().execute();
  await db.schema.alterTable('orders').dropColumn('fee').execute();
  await db.schema.alterTable('orders').dropColumn('leg').execute();
  await db.schema.dropTable('account_symbol_settings').ifExists().execute();
}
