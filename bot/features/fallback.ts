/** Unknown commands get a help hint; stray texts too. Something that looks like a key is deleted. */
import { Composer } from 'grammy';
import type { BotContext } from '../context.js';
import { answer, deleteNow, replyHtml } from '../helpers.js';
import { mainMenu } from '../keyboards/menu.js';
import { esc } from '../render/format.js';
import { looksLikeSecret } from '../secrets.js';
import type { FeatureKit } from './kit.js';

export { looksLikeSecret } from '../secrets.js';

export function createFallbackFeature(_kit: FeatureKit): Composer<BotContext> {
  const c = new Composer<BotContext>();
  const pm = c.chatType('private');
  pm.on('message:text', async (ctx) => {
    const text = ctx.message.text;
    if (text.startsWith('/')) {
      const cmd = text.split(/[\s@]/)[0]!;
      await replyHtml(ctx, ctx.t('unknown-command', { command: esc(cmd.slice(0, 40)) }), mainMenu(ctx));
      return;
    }
    if (looksLikeSecret(text)) {
      await deleteNow(ctx, ctx.chat.id, ctx.message.message_id);
      await replyHtml(ctx, ctx.t('secret-deleted'));
      return;
    }
    await replyHtml(ctx, ctx.t('unknown-text'), mainMenu(ctx));
  });
  c.on('callback_query:data', async (ctx) => {
    await answer(ctx, ctx.t('button-expired'));
  });
  return c;
}
