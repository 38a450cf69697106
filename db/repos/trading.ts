/** Queries the trading services need beyond trades.ts (0002). */
import type { DbOrTx } from '../client.js';
import type { TradeRow } from '../database.js';

export async function getSymbolSettings(db: DbOrTx, accountId: number, symbol: string): Promise<{ leverage: number; marginMode: string } | null> {
  const row = await db
    .selectFrom('account_symbol_settings')
    .select(['leverage', 'margin_mode'])
    .where('account_id', '=', accountId)
    .where('symbol', '=', symbol)
    .executeTakeFirst();
  return row ? { leverage: row.leverage, marginMode: row.margin_mode } : null;
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
export function listActiveTradesOfUser(db: DbOrTx, userId: number): Promise<Pick<TradeRow, 'id' | 'symbol' | 'plan' | 'status'>[]> {
  return db
    .selectFrom('trades')
    .select(['id', 'symbol', 'plan', 'status'])
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
