/**
 * The services' notification sink: renders a user's burst of typed events
 * (trading events and grid notifications) into one short localized message (signal previews get their own message
 * with Execute / Skip buttons). A 403 means the user blocked the bot: they are
 * marked inactive. A 429 is retried by the API's auto-retry transformer; if it
 * still fails, the error carries retryAfterMs for the queue.
 */
import { GrammyError, InlineKeyboard, type Api } from 'grammy';
import type { I18n } from '@grammyjs/i18n';
import { isGridNotification, type AppEvent, type AppNotificationSink } from '../services/app.js';
import type { TradingEvent } from '../services/notifications.js';
import type { StatsReport } from '../services/stats.js';
import type { Logger } from '../services/logger.js';
import type { UsersService, User } from '../services/users.js';
import type { BotContext } from './context.js';
import { previewData } from './callback-data/index.js';
import { esc, money, num, pct, signedMoney, splitText } from './render/format.js';
import { renderPlan, sideLabel } from './render/trading.js';
import { localeKeys } from './i18n.js';
import { renderGridNotification } from './features/grid.js';

type T = (key: string, vars?: Record<string, string | number>) => string;

/** One event as a short block of text. */
export function renderEvent(t: T, e: TradingEvent): string {
  const sym = 'symbol' in e && e.symbol ? `<b>${esc(e.symbol)}</b>` : '';
  const side = 'side' in e ? sideLabel(t, e.side) : '';
  switch (e.type) {
    case 'signal-preview':
      return `${t('notify-signal-preview')}\n${renderPlan(t, e.plan)}`;
    case 'plan-refused':
      return t('notify-plan-refused', { symbol: sym || '—', reason: refusalText(t, e.reason, e.gate ?? (typeof e.details.gate === 'string' ? e.details.gate : null)) });
    case 'entry-placed':
      return t('notify-entry-placed', { symbol: sym, side, count: e.plan.entries.length });
    case 'trade-opened':
      return t('notify-trade-opened', { symbol: sym, side, price: num(e.entryPrice), quantity: num(e.quantity), leverage: num(e.leverage), sl: e.stopLoss === null ? t('positions-none') : num(e.stopLoss) });
    case 'entry-filled':
      // The first fill of a multi-entry plan: the position exists now (protected), more entries are working.
      if (e.first) {
        return t('notify-entry-first', { symbol: sym, side, price: num(e.averagePrice), filled: num(e.filled), planned: num(e.planned), sl: e.stopLoss == null ? t('positions-none') : num(e.stopLoss) });
      }
      return t('notify-entry-filled', { symbol: sym, filled: num(e.filled), planned: num(e.planned), price: num(e.averagePrice) });
    case 'tp-hit':
      return t('notify-tp-hit', { symbol: sym, index: e.index + 1, price: num(e.price), remaining: num(e.remaining) });
    case 'sl-moved':
      return t('notify-sl-moved', { symbol: sym, price: num(e.stopLoss), why: t(`notify-why-${e.why}`) });
    case 'sl-hit':
      return t('notify-sl-hit', { symbol: sym, price: num(e.price) });
    case 'trade-closed':
      return t('notify-trade-closed', { symbol: sym, side, pnl: signedMoney(e.realizedPnl), price: num(e.exitPrice), reason: t(`notify-close-${e.reason}`) }) + (e.estimated ? ` ${t('notify-estimated')}` : '');
    case 'trade-cancelled':
      return t('notify-trade-cancelled', { symbol: sym, why: t(`notify-cancel-${e.why}`) });
    case 'stop-failed-closed':
      return t('notify-stop-failed-closed', { symbol: sym, error: errorName(t, e.errorCode) });
    case 'stop-failed-close-failed':
      return t('notify-stop-failed-close-failed', {
        symbol: sym,
        side,
        reason: t(`notify-close-${e.reason}`),
        remaining: e.remaining === null ? t('notify-remaining-unknown') : num(e.remaining),
        error: errorName(t, e.errorCode),
        attempts: e.attempts,
      });
    case 'close-incomplete':
      return t('notify-close-incomplete', {
        symbol: sym,
        side,
        reason: t(`notify-close-${e.reason}`),
        remaining: e.remaining === null ? t('notify-remaining-unknown') : num(e.remaining),
        sl: num(e.stopLoss),
        error: e.errorCode ? t('notify-close-incomplete-error', { error: errorName(t, e.errorCode) }) : '',
      });
    case 'sl-move-failed':
      return t('notify-sl-move-failed', {
        symbol: sym,
        price: num(e.stopLoss),
        error: errorName(t, e.errorCode),
        kept: e.kept === null ? t('notify-sl-kept-none') : t('notify-sl-kept', { price: num(e.kept) }),
      });
    case 'protection-failed':
      return t('notify-protection-failed', { symbol: sym, what: t(`notify-what-${e.what}`), error: errorName(t, e.errorCode) });
    case 'reconcile-discrepancy':
      return t('notify-discrepancy', { symbol: e.symbol ? `<b>${esc(e.symbol)}</b>` : '—' });
    case 'error':
      return t('notify-error', { symbol: e.symbol ? `<b>${esc(e.symbol)}</b>` : '—', error: errorName(t, e.code) });
  }
}

/** Why a plan was refused; an entry-gate refusal names the gate's reason (kill switch, license, ...) when known. */
export function refusalText(t: T, reason: string, gate: string | null = null): string {
  if (reason === 'entry-gate' && gate && localeKeys('en').has(`refusal-gate-${gate}`)) return t(`refusal-gate-${gate}`);
  return localeKeys('en').has(`refusal-${reason}`) ? t(`refusal-${reason}`) : t('refusal-exchange-error');
}

/** A short localized name of an error code (err-<code>), or the generic one. */
export function errorName(t: T, code: string): string {
  const key = `err-${code}`;
  return localeKeys('en').has(key) ? t(key) : t('err-unknown-code', { code: esc(code) });
}

/** The text of one grouped message for a burst of (non-preview) events, grid notifications included. */
export function renderBurst(t: T, events: AppEvent[]): string {
  const blocks = events.map((e) => (isGridNotification(e) ? renderGridNotification(t, e) : renderEvent(t, e)));
  if (blocks.length === 1) return blocks[0]!;
  return `${t('notify-burst', { count: blocks.length })}\n\n${blocks.join('\n\n')}`;
}

export function renderDailySummary(t: T, r: StatsReport): string {
  return [
    t('notify-daily-title'),
    t('stats-pnl', { pnl: signedMoney(r.realizedPnl) }),
    t('stats-trades', { trades: r.trades, wins: r.wins, losses: r.losses }),
    t('stats-winrate', { rate: pct(r.winRate) }),
    t('stats-fees', { fees: money(r.fees) }),
  ].join('\n');
}

export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number | null,
  ) {
    super(message);
  }
}

export interface BotNotifier {
  sink: AppNotificationSink;
  /** Sends the daily summary to a user (node-cron job in services/daily-summary.ts). */
  sendDaily(user: User, report: StatsReport): Promise<void>;
}

export function createNotifier(deps: { api: Api; i18n: I18n<BotContext>; users: UsersService; log: Logger }): BotNotifier {
  const { api, i18n, users, log } = deps;

  async function send(user: User, text: string, keyboard?: InlineKeyboard): Promise<boolean> {
    const chunks = splitText(text);
    for (let i = 0; i < chunks.length; i++) {
      try {
        await api.sendMessage(user.telegramId, chunks[i]!, i === chunks.length - 1 && keyboard ? { reply_markup: keyboard } : {});
      } catch (e) {
        if (e instanceof GrammyError && e.error_code === 403) {
          log.info({ userId: user.id }, 'user blocked the bot: marked inactive');
          await users.markInactive(user.id);
          return false;
        }
        if (e instanceof GrammyError && e.error_code === 429) {
          throw new DeliveryError('telegram rate limit', (e.parameters.retry_after ?? 1) * 1000);
        }
        throw e;
      }
    }
    return true;
  }

  return {
    async sink(userId, events) {
      const user = await users.get(userId).catch(() => null);
      if (!user || user.status !== 'active') return;
      const t: T = (key, vars) => i18n.t(user.language, key, vars);
      const previews = events.filter((e) => e.type === 'signal-preview');
      const others = events.filter((e) => e.type !== 'signal-preview');
      if (others.length && !(await send(user, renderBurst(t, others)))) return;
      for (const p of previews) {
        if (p.type !== 'signal-preview') continue;
        const kb = new InlineKeyboard()
          .text(t('btn-preview-execute'), previewData.pack({ action: 'sx', id: p.signalId }))
          .text(t('btn-preview-ignore'), previewData.pack({ action: 'si', id: p.signalId }));
        if (!(await send(user, renderEvent(t, p), kb))) return;
      }
    },
    async sendDaily(user, report) {
      if (user.status !== 'active') return;
      await send(user, renderDailySummary((key, vars) => i18n.t(user.language, key, vars), report));
    },
  };
}
