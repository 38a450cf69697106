/**
 * Forwarded posts: parsed and shown as a preview with Execute / Ignore (and
 * Subscribe for a known, unsubscribed source). /parse <text> shows how the
 * bot reads a text. Confirm-mode signal buttons (from notifications) too.
 */
import { Composer, InlineKeyboard } from 'grammy';
import type { MessageOrigin } from 'grammy/types';
import type { ExecuteResult, ForwardOrigin } from '../../services/signal-inbox.js';
import type { BotContext } from '../context.js';
import { previewData } from '../callback-data/index.js';
import { answer, editOrReply, replyHtml, userOf } from '../helpers.js';
import { esc } from '../render/format.js';
import { renderParse, renderPlan, reasonText } from '../render/trading.js';
import type { FeatureKit } from './kit.js';

export const MAX_PARSE_LENGTH = 4000;

/** What the inbox needs of Telegram's forward_origin: the channel post it copies, or who sent it and when. */
export function forwardOrigin(origin: MessageOrigin): ForwardOrigin {
  switch (origin.type) {
    case 'channel':
      return { originChatId: origin.chat.id, originMessageId: origin.message_id, originSender: null, originDate: origin.date };
    case 'chat':
      return { originChatId: origin.sender_chat.id, originMessageId: null, originSender: `chat:${origin.sender_chat.id}`, originDate: origin.date };
    case 'user':
      return { originChatId: null, originMessageId: null, originSender: `user:${origin.sender_user.id}`, originDate: origin.date };
    default:
      return { originChatId: null, originMessageId: null, originSender: `hidden:${origin.sender_user_name}`, originDate: origin.date };
  }
}

export function createSignalsFeature(kit: FeatureKit): Composer<BotContext> {
  const c = new Composer<BotContext>();
  const pm = c.chatType('private');

  pm.command('parse', async (ctx) => {
    const text = ctx.match.trim();
    if (!text) {
      await replyHtml(ctx, ctx.t('parse-usage'));
      return;
    }
    await replyHtml(ctx, renderParse(ctx.t, kit.deps.signals.parse(text.slice(0, MAX_PARSE_LENGTH))));
  });

  pm.on('message', async (ctx, next) => {
    const origin = ctx.message.forward_origin;
    if (!origin) return next();
    const text = ctx.message.text ?? ctx.message.caption ?? '';
    if (!text.trim()) {
      await replyHtml(ctx, ctx.t('forward-no-text'));
      return;
    }
    const p = await kit.deps.signals.previewForwarded(userOf(ctx).id, { ...forwardOrigin(origin), text: text.slice(0, MAX_PARSE_LENGTH) });
    if (p.executedTradeId !== null) {
      const lines = [ctx.t('forward-preview-title')];
      if (p.source) lines.push(ctx.t('forward-from-source', { title: esc(p.source.title) }));
      lines.push('', ctx.t('preview-already-executed', { id: p.executedTradeId }));
      await replyHtml(ctx, lines.join('\n'));
      return;
    }
    if (p.parse.kind !== 'signal') {
      const why = p.parse.kind === 'none' ? reasonText(ctx.t, p.parse.reason) : ctx.t('forward-is-update');
      await replyHtml(ctx, `${ctx.t('forward-not-signal')}\n${ctx.t('parse-reason', { reason: why })}`);
      return;
    }
    const lines = [ctx.t('forward-preview-title')];
    if (p.source) lines.push(ctx.t('forward-from-source', { title: esc(p.source.title) }));
    lines.push('', p.plan ? renderPlan(ctx.t, p.plan) : renderParse(ctx.t, p.parse));
    if (p.refusal) lines.push('', ctx.t('forward-refused', { reason: ctx.t(`refusal-${p.refusal.reason}`) }));
    const kb = new InlineKeyboard();
    if (p.plan) kb.text(ctx.t('btn-preview-execute'), previewData.pack({ action: 'x', id: p.id }));
    kb.text(ctx.t('btn-preview-ignore'), previewData.pack({ action: 'i', id: p.id }));
    if (p.source && !p.subscribed) kb.row().text(ctx.t('btn-preview-subscribe'), previewData.pack({ action: 's', id: `${p.source.id}` }));
    await replyHtml(ctx, lines.join('\n'), kb);
  });

  c.callbackQuery(previewData.filter, async (ctx) => {
    const { action, id } = previewData.unpack(ctx.callbackQuery.data);
    const userId = userOf(ctx).id;
    const base = ctx.callbackQuery.message?.text ?? '';
    const executed = async (r: ExecuteResult) => {
      // The same post again (forwarded after the channel post, a second Execute): no second trade.
      const key = r.duplicate ? 'preview-already-executed' : 'preview-executed';
      return editOrReply(ctx, `${esc(base)}\n\n${ctx.t(key, { id: r.tradeId })}`);
    };
    await answer(ctx);
    switch (action) {
      case 'x':
        return executed(await kit.deps.signals.executePreview(userId, id));
      case 'i':
        await kit.deps.signals.ignorePreview(userId, id);
        return editOrReply(ctx, `${esc(base)}\n\n${ctx.t('preview-ignored')}`);
      case 's': {
        if (!/^\d{1,12}$/.test(id)) return;
        await kit.deps.sources.subscribe(userId, Number(id));
        await answer(ctx, ctx.t('sources-subscribed-toast'));
        return replyHtml(ctx, ctx.t('sources-subscribed-toast')).then(() => undefined);
      }
      case 'sx': {
        const signalId = Number(id);
        if (!Number.isSafeInteger(signalId) || signalId <= 0) return answer(ctx, ctx.t('button-expired'));
        return executed(await kit.deps.signals.executeSignal(userId, signalId));
      }
      case 'si':
        if (!/^\d{1,12}$/.test(id)) return;
        await kit.deps.signals.ignoreSignal(userId, Number(id));
        return editOrReply(ctx, `${esc(base)}\n\n${ctx.t('preview-ignored')}`);
    }
  });
  return c;
}
