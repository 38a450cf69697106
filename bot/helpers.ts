/** Small reply helpers used by every feature. */
import { GrammyError, InlineKeyboard } from 'grammy';
import type { BotContext } from './context.js';
import { splitText } from './render/format.js';

export function isNotModified(e: unknown): boolean {
  return e instanceof GrammyError && /message is not modified/i.test(e.description);
}

/** Sends HTML text, split into several messages when too long; the keyboard goes on the last one. */
export async function replyHtml(ctx: BotContext, text: string, keyboard?: InlineKeyboard): Promise<number | undefined> {
  const chunks = splitText(text);
  let lastId: number | undefined;
  for (let i = 0; i < chunks.length; i++) {
    const last = i === chunks.length - 1;
    const m = await ctx.reply(chunks[i]!, last && keyboard ? { reply_markup: keyboard } : {});
    lastId = m.message_id;
  }
  return lastId;
}

/** Edits the message a button belongs to (settings-style menus), or replies when there is none. */
export async function editOrReply(ctx: BotContext, text: string, keyboard?: InlineKeyboard): Promise<void> {
  const msg = ctx.callbackQuery?.message;
  if (msg && ctx.chat) {
    try {
      await ctx.api.editMessageText(ctx.chat.id, msg.message_id, text, keyboard ? { reply_markup: keyboard } : { reply_markup: new InlineKeyboard() });
    } catch (e) {
      if (!isNotModified(e)) throw e;
    }
    return;
  }
  await replyHtml(ctx, text, keyboard);
}

/** Edits a known message by id, ignoring "not modified". */
export async function editMessage(ctx: BotContext, chatId: number, messageId: number, text: string, keyboard?: InlineKeyboard): Promise<void> {
  try {
    await ctx.api.editMessageText(chatId, messageId, text, keyboard ? { reply_markup: keyboard } : { reply_markup: new InlineKeyboard() });
  } catch (e) {
    if (!isNotModified(e)) throw e;
  }
}

/** Answers a callback query once; later calls and failures are ignored. */
export async function answer(ctx: BotContext, text?: string): Promise<void> {
  if (!ctx.callbackQuery) return;
  const state = ctx as BotContext & { _answered?: boolean };
  if (state._answered) return;
  state._answered = true;
  await ctx.answerCallbackQuery(text ? { text } : undefined).catch(() => undefined);
}

/** The registered user, or an error (handlers run only after registration in private chats). */
export function userOf(ctx: BotContext) {
  if (!ctx.user) throw new Error('no registered user in context');
  return ctx.user;
}

/** Deletes a message now; failures (too old, already gone) are logged, never thrown. */
export async function deleteNow(ctx: BotContext, chatId: number, messageId: number): Promise<boolean> {
  try {
    await ctx.api.deleteMessage(chatId, messageId);
    return true;
  } catch (e) {
    ctx.log.warn({ messageId, err: e instanceof GrammyError ? { code: e.error_code, description: e.description } : String(e) }, 'could not delete a message');
    return false;
  }
}

/**
 * A number typed by a user: plain decimals only, with `.` or `,` as the
 * decimal separator and an optional sign (`12`, `0.5`, `0,5`, `-3`, `.5`).
 * Exponents (`1e3`), hex, thousands separators, `Infinity` and anything else
 * are refused with null, the same way in every wizard and setting.
 */
export function parseUserNumber(text: string): number | null {
  const t = text.trim();
  if (!/^[+-]?(\d+([.,]\d*)?|[.,]\d+)$/.test(t)) return null;
  // "49,500" is 49500 to some and 49.5 to others: too risky for a price, so it is asked again
  // (a comma before exactly three digits with a non-zero whole part; "0,500" and "2,5" are fine).
  if (/^[+-]?[1-9]\d{0,2},\d{3}$/.test(t)) return null;
  const n = Number(t.replace(',', '.'));
  return Number.isFinite(n) ? n : null;
}
