/**
 * Positions run by a grid bot are the grid's: the generic close paths
 * (/positions buttons, /close, closing a trade or an untracked position) must
 * not touch them — the grid would lose track of its inventory and its stop.
 * Callers refuse with reason 'grid-managed' and point the user to /grid.
 */
import type { Db } from '../../db/index.js';
import { listActiveGridBotsFor } from '../../db/repos/grid.js';

export interface GridManaged {
  /** The grid bot that runs the position (the lowest id when several). */
  gridId: number;
  symbol: string;
}

/** Is `symbol` on account `accountId` managed by an active (running, paused or stopping) grid bot? Null when not. */
export async function gridManaging(db: Db, accountId: number, symbol: string): Promise<GridManaged | null> {
  const bots = await listActiveGridBotsFor(db, accountId, symbol);
  if (bots.length === 0) return null;
  const gridId = Math.min(...bots.map((b) => Number(b.id)));
  return { gridId, symbol };
}
