/** /start, /help, /language, /cancel and the main menu. */
import { Composer } from 'grammy';
import type { BotContext } from '../context.js';
import { languageData, menuData } from '../callback-data/index.js';
import { answer, editOrReply, replyHtml, userOf } from '../helpers.js';
import { languageKeyboard, mainMenu } from '../keyboards/menu.js';
import { esc } from '../render/format.js';
import type { FeatureKit } from './kit.js';
import { showAccounts } from './accounts.js';
import { showSources } from './sources.js';
import { showSettings } from './settings.js';
import { showPositions } from './trading.js';
import { showStats } from './stats.js';

function greeting(ctx: BotContext): string {
  const name = esc(ctx.user?.firstName ?? ctx.from?.first_name ?? '');
  return `${ctx.t('start-greeting', { name })}\n${ctx.t('start-about')}`;
}

export function helpText(ctx: BotContext): string {
  return ctx.t('help-text');
}

export function createStartFeature(kit: FeatureKit): Composer<BotContext> {
  const c = new Composer<BotContext>();
  const pm = c.chatType('private');

  pm.command('start', async (ctx) => {
    await replyHtml(ctx, greeting(ctx), mainMenu(ctx));
  });
  pm.command('help', async (ctx) => {
    await replyHtml(ctx, helpText(ctx), mainMenu(ctx));
  });
  pm.command('menu', async (ctx) => {
    await replyHtml(ctx, ctx.t('menu-title'), mainMenu(ctx));
  });
  pm.command('cancel', async (ctx) => {
    kit.pending.clear(ctx.from.id);
    await replyHtml(ctx, ctx.t('cancelled'), mainMenu(ctx));
  });
  pm.command('language', async (ctx) => {
    await replyHtml(ctx, ctx.t('language-choose'), languageKeyboard(ctx));
  });

  c.callbackQuery(languageData.filter, async (ctx) => {
    const { code } = languageData.unpack(ctx.callbackQuery.data);
    const user = await kit.deps.users.setLanguage(userOf(ctx).id, code);
    ctx.user = user;
    ctx.i18n.useLocale(user.language);
    await answer(ctx, ctx.t('language-changed'));
    await editOrReply(ctx, `${ctx.t('language-changed')}\n\n${ctx.t('menu-title')}`, mainMenu(ctx));
  });

  c.callbackQuery(menuData.filter, async (ctx) => {
    const { to } = menuData.unpack(ctx.callbackQuery.data);
    await answer(ctx);
    switch (to) {
      case 'accounts':
        return showAccounts(kit, ctx, true);
      case 'sources':
        return showSources(kit, ctx, true);
      case 'settings':
        return showSettings(kit, ctx, 0, true);
      case 'positions':
        return showPositions(kit, ctx);
      case 'stats':
        return showStats(kit, ctx, 'week', true);
      case 'help':
        return editOrReply(ctx, helpText(ctx), mainMenu(ctx));
      default:
        return editOrReply(ctx, ctx.t('menu-title'), mainMenu(ctx));
    }
  });
  return c;
}
