/**
 * Signal sources: the bot made admin of a channel → the channel is a source
 * and the user who added it is told; channel posts go to the signal intake;
 * /sources lists sources with subscribe toggles, mode and overrides.
 */
import { Composer, InlineKeyboard } from 'grammy';
import type { SourceWithSubscription } from '../../services/sources.js';
import type { AccountView } from '../../services/accounts.js';
import type { BotContext } from '../context.js';
import { settingsData, sourceData } from '../callback-data/index.js';
import { answer, editOrReply, replyHtml, userOf } from '../helpers.js';
import { backToMenu } from '../keyboards/menu.js';
import { esc } from '../render/format.js';
import type { FeatureKit } from './kit.js';

/** The account a subscription trades on: its own, else the user's default (as the trading fan-out picks it). */
export function sourceAccountLine(ctx: BotContext, s: SourceWithSubscription, accounts: readonly AccountView[]): string | null {
  const sub = s.subscription;
  if (!sub?.enabled) return null;
  const own = sub.accountId !== null ? accounts.find((a) => a.id === sub.accountId && a.status !== 'removed') : undefined;
  const account = own ?? accounts.find((a) => a.isDefault && a.status !== 'removed');
  if (!account) return ctx.t('sources-account-none');
  return ctx.t(own ? 'sources-account' : 'sources-account-default', { label: esc(account.label) });
}

export function renderSource(ctx: BotContext, s: SourceWithSubscription, accounts: readonly AccountView[] = []): string {
  const sub = s.subscription;
  const lines = [`<b>${esc(s.title)}</b>${s.username ? ` (@${esc(s.username)})` : ''}`];
  lines.push(sub?.enabled ? ctx.t('sources-subscribed', { mode: ctx.t(`sources-mode-${sub.mode}`) }) : ctx.t('sources-not-subscribed'));
  const account = sourceAccountLine(ctx, s, accounts);
  if (account) lines.push(account);
  const n = sub ? Object.keys(sub.overrides).length : 0;
  if (n) lines.push(ctx.t('sources-overrides-count', { count: n }));
  if (s.paused) lines.push(ctx.t('sources-paused'));
  return lines.join('\n');
}

export async function showSources(kit: FeatureKit, ctx: BotContext, edit: boolean): Promise<void> {
  const list = await kit.deps.sources.list(userOf(ctx).id);
  const accounts = await kit.deps.accounts.list(userOf(ctx).id);
  const kb = new InlineKeyboard();
  for (const s of list) kb.text(`${s.subscription?.enabled ? '✅' : '▫️'} ${s.title}`, sourceData.pack({ action: 'open', id: s.id })).row();
  backToMenu(ctx, kb);
  const text = list.length ? `${ctx.t('sources-title')}\n\n${list.map((s) => renderSource(ctx, s, accounts)).join('\n\n')}` : ctx.t('sources-empty');
  if (edit) await editOrReply(ctx, text, kb);
  else await replyHtml(ctx, text, kb);
}

function sourceKeyboard(ctx: BotContext, s: SourceWithSubscription): InlineKeyboard {
  const sub = s.subscription;
  const kb = new InlineKeyboard()
    .text(sub?.enabled ? ctx.t('btn-sources-unsubscribe') : ctx.t('btn-sources-subscribe'), sourceData.pack({ action: 'tog', id: s.id }))
    .row();
  if (sub?.enabled) {
    kb.text(ctx.t('btn-sources-mode', { mode: ctx.t(`sources-mode-${sub.mode}`) }), sourceData.pack({ action: 'mode', id: s.id })).row();
    kb.text(ctx.t('btn-sources-overrides'), settingsData.pack({ action: 'page', scope: s.id, item: 0, value: '-' })).row();
  }
  return kb.text(ctx.t('btn-back'), sourceData.pack({ action: 'list', id: 0 }));
}

export async function showSource(kit: FeatureKit, ctx: BotContext, sourceId: number): Promise<void> {
  const s = await kit.deps.sources.get(userOf(ctx).id, sourceId);
  await editOrReply(ctx, renderSource(ctx, s, await kit.deps.accounts.list(userOf(ctx).id)), sourceKeyboard(ctx, s));
}

export function createSourcesFeature(kit: FeatureKit): Composer<BotContext> {
  const c = new Composer<BotContext>();

  c.on('my_chat_member', async (ctx) => {
    const chat = ctx.myChatMember.chat as { id: number; type: string; title?: string; username?: string };
    if (chat.type !== 'channel') return;
    const r = await kit.deps.sources.onBotStatusChanged({
      chatId: chat.id,
      title: chat.title ?? String(chat.id),
      username: chat.username ?? null,
      byTelegramId: ctx.myChatMember.from.id,
      status: ctx.myChatMember.new_chat_member.status,
    });
    if (!r || r.addedByUserId === null) return;
    const user = await kit.deps.users.get(r.addedByUserId);
    if (user.status !== 'active') return;
    const key = r.removed ? 'sources-removed-notice' : 'sources-added-notice';
    await ctx.api.sendMessage(user.telegramId, kit.i18n.t(user.language, key, { title: esc(r.source.title) })).catch((e: unknown) => {
      ctx.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'could not tell the user about the new source');
    });
  });

  // Text posts and media posts (photo, video, document...) with a caption: the caption is the signal text.
  c.on(['channel_post:text', 'edited_channel_post:text', 'channel_post:caption', 'edited_channel_post:caption'], async (ctx) => {
    const post = ctx.channelPost ?? ctx.editedChannelPost;
    const text = post?.text ?? post?.caption;
    if (!post || !text) return;
    const known = await kit.deps.signals.channelPost({
      chatId: post.chat.id,
      messageId: post.message_id,
      text,
      replyToMessageId: post.reply_to_message?.message_id ?? null,
      edited: ctx.editedChannelPost !== undefined,
      postedAt: post.date * 1000,
    });
    ctx.log.debug({ chatId: post.chat.id, messageId: post.message_id, known }, 'channel post');
  });

  c.chatType('private').command('sources', (ctx) => showSources(kit, ctx, false));

  c.callbackQuery(sourceData.filter, async (ctx) => {
    const { action, id } = sourceData.unpack(ctx.callbackQuery.data);
    const userId = userOf(ctx).id;
    const sourceId = Number(id);
    // The sources service checks the source is visible to this user (another user's private source: not found).
    if (!/^\d{1,12}$/.test(id)) return answer(ctx, ctx.t('button-expired'));
    if (action === 'tog') {
      // The toast is the answer to this button press: answered once, after the change (not before it).
      const sub = await kit.deps.sources.toggle(userId, sourceId);
      await answer(ctx, sub.enabled ? ctx.t('sources-subscribed-toast') : ctx.t('sources-unsubscribed-toast'));
    } else await answer(ctx);
    if (action === 'list') return showSources(kit, ctx, true);
    if (action === 'mode') {
      const s = await kit.deps.sources.get(userId, sourceId);
      await kit.deps.sources.setMode(userId, sourceId, s.subscription?.mode === 'auto' ? 'confirm' : 'auto');
    }
    return showSource(kit, ctx, sourceId);
  });
  return c;
}
