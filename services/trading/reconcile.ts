/**
 * Reconciliation, at start and every few minutes: every unfinished trade is
 * synced with the exchange (fills that happened while we were down adopted,
 * trades whose positions are gone closed, a missing stop re-placed, orders in
 * doubt resolved by client order id). Each discrepancy goes to the audit log
 * and to the user. On start, positions we do not know are reported too.
 */
import { accounts, trades as tradesRepo } from '../../db/index.js';
import { listAccountsToReconcile } from '../../db/repos/trading.js';
import type { PositionSide } from '../../models/index.js';
import { userLockKey } from '../locks.js';
import { clientOf, errInfo, errorCode, record, type TradingDeps } from './context.js';
import { runBounded } from './fanout.js';
import { gridManaging } from './grid-guard.js';
import { syncTrade, type Discrepancy } from './track.js';

export interface ReconcileReport {
  accounts: number;
  trades: number;
  discrepancies: (Discrepancy & { userId: number })[];
  untracked: { userId: number; accountId: number; symbol: string; side: PositionSide; quantity: number }[];
  errors: { accountId: number; tradeId: number | null; code: string }[];
  /** Signals whose interrupted fan-out was resumed first (trading service). */
  resumedSignals?: number[];
}

export async function reconcileAccount(deps: TradingDeps, accountId: number, report: ReconcileReport, startup: boolean): Promise<void> {
  const account = await accounts.findAccount(deps.db, accountId);
  if (!account) return;
  await deps.locks.run(userLockKey(account.user_id), async () => {
    const trades = await tradesRepo.listOpenTrades(deps.db, { accountId });
    for (const t of trades) {
      report.trades++;
      try {
        const r = await syncTrade(deps, t.id);
        for (const d of r.discrepancies) {
          report.discrepancies.push({ ...d, userId: t.user_id });
          deps.notifier.notify({ type: 'reconcile-discrepancy', userId: t.user_id, traceId: t.trace_id, kind: d.kind, tradeId: t.id, symbol: t.symbol, details: d.details });
        }
      } catch (e) {
        report.errors.push({ accountId, tradeId: t.id, code: errorCode(e) });
        deps.log.warn({ accountId, tradeId: t.id, err: errInfo(e) }, 'reconcile: trade sync failed');
      }
    }
    if (!startup || account.status !== 'active') return;
    try {
      const client = await clientOf(deps, account);
      const positions = await client.fetchPositions();
      const open = await tradesRepo.listOpenTrades(deps.db, { accountId });
      for (const p of positions) {
        if (!(p.quantity > 0) || open.some((t) => t.symbol === p.symbol && t.side === p.side)) continue;
        // A grid bot's position is tracked by the grid service, not by a trade.
        if (await gridManaging(deps.db, accountId, p.symbol)) continue;
        report.untracked.push({ userId: account.user_id, accountId, symbol: p.symbol, side: p.side, quantity: p.quantity });
        await record(deps, { action: 'reconcile.untracked-position', entity: 'account', entityId: accountId, after: { symbol: p.symbol, side: p.side, quantity: p.quantity }, traceId: null });
        deps.notifier.notify({ type: 'reconcile-discrepancy', userId: account.user_id, kind: 'untracked-position', tradeId: null, symbol: p.symbol, details: { side: p.side, quantity: p.quantity } });
      }
    } catch (e) {
      report.errors.push({ accountId, tradeId: null, code: errorCode(e) });
    }
  });
}

export async function reconcileAll(deps: TradingDeps, options: { startup?: boolean } = {}): Promise<ReconcileReport> {
  const ids = await listAccountsToReconcile(deps.db);
  const report: ReconcileReport = { accounts: ids.length, trades: 0, discrepancies: [], untracked: [], errors: [] };
  await runBounded(ids, deps.options.fanoutConcurrency, (id) => reconcileAccount(deps, id, report, options.startup ?? false));
  if (report.discrepancies.length > 0 || report.untracked.length > 0 || report.errors.length > 0) {
    deps.log.warn({ accounts: report.accounts, trades: report.trades, discrepancies: report.discrepancies.length, untracked: report.untracked.length, errors: report.errors.length }, 'reconciliation found discrepancies');
  }
  return report;
}
