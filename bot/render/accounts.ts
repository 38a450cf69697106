import type { Balance } from '../../models/market.js';
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

/** An account's screen; `balance` (when read: a Balance, or null when it could not be read) adds its balance line. */
export function renderAccountDetails(ctx: BotContext, a: AccountView, balance?: Balance | null): string {
  const lines = [renderAccountLine(ctx, a)];
  if (balance !== undefined) {
    const line = balance
      ? ctx.t('balance-line', { total: money(balance.total), free: money(balance.free), used: money(balance.used), currency: esc(balance.currency) })
      : ctx.t('accounts-balance-unavailable');
    lines.push(ctx.t('accounts-balance', { balance: line }));
  }
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
