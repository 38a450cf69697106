import type { Balance } from '../../models/market.js';
import type { ParseResult } from '../../models/signal.js';
import type { BalanceView, CloseResult, OrderView, PositionView } from '../../services/portfolio.js';
import type { PlanSummary } from '../../services/notifications.js';
import type { BotContext } from '../context.js';
import { esc, money, num, signedMoney } from './format.js';
import { localeKeys } from '../i18n.js';

type T = (key: string, vars?: Record<string, string | number>) => string;

export function sideLabel(t: T, side: string): string {
  return side === 'long' ? t('side-long') : t('side-short');
}

/** A position card: the protection really on the exchange (position stop or stop order, TP ladder); a grid's position is labelled. */
export function renderPosition(ctx: BotContext, v: PositionView, gridId: number | null = null): string {
  const p = v.position;
  const { stopLoss, takeProfits } = v.protection;
  const lines = [
    `<b>${esc(p.symbol)}</b> ${sideLabel(ctx.t, p.side)} ×${num(p.leverage)} · ${esc(v.accountLabel)}${gridId !== null ? ` · ${ctx.t('positions-grid-label', { id: gridId })}` : ''}`,
    ctx.t('positions-line-size', { quantity: num(p.quantity), entry: num(p.entryPrice), mark: num(p.markPrice) }),
    ctx.t('positions-line-pnl', { pnl: signedMoney(p.unrealizedPnl) }),
    ctx.t('positions-line-protection', {
      sl: stopLoss === null ? ctx.t('positions-none') : num(stopLoss),
      tp: takeProfits.length === 0 ? ctx.t('positions-none') : takeProfits.map((x) => num(x)).join(' / '),
    }),
  ];
  if (stopLoss === null) lines.push(`⚠️ <b>${ctx.t('positions-no-stop')}</b>`);
  if (gridId !== null) lines.push(ctx.t('positions-grid-managed', { id: gridId }));
  return lines.join('\n');
}

export function renderOrders(ctx: BotContext, list: OrderView[]): string {
  if (!list.length) return ctx.t('orders-empty');
  const lines = list.slice(0, 50).map(({ order: o, accountLabel }) => {
    const price = o.triggerPrice !== null ? `${ctx.t('orders-trigger')} ${num(o.triggerPrice)}` : o.price !== null ? num(o.price) : ctx.t('orders-market');
    return `• <b>${esc(o.symbol)}</b> ${o.side === 'buy' ? ctx.t('orders-buy') : ctx.t('orders-sell')} ${num(o.quantity)} @ ${price}${o.reduceOnly ? ' (RO)' : ''} · ${esc(accountLabel)}`;
  });
  if (list.length > 50) lines.push(ctx.t('orders-more', { count: list.length - 50 }));
  return `${ctx.t('orders-title')}\n\n${lines.join('\n')}`;
}

export function renderBalance(ctx: BotContext, b: Balance): string {
  return ctx.t('balance-line', { total: money(b.total), free: money(b.free), used: money(b.used), currency: esc(b.currency) });
}

export function renderBalances(ctx: BotContext, list: BalanceView[]): string {
  const lines = list.map((v) => `<b>${esc(v.account.label)}</b>: ${v.balance ? renderBalance(ctx, v.balance) : ctx.t('balance-unavailable', { code: esc(v.errorCode ?? 'internal') })}`);
  return `${ctx.t('balance-title')}\n\n${lines.join('\n')}`;
}

export function renderClosed(ctx: BotContext, r: CloseResult): string {
  const pnl = r.realizedPnl === null ? '' : `\n${ctx.t('positions-closed-pnl', { pnl: signedMoney(r.realizedPnl) })}`;
  return `${ctx.t('positions-closed', { symbol: esc(r.symbol), quantity: num(r.quantity), price: num(r.exitPrice) })}${pnl}`;
}

export function renderPlan(t: T, p: PlanSummary): string {
  const entries =
    p.entryType === 'market' ? t('plan-entry-market') : p.entries.map((e) => num(e.price)).join(', ');
  const tps = p.takeProfits.length ? p.takeProfits.map((tp) => `${num(tp.price)} (${Math.round(tp.share * 100)}%)`).join(', ') : t('positions-none');
  const lines = [`<b>${esc(p.symbol)}</b> ${sideLabel(t, p.side)} ×${num(p.leverage)} ${t(`settings-opt-${p.marginMode}`)}`, t('plan-entries', { entries })];
  // The signal's own entry prices (a zone's both ends) when the plan's entries differ (merged legs, a market entry).
  const planPrices = p.entries.flatMap((e) => (e.price === null ? [] : [e.price]));
  const signalEntries = p.signalEntries ?? [];
  if (signalEntries.length && (signalEntries.length !== planPrices.length || signalEntries.some((x, i) => x !== planPrices[i]))) {
    lines.push(t('plan-signal-entries', { entries: signalEntries.map((x) => num(x)).join(' – ') }));
  }
  lines.push(
    t('plan-size', { quantity: num(p.quantity), margin: money(p.margin) }),
    t('plan-stop', { sl: p.stopLoss === null ? t('positions-none') : num(p.stopLoss) }),
    t('plan-targets', { tps }),
  );
  for (const w of p.warnings ?? []) lines.push(`⚠️ ${planWarning(t, w)}`);
  return lines.join('\n');
}

/** A plan warning ('entries-merged', 'default-stop', 'no-targets', ...) as a localized sentence. */
export function planWarning(t: T, code: string): string {
  const key = `plan-warn-${code}`;
  return localeKeys('en').has(key) ? t(key) : t('plan-warn-other', { code: esc(code) });
}

/** How the parser read a text (for /parse and forwarded posts). */
export function renderParse(t: T, r: ParseResult): string {
  if (r.kind === 'none') return `${t('parse-none')}\n${t('parse-reason', { reason: reasonText(t, r.reason) })}`;
  if (r.kind === 'update') {
    const parts = [t('parse-update', { action: t(`parse-action-${r.action.replace(/_/g, '-')}`) })];
    if (r.symbol) parts.push(t('parse-symbol', { symbol: esc(r.symbol) }));
    if (r.stopLoss !== null) parts.push(t('plan-stop', { sl: num(r.stopLoss) }));
    if (r.breakeven) parts.push(t('parse-breakeven'));
    return parts.join('\n');
  }
  const entries = r.entryMarket ? t('plan-entry-market') : r.entries.map((e) => num(e)).join(', ');
  const tps = r.takeProfits?.length ? r.takeProfits.map((x) => num(x)).join(', ') : r.takeProfitPercents?.length ? r.takeProfitPercents.map((x) => `${num(x)}%`).join(', ') : t('positions-none');
  const lines = [
    t('parse-signal'),
    `<b>${esc(r.symbol)}</b> ${sideLabel(t, r.side)}${r.leverage ? ` ×${num(r.leverage)}` : ''}`,
    t('plan-entries', { entries }),
    t('plan-stop', { sl: r.stopLoss === null ? t('positions-none') : num(r.stopLoss) }),
    t('plan-targets', { tps }),
  ];
  if (r.warnings.length) lines.push(t('parse-warnings', { warnings: esc(r.warnings.join('; ')) }));
  return lines.join('\n');
}

/** The parser's reason, localized when we know it (parse-reason-<slug>), else as given. */
export function reasonText(t: T, reason: string): string {
  const slug = reason.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  const key = `parse-reason-${slug}`;
  return localeKeys('en').has(key) ? t(key) : esc(reason);
}
