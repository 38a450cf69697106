import type { Context } from 'grammy';
import type { I18nFlavor } from '@grammyjs/i18n';
import type { Logger } from '../services/logger.js';
import type { User } from '../services/users.js';

export interface ContextExtras {
  /** Child logger with { updateId, userId }. Never log message texts or whole updates. */
  log: Logger;
  /** The registered user in a private chat (null in channels, or before registration). */
  user: User | null;
}

export type BotContext = Context & I18nFlavor & ContextExtras;
