/**
 * The live tracking loop's pass: every account with unfinished trades is read
 * once — one fetchOpenOrders and one fetchPositions — and every trade of that
 * account is advanced from that snapshot (take-profit and stop fills noticed,
 * breakeven, trailing, ladder resizing, closes). Accounts are worked on a few
 * at a time, each under its user's lock; one account's failure is logged and
 * never stops the others.
 */
import { accounts as accountsRepo, trades as tradesRepo } from '../../db/index.js';
import { listAccountsWithOpenTrades } from '../../db/repos/trading.js';
import type { ExchangeId } from '../../models/index.js';
import { userLockKey } from '../locks.js';
import { clientOf, errInfo, errorCode, type TradingDeps } from './context.js';
import { runBounded } from './fanout.js';
import { readSnapshot, syncTrade, type Discrepancy } from './track.js';

export interface TrackFilter {
  /** Only accounts on these exchanges (the schedules differ per exchange). Default: all. */
  exchanges?: readonly ExchangeId[];
}

export interface TrackReport {
  accounts: number;
  trades: number;
  discrepancies: (Discrepancy & { userId: number })[];
  errors: { accountId: number; tradeId: number | null; code: string }[];
}

export async function trackOpen(deps: TradingDeps, filter: TrackFilter = {}): Promise<TrackReport> {
  const wanted = filter.exchanges ? new Set<string>(filter.exchanges) : null;
  const all = await listAccountsWithOpenTrades(deps.db);
  const list = wanted ? all.filter((a) => wanted.has(a.exchange)) : all;
  const report: TrackReport = { accounts: list.length, trades: 0, discrepancies: [], errors: [] };
  await runBounded(list, deps.options.trackConcurrency, async ({ accountId }) => {
    try {
      const account = await accountsRepo.findAccount(deps.db, accountId);
      if (!account) return;
      await deps.locks.run(userLockKey(account.user_id), async () => {
        // Listed under the lock: a trade opened by a fan-out that just finished is included.
        const trades = await tradesRepo.listOpenTrades(deps.db, { accountId });
        if (trades.length === 0) return;
        const client = await clientOf(deps, account);
        const snapshot = await readSnapshot(client, trades.map((t) => t.symbol));
        for (const t of trades) {
          report.trades++;
          try {
            const r = await syncTrade(deps, t.id, snapshot);
            for (const d of r.discrepancies) {
              report.discrepancies.push({ ...d, userId: t.user_id });
              deps.notifier.notify({ type: 'reconcile-discrepancy', userId: t.user_id, traceId: t.trace_id, kind: d.kind, tradeId: t.id, symbol: t.symbol, details: d.details });
            }
          } catch (e) {
            report.errors.push({ accountId, tradeId: t.id, code: errorCode(e) });
            deps.log.warn({ accountId, tradeId: t.id, err: errInfo(e) }, 'tracking: trade sync failed');
          }
        }
      });
    } catch (e) {
      report.errors.push({ accountId, tradeId: null, code: errorCode(e) });
      deps.log.warn({ accountId, err: errInfo(e) }, 'tracking: account failed');
    }
  });
  return report;
}
