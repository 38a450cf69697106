/**
 * Fluent locales (locales/en.ftl, locales/ru.ftl) through @grammyjs/i18n.
 * The user's language comes from the users table, else Telegram's language code.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { I18n } from '@grammyjs/i18n';
import type { Api } from 'grammy';
import { languageFromCode, LANGUAGES, type Language } from '../services/users.js';
import type { BotContext } from './context.js';

export const LOCALES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'locales');

export function createI18n(localesDir = LOCALES_DIR): I18n<BotContext> {
  const i18n = new I18n<BotContext>({
    defaultLocale: 'en',
    fluentBundleOptions: { useIsolating: false },
    localeNegotiator: (ctx) => ctx.user?.language ?? languageFromCode(ctx.from?.language_code),
  });
  for (const lang of LANGUAGES) {
    i18n.loadLocaleSync(lang, { filePath: path.join(localesDir, `${lang}.ftl`), isDefault: lang === 'en' });
  }
  return i18n;
}

/** Message ids defined in a Fluent source (attributes excluded). */
export function ftlKeys(source: string): Set<string> {
  const keys = new Set<string>();
  for (const line of source.split('\n')) {
    const m = /^([a-z][a-z0-9-]*)\s*=/.exec(line);
    if (m) keys.add(m[1]!);
  }
  return keys;
}

const keyCache = new Map<string, Set<string>>();
/** Keys of a language's locale file (cached). */
export function localeKeys(lang: Language = 'en', localesDir = LOCALES_DIR): Set<string> {
  const cacheKey = `${localesDir}|${lang}`;
  let keys = keyCache.get(cacheKey);
  if (!keys) {
    keys = ftlKeys(fs.readFileSync(path.join(localesDir, `${lang}.ftl`), 'utf8'));
    keyCache.set(cacheKey, keys);
  }
  return keys;
}

/** Command list with descriptions from `cmd-<name>` messages' `.description` attribute. */
export const COMMANDS = ['start', 'connect', 'accounts', 'sources', 'settings', 'positions', 'orders', 'balance', 'close', 'trade', 'grid', 'stats', 'daily', 'license', 'parse', 'language', 'help', 'cancel'] as const;
/** Shown only to admins (in their own chat's command scope), never in the default list. */
export const ADMIN_COMMANDS = ['admin'] as const;

export function commandList(i18n: I18n<BotContext>, lang: Language, options: { admin?: boolean } = {}): { command: string; description: string }[] {
  const names: readonly string[] = options.admin ? [...COMMANDS, ...ADMIN_COMMANDS] : COMMANDS;
  return names.map((c) => ({ command: c, description: i18n.t(lang, `cmd-${c}.description`) }));
}

export type CommandsApi = Pick<Api, 'setMyCommands'>;
export type ScopedCommandsApi = Pick<Api, 'setMyCommands' | 'deleteMyCommands'>;

/**
 * setMyCommands per language (default list in English). Admins get the list
 * plus the admin commands in their own chat's scope (in their language), so
 * /admin never shows in anyone else's menu. An admin who has not started the
 * bot yet has no chat: that one is skipped (the returned list says who).
 */
export async function registerCommands(api: CommandsApi, i18n: I18n<BotContext>, admins: { telegramId: number; language: Language }[] = []): Promise<{ failedAdmins: number[] }> {
  await api.setMyCommands(commandList(i18n, 'en'));
  for (const lang of LANGUAGES) await api.setMyCommands(commandList(i18n, lang), { language_code: lang });
  const failedAdmins: number[] = [];
  for (const a of admins) {
    try {
      await api.setMyCommands(commandList(i18n, a.language, { admin: true }), { scope: { type: 'chat', chat_id: a.telegramId } });
    } catch {
      failedAdmins.push(a.telegramId);
    }
  }
  return { failedAdmins };
}

/**
 * Gives a user the admin command list in their own chat (promoted at runtime), or takes it
 * away (demoted: the chat scope is deleted, so the default list applies again). Returns
 * false when Telegram refused (e.g. the user has not started the bot yet).
 */
export async function setAdminCommands(api: ScopedCommandsApi, i18n: I18n<BotContext>, user: { telegramId: number; language: Language }, admin: boolean): Promise<boolean> {
  const scope = { type: 'chat' as const, chat_id: user.telegramId };
  try {
    if (admin) await api.setMyCommands(commandList(i18n, user.language, { admin: true }), { scope });
    else await api.deleteMyCommands({ scope });
    return true;
  } catch {
    return false;
  }
}
