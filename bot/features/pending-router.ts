/**
 * Routes a private text to the user's pending step (key entry, typed values).
 * Secret-bearing messages are deleted first, whatever happens next. A command
 * cancels the pending step.
 */
import { Composer } from 'grammy';
import type { BotContext } from '../context.js';
import { deleteNow } from '../helpers.js';
import type { FeatureKit } from './kit.js';

export function createPendingRouter(kit: FeatureKit): Composer<BotContext> {
  const c = new Composer<BotContext>();
  c.chatType('private').on('message:text', async (ctx, next) => {
    const id = ctx.from.id;
    const pending = kit.pending.get(id);
    if (!pending) return next();
    if (ctx.message.text.startsWith('/')) {
      kit.pending.clear(id);
      return next();
    }
    if (pending.secret) await deleteNow(ctx, ctx.chat.id, ctx.message.message_id);
    await pending.handle(ctx, ctx.message.text);
  });
  return c;
}
