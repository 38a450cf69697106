/**
 * Grid bot storage (migration 0003): one row per bot with its parameters and
 * the strategy core's state as JSON, one row per finished cycle. Money and
 * quantities are TEXT (decimal strings). The 0003 tables are typed here and
 * added to the handle with Kysely's `withTables`, so db/database.ts needs no change.
 */
import type { Generated, Kysely, Selectable } from 'kysely';
import type { DbOrTx } from '../client.js';
import type { Database } from '../database.js';

export interface GridBotsTable {
  id: Generated<number>;
  user_id: number;
  account_id: number;
  symbol: string;
  side: string;
  params: string;
  state: string;
  status: string; // 'running' | 'paused' | 'stopping' | 'stopped'
  stop_reason: string | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export interface GridCyclesTable {
  id: Generated<number>;
  bot_id: number;
  cycle: number;
  reason: string;
  started_at: number;
  ended_at: number;
  duration_ms: number;
  start_price: string;
  average_entry: string;
  exit_price: string | null;
  quantity: string;
  levels_used: number;
  gross_pnl: string;
  fees: string;
  pnl: string;
  estimated: number;
}

// A type alias (not an interface) so it satisfies withTables' Record constraint.
export type GridTables = {
  grid_bots: GridBotsTable;
  grid_cycles: GridCyclesTable;
};

export type GridBotRow = Selectable<GridBotsTable>;
export type GridCycleRow = Selectable<GridCyclesTable>;
export type NewGridCycle = Omit<GridCycleRow, 'id'>;

type GridDb = Kysely<Database & GridTables>;
const t = (db: DbOrTx): GridDb => db.withTables<GridTables>() as unknown as GridDb;

export const ACTIVE_GRID_STATUSES = ['running', 'paused', 'stopping'] as const;

export async function insertGridBot(
  db: DbOrTx,
  bot: { userId: number; accountId: number; symbol: string; side: string; params: string; state: string; status: string; now: number },
): Promise<GridBotRow> {
  return t(db)
    .insertInto('grid_bots')
    .values({
      user_id: bot.userId,
      account_id: bot.accountId,
      symbol: bot.symbol,
      side: bot.side,
      params: bot.params,
      state: bot.state,
      status: bot.status,
      stop_reason: null,
      last_error: null,
      created_at: bot.now,
      updated_at: bot.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function findGridBot(db: DbOrTx, id: number): Promise<GridBotRow | undefined> {
  return t(db).selectFrom('grid_bots').selectAll().where('id', '=', id).executeTakeFirst();
}

export function listGridBotsOfUser(db: DbOrTx, userId: number): Promise<GridBotRow[]> {
  return t(db).selectFrom('grid_bots').selectAll().where('user_id', '=', userId).orderBy('id').execute();
}

/** Bots that may hold orders or a position: the ones to resume after a restart. */
export function listActiveGridBots(db: DbOrTx): Promise<GridBotRow[]> {
  return t(db).selectFrom('grid_bots').selectAll().where('status', 'in', [...ACTIVE_GRID_STATUSES]).orderBy('id').execute();
}

/** Active bots of one account and symbol (one grid per account and symbol). */
export function listActiveGridBotsFor(db: DbOrTx, accountId: number, symbol: string): Promise<GridBotRow[]> {
  return t(db)
    .selectFrom('grid_bots')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('symbol', '=', symbol)
    .where('status', 'in', [...ACTIVE_GRID_STATUSES])
    .execute();
}

export async function saveGridBotState(
  db: DbOrTx,
  id: number,
  patch: { state: string; status: string; stopReason?: string | null; lastError?: string | null },
  now: number,
): Promise<void> {
  await t(db)
    .updateTable('grid_bots')
    .set({
      state: patch.state,
      status: patch.status,
      ...(patch.stopReason !== undefined && { stop_reason: patch.stopReason }),
      ...(patch.lastError !== undefined && { last_error: patch.lastError }),
      updated_at: now,
    })
    .where('id', '=', id)
    .execute();
}

/** Records a finished cycle once (a repeat after a crash is ignored). */
export async function insertGridCycle(db: DbOrTx, c: NewGridCycle): Promise<void> {
  await t(db)
    .insertInto('grid_cycles')
    .values(c)
    .onConflict((oc) => oc.columns(['bot_id', 'cycle']).doNothing())
    .execute();
}

export function listGridCycles(db: DbOrTx, botId: number, limit = 1000): Promise<GridCycleRow[]> {
  return t(db).selectFrom('grid_cycles').selectAll().where('bot_id', '=', botId).orderBy('cycle', 'desc').limit(limit).execute();
}
