import { InlineKeyboard } from 'grammy';
import type { BotContext } from '../context.js';
import { languageData, menuData } from '../callback-data/index.js';
import { LANGUAGES } from '../../services/users.js';

export const MENU_ITEMS = ['accounts', 'sources', 'settings', 'positions', 'stats', 'help'] as const;
export type MenuItem = (typeof MENU_ITEMS)[number];

export function mainMenu(ctx: BotContext): InlineKeyboard {
  const kb = new InlineKeyboard();
  MENU_ITEMS.forEach((item, i) => {
    kb.text(ctx.t(`btn-menu-${item}`), menuData.pack({ to: item }));
    if (i % 2 === 1) kb.row();
  });
  return kb;
}

export function backToMenu(ctx: BotContext, kb = new InlineKeyboard()): InlineKeyboard {
  return kb.row().text(ctx.t('btn-back-menu'), menuData.pack({ to: 'main' }));
}

export function languageKeyboard(ctx: BotContext): InlineKeyboard {
  const kb = new InlineKeyboard();
  for (const lang of LANGUAGES) kb.text(ctx.t(`language-name-${lang}`), languageData.pack({ code: lang }));
  return kb;
}
