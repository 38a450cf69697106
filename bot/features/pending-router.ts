/**
 * Routes a private text to the user's pending step (key entry, typed values),
 * and keeps pasted keys out of every other step:
 *  - in a key-entry step the message is deleted first, then handled (if it
 *    cannot be deleted, the user is asked to delete it);
 *  - anywhere else a message that looks like (or contains) a key is deleted,
 *    the user is told why, and nothing else happens (it never reaches a
 *    step, so it is never stored, echoed or used as a label or symbol);
 *  - an edited message that looks like a key is deleted too.
 * A command cancels the pending step.
 */
import { Composer } from 'grammy';
import type { BotContext } from '../context.js';
import { deleteNow, replyHtml } from '../helpers.js';
import { containsSecret, dropSecretMessage } from '../secrets.js';
import type { FeatureKit } from './kit.js';

export function createPendingRouter(kit: FeatureKit): Composer<BotContext> {
  const c = new Composer<BotContext>();
  const pm = c.chatType('private');

  pm.on(['edited_message:text', 'edited_message:caption'], async (ctx, next) => {
    const m = ctx.editedMessage;
    if (!containsSecret(m.text ?? m.caption ?? '')) return next();
    await dropSecretMessage(ctx, (k) => ctx.t(k), ctx.chat.id, m.message_id);
  });

  pm.on('message:text', async (ctx, next) => {
    const id = ctx.from.id;
    const text = ctx.message.text;
    const pending = kit.pending.get(id);
    if (pending?.secret && !text.startsWith('/')) {
      // Key entry: the message goes before anything else happens.
      if (!(await deleteNow(ctx, ctx.chat.id, ctx.message.message_id))) await replyHtml(ctx, ctx.t('secret-delete-failed'));
      await pending.handle(ctx, text);
      return;
    }
    // A key where none was asked for (a rename, a symbol, a number, a command argument, no step at all).
    if (!ctx.message.forward_origin && containsSecret(text)) {
      await dropSecretMessage(ctx, (k) => ctx.t(k), ctx.chat.id, ctx.message.message_id);
      return;
    }
    if (!pending) return next();
    if (text.startsWith('/')) {
      kit.pending.clear(id);
      return next();
    }
    await pending.handle(ctx, text);
  });

  pm.on('message:caption', async (ctx, next) => {
    if (ctx.message.forward_origin || !containsSecret(ctx.message.caption)) return next();
    await dropSecretMessage(ctx, (k) => ctx.t(k), ctx.chat.id, ctx.message.message_id);
  });
  return c;
}
