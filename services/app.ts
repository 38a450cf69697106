/**
 * The composition root of everything below bot/: logger, database, key vault,
 * exchange registry (Paper with a persistent store, Bybit and HyperLiquid
 * through ccxt with URL overrides), and every service: users, accounts,
 * sources, settings, stats, portfolio, the signal inbox, trading (behind the
 * entry gate), grid bots, access/licenses/admin/broadcast/alerts, the
 * notification queue and the background jobs. bot/start.ts calls it.
 *
 * createApp builds everything and starts nothing; `start()` starts the
 * background work (reconciliation + tracking jobs, the grid loop, the license
 * job, the daily summary, the restart alert) and `close()` stops it all,
 * waits for what is in flight, flushes Paper and closes the database. The
 * TradingPort / SignalPort adapters it hands to the portfolio service and
 * the signal inbox are in app-ports.ts.
 */
import path from 'node:path';
import { openAndMigrate, users as usersRepo, type Db } from '../db/index.js';
import { createExchangeRegistry, systemClock, type AccountRef, type AdapterFactory, type Clock, type ExchangeRegistry } from '../exchanges/index.js';
import { ccxtAdapterFactories, type FetchLike } from '../exchanges/ccxt/index.js';
import { createPaperAdapter, FilePaperStore, SimulatedPriceFeed, type PaperStore, type PriceFeed } from '../exchanges/paper/index.js';
import { UserError } from '../models/errors.js';
import type { ExchangeId } from '../models/index.js';
import { createAccountsService, type AccountsService } from './accounts.js';
import { createSignalPort, createTradingPort } from './app-ports.js';
import type { AccessService } from './access.js';
import { createAdminServices, type AdminServices } from './admin-services.js';
import type { AdminService, ErrorRing } from './admin.js';
import type { Alerts, AlertSink } from './alerts.js';
import type { Broadcaster } from './broadcast.js';
import type { EntryGate } from './entry-gate.js';
import type { GridNotification, GridNotifier } from './grid/events.js';
import { createGridService, startGridLoop, type GridService } from './grid/service.js';
import { createJobs, type Jobs, type Scheduler, type TrackSchedule } from './jobs.js';
import type { LicenseEvent, LicensesService } from './licenses.js';
import type { SourceOwnerService } from './source-owner.js';
import type { Config } from './config.js';
import { loadCredentials } from './credentials.js';
import { createDailySummaryJob, type DailySummaryJob } from './daily-summary.js';
import { createKeyVault, loadMasterKeys, type KeyVault } from './key-vault.js';
import { createKeyedLock } from './locks.js';
import { createLogger, type Logger } from './logger.js';
import { createNotificationQueue, type NotificationQueue, type Notifier, type TradingEvent } from './notifications.js';
import { createPortfolioService, type PortfolioService, type TradingPort } from './portfolio.js';
import { createSettingsService, type SettingsService } from './settings.js';
import { createSignalInbox, type SignalInbox, type SignalPort } from './signal-inbox.js';
import { parseSignal } from './signals/parser.js';
import { createSignalRouter } from './signals/router.js';
import { createSourcesService, type SourcesService } from './sources.js';
import { createStatsService, type StatsService } from './stats.js';
import { accountState as _accountState } from './trading/fanout.js';
import { createTradingService, type TradingService } from './trading/service.js';
import { createUsersService, type UsersService } from './users.js';

export { ActionFailed, PlanRefused } from './app-ports.js';

void _accountState;

export interface AppOptions {
  logger?: Logger;
  clock?: Clock;
  /** Price feed shared by every Paper account (default: a simulated feed, stepping every 2 s). */
  paperFeed?: PriceFeed;
  /** Where Paper accounts live (default DATA_DIR/paper). */
  paperStore?: PaperStore;
  paperStartingBalance?: number;
  /** HTTP seam for the ccxt adapters (tests). */
  fetchImpl?: FetchLike;
  /** Notification queue timing (tests use short delays). */
  notifications?: { coalesceMs?: number; perChatIntervalMs?: number };
  /** Start the daily summary cron job in start() (default true). */
  dailySummary?: boolean;
  /** Reconciliation + tracking jobs started by start() (default on, node-cron); a scheduler lets tests drive the ticks. */
  jobs?: false | { scheduler?: Scheduler; reconcileEvery?: string; trackSchedules?: readonly TrackSchedule[] };
  /** The grid polling loop started by start(): interval in ms (default 5 000), or false for none. */
  gridLoopMs?: number | false;
  /** The license reminder job started by start(): a cron expression (default every 10 minutes), or false for none. */
  licenseJob?: string | false;
  /** Alert the admins that the process (re)started, in start() (default true). */
  restartAlert?: boolean;
}

/** Everything the outgoing notification queue carries: trading events and grid notifications. */
export type AppEvent = TradingEvent | GridNotification;

/** bot/ implements this: render one user's burst of events as one message and send it. */
export type AppNotificationSink = (userId: number, events: AppEvent[]) => Promise<void>;

export const isGridNotification = (e: AppEvent): e is GridNotification => e.type.startsWith('grid-');

export interface App {
  config: Config;
  log: Logger;
  db: Db;
  vault: KeyVault;
  registry: ExchangeRegistry;
  notifications: NotificationQueue;
  /** bot/ sets the sink that renders and sends notifications (trading events and grid notifications). */
  setNotificationSink(sink: AppNotificationSink): void;
  users: UsersService;
  accounts: AccountsService;
  sources: SourcesService;
  settings: SettingsService;
  stats: StatsService;
  portfolio: PortfolioService;
  signals: SignalInbox;
  trading: TradingService;
  grid: GridService;
  daily: DailySummaryJob;
  jobs: Jobs;
  // Access and administration (services/admin-services.ts).
  access: AccessService;
  licenses: LicensesService;
  gate: EntryGate;
  admin: AdminService;
  broadcaster: Broadcaster;
  alerts: Alerts;
  errors: ErrorRing;
  sourceOwner: SourceOwnerService;
  /** bot/ sets where license notices and admin alerts go. */
  setLicenseSink(sink: (event: LicenseEvent) => void): void;
  setAlertSink(sink: AlertSink): void;
  clock: Clock;
  /**
   * Starts the background work: start-up reconciliation then the periodic
   * reconciliation and tracking jobs, the grid loop (its first pass reconciles
   * every grid bot), the license job, the daily summary, and the restart alert
   * to admins. Call once, after the bot has set its sinks.
   */
  start(): Promise<void>;
  /** Stops the background work and waits for the pass in flight (close() does this first). Idempotent. */
  stopBackground(): Promise<void>;
  /** Stops the background work, waits for what is running, flushes Paper and closes the database. Idempotent. */
  close(): Promise<void>;
}

export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const clock = options.clock ?? systemClock;
  const startedAt = clock.now();
  const log =
    options.logger ??
    createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT, secrets: [config.TELEGRAM_BOT_TOKEN ?? '', config.MASTER_KEY ?? '', config.WEBHOOK_SECRET ?? ''].filter(Boolean) });
  const db = await openAndMigrate({ url: config.DATABASE_URL });
  const keys = await loadMasterKeys({ masterKey: config.MASTER_KEY, dataDir: config.DATA_DIR, log });
  const vault = await createKeyVault(keys.primary, keys.others);

  // Access, licenses, the entry gate, admin reads, broadcasts, alerts (the registry's health is read lazily).
  let registryRef: ExchangeRegistry | null = null;
  const adminSvc: AdminServices = createAdminServices({
    db,
    mode: config.ACCESS,
    adminIds: config.ADMIN_IDS,
    licenseRequired: config.LICENSE_REQUIRED,
    broadcastPerSecond: config.BROADCAST_PER_SECOND,
    clock,
    log,
    startedAt,
    exchangeHealth: () => registryRef!.health(),
  });
  const { alerts, gate } = adminSvc;

  // Exchanges.
  const feed = options.paperFeed ?? new SimulatedPriceFeed({ seed: 'paper' });
  const ownFeed = !options.paperFeed;
  if (ownFeed) (feed as SimulatedPriceFeed).start(2_000);
  const paperStore = options.paperStore ?? new FilePaperStore(path.resolve(config.DATA_DIR, 'paper'));
  const ccxtFactories = ccxtAdapterFactories({
    ...(config.BYBIT_API_URL ? { bybitApiUrl: config.BYBIT_API_URL } : {}),
    ...(config.HYPERLIQUID_API_URL ? { hyperliquidApiUrl: config.HYPERLIQUID_API_URL } : {}),
    ...(options.fetchImpl ? { fetchImpl: options.fetchImpl } : {}),
    log,
  });
  const paperFactory: AdapterFactory = (ref) =>
    createPaperAdapter({ accountId: ref.accountId, store: paperStore, feed, ...(options.paperStartingBalance ? { startingBalance: options.paperStartingBalance } : {}) });
  const registry = createExchangeRegistry({
    factories: { paper: paperFactory, bybit: ccxtFactories.bybit, hyperliquid: ccxtFactories.hyperliquid },
    loadCredentials: (ref: AccountRef) => loadCredentials(db, vault, Number(ref.accountId)),
    // Repeated failures of one account raise an admin alert.
    observer: (e) => alerts.observer(e),
    clock,
  });
  registryRef = registry;
  const unsubscribeBreakers = registry.onBreakerChange((e) => alerts.onBreakerChange(e));

  // Notifications: services enqueue, bot/ renders and sends. Grid notifications ride the same
  // queue (one coalesced message per user burst, one per-chat pace); the queue looks at userId only.
  let sink: AppNotificationSink | null = null;
  const notifications = createNotificationQueue({
    send: async (userId, events) => {
      if (!sink) {
        log.warn({ userId, events: events.length }, 'no notification sink: events dropped');
        return;
      }
      await sink(userId, events as AppEvent[]);
    },
    clock,
    log,
    ...(options.notifications?.coalesceMs !== undefined ? { coalesceMs: options.notifications.coalesceMs } : {}),
    ...(options.notifications?.perChatIntervalMs !== undefined ? { perChatIntervalMs: options.notifications.perChatIntervalMs } : {}),
  });
  /** Trading events: to the user, and to the admin alerts (reconciliation discrepancies). */
  const tradingNotifier: Notifier = {
    notify(event) {
      notifications.notify(event);
      try {
        alerts.onTradingEvent(event);
      } catch (e) {
        log.warn({ err: e instanceof Error ? e.message : String(e) }, 'alerts: trading event failed');
      }
    },
  };
  const gridNotifier: GridNotifier = { notify: (event) => notifications.notify(event as unknown as TradingEvent) };

  const locks = createKeyedLock();
  const settings = createSettingsService({ db, clock });
  const trading = createTradingService({ db, exchanges: registry, notifier: tradingNotifier, log, clock, locks, settings, entryGate: gate });
  const grid = createGridService({ db, exchanges: registry, notifier: gridNotifier, log, clock, locks, entryGate: gate });
  const router = createSignalRouter({ db, trading, log, parse: parseSignal, clock });
  const users = createUsersService({ db, vault, clock });
  const accounts = createAccountsService({
    db,
    vault,
    probe: (ref, credentials) => {
      const f = ref.exchange === 'bybit' ? ccxtFactories.bybit : ref.exchange === 'hyperliquid' ? ccxtFactories.hyperliquid : null;
      if (!f) throw new UserError(`cannot connect ${ref.exchange} with keys`);
      return f(ref, credentials);
    },
    invalidate: (id) => registry.invalidate(id),
    log,
    clock,
  });
  const sources = createSourcesService({ db, log, clock });
  const stats = createStatsService({ db, clock });

  const tradingPort: TradingPort = createTradingPort({ db, clock, registry, accounts, settings, trading, locks });
  const portfolio = createPortfolioService({ accounts, registry, trading: tradingPort, log });

  const signalPort: SignalPort = createSignalPort({ db, clock, trading, locks, router });
  const signals = createSignalInbox({ port: signalPort, sources, log, clock });

  const daily = createDailySummaryJob({ users, stats, settings, log, clock, listActiveUsers: async () => (await usersRepo.listUsers(db, { status: 'active' })).map((u) => u.id) });

  let closing = false;
  // Background work. Every pass is tracked so close() can wait for the one in flight.
  const inflight = new Set<Promise<unknown>>();
  const tracked =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      const p = fn(...args);
      inflight.add(p);
      void p.then(
        () => inflight.delete(p),
        () => inflight.delete(p),
      );
      return p;
    };
  const jobsOptions = options.jobs === false ? null : (options.jobs ?? {});
  const jobs = createJobs({
    log,
    reconcile: tracked((o: { startup: boolean }) => trading.reconcile(o)),
    // The live tracking loop: per account one read of open orders and positions, open trades advanced.
    track: tracked((filter: { exchanges: ExchangeId[] }) => trading.trackOpen(filter)),
    ...(jobsOptions?.scheduler ? { scheduler: jobsOptions.scheduler } : {}),
    ...(jobsOptions?.reconcileEvery ? { reconcileEvery: jobsOptions.reconcileEvery } : {}),
    ...(jobsOptions?.trackSchedules ? { trackSchedules: jobsOptions.trackSchedules } : {}),
  });
  const gridForLoop: GridService = { ...grid, tickAll: tracked(() => grid.tickAll()) };
  let gridLoop: { stop(): void } | null = null;
  let stopLicenseJob: (() => void) | null = null;
  let started = false;
  let closed: Promise<void> | null = null;
  const stopBackground = async (): Promise<void> => {
    closing = true;
    jobs.stop();
    gridLoop?.stop();
    stopLicenseJob?.();
    daily.stop();
    // A pass that is running finishes before the exchanges and the database go away.
    await Promise.allSettled([...inflight]);
  };

  return {
    config,
    log,
    db,
    vault,
    registry,
    notifications,
    setNotificationSink(s) {
      sink = s;
    },
    users,
    accounts,
    sources,
    settings,
    stats,
    portfolio,
    signals,
    trading,
    grid,
    daily,
    jobs,
    access: adminSvc.access,
    licenses: adminSvc.licenses,
    gate,
    admin: adminSvc.admin,
    broadcaster: adminSvc.broadcaster,
    alerts,
    errors: adminSvc.errors,
    sourceOwner: adminSvc.sourceOwner,
    setLicenseSink: adminSvc.setLicenseSink,
    setAlertSink: adminSvc.setAlertSink,
    clock,
    async start() {
      if (started || closing) return;
      started = true;
      if (options.restartAlert !== false) await alerts.processStarted().catch((e: unknown) => log.warn({ err: e instanceof Error ? e.message : String(e) }, 'could not record the process start'));
      // Start-up reconciliation first (trades), then the schedules; the grid loop's first pass reconciles every grid bot.
      if (jobsOptions) await jobs.start();
      if (closing) return;
      if (options.gridLoopMs !== false) gridLoop = startGridLoop(gridForLoop, { intervalMs: options.gridLoopMs ?? 5_000, log });
      if (options.licenseJob !== false) stopLicenseJob = adminSvc.licenses.schedule(options.licenseJob);
      if (options.dailySummary !== false) daily.start();
      log.info({ jobs: !!jobsOptions, gridLoop: options.gridLoopMs !== false, licenseJob: options.licenseJob !== false, dailySummary: options.dailySummary !== false }, 'background jobs started');
    },
    stopBackground,
    close() {
      closed ??= (async () => {
        await stopBackground();
        unsubscribeBreakers();
        notifications.stop();
        if (ownFeed) (feed as SimulatedPriceFeed).stop();
        await registry.close();
        await db.destroy();
      })();
      return closed;
    },
  };
}
