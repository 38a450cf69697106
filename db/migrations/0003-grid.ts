import { type Kysely } from 'kysely';

// Grid (DCA / martingale) bots and their finished cycles.
// Migrations never import app code and are never edited once landed.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('grid_bots')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('account_id', 'integer', (c) => c.notNull().references('exchange_accounts.id').onDelete('cascade'))
    .addColumn('symbol', 'text', (c) => c.notNull())
    .addColumn('side', 'text', (c) => c.notNull())
    // JSON: the bot's parameters (percentages as typed, pause in ms).
    .addColumn('params', 'text', (c) => c.notNull())
    // JSON: the strategy core's state (phase, current cycle, wanted orders, totals).
    .addColumn('state', 'text', (c) => c.notNull())
    // 'running' | 'paused' | 'stopping' | 'stopped' (mirrors the state for listing).
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('stop_reason', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('grid_bots_user').on('grid_bots').column('user_id').execute();
  await db.schema.createIndex('grid_bots_status').on('grid_bots').column('status').execute();

  await db.schema
    .createTable('grid_cycles')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('bot_id', 'integer', (c) => c.notNull().references('grid_bots.id').onDelete('cascade'))
    .addColumn('cycle', 'integer', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('ended_at', 'bigint', (c) => c.notNull())
    .addColumn('duration_ms', 'bigint', (c) => c.notNull())
    .addColumn('start_price', 'text', (c) => c.notNull())
    .addColumn('average_entry', 'text', (c) => c.notNull())
    .addColumn('exit_price', 'text')
    .addColumn('quantity', 'text', (c) => c.notNull())
    .addColumn('levels_used', 'integer', (c) => c.notNull())
    .addColumn('gross_pnl', 'text', (c) => c.notNull())
    .addColumn('fees', 'text', (c) => c.notNull())
    .addColumn('pnl', 'text', (c) => c.notNull())
    .addColumn('estimated', 'integer', (c) => c.notNull().defaultTo(0))
    .addUniqueConstraint('grid_cycles_bot_cycle', ['bot_id', 'cycle'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('grid_cycles').execute();
  await db.schema.dropTable('grid_bots').execute();
}
