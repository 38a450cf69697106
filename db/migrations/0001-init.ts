import { sql, type Kysely } from 'kysely';

// Migrations never import app code and are never edited once landed.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('telegram_id', 'bigint', (c) => c.notNull().unique())
    .addColumn('username', 'text')
    .addColumn('first_name', 'text')
    .addColumn('language', 'text', (c) => c.notNull().defaultTo('en'))
    .addColumn('role', 'text', (c) => c.notNull().defaultTo('trader'))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('license_expires_at', 'bigint')
    .addColumn('trading_enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('default_account_id', 'integer')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('exchange_accounts')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('exchange', 'text', (c) => c.notNull())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('credentials_enc', 'text')
    .addColumn('credentials_nonce', 'text')
    .addColumn('vault_key_id', 'text')
    .addColumn('key_fingerprint', 'text')
    .addColumn('key_hint', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
    .addColumn('verified_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('exchange_accounts_user').on('exchange_accounts').column('user_id').execute();

  await db.schema
    .createTable('signal_sources')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('chat_id', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('username', 'text')
    .addColumn('added_by', 'integer', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('visibility', 'text', (c) => c.notNull().defaultTo('public'))
    .addColumn('paused', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('default_settings', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('signal_sources_kind_chat', ['kind', 'chat_id'])
    .execute();

  await db.schema
    .createTable('subscriptions')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('source_id', 'integer', (c) => c.notNull().references('signal_sources.id').onDelete('cascade'))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('mode', 'text', (c) => c.notNull().defaultTo('auto'))
    .addColumn('account_id', 'integer', (c) => c.references('exchange_accounts.id').onDelete('set null'))
    .addColumn('overrides', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('subscriptions_user_source', ['user_id', 'source_id'])
    .execute();
  await db.schema.createIndex('subscriptions_source').on('subscriptions').column('source_id').execute();

  await db.schema
    .createTable('user_settings')
    .addColumn('user_id', 'integer', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('signals')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('source_id', 'integer', (c) => c.notNull().references('signal_sources.id').onDelete('cascade'))
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('raw_text', 'text', (c) => c.notNull())
    .addColumn('parse_result', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('trace_id', 'text', (c) => c.notNull())
    .addColumn('reply_to_message_id', 'text')
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('signals_source_message', ['source_id', 'message_id'])
    .execute();

  await db.schema
    .createTable('trades')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('account_id', 'integer', (c) => c.notNull().references('exchange_accounts.id'))
    .addColumn('signal_id', 'integer', (c) => c.references('signals.id').onDelete('set null'))
    .addColumn('source_id', 'integer', (c) => c.references('signal_sources.id').onDelete('set null'))
    .addColumn('symbol', 'text', (c) => c.notNull())
    .addColumn('side', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('leverage', 'integer', (c) => c.notNull())
    .addColumn('margin_mode', 'text', (c) => c.notNull())
    .addColumn('entry_price', 'text')
    .addColumn('quantity', 'text', (c) => c.notNull().defaultTo('0'))
    .addColumn('stop_loss', 'text')
    .addColumn('take_profits', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('plan', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('realized_pnl', 'text', (c) => c.notNull().defaultTo('0'))
    .addColumn('fees', 'text', (c) => c.notNull().defaultTo('0'))
    .addColumn('close_reason', 'text')
    .addColumn('trace_id', 'text', (c) => c.notNull())
    .addColumn('opened_at', 'bigint')
    .addColumn('closed_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('trades_user_status').on('trades').columns(['user_id', 'status']).execute();
  await db.schema.createIndex('trades_signal').on('trades').column('signal_id').execute();
  // One trade per (signal, user): a re-delivered signal can never open a second trade.
  await db.schema.createIndex('trades_signal_user').on('trades').columns(['signal_id', 'user_id']).unique().execute();

  await db.schema
    .createTable('orders')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('trade_id', 'integer', (c) => c.references('trades.id').onDelete('cascade'))
    .addColumn('account_id', 'integer', (c) => c.notNull().references('exchange_accounts.id'))
    .addColumn('client_order_id', 'text', (c) => c.notNull().unique())
    .addColumn('exchange_order_id', 'text')
    .addColumn('symbol', 'text', (c) => c.notNull())
    .addColumn('side', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('price', 'text')
    .addColumn('trigger_price', 'text')
    .addColumn('quantity', 'text', (c) => c.notNull())
    .addColumn('filled', 'text', (c) => c.notNull().defaultTo('0'))
    .addColumn('average_price', 'text')
    .addColumn('reduce_only', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('orders_trade').on('orders').column('trade_id').execute();
  await db.schema.createIndex('orders_account_status').on('orders').columns(['account_id', 'status']).execute();

  await db.schema
    .createTable('state_transitions')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'integer', (c) => c.notNull())
    .addColumn('from_status', 'text', (c) => c.notNull())
    .addColumn('to_status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('state_transitions_entity').on('state_transitions').columns(['entity', 'entity_id']).execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'text')
    .addColumn('before', 'text')
    .addColumn('after', 'text')
    .addColumn('trace_id', 'text')
    .execute();
  await db.schema.createIndex('audit_log_trace').on('audit_log').column('trace_id').execute();
  // The audit log is append-only (SQLite triggers; a Postgres dialect gets its own rules).
  await sql`CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`.execute(db);
  await sql`CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['audit_log', 'state_transitions', 'orders', 'trades', 'signals', 'user_settings', 'subscriptions', 'signal_sources', 'exchange_accounts', 'users']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
