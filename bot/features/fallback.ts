/**
 * Unknown commands get a help hint; stray texts too. Something that looks
 * like a key is deleted. A signal typed or pasted into the chat gets the same
 * preview as /parse, with a hint to forward posts or subscribe to a channel.
 */
import { Composer } from 'grammy';
import type { BotContext } from '../context.js';
import { answer, deleteNow, replyHtml } from '../helpers.js';
import { mainMenu } from '../keyboards/menu.js';
import { esc } from '../render/format.js';
import { renderParse } from '../render/trading.js';
import { looksLikeSecret } from '../secrets.js';
import type { FeatureKit } from './kit.js';
import { MAX_PARSE_LENGTH } from './signals.js';

export { looksLikeSecret } from '../secrets.js';

export function createFallbackFeature(kit: FeatureKit): Composer<BotContext> {
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
    // A pasted signal (or an update to one): show how it reads, and how to trade such posts.
    const parsed = kit.deps.signals.parse(text.slice(0, MAX_PARSE_LENGTH));
    if (parsed.kind !== 'none') {
      await replyHtml(ctx, `${renderParse(ctx.t, parsed)}\n\n${ctx.t('fallback-signal-hint')}`);
      return;
    }
    await replyHtml(ctx, ctx.t('unknown-text'), mainMenu(ctx));
  });
  c.on('callback_query:data', async (ctx) => {
    await answer(ctx, ctx.t('button-expired'));
  });
  return c;
}
