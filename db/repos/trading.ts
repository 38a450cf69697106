/**
 * Queries the trading services need beyond trades.ts (0002), and the 0005
 * tables (fan-out progress per (signal, user), manual request ids), typed here
 * and added with Kysely's `withTables` so db/database.ts needs no change.
 */
import type { Kysely, Selectable } from 'kysely';
import type { DbOrTx } from '../client.js';
import type { Database, SignalRow, TradeRow } from '../database.js';

export interface SignalDeliveriesTable {
  signal_id: number;
  user_id: number;
  /** 'opened' | 'placed' | 'duplicate' | 'previewed' | 'refused' | 'failed' */
  outcome: string;
  reason: string | null;
  trade_id: number | null;
  at: number;
}

/** The key-value table of 0004 (process-wide state); the order id salt lives there (0006). */
export interface SystemStateTable {
  key: string;
  value: string;
  updated_at: number;
}

export interface ManualRequestsTable {
  user_id: number;
  request_id: string;
  trade_id: number | null;
  created_at: number;
}

// A type alias (not an interface) so it satisfies withTables' Record constraint.
export type TradingTables = {
  signal_deliveries: SignalDeliveriesTable;
  manual_requests: ManualRequestsTable;
  system_state: SystemStateTable;
};

export type SignalDeliveryRow = Selectable<SignalDeliveriesTable>;
export type ManualRequestRow = Selectable<ManualRequestsTable>;

type TradingDb = Kysely<Database & TradingTables>;
const t = (db: DbOrTx): TradingDb => db.withTables<TradingTables>() as unknown as TradingDb;

export async function getSymbolSettings(db: DbOrTx, accountId: number, symbol: string): Promise<{ leverage: number; marginMode: string; updatedAt: number } | null> {
  const row = await db
    .selectFrom('account_symbol_settings')
    .select(['leverage', 'margin_mode', 'updated_at'])
    .where('account_id', '=', accountId)
    .where('symbol', '=', symbol)
    .executeTakeFirst();
  return row ? { leverage: row.leverage, marginMode: row.margin_mode, updatedAt: Number(row.updated_at) } : null;
}

export async function putSymbolSettings(db: DbOrTx, accountId: number, symbol: string, leverage: number, marginMode: string, now: number): Promise<void> {
  await db
    .insertInto('account_symbol_settings')
    .values({ account_id: accountId, symbol, leverage, margin_mode: marginMode, updated_at: now })
    .onConflict((oc) => oc.columns(['account_id', 'symbol']).doUpdateSet({ leverage, margin_mode: marginMode, updated_at: now }))
    .execute();
}

export async function forgetSymbolSettings(db: DbOrTx, accountId: number, symbol?: string): Promise<void> {
  let q = db.deleteFrom('account_symbol_settings').where('account_id', '=', accountId);
  if (symbol !== undefined) q = q.where('symbol', '=', symbol);
  await q.execute();
}

/** Trades of a user that hold or may hold a position (opening, open, closing). */
export function listActiveTradesOfUser(db: DbOrTx, userId: number): Promise<Pick<TradeRow, 'id' | 'account_id' | 'symbol' | 'plan' | 'status'>[]> {
  return db
    .selectFrom('trades')
    .select(['id', 'account_id', 'symbol', 'plan', 'status'])
    .where('user_id', '=', userId)
    .where('status', 'in', ['opening', 'open', 'closing'])
    .execute();
}

/** Trades of a user closed at or after `since` (realized PnL and stop-loss closes for the limits). */
export function listClosedSince(db: DbOrTx, userId: number, since: number): Promise<Pick<TradeRow, 'symbol' | 'realized_pnl' | 'close_reason' | 'closed_at'>[]> {
  return db
    .selectFrom('trades')
    .select(['symbol', 'realized_pnl', 'close_reason', 'closed_at'])
    .where('user_id', '=', userId)
    .where('status', '=', 'closed')
    .where('closed_at', '>=', since)
    .execute();
}

/** Open trades from one source, optionally for one symbol (follow-ups without a reply). */
export function listOpenTradesOfSource(db: DbOrTx, sourceId: number, symbol?: string): Promise<TradeRow[]> {
  let q = db.selectFrom('trades').selectAll().where('source_id', '=', sourceId).where('status', 'in', ['opening', 'open', 'closing']);
  if (symbol !== undefined) q = q.where('symbol', '=', symbol);
  return q.orderBy('id').execute();
}

/** Accounts with trades or orders that are not finished (reconciliation). */
export async function listAccountsToReconcile(db: DbOrTx): Promise<number[]> {
  const a = await db.selectFrom('trades').select('account_id').distinct().where('status', 'in', ['planned', 'opening', 'open', 'closing']).execute();
  const b = await db.selectFrom('orders').select('account_id').distinct().where('status', 'in', ['pending', 'unknown']).execute();
  return [...new Set([...a, ...b].map((r) => r.account_id))].sort((x, y) => x - y);
}

/** Accounts with unfinished trades, with their exchange (the tracking loop groups by account). */
export async function listAccountsWithOpenTrades(db: DbOrTx): Promise<{ accountId: number; exchange: string }[]> {
  const rows = await db
    .selectFrom('trades')
    .innerJoin('exchange_accounts', 'exchange_accounts.id', 'trades.account_id')
    .select(['trades.account_id as accountId', 'exchange_accounts.exchange as exchange'])
    .distinct()
    .where('trades.status', 'in', ['planned', 'opening', 'open', 'closing'])
    .orderBy('trades.account_id')
    .execute();
  return rows.map((r) => ({ accountId: r.accountId, exchange: r.exchange }));
}

/** Trades from a signal that count as executed (anything but a failed attempt). */
export async function countExecutedTradesOfSignal(db: DbOrTx, signalId: number): Promise<number> {
  const r = await db.selectFrom('trades').select((eb) => eb.fn.countAll<number>().as('n')).where('signal_id', '=', signalId).where('status', '!=', 'failed').executeTakeFirst();
  return Number(r?.n ?? 0);
}

// ---- fan-out progress (0005) ----

/** Records a user's outcome for a signal (the first one stays). */
export async function recordDelivery(db: DbOrTx, d: SignalDeliveryRow): Promise<void> {
  await t(db).insertInto('signal_deliveries').values(d).onConflict((oc) => oc.columns(['signal_id', 'user_id']).doNothing()).execute();
}

export function listDeliveries(db: DbOrTx, signalId: number): Promise<SignalDeliveryRow[]> {
  return t(db).selectFrom('signal_deliveries').selectAll().where('signal_id', '=', signalId).orderBy('user_id').execute();
}

/** Users of a signal with an outcome: a delivery row or a trade. */
export async function usersWithOutcome(db: DbOrTx, signalId: number): Promise<Set<number>> {
  const a = await t(db).selectFrom('signal_deliveries').select('user_id').where('signal_id', '=', signalId).execute();
  const b = await db.selectFrom('trades').select('user_id').where('signal_id', '=', signalId).execute();
  return new Set([...a, ...b].map((r) => r.user_id));
}

/** Forgets the outcomes that are not trades (an edit before execution re-plans those users). */
export async function clearNonTradeDeliveries(db: DbOrTx, signalId: number): Promise<void> {
  await t(db).deleteFrom('signal_deliveries').where('signal_id', '=', signalId).where('trade_id', 'is', null).execute();
}

/**
 * Signals whose fan-out has not finished: 'fanning-out', or 'received' trade
 * signals since `receivedSince` — of channel and built-in sources (a forwarded
 * post is executed for its one user directly, never fanned out).
 */
export function listUnfinishedSignals(db: DbOrTx, receivedSince: number): Promise<SignalRow[]> {
  return db
    .selectFrom('signals')
    .innerJoin('signal_sources', 'signal_sources.id', 'signals.source_id')
    .selectAll('signals')
    .where('signals.kind', '=', 'signal')
    .where('signal_sources.kind', '!=', 'forwarded')
    .where((eb) => eb.or([eb('signals.status', '=', 'fanning-out'), eb.and([eb('signals.status', '=', 'received'), eb('signals.received_at', '>=', receivedSince)])]))
    .orderBy('signals.id')
    .execute();
}

// ---- manual request ids (0005) ----

/** Reserves (user, request id); returns the stored row either way. */
export async function reserveManualRequest(db: DbOrTx, userId: number, requestId: string, now: number): Promise<{ row: ManualRequestRow; created: boolean }> {
  const inserted = await t(db)
    .insertInto('manual_requests')
    .values({ user_id: userId, request_id: requestId, trade_id: null, created_at: now })
    .onConflict((oc) => oc.columns(['user_id', 'request_id']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { row: inserted, created: true };
  const row = await findManualRequest(db, userId, requestId);
  if (!row) throw new Error(`manual request ${userId}/${requestId} vanished`);
  return { row, created: false };
}

export function findManualRequest(db: DbOrTx, userId: number, requestId: string): Promise<ManualRequestRow | undefined> {
  return t(db).selectFrom('manual_requests').selectAll().where('user_id', '=', userId).where('request_id', '=', requestId).executeTakeFirst();
}

/** Links a reserved request to its trade; false when it already has one (another call won). */
export async function linkManualRequest(db: DbOrTx, userId: number, requestId: string, tradeId: number): Promise<boolean> {
  const r = await t(db)
    .updateTable('manual_requests')
    .set({ trade_id: tradeId })
    .where('user_id', '=', userId)
    .where('request_id', '=', requestId)
    .where('trade_id', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

// ---- client order id salt (0006) ----

export interface OrderIdSaltRow {
  salt: string;
  /** Trades with a larger id use the salt (older ones keep their unsalted ids). */
  fromTrade: number;
  /** Grid bots with a larger id use the salt. */
  fromGrid: number;
}

/**
 * The installation's client order id salt (created by migration 0006). A database
 * without it (the rows were deleted) gets one now, applying to every trade and bot.
 */
export async function getOrCreateOrderIdSalt(db: DbOrTx, make: () => string, now: number): Promise<OrderIdSaltRow> {
  const read = async () => {
    const rows = await t(db).selectFrom('system_state').select(['key', 'value']).where('key', 'in', ['order_id_salt', 'order_id_salt_from_trade', 'order_id_salt_from_grid']).execute();
    return new Map(rows.map((r) => [r.key, r.value]));
  };
  let m = await read();
  if (!m.get('order_id_salt')) {
    await t(db)
      .insertInto('system_state')
      .values([
        { key: 'order_id_salt', value: make(), updated_at: now },
        { key: 'order_id_salt_from_trade', value: '0', updated_at: now },
        { key: 'order_id_salt_from_grid', value: '0', updated_at: now },
      ])
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    m = await read();
  }
  return { salt: m.get('order_id_salt')!, fromTrade: Number(m.get('order_id_salt_from_trade') ?? 0) || 0, fromGrid: Number(m.get('order_id_salt_from_grid') ?? 0) || 0 };
}
