/**
 * Users known to the bot, keyed by Telegram id. Registering a user also makes
 * sure they have a Paper account, so everything can be tried without keys.
 */
import { accounts as accountsRepo, users as usersRepo, type Db } from '../db/index.js';
import type { UserRow } from '../db/database.js';
import { UserError } from '../models/errors.js';
import { createAccountWithCredentials } from './credentials.js';
import type { KeyVault } from './key-vault.js';

export const LANGUAGES = ['en', 'ru'] as const;
export type Language = (typeof LANGUAGES)[number];

export type UserStatus = 'active' | 'pending' | 'blocked' | 'inactive';

export interface User {
  id: number;
  telegramId: number;
  username: string | null;
  firstName: string | null;
  language: Language;
  role: string;
  status: UserStatus;
  tradingEnabled: boolean;
  defaultAccountId: number | null;
  createdAt: number;
}

export interface TelegramProfile {
  telegramId: number;
  username?: string | null;
  firstName?: string | null;
  /** Telegram's IETF language tag (e.g. "ru", "en-GB"). */
  languageCode?: string | null;
}

/** Our language for a Telegram language code: Russian-speaking locales get ru, everyone else en. */
export function languageFromCode(code: string | null | undefined): Language {
  const base = (code ?? '').toLowerCase().split(/[-_]/)[0];
  return base === 'ru' || base === 'uk' || base === 'be' || base === 'kk' ? 'ru' : 'en';
}

export function isLanguage(v: string): v is Language {
  return (LANGUAGES as readonly string[]).includes(v);
}

export function rowToUser(r: UserRow): User {
  return {
    id: r.id,
    telegramId: Number(r.telegram_id),
    username: r.username,
    firstName: r.first_name,
    language: isLanguage(r.language) ? r.language : 'en',
    role: r.role,
    status: r.status as UserStatus,
    tradingEnabled: r.trading_enabled === 1,
    defaultAccountId: r.default_account_id,
    createdAt: Number(r.created_at),
  };
}

export interface UsersService {
  /** Finds or creates the user; refreshes username/first name; ensures the Paper account. `created` is true for a new user. */
  register(profile: TelegramProfile): Promise<{ user: User; created: boolean }>;
  findByTelegramId(telegramId: number): Promise<User | null>;
  get(userId: number): Promise<User>;
  setLanguage(userId: number, language: string): Promise<User>;
  /** The user blocked the bot (Telegram 403): stop sending and trading for them. */
  markInactive(userId: number): Promise<void>;
  /** Creates the user's Paper account when they have none; returns its id. */
  ensurePaperAccount(userId: number): Promise<number>;
}

export function createUsersService(deps: { db: Db; vault: KeyVault; clock?: { now(): number } }): UsersService {
  const { db, vault } = deps;
  const now = () => deps.clock?.now() ?? Date.now();

  async function get(userId: number): Promise<User> {
    const row = await usersRepo.findUserById(db, userId);
    if (!row) throw new UserError(`user ${userId} does not exist`);
    return rowToUser(row);
  }

  async function ensurePaperAccount(userId: number): Promise<number> {
    const list = await accountsRepo.listAccountsOfUser(db, userId);
    const paper = list.find((a) => a.exchange === 'paper' && a.status !== 'removed');
    let id = paper?.id;
    if (id === undefined) {
      const row = await createAccountWithCredentials(db, vault, {
        userId,
        exchange: 'paper',
        environment: 'mainnet',
        label: 'Paper',
        credentials: null,
        verifiedAt: now(),
        now: now(),
      });
      id = row.id;
    }
    const user = await usersRepo.findUserById(db, userId);
    if (user && user.default_account_id === null) await usersRepo.updateUser(db, userId, { default_account_id: id }, now());
    return id;
  }

  return {
    async register(profile) {
      const existing = await usersRepo.findUserByTelegramId(db, profile.telegramId);
      let created = false;
      let id: number;
      if (existing) {
        id = existing.id;
        const patch: Record<string, unknown> = {};
        if (profile.username !== undefined && profile.username !== existing.username) patch.username = profile.username;
        if (profile.firstName !== undefined && profile.firstName !== existing.first_name) patch.first_name = profile.firstName;
        if (existing.status === 'inactive') patch.status = 'active';
        if (Object.keys(patch).length) await usersRepo.updateUser(db, id, patch, now());
      } else {
        try {
          const row = await usersRepo.insertUser(db, {
            telegramId: profile.telegramId,
            username: profile.username ?? null,
            firstName: profile.firstName ?? null,
            language: languageFromCode(profile.languageCode),
            now: now(),
          });
          id = row.id;
          created = true;
        } catch (e) {
          // Two first updates of one user at once: the other insert won.
          const again = await usersRepo.findUserByTelegramId(db, profile.telegramId);
          if (!again) throw e;
          id = again.id;
        }
      }
      await ensurePaperAccount(id);
      return { user: await get(id), created };
    },
    async findByTelegramId(telegramId) {
      const row = await usersRepo.findUserByTelegramId(db, telegramId);
      return row ? rowToUser(row) : null;
    },
    get,
    async setLanguage(userId, language) {
      if (!isLanguage(language)) throw new UserError(`unsupported language ${language}`, { details: { language } });
      await usersRepo.updateUser(db, userId, { language }, now());
      return get(userId);
    },
    async markInactive(userId) {
      await usersRepo.updateUser(db, userId, { status: 'inactive' }, now());
    },
    ensurePaperAccount,
  };
}
