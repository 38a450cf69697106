import type { Kysely } from 'kysely';

// Migrations never import app code and are never edited once landed.
// Access control (invites, access requests), license history and reminders,
// and a small key-value table for process-wide state (the kill switch).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('invites')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('created_by', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('max_uses', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('uses', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('expires_at', 'bigint')
    .addColumn('revoked', 'integer', (c) => c.notNull().defaultTo(0))
    /** Days of license granted on redemption (0 = none). */
    .addColumn('license_days', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('note', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('invite_redemptions')
    .addColumn('invite_id', 'integer', (c) => c.notNull().references('invites.id').onDelete('cascade'))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('invite_redemptions_pk', ['invite_id', 'user_id'])
    .execute();

  await db.schema
    .createTable('access_requests')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull()) // 'pending' | 'approved' | 'rejected'
    .addColumn('decided_by', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('decided_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('access_requests_user').on('access_requests').columns(['user_id', 'status']).execute();

  await db.schema
    .createTable('license_grants')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('action', 'text', (c) => c.notNull()) // 'grant' | 'extend' | 'revoke'
    .addColumn('plan', 'text')
    .addColumn('days', 'integer')
    .addColumn('expires_before', 'bigint')
    .addColumn('expires_after', 'bigint')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('license_grants_user').on('license_grants').column('user_id').execute();

  // One row per notice sent (reminders, expiry, grace end) for one expiry instant: each goes out once.
  await db.schema
    .createTable('license_notices')
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('sent_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('license_notices_pk', ['user_id', 'kind', 'expires_at'])
    .execute();

  await db.schema
    .createTable('system_state')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema.createIndex('users_username').on('users').column('username').execute();
  await db.schema.createIndex('signals_received').on('signals').column('received_at').execute();
  await db.schema.createIndex('orders_created').on('orders').column('created_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('orders_created').ifExists().execute();
  await db.schema.dropIndex('signals_received').ifExists().execute();
  await db.schema.dropIndex('users_username').ifExists().execute();
  for (const t of ['system_state', 'license_notices', 'license_grants', 'access_requests', 'invite_redemptions', 'invites']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
