import type { Insertable, Updateable } from 'kysely';
import type { DbOrTx } from '../client.js';
import type { OrderRow, OrdersTable, TradeRow, TradesTable } from '../database.js';

export const OPEN_TRADE_STATUSES = ['planned', 'opening', 'open', 'closing'] as const;
export const OPEN_ORDER_STATUSES = ['pending', 'open', 'partially_filled', 'unknown'] as const;

export async function insertTrade(db: DbOrTx, t: Insertable<TradesTable>): Promise<TradeRow> {
  return db.insertInto('trades').values(t).returningAll().executeTakeFirstOrThrow();
}

export function findTrade(db: DbOrTx, id: number): Promise<TradeRow | undefined> {
  return db.selectFrom('trades').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findTradeBySignalUser(db: DbOrTx, signalId: number, userId: number): Promise<TradeRow | undefined> {
  return db.selectFrom('trades').selectAll().where('signal_id', '=', signalId).where('user_id', '=', userId).executeTakeFirst();
}

export async function updateTrade(db: DbOrTx, id: number, patch: Updateable<TradesTable>, now: number): Promise<void> {
  await db.updateTable('trades').set({ ...patch, updated_at: now }).where('id', '=', id).execute();
}

export function listOpenTrades(db: DbOrTx, filter: { userId?: number; accountId?: number; symbol?: string; signalId?: number } = {}): Promise<TradeRow[]> {
  let q = db.selectFrom('trades').selectAll().where('status', 'in', [...OPEN_TRADE_STATUSES]);
  if (filter.userId !== undefined) q = q.where('user_id', '=', filter.userId);
  if (filter.accountId !== undefined) q = q.where('account_id', '=', filter.accountId);
  if (filter.symbol !== undefined) q = q.where('symbol', '=', filter.symbol);
  if (filter.signalId !== undefined) q = q.where('signal_id', '=', filter.signalId);
  return q.orderBy('id').execute();
}

export function listClosedTrades(db: DbOrTx, filter: { userId?: number; since?: number; until?: number } = {}): Promise<TradeRow[]> {
  let q = db.selectFrom('trades').selectAll().where('status', '=', 'closed');
  if (filter.userId !== undefined) q = q.where('user_id', '=', filter.userId);
  if (filter.since !== undefined) q = q.where('closed_at', '>=', filter.since);
  if (filter.until !== undefined) q = q.where('closed_at', '<', filter.until);
  return q.orderBy('closed_at').execute();
}

export async function insertOrder(db: DbOrTx, o: Insertable<OrdersTable>): Promise<OrderRow> {
  return db.insertInto('orders').values(o).returningAll().executeTakeFirstOrThrow();
}

/** Stores an order row once per client order id; returns the existing row on a repeat. */
export async function insertOrderOnce(db: DbOrTx, o: Insertable<OrdersTable>): Promise<{ row: OrderRow; created: boolean }> {
  const inserted = await db
    .insertInto('orders')
    .values(o)
    .onConflict((oc) => oc.column('client_order_id').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { row: inserted, created: true };
  const row = await findOrderByClientId(db, o.client_order_id);
  if (!row) throw new Error(`order ${o.client_order_id} vanished`);
  return { row, created: false };
}

export function findOrderByClientId(db: DbOrTx, clientOrderId: string): Promise<OrderRow | undefined> {
  return db.selectFrom('orders').selectAll().where('client_order_id', '=', clientOrderId).executeTakeFirst();
}

export async function updateOrder(db: DbOrTx, id: number, patch: Updateable<OrdersTable>, now: number): Promise<void> {
  await db.updateTable('orders').set({ ...patch, updated_at: now }).where('id', '=', id).execute();
}

export function listOrdersOfTrade(db: DbOrTx, tradeId: number): Promise<OrderRow[]> {
  return db.selectFrom('orders').selectAll().where('trade_id', '=', tradeId).orderBy('id').execute();
}

export function listOpenOrders(db: DbOrTx, filter: { accountId?: number; tradeId?: number } = {}): Promise<OrderRow[]> {
  let q = db.selectFrom('orders').selectAll().where('status', 'in', [...OPEN_ORDER_STATUSES]);
  if (filter.accountId !== undefined) q = q.where('account_id', '=', filter.accountId);
  if (filter.tradeId !== undefined) q = q.where('trade_id', '=', filter.tradeId);
  return q.orderBy('id').execute();
}

export async function countOrdersSince(db: DbOrTx, since: number): Promise<number> {
  const r = await db.selectFrom('orders').select((eb) => eb.fn.countAll<number>().as('n')).where('created_at', '>=', since).executeTakeFirst();
  return Number(r?.n ?? 0);
}
