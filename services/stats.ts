/**
 * Trading statistics from closed trades: realized PnL, win rate, profit
 * factor, max drawdown (of the realized equity curve), per source and per
 * symbol, and a per-day breakdown. Pure computation in `computeStats`.
 */
import { sources as sourcesRepo, trades as tradesRepo, type Db } from '../db/index.js';
import { UserError } from '../models/errors.js';
import { clean } from '../models/decimal.js';

export const STAT_PERIODS = ['day', 'week', 'month', 'all'] as const;
export type StatPeriod = (typeof STAT_PERIODS)[number];

export interface ClosedTradeLite {
  symbol: string;
  sourceId: number | null;
  realizedPnl: number;
  fees: number;
  closedAt: number;
}

export interface StatsGroup {
  key: string;
  trades: number;
  wins: number;
  realizedPnl: number;
  winRate: number | null;
}

export interface StatsReport {
  period: StatPeriod;
  since: number | null;
  until: number;
  trades: number;
  wins: number;
  losses: number;
  /** 0..1, null without trades. */
  winRate: number | null;
  /** Sum of realized PnL (as recorded by the trading services, fees included there). */
  realizedPnl: number;
  fees: number;
  grossProfit: number;
  grossLoss: number;
  /** grossProfit / grossLoss; null when there is no loss (infinite) or no trade. */
  profitFactor: number | null;
  /** Largest peak-to-trough fall of cumulative realized PnL (positive number). */
  maxDrawdown: number;
  bySource: (StatsGroup & { sourceId: number | null; title: string | null })[];
  bySymbol: StatsGroup[];
}

export interface DailyRow {
  /** UTC date YYYY-MM-DD. */
  day: string;
  trades: number;
  wins: number;
  realizedPnl: number;
}

const money = (v: number) => clean(v, 8);

function group(list: ClosedTradeLite[], keyOf: (t: ClosedTradeLite) => string): StatsGroup[] {
  const m = new Map<string, StatsGroup>();
  for (const t of list) {
    const k = keyOf(t);
    const g = m.get(k) ?? { key: k, trades: 0, wins: 0, realizedPnl: 0, winRate: null };
    g.trades++;
    if (t.realizedPnl > 0) g.wins++;
    g.realizedPnl = money(g.realizedPnl + t.realizedPnl);
    g.winRate = g.wins / g.trades;
    m.set(k, g);
  }
  return [...m.values()].sort((a, b) => b.realizedPnl - a.realizedPnl || a.key.localeCompare(b.key));
}

/** Statistics of trades (any order; sorted by close time for the drawdown). */
export function computeStats(list: ClosedTradeLite[]): Omit<StatsReport, 'period' | 'since' | 'until' | 'bySource'> & { bySource: StatsGroup[] } {
  const sorted = [...list].sort((a, b) => a.closedAt - b.closedAt);
  let wins = 0;
  let losses = 0;
  let grossProfit = 0;
  let grossLoss = 0;
  let fees = 0;
  let equity = 0;
  let peak = 0;
  let maxDrawdown = 0;
  for (const t of sorted) {
    if (t.realizedPnl > 0) {
      wins++;
      grossProfit += t.realizedPnl;
    } else if (t.realizedPnl < 0) {
      losses++;
      grossLoss += -t.realizedPnl;
    }
    fees += t.fees;
    equity += t.realizedPnl;
    peak = Math.max(peak, equity);
    maxDrawdown = Math.max(maxDrawdown, peak - equity);
  }
  const n = sorted.length;
  return {
    trades: n,
    wins,
    losses,
    winRate: n ? wins / n : null,
    realizedPnl: money(equity),
    fees: money(fees),
    grossProfit: money(grossProfit),
    grossLoss: money(grossLoss),
    profitFactor: grossLoss > 0 ? money(grossProfit / grossLoss) : null,
    maxDrawdown: money(maxDrawdown),
    bySource: group(sorted, (t) => (t.sourceId === null ? '' : String(t.sourceId))),
    bySymbol: group(sorted, (t) => t.symbol),
  };
}

export function periodStart(period: StatPeriod, now: number): number | null {
  const d = new Date(now);
  const dayStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  switch (period) {
    case 'day':
      return dayStart;
    case 'week':
      return dayStart - 6 * 86_400_000;
    case 'month':
      return dayStart - 29 * 86_400_000;
    case 'all':
      return null;
  }
}

export function dailyBreakdown(list: ClosedTradeLite[]): DailyRow[] {
  const m = new Map<string, DailyRow>();
  for (const t of list) {
    const day = new Date(t.closedAt).toISOString().slice(0, 10);
    const r = m.get(day) ?? { day, trades: 0, wins: 0, realizedPnl: 0 };
    r.trades++;
    if (t.realizedPnl > 0) r.wins++;
    r.realizedPnl = money(r.realizedPnl + t.realizedPnl);
    m.set(day, r);
  }
  return [...m.values()].sort((a, b) => b.day.localeCompare(a.day));
}

export interface StatsService {
  /** `dayOffset` (period 'day' only): -1 = yesterday (UTC). */
  report(userId: number, period: StatPeriod, options?: { dayOffset?: number }): Promise<StatsReport>;
  /** The last `days` UTC days that had closed trades, newest first. */
  daily(userId: number, days?: number): Promise<DailyRow[]>;
}

export function createStatsService(deps: { db: Db; clock?: { now(): number } }): StatsService {
  const { db } = deps;
  const now = () => deps.clock?.now() ?? Date.now();

  async function load(userId: number, since: number | null, until: number): Promise<ClosedTradeLite[]> {
    const rows = await tradesRepo.listClosedTrades(db, { userId, ...(since !== null ? { since } : {}), until: until + 1 });
    return rows.map((r) => ({
      symbol: r.symbol,
      sourceId: r.source_id,
      realizedPnl: Number(r.realized_pnl) || 0,
      fees: Number(r.fees) || 0,
      closedAt: Number(r.closed_at ?? r.updated_at),
    }));
  }

  return {
    async report(userId, period, options = {}) {
      if (!(STAT_PERIODS as readonly string[]).includes(period)) throw new UserError(`unknown period ${period}`, { details: { period } });
      let until = now();
      let since = periodStart(period, until);
      if (period === 'day' && options.dayOffset) {
        since = since! + options.dayOffset * 86_400_000;
        until = since + 86_400_000 - 1;
      }
      const s = computeStats(await load(userId, since, until));
      const bySource = await Promise.all(
        s.bySource.map(async (g) => {
          const sourceId = g.key === '' ? null : Number(g.key);
          const src = sourceId === null ? undefined : await sourcesRepo.findSource(db, sourceId);
          return { ...g, sourceId, title: src?.title ?? null };
        }),
      );
      return { ...s, bySource, period, since, until };
    },
    async daily(userId, days = 7) {
      const until = now();
      const since = periodStart('day', until)! - (days - 1) * 86_400_000;
      return dailyBreakdown(await load(userId, since, until));
    },
  };
}
