/**
 * /trade: a manual trade, one question at a time in one message, each answer
 * checked at its step: coin (the market must exist on the account) → side →
 * margin → leverage (the user's default offered, capped at the market's
 * maximum) → stop-loss (the default distance, or a typed price on the right
 * side of the price) → targets (the user's target settings, or typed prices)
 * → preview (margin after rounding, the loss at the stop in USDT and % of the
 * balance) → confirm.
 */
import { Composer, InlineKeyboard } from 'grammy';
import { isAppError } from '../../models/errors.js';
import type { PositionSide } from '../../models/order.js';
import { PlanRefused } from '../../services/app-ports.js';
import { normalizeUserSymbol, type ManualDraft, type MarketQuote } from '../../services/portfolio.js';
import type { PlanSummary } from '../../services/notifications.js';
import type { BotContext } from '../context.js';
import { tradeData } from '../callback-data/index.js';
import { answer, editMessage, editOrReply, parseUserNumber, replyHtml, userOf } from '../helpers.js';
import { esc, money, num } from '../render/format.js';
import { renderPlan } from '../render/trading.js';
import { localeKeys } from '../i18n.js';
import { PENDING_TTL_MS } from '../pending.js';
import type { FeatureKit } from './kit.js';

/** Largest margin a manual trade may ask for (typed or from a button). */
export const MAX_MANUAL_MARGIN = 1_000_000;
/** At most this many typed targets. */
const MAX_TARGETS = 10;

/** A margin from text or callback data: a plain decimal in 0..MAX_MANUAL_MARGIN (0 = size settings), else null. */
export function parseMargin(raw: string): number | null {
  if (!/^\d{1,7}(\.\d{1,8})?$/.test(raw)) return null;
  const m = Number(raw);
  return Number.isFinite(m) && m >= 0 && m <= MAX_MANUAL_MARGIN ? m : null;
}

type Step = 'symbol' | 'side' | 'margin' | 'leverage' | 'stop' | 'targets' | 'preview' | 'done';

interface TradeDraft extends Partial<ManualDraft> {
  promptId: number;
  chatId: number;
  step: Step;
  quote?: MarketQuote;
  /** The user's default leverage and stop distance (%), read at the start. */
  defaults: { leverage: number; stopPct: number };
}

/** A typed stop: a positive price on the losing side of the current price, else the reason. */
export function checkStop(side: PositionSide, price: number, stop: number | null): 'ok' | 'not-number' | 'wrong-side' {
  if (stop === null || !(stop > 0)) return 'not-number';
  return (side === 'long' ? stop < price : stop > price) ? 'ok' : 'wrong-side';
}

/** Typed targets (space / semicolon separated): each on the winning side of the price; nearest first. */
export function parseTargets(side: PositionSide, price: number, text: string): { ok: true; value: number[] } | { ok: false; reason: 'not-number' | 'wrong-side' | 'too-many'; value?: string } {
  const parts = text.trim().split(/[\s;]+/).filter(Boolean);
  if (parts.length === 0) return { ok: false, reason: 'not-number' };
  if (parts.length > MAX_TARGETS) return { ok: false, reason: 'too-many' };
  const out: number[] = [];
  for (const p of parts) {
    const v = parseUserNumber(p);
    if (v === null || !(v > 0)) return { ok: false, reason: 'not-number', value: p };
    if (!(side === 'long' ? v > price : v < price)) return { ok: false, reason: 'wrong-side', value: p };
    out.push(v);
  }
  return { ok: true, value: [...new Set(out)].sort((a, b) => (side === 'long' ? a - b : b - a)) };
}

/** The default stop price: `pct` % from the price on the losing side. */
export function defaultStop(side: PositionSide, price: number, pct: number): number {
  return side === 'long' ? price * (1 - pct / 100) : price * (1 + pct / 100);
}

/** What the services take from a draft (the steps' state stays here). */
function manualOf(d: TradeDraft): ManualDraft {
  return {
    accountId: d.accountId!,
    symbol: d.symbol!,
    side: d.side!,
    ...(d.margin !== undefined ? { margin: d.margin } : {}),
    ...(d.leverage !== undefined ? { leverage: d.leverage } : {}),
    ...(d.stopLoss !== undefined ? { stopLoss: d.stopLoss } : {}),
    ...(d.takeProfits !== undefined ? { takeProfits: d.takeProfits } : {}),
  };
}

export function createTradeWizard(kit: FeatureKit): Composer<BotContext> {
  const c = new Composer<BotContext>();
  const pm = c.chatType('private');
  const drafts = new Map<number, TradeDraft>();
  /** Confirmation messages already acted on (`chatId:messageId`): a second tap only gets a toast. */
  const confirmed = new Set<string>();

  const cancelRow = (ctx: BotContext, kb = new InlineKeyboard()) => kb.row().text(ctx.t('btn-cancel'), tradeData.pack({ action: 'cancel', value: '-' }));
  const show = (ctx: BotContext, draft: TradeDraft, text: string, kb?: InlineKeyboard) => editMessage(ctx, draft.chatId, draft.promptId, text, cancelRow(ctx, kb));
  /** A typed answer that is wrong: said at once, the step stays. */
  const retry = (ctx: BotContext, text: string) => replyHtml(ctx, `⚠️ ${text}`).then(() => undefined);
  const typed = (tgId: number, kind: string, handle: (ctx: BotContext, text: string) => Promise<void>) =>
    kit.pending.set(tgId, { kind, secret: false, expiresAt: kit.now() + PENDING_TTL_MS, handle });

  pm.command('trade', async (ctx) => {
    const userId = userOf(ctx).id;
    const account = await kit.deps.accounts.getDefault(userId);
    const s = await kit.deps.settings.getGlobal(userId);
    const arg = ctx.match.trim();
    const promptId = await replyHtml(ctx, ctx.t('trade-ask-symbol', { account: esc(account.label) }), cancelRow(ctx));
    if (promptId === undefined) return;
    const draft: TradeDraft = { accountId: account.id, promptId, chatId: ctx.chat.id, step: 'symbol', defaults: { leverage: s.leverage, stopPct: s.defaultStopPct } };
    drafts.set(ctx.from.id, draft);
    typed(ctx.from.id, 'trade-symbol', (ctx2, text) => onSymbol(ctx2, draft, text));
    if (arg) return onSymbol(ctx, draft, arg);
  });

  async function onSymbol(ctx: BotContext, draft: TradeDraft, text: string): Promise<void> {
    const symbol = normalizeUserSymbol(text.split(/\s+/)[0] ?? '');
    if (!symbol) return retry(ctx, ctx.t('trade-bad-symbol'));
    let quote: MarketQuote;
    try {
      quote = await kit.deps.portfolio.quote(userOf(ctx).id, draft.accountId!, symbol);
    } catch (e) {
      // An unknown coin is said at once; the step stays.
      if (isAppError(e) && e.code === 'market-not-found') return retry(ctx, ctx.t('trade-unknown-symbol', { symbol: esc(symbol) }));
      throw e;
    }
    kit.pending.clear(ctx.from!.id);
    draft.symbol = quote.symbol;
    draft.quote = quote;
    draft.step = 'side';
    const kb = new InlineKeyboard().text(ctx.t('btn-trade-long'), tradeData.pack({ action: 'side', value: 'long' })).text(ctx.t('btn-trade-short'), tradeData.pack({ action: 'side', value: 'short' }));
    await show(ctx, draft, ctx.t('trade-ask-side', { symbol: esc(quote.symbol), price: num(quote.price) }), kb);
  }

  async function askMargin(ctx: BotContext, draft: TradeDraft): Promise<void> {
    draft.step = 'margin';
    const kb = new InlineKeyboard();
    for (const m of [10, 25, 50, 100]) kb.text(`${m} USDT`, tradeData.pack({ action: 'margin', value: m }));
    kb.row().text(ctx.t('btn-trade-my-size'), tradeData.pack({ action: 'margin', value: 0 }));
    typed(ctx.from!.id, 'trade-margin', async (ctx2, text) => {
      const m = parseUserNumber(text);
      if (m === null) return retry(ctx2, ctx2.t('trade-bad-margin'));
      if (!(m > 0 && m <= MAX_MANUAL_MARGIN)) return retry(ctx2, ctx2.t('trade-margin-range', { max: MAX_MANUAL_MARGIN }));
      draft.margin = m;
      return askLeverage(ctx2, draft);
    });
    await show(ctx, draft, ctx.t('trade-ask-margin', { symbol: esc(draft.symbol ?? ''), side: ctx.t(`side-${draft.side}`) }), kb);
  }

  const maxLev = (draft: TradeDraft) => Math.max(1, Math.floor(draft.quote?.maxLeverage ?? 125));

  async function askLeverage(ctx: BotContext, draft: TradeDraft): Promise<void> {
    draft.step = 'leverage';
    const max = maxLev(draft);
    const def = Math.min(draft.defaults.leverage, max);
    const kb = new InlineKeyboard().text(ctx.t('btn-trade-leverage-default', { leverage: def }), tradeData.pack({ action: 'lev', value: def }));
    for (const l of [3, 5, 10, 20]) if (l !== def && l <= max) kb.text(`×${l}`, tradeData.pack({ action: 'lev', value: l }));
    typed(ctx.from!.id, 'trade-leverage', async (ctx2, text) => {
      const l = parseUserNumber(text.replace(/^[x×]/i, ''));
      if (l === null) return retry(ctx2, ctx2.t('trade-bad-leverage', { max }));
      if (!Number.isInteger(l) || l < 1 || l > max) return retry(ctx2, ctx2.t('trade-leverage-range', { max }));
      draft.leverage = l;
      return askStop(ctx2, draft);
    });
    await show(ctx, draft, ctx.t('trade-ask-leverage', { max, leverage: def }), kb);
  }

  async function askStop(ctx: BotContext, draft: TradeDraft): Promise<void> {
    draft.step = 'stop';
    const q = draft.quote!;
    const side = draft.side!;
    const kb = new InlineKeyboard();
    if (draft.defaults.stopPct > 0) {
      kb.text(ctx.t('btn-trade-stop-default', { pct: draft.defaults.stopPct, price: num(defaultStop(side, q.price, draft.defaults.stopPct)) }), tradeData.pack({ action: 'sl', value: 'd' }));
    }
    typed(ctx.from!.id, 'trade-stop', async (ctx2, text) => {
      const stop = parseUserNumber(text);
      const check = checkStop(side, q.price, stop);
      if (check === 'not-number') return retry(ctx2, ctx2.t('trade-bad-stop'));
      if (check === 'wrong-side') return retry(ctx2, ctx2.t(side === 'long' ? 'trade-stop-wrong-side-long' : 'trade-stop-wrong-side-short', { price: num(q.price) }));
      draft.stopLoss = stop!;
      return askTargets(ctx2, draft);
    });
    await show(ctx, draft, ctx.t(side === 'long' ? 'trade-ask-stop-long' : 'trade-ask-stop-short', { price: num(q.price) }), kb);
  }

  async function askTargets(ctx: BotContext, draft: TradeDraft): Promise<void> {
    draft.step = 'targets';
    const q = draft.quote!;
    const side = draft.side!;
    const kb = new InlineKeyboard().text(ctx.t('btn-trade-targets-default'), tradeData.pack({ action: 'tp', value: 'd' }));
    typed(ctx.from!.id, 'trade-targets', async (ctx2, text) => {
      const r = parseTargets(side, q.price, text);
      if (!r.ok) {
        if (r.reason === 'too-many') return retry(ctx2, ctx2.t('trade-targets-too-many', { max: MAX_TARGETS }));
        if (r.reason === 'wrong-side') return retry(ctx2, ctx2.t(side === 'long' ? 'trade-target-wrong-side-long' : 'trade-target-wrong-side-short', { value: esc(r.value ?? ''), price: num(q.price) }));
        return retry(ctx2, ctx2.t('trade-bad-targets'));
      }
      draft.takeProfits = r.value;
      return preview(ctx2, draft);
    });
    await show(ctx, draft, ctx.t('trade-ask-targets', { price: num(q.price) }), kb);
  }

  async function preview(ctx: BotContext, draft: TradeDraft): Promise<void> {
    kit.pending.clear(ctx.from!.id);
    draft.step = 'preview';
    const userId = userOf(ctx).id;
    let plan: PlanSummary;
    try {
      plan = await kit.deps.portfolio.previewManual(userId, manualOf(draft));
    } catch (e) {
      if (!(e instanceof PlanRefused)) throw e;
      drafts.delete(ctx.from!.id);
      await editMessage(ctx, draft.chatId, draft.promptId, `⚠️ ${refusedText(ctx, e)}`);
      return;
    }
    const balance = await kit.deps.portfolio.balance(userId, draft.accountId!);
    const lines = [ctx.t('trade-confirm-manual'), '', renderPlan(ctx.t.bind(ctx), plan)];
    if (draft.margin !== undefined && Math.abs(plan.margin - draft.margin) > Math.max(0.01, draft.margin * 0.01)) {
      const q = draft.quote!;
      lines.push(`ℹ️ ${ctx.t('trade-margin-rounded', { requested: money(draft.margin), margin: money(plan.margin), step: num(q.stepSize), min: num(q.minQty), base: esc(q.base) })}`);
    }
    const entry = plan.entries.find((e) => e.price !== null)?.price ?? draft.quote!.price;
    if (plan.stopLoss !== null) {
      const loss = Math.abs(entry - plan.stopLoss) * plan.quantity;
      lines.push(
        balance && balance.total > 0
          ? ctx.t('trade-loss-at-stop', { loss: money(loss), pct: ((loss / balance.total) * 100).toFixed(1), balance: money(balance.total) })
          : ctx.t('trade-loss-at-stop-no-balance', { loss: money(loss) }),
      );
    }
    if (balance && plan.margin > balance.free) lines.push(`⚠️ ${ctx.t('trade-margin-above-free', { margin: money(plan.margin), free: money(balance.free) })}`);
    const kb = new InlineKeyboard().text(ctx.t('btn-trade-confirm'), tradeData.pack({ action: 'ok', value: '-' }));
    await show(ctx, draft, lines.join('\n'), kb);
  }

  function refusedText(ctx: BotContext, e: PlanRefused): string {
    const reason = String(e.details.reason ?? '');
    // A manual trade's own wording where the signal wording would not fit.
    const key = localeKeys('en').has(`trade-refusal-${reason}`) ? `trade-refusal-${reason}` : localeKeys('en').has(`refusal-${reason}`) ? `refusal-${reason}` : 'refusal-exchange-error';
    return ctx.t('trade-refused', { reason: ctx.t(key) });
  }

  c.callbackQuery(tradeData.filter, async (ctx) => {
    const d = tradeData.unpack(ctx.callbackQuery.data);
    const draft = drafts.get(ctx.from.id);
    const msg = ctx.callbackQuery.message;
    const msgKey = msg ? `${msg.chat.id}:${msg.message_id}` : null;
    if (d.action === 'ok' && msgKey && confirmed.has(msgKey)) {
      // A double tap: the first one opened the trade and its message stays as it is.
      return answer(ctx, ctx.t('trade-already-confirmed'));
    }
    // A button of an older wizard message: nothing changes.
    if (draft && msg && msg.message_id !== draft.promptId) return answer(ctx, ctx.t('button-expired'));
    if (d.action === 'cancel' || !draft) {
      await answer(ctx);
      drafts.delete(ctx.from.id);
      kit.pending.clear(ctx.from.id);
      return editOrReply(ctx, draft ? ctx.t('trade-cancelled') : ctx.t('trade-expired'));
    }
    // Callback data is never trusted: each value is checked in its own step; a forged one gets a toast and changes nothing.
    const expect: Record<string, Step> = { side: 'side', margin: 'margin', lev: 'leverage', sl: 'stop', tp: 'targets', ok: 'preview' };
    if (expect[d.action] !== draft.step) return answer(ctx, ctx.t('button-expired'));
    if (d.action === 'side') {
      if (d.value !== 'long' && d.value !== 'short') return answer(ctx, ctx.t('button-expired'));
      await answer(ctx);
      draft.side = d.value;
      return askMargin(ctx, draft);
    }
    if (d.action === 'margin') {
      const m = parseMargin(d.value);
      if (m === null) return answer(ctx, ctx.t('trade-bad-margin'));
      await answer(ctx);
      if (m > 0) draft.margin = m;
      else delete draft.margin; // the user's size settings
      return askLeverage(ctx, draft);
    }
    if (d.action === 'lev') {
      const l = Number(d.value);
      if (!/^\d{1,3}$/.test(d.value) || l < 1 || l > maxLev(draft)) return answer(ctx, ctx.t('button-expired'));
      await answer(ctx);
      draft.leverage = l;
      return askStop(ctx, draft);
    }
    if (d.action === 'sl') {
      if (d.value !== 'd' || !(draft.defaults.stopPct > 0)) return answer(ctx, ctx.t('button-expired'));
      await answer(ctx);
      // The default distance from the price now, as an explicit stop (works with "skip signals without a stop").
      draft.stopLoss = defaultStop(draft.side!, draft.quote!.price, draft.defaults.stopPct);
      return askTargets(ctx, draft);
    }
    if (d.action === 'tp') {
      if (d.value !== 'd') return answer(ctx, ctx.t('button-expired'));
      await answer(ctx);
      delete draft.takeProfits; // the user's target settings
      return preview(ctx, draft);
    }
    // ok
    await answer(ctx);
    drafts.delete(ctx.from.id);
    draft.step = 'done';
    if (msgKey) {
      confirmed.add(msgKey);
      if (confirmed.size > 1_000) confirmed.delete(confirmed.values().next().value!);
    }
    // One confirmation message, one trade: a double tap (or a retry after a restart) carries the same request id.
    const requestId = `trade:${ctx.from.id}:${draft.chatId}:${draft.promptId}`;
    try {
      const r = await kit.deps.portfolio.openManual(userOf(ctx).id, { ...manualOf(draft), requestId });
      return editOrReply(ctx, ctx.t('trade-opened', { id: r.tradeId, symbol: esc(draft.symbol ?? '') }));
    } catch (e) {
      if (!(e instanceof PlanRefused)) throw e;
      return editOrReply(ctx, `⚠️ ${refusedText(ctx, e)}`);
    }
  });
  return c;
}
