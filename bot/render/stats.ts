import type { DailyRow, StatsReport } from '../../services/stats.js';
import type { BotContext } from '../context.js';
import { esc, money, num, pct, signedMoney } from './format.js';

export function renderStats(ctx: BotContext, r: StatsReport): string {
  const title = ctx.t('stats-title', { period: ctx.t(`stats-period-${r.period}`) });
  if (r.trades === 0) return `${title}\n\n${ctx.t('stats-empty')}`;
  const lines = [
    title,
    '',
    ctx.t('stats-pnl', { pnl: signedMoney(r.realizedPnl) }),
    ctx.t('stats-trades', { trades: r.trades, wins: r.wins, losses: r.losses }),
    ctx.t('stats-winrate', { rate: pct(r.winRate) }),
    ctx.t('stats-profit-factor', { pf: r.profitFactor === null ? '∞' : num(r.profitFactor, 2) }),
    ctx.t('stats-drawdown', { dd: money(r.maxDrawdown) }),
    ctx.t('stats-fees', { fees: money(r.fees) }),
  ];
  if (r.bySource.length) {
    lines.push('', ctx.t('stats-by-source'));
    for (const g of r.bySource.slice(0, 15)) {
      const name = g.sourceId === null ? ctx.t('stats-manual') : esc(g.title ?? `#${g.sourceId}`);
      lines.push(`• ${name}: ${signedMoney(g.realizedPnl)} · ${g.trades} · ${pct(g.winRate, 0)}`);
    }
  }
  if (r.bySymbol.length) {
    lines.push('', ctx.t('stats-by-symbol'));
    for (const g of r.bySymbol.slice(0, 15)) lines.push(`• ${esc(g.key)}: ${signedMoney(g.realizedPnl)} · ${g.trades} · ${pct(g.winRate, 0)}`);
  }
  return lines.join('\n');
}

export function renderDaily(ctx: BotContext, rows: DailyRow[]): string {
  if (!rows.length) return `${ctx.t('daily-title')}\n\n${ctx.t('stats-empty')}`;
  return [ctx.t('daily-title'), '', ...rows.map((r) => `${r.day}: ${signedMoney(r.realizedPnl)} · ${ctx.t('daily-trades', { trades: r.trades, wins: r.wins })}`)].join('\n');
}
