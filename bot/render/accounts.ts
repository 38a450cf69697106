import type { AccountView, ConnectResult } from '../../services/accounts.js';
import type { BotContext } from '../context.js';
import { esc, money } from './format.js';

const EXCHANGE_NAMES: Record<string, string> = { bybit: 'Bybit', hyperliquid: 'HyperLiquid', paper: 'Paper' };

export function exchangeName(id: string): string {
  return EXCHANGE_NAMES[id] ?? id;
}

export function renderAccountLine(ctx: BotContext, a: AccountView): string {
  const parts = [`<b>${esc(a.label)}</b>`, exchangeName(a.exchange)];
  if (a.exchange !== 'paper') parts.push(ctx.t(`env-${a.environment}`));
  if (a.keyHint) parts.push(`<code>${esc(a.keyHint)}</code>`);
  if (a.status !== 'active') parts.push(ctx.t(`accounts-status-${a.status}`));
  return `${a.isDefault ? '⭐ ' : '• '}${parts.join(' · ')}`;
}

export function renderAccountsList(ctx: BotContext, list: AccountView[]): string {
  return [ctx.t('accounts-title'), '', ...list.map((a) => renderAccountLine(ctx, a)), '', ctx.t('accounts-hint')].join('\n');
}

export function renderAccountDetails(ctx: BotContext, a: AccountView): string {
  const lines = [renderAccountLine(ctx, a)];
  if (a.isDefault) lines.push(ctx.t('accounts-is-default'));
  if (a.exchange === 'paper') lines.push(ctx.t('accounts-paper-note'));
  return lines.join('\n');
}

export function renderConnected(ctx: BotContext, r: ConnectResult): string {
  const lines = [
    ctx.t('connect-success', { label: esc(r.account.label) }),
    ctx.t('connect-key-hint', { hint: esc(r.account.keyHint ?? '—') }),
    ctx.t('connect-balance', { total: money(r.balance.total), free: money(r.balance.free), currency: esc(r.balance.currency) }),
  ];
  if (r.warnings.includes('key-not-ip-bound')) lines.push('', ctx.t('connect-warn-ip'));
  if (r.warnings.includes('key-expires') && r.keyExpiresAt !== null) {
    lines.push(ctx.t('connect-warn-expires', { date: new Date(r.keyExpiresAt).toISOString().slice(0, 10) }));
  }
  return lines.join('\n');
}
