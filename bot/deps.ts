/** The services the bot calls. Built by services/app.ts; handlers never build exchange or db objects. */
import type { AccountsService } from '../services/accounts.js';
import type { Logger } from '../services/logger.js';
import type { PortfolioService } from '../services/portfolio.js';
import type { SettingsService } from '../services/settings.js';
import type { SignalInbox } from '../services/signal-inbox.js';
import type { SourcesService } from '../services/sources.js';
import type { StatsService } from '../services/stats.js';
import type { UsersService } from '../services/users.js';

export interface BotDeps {
  log: Logger;
  users: UsersService;
  accounts: AccountsService;
  sources: SourcesService;
  settings: SettingsService;
  stats: StatsService;
  portfolio: PortfolioService;
  signals: SignalInbox;
  clock?: { now(): number };
}
