/** The services the bot calls. Built by services/app.ts; handlers never build exchange or db objects. */
import type { AccessService } from '../services/access.js';
import type { AccountsService } from '../services/accounts.js';
import type { AdminService, ErrorRing } from '../services/admin.js';
import type { Broadcaster } from '../services/broadcast.js';
import type { EntryGate } from '../services/entry-gate.js';
import type { GridService } from '../services/grid/service.js';
import type { LicensesService } from '../services/licenses.js';
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
  grid: GridService;
  // Access and administration.
  access: AccessService;
  licenses: LicensesService;
  gate: EntryGate;
  admin: AdminService;
  broadcaster: Broadcaster;
  /** Where handler errors are recorded with their error id (the admin health page lists them). */
  errors: Pick<ErrorRing, 'recordError'>;
  clock?: { now(): number };
}
