/** /positions (close 100% / 50%, stop to breakeven), /orders, /balance, /close SYMBOL, /trade wizard. */
import { Composer, InlineKeyboard } from 'grammy';
import type { PositionSide } from '../../models/order.js';
import { normalizeUserSymbol, type ManualDraft } from '../../services/portfolio.js';
import type { BotContext } from '../context.js';
import { positionData, tradeData } from '../callback-data/index.js';
import { answer, editMessage, editOrReply, replyHtml, userOf } from '../helpers.js';
import { esc, money, num } from '../render/format.js';
import { renderBalances, renderClosed, renderOrders, renderPlan, renderPosition } from '../render/trading.js';
import { PENDING_TTL_MS } from '../pending.js';
import type { FeatureKit } from './kit.js';

const MAX_POSITION_MESSAGES = 10;

export async function showPositions(kit: FeatureKit, ctx: BotContext): Promise<void> {
  const list = await kit.deps.portfolio.positions(userOf(ctx).id);
  if (!list.length) {
    await replyHtml(ctx, ctx.t('positions-empty'));
    return;
  }
  await replyHtml(ctx, ctx.t('positions-title', { count: list.length }));
  for (const v of list.slice(0, MAX_POSITION_MESSAGES)) {
    const p = v.position;
    const kb = new InlineKeyboard()
      .text(ctx.t('btn-positions-close-all'), positionData.pack({ action: 'cl', account: v.accountId, symbol: p.symbol, value: 100 }))
      .text(ctx.t('btn-positions-close-half'), positionData.pack({ action: 'cl', account: v.accountId, symbol: p.symbol, value: 50 }))
      .row()
      .text(ctx.t('btn-positions-breakeven'), positionData.pack({ action: 'be', account: v.accountId, symbol: p.symbol, value: 0 }));
    await replyHtml(ctx, renderPosition(ctx, v), kb);
  }
  if (list.length > MAX_POSITION_MESSAGES) await replyHtml(ctx, ctx.t('positions-more', { count: list.length - MAX_POSITION_MESSAGES }));
}

/** Largest margin a manual trade may ask for (typed or from a button). */
export const MAX_MANUAL_MARGIN = 1_000_000;

/** A margin from text or callback data: a plain decimal in 0..MAX_MANUAL_MARGIN (0 = size settings), else null. */
export function parseMargin(raw: string): number | null {
  if (!/^\d{1,7}(\.\d{1,8})?$/.test(raw)) return null;
  const m = Number(raw);
  return Number.isFinite(m) && m >= 0 && m <= MAX_MANUAL_MARGIN ? m : null;
}

/** A position symbol in callback data: BASE/QUOTE (optionally :SETTLE), nothing else. */
const SYMBOL_DATA = /^[A-Z0-9]{1,20}\/[A-Z0-9]{2,10}(:[A-Z0-9]{2,10})?$/;

interface TradeDraft extends Partial<ManualDraft> {
  promptId: number;
  chatId: number;
}

export function createTradingFeature(kit: FeatureKit): Composer<BotContext> {
  const c = new Composer<BotContext>();
  const pm = c.chatType('private');
  const drafts = new Map<number, TradeDraft>();
  /** Confirmation messages already acted on (`chatId:messageId`): a second tap only gets a toast. */
  const confirmed = new Set<string>();

  pm.command('positions', (ctx) => showPositions(kit, ctx));
  pm.command('orders', async (ctx) => {
    await replyHtml(ctx, renderOrders(ctx, await kit.deps.portfolio.orders(userOf(ctx).id)));
  });
  pm.command('balance', async (ctx) => {
    await replyHtml(ctx, renderBalances(ctx, await kit.deps.portfolio.balances(userOf(ctx).id)));
  });
  pm.command('close', async (ctx) => {
    const arg = ctx.match.trim();
    const symbol = arg ? normalizeUserSymbol(arg.split(/\s+/)[0]!) : null;
    if (!symbol) {
      await replyHtml(ctx, ctx.t('close-usage'));
      return;
    }
    const results = await kit.deps.portfolio.closeSymbol(userOf(ctx).id, symbol);
    await replyHtml(ctx, results.map((r) => renderClosed(ctx, r)).join('\n\n'));
  });

  c.callbackQuery(positionData.filter, async (ctx) => {
    const d = positionData.unpack(ctx.callbackQuery.data);
    const userId = userOf(ctx).id;
    const accountId = Number(d.account);
    // Ownership of the account is checked by the service (another user's id: account not found).
    if (!/^\d{1,12}$/.test(d.account) || !SYMBOL_DATA.test(d.symbol)) return answer(ctx, ctx.t('button-expired'));
    if (d.action === 'cl') {
      const percent = Number(d.value);
      if (!/^\d{1,3}$/.test(d.value) || percent < 1 || percent > 100) return answer(ctx, ctx.t('button-expired'));
      await answer(ctx, ctx.t('positions-closing'));
      // One close per pressed button: a double tap or a re-delivered update closes once.
      const requestId = `pos:${ctx.callbackQuery.message?.chat.id ?? 0}:${ctx.callbackQuery.message?.message_id ?? 0}:${d.symbol}:${percent}`;
      const r = await kit.deps.portfolio.close(userId, accountId, d.symbol, percent, requestId);
      return editOrReply(ctx, renderClosed(ctx, r));
    }
    if (d.action === 'be') {
      const r = await kit.deps.portfolio.breakeven(userId, accountId, d.symbol);
      await answer(ctx, ctx.t('positions-breakeven-done', { price: num(r.stopLoss) }));
      return replyHtml(ctx, ctx.t('positions-breakeven-done', { price: num(r.stopLoss) })).then(() => undefined);
    }
    await answer(ctx);
  });

  // Manual trade wizard: symbol → side → margin → confirm.
  pm.command('trade', async (ctx) => {
    const userId = userOf(ctx).id;
    const account = await kit.deps.accounts.getDefault(userId);
    const arg = ctx.match.trim();
    const promptId = await replyHtml(ctx, ctx.t('trade-ask-symbol', { account: esc(account.label) }), new InlineKeyboard().text(ctx.t('btn-cancel'), tradeData.pack({ action: 'cancel', value: '-' })));
    if (promptId === undefined) return;
    const draft: TradeDraft = { accountId: account.id, promptId, chatId: ctx.chat.id };
    drafts.set(ctx.from.id, draft);
    if (arg) return askSymbol(ctx, draft, arg);
    kit.pending.set(ctx.from.id, { kind: 'trade-symbol', secret: false, expiresAt: kit.now() + PENDING_TTL_MS, handle: (ctx2, text) => askSymbol(ctx2, draft, text) });
  });

  async function askSymbol(ctx: BotContext, draft: TradeDraft, text: string): Promise<void> {
    const symbol = normalizeUserSymbol(text.split(/\s+/)[0] ?? '');
    if (!symbol) {
      await replyHtml(ctx, ctx.t('trade-bad-symbol'));
      return;
    }
    kit.pending.clear(ctx.from!.id);
    draft.symbol = symbol;
    const kb = new InlineKeyboard()
      .text(ctx.t('btn-trade-long'), tradeData.pack({ action: 'side', value: 'long' }))
      .text(ctx.t('btn-trade-short'), tradeData.pack({ action: 'side', value: 'short' }))
      .row()
      .text(ctx.t('btn-cancel'), tradeData.pack({ action: 'cancel', value: '-' }));
    await editMessage(ctx, draft.chatId, draft.promptId, ctx.t('trade-ask-side', { symbol: esc(symbol) }), kb);
  }

  async function preview(ctx: BotContext, draft: TradeDraft): Promise<void> {
    const plan = await kit.deps.portfolio.previewManual(userOf(ctx).id, draft as ManualDraft);
    const kb = new InlineKeyboard()
      .text(ctx.t('btn-trade-confirm'), tradeData.pack({ action: 'ok', value: '-' }))
      .text(ctx.t('btn-cancel'), tradeData.pack({ action: 'cancel', value: '-' }));
    await editMessage(ctx, draft.chatId, draft.promptId, `${ctx.t('trade-confirm')}\n\n${renderPlan(ctx.t, plan)}`, kb);
  }

  c.callbackQuery(tradeData.filter, async (ctx) => {
    const d = tradeData.unpack(ctx.callbackQuery.data);
    const draft = drafts.get(ctx.from.id);
    const msg = ctx.callbackQuery.message;
    const msgKey = msg ? `${msg.chat.id}:${msg.message_id}` : null;
    if (d.action === 'ok' && msgKey && confirmed.has(msgKey)) {
      // A double tap: the first one opened the trade and its message stays as it is.
      await answer(ctx, ctx.t('trade-already-confirmed'));
      return;
    }
    // Callback data is never trusted: only the two sides, and a margin within the typed-input caps,
    // each in its step of the wizard. A forged value gets a toast and changes nothing.
    if (draft && d.action === 'side' && ((d.value !== 'long' && d.value !== 'short') || !draft.symbol)) {
      await answer(ctx, ctx.t('button-expired'));
      return;
    }
    if (draft && d.action === 'margin' && (parseMargin(d.value) === null || !draft.symbol || !draft.side)) {
      await answer(ctx, ctx.t('trade-bad-margin'));
      return;
    }
    await answer(ctx);
    if (d.action === 'cancel' || !draft) {
      drafts.delete(ctx.from.id);
      kit.pending.clear(ctx.from.id);
      return editOrReply(ctx, draft ? ctx.t('trade-cancelled') : ctx.t('trade-expired'));
    }
    if (d.action === 'side') {
      draft.side = d.value as PositionSide;
      const kb = new InlineKeyboard();
      for (const m of [10, 25, 50, 100]) kb.text(`${m} USDT`, tradeData.pack({ action: 'margin', value: m }));
      kb.row().text(ctx.t('btn-trade-my-size'), tradeData.pack({ action: 'margin', value: 0 }));
      kb.row().text(ctx.t('btn-cancel'), tradeData.pack({ action: 'cancel', value: '-' }));
      kit.pending.set(ctx.from.id, {
        kind: 'trade-margin',
        secret: false,
        expiresAt: kit.now() + PENDING_TTL_MS,
        handle: async (ctx2, text) => {
          const m = parseMargin(text.trim().replace(',', '.'));
          if (m === null || m === 0) {
            await replyHtml(ctx2, ctx2.t('trade-bad-margin'));
            return;
          }
          kit.pending.clear(ctx2.from!.id);
          draft.margin = m;
          await preview(ctx2, draft);
        },
      });
      return editOrReply(ctx, ctx.t('trade-ask-margin', { symbol: esc(draft.symbol ?? ''), side: ctx.t(`side-${draft.side}`) }), kb);
    }
    if (d.action === 'margin') {
      // Checked above with the same caps as a typed margin; 0 = the user's size settings.
      const m = parseMargin(d.value) ?? 0;
      kit.pending.clear(ctx.from.id);
      if (m > 0) draft.margin = m;
      else delete draft.margin;
      return preview(ctx, draft);
    }
    if (d.action === 'ok' && (!draft.symbol || !draft.side)) return editOrReply(ctx, ctx.t('trade-expired'));
    if (d.action === 'ok') {
      drafts.delete(ctx.from.id);
      if (msgKey) {
        confirmed.add(msgKey);
        if (confirmed.size > 1_000) confirmed.delete(confirmed.values().next().value!);
      }
      // One confirmation message, one trade: a double tap (or a retry after a restart) carries the same request id.
      const requestId = `trade:${ctx.from.id}:${draft.chatId}:${draft.promptId}`;
      const r = await kit.deps.portfolio.openManual(userOf(ctx).id, { ...(draft as ManualDraft), requestId });
      return editOrReply(ctx, ctx.t('trade-opened', { id: r.tradeId, symbol: esc(draft.symbol ?? '') }));
    }
  });
  void money;
  return c;
}
