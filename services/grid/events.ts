/**
 * Grid notifications: typed events for bot/ to render (no text here). They
 * follow the notifications port's shape (a `type` and the `userId` to tell),
 * so the outgoing queue can carry them next to the trading events.
 */
import type { PositionSide } from '../../models/index.js';
import type { CycleEndReason, GridOrderRole, GridStopReason } from './core.js';

interface GridBase {
  userId: number;
  botId: number;
  symbol: string;
  side: PositionSide;
}

export type GridNotification =
  | (GridBase & { type: 'grid-cycle-started'; cycle: number; price: number; levels: number; baseQty: number })
  | (GridBase & {
      type: 'grid-entry-filled';
      cycle: number;
      level: number;
      price: number;
      quantity: number;
      averageEntry: number;
      positionQty: number;
      takeProfit: number | null;
      stopLoss: number | null;
    })
  | (GridBase & {
      type: 'grid-cycle-completed';
      cycle: number;
      reason: CycleEndReason;
      pnl: number;
      fees: number;
      durationMs: number;
      levelsUsed: number;
      estimated: boolean;
    })
  | (GridBase & { type: 'grid-order-rejected'; cycle: number; role: GridOrderRole; errorCode: string })
  | (GridBase & { type: 'grid-stopped'; reason: GridStopReason })
  | (GridBase & { type: 'grid-error'; code: string; details: Record<string, unknown> });

export type GridNotificationType = GridNotification['type'];

/** The port the grid service notifies through (the notification queue satisfies it once it accepts GridNotification). */
export interface GridNotifier {
  notify(event: GridNotification): void;
}
