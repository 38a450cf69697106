/**
 * The composition root of everything below bot/: logger, database, key vault,
 * exchange registry (Paper with a persistent store, Bybit and HyperLiquid
 * through ccxt with URL overrides), and every service. bot/main.ts calls it.
 */
import path from 'node:path';
import { openAndMigrate, sources as sourcesRepo, trades as tradesRepo, signals as signalsRepo, users as usersRepo, type Db } from '../db/index.js';
import { createExchangeRegistry, systemClock, type AccountRef, type AdapterFactory, type Clock, type ExchangeRegistry } from '../exchanges/index.js';
import { ccxtAdapterFactories, type FetchLike } from '../exchanges/ccxt/index.js';
import { createPaperAdapter, FilePaperStore, SimulatedPriceFeed, type PaperStore, type PriceFeed } from '../exchanges/paper/index.js';
import { ExchangeError, UserError } from '../models/errors.js';
import type { SignalParse } from '../models/signal.js';
import { createAccountsService, type AccountsService } from './accounts.js';
import type { Config } from './config.js';
import { loadCredentials } from './credentials.js';
import { createDailySummaryJob, type DailySummaryJob } from './daily-summary.js';
import { clientOrderId, newTraceId } from './ids.js';
import { createKeyVault, loadMasterKeys, type KeyVault } from './key-vault.js';
import { createKeyedLock, userLockKey } from './locks.js';
import { createLogger, type Logger } from './logger.js';
import { createNotificationQueue, type NotificationQueue, type NotificationSink } from './notifications.js';
import { createPortfolioService, NoPosition, type PortfolioService, type TradingPort } from './portfolio.js';
import { createSettingsService, type SettingsService } from './settings.js';
import { createSignalInbox, type SignalInbox, type SignalPort } from './signal-inbox.js';
import { parseSignal } from './signals/parser.js';
import { createSignalRouter } from './signals/router.js';
import { createSourcesService, type SourcesService } from './sources.js';
import { createStatsService, type StatsService } from './stats.js';
import { accountState as _accountState, prepareForUser, runForUser, settingsFor, SharedQuotes } from './trading/fanout.js';
import { summarize } from './trading/plan.js';
import { createTradingService, type TradingService } from './trading/service.js';
import { createUsersService, type UsersService } from './users.js';

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
  /** Start the daily summary cron job (default true). */
  dailySummary?: boolean;
}

export interface App {
  config: Config;
  log: Logger;
  db: Db;
  vault: KeyVault;
  registry: ExchangeRegistry;
  notifications: NotificationQueue;
  /** bot/ sets the sink that renders and sends notifications. */
  setNotificationSink(sink: NotificationSink): void;
  users: UsersService;
  accounts: AccountsService;
  sources: SourcesService;
  settings: SettingsService;
  stats: StatsService;
  portfolio: PortfolioService;
  signals: SignalInbox;
  trading: TradingService;
  daily: DailySummaryJob;
  clock: Clock;
  close(): Promise<void>;
}

/** A trading action the exchange or the trade state refused. */
export class ActionFailed extends ExchangeError {}

export class PlanRefused extends UserError {
  override readonly code = 'plan-refused';
}

export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const clock = options.clock ?? systemClock;
  const log =
    options.logger ??
    createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT, secrets: [config.TELEGRAM_BOT_TOKEN ?? '', config.MASTER_KEY ?? ''].filter(Boolean) });
  const db = await openAndMigrate({ url: config.DATABASE_URL });
  const keys = await loadMasterKeys({ masterKey: config.MASTER_KEY, dataDir: config.DATA_DIR, log });
  const vault = await createKeyVault(keys.primary, keys.others);

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
    clock,
  });

  // Notifications: services enqueue, bot/ renders and sends.
  let sink: NotificationSink | null = null;
  const notifications = createNotificationQueue({
    send: async (userId, events) => {
      if (!sink) {
        log.warn({ userId, events: events.length }, 'no notification sink: events dropped');
        return;
      }
      await sink(userId, events);
    },
    clock,
    log,
    ...(options.notifications?.coalesceMs !== undefined ? { coalesceMs: options.notifications.coalesceMs } : {}),
    ...(options.notifications?.perChatIntervalMs !== undefined ? { perChatIntervalMs: options.notifications.perChatIntervalMs } : {}),
  });

  const locks = createKeyedLock();
  const settings = createSettingsService({ db, clock });
  const trading = createTradingService({ db, exchanges: registry, notifier: notifications, log, clock, locks, settings });
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

  async function openTradeOf(userId: number, accountId: number, symbol: string) {
    const open = await tradesRepo.listOpenTrades(db, { userId, accountId, symbol });
    return open[open.length - 1] ?? null;
  }

  const tradingPort: TradingPort = {
    async closePosition({ userId, accountId, symbol, fraction }) {
      const trade = await openTradeOf(userId, accountId, symbol);
      const account = await accounts.get(userId, accountId);
      const client = await registry.client(accounts.refOf(account));
      const before = (await client.fetchPositions([symbol])).find((p) => p.symbol === symbol && p.quantity > 0);
      if (!trade) {
        // A position the bot does not track (opened by hand on the exchange).
        if (!before) throw new NoPosition(`no open position in ${symbol}`, { details: { symbol } });
        const qty = fraction >= 1 ? undefined : await client.precision.roundQty(symbol, before.quantity * fraction);
        const order = await locks.run(userLockKey(userId), () =>
          client.closePosition(symbol, before.side, { ...(qty !== undefined ? { quantity: qty } : {}), clientOrderId: clientOrderId(`x${accountId}:${symbol}:${clock.now()}`, userId, 'close') }),
        );
        return { symbol, side: before.side, quantity: order.filled || (qty ?? before.quantity), exitPrice: order.averagePrice, realizedPnl: null };
      }
      const r = await trading.closeTrade(userId, trade.id, fraction);
      if (!r.ok) {
        if (r.reason === 'not-open') throw new NoPosition(`trade ${trade.id} is not open`, { details: { symbol } });
        throw new ActionFailed(`close failed: ${r.reason}`, { operation: 'close', details: { code: r.code ?? r.reason } });
      }
      const after = await tradesRepo.findTrade(db, trade.id);
      const closed = after?.status === 'closed';
      return {
        symbol,
        side: trade.side as 'long' | 'short',
        quantity: before ? (fraction >= 1 ? before.quantity : before.quantity * fraction) : Number(trade.quantity),
        exitPrice: (await client.fetchTicker(symbol).catch(() => null))?.last ?? null,
        realizedPnl: closed ? Number(after.realized_pnl) : null,
      };
    },
    async moveStopToBreakeven({ userId, accountId, symbol }) {
      const trade = await openTradeOf(userId, accountId, symbol);
      if (!trade) throw new NoPosition(`no tracked trade in ${symbol}`, { details: { symbol } });
      const r = await trading.moveStop(userId, trade.id, { breakeven: true });
      if (!r.ok) throw new ActionFailed(`move stop failed: ${r.reason}`, { operation: 'moveStop', details: { code: r.code ?? r.reason } });
      const after = await tradesRepo.findTrade(db, trade.id);
      return { stopLoss: Number(after?.stop_loss ?? after?.entry_price ?? 0) };
    },
    async previewManual(draft) {
      const global = await settings.getGlobal(draft.userId);
      let s = { ...global, entryMode: 'signal' as const, maxSignalAgeSec: 0 };
      if (draft.margin !== undefined) s = { ...s, sizeMode: 'fixed', sizeValue: draft.margin };
      if (draft.leverage !== undefined) s = { ...s, leverageMode: 'fixed', leverage: draft.leverage };
      const r = await prepareForUser(trading.deps, { userId: draft.userId, accountId: draft.accountId, settings: s, signal: manualSignal(draft), signalAt: null }, new SharedQuotes());
      if (!r.ok) throw new PlanRefused(`plan refused: ${r.reason}`, { details: { reason: r.reason } });
      return summarize(r.value.plan);
    },
    async openManual(draft) {
      const r = await trading.openManual({
        userId: draft.userId,
        accountId: draft.accountId,
        symbol: draft.symbol,
        side: draft.side,
        entryType: 'market',
        ...(draft.margin !== undefined ? { marginUsdt: draft.margin } : {}),
        ...(draft.leverage !== undefined ? { leverage: draft.leverage } : {}),
        ...(draft.stopLoss !== undefined ? { stopLoss: draft.stopLoss } : {}),
      });
      if (!r.ok) throw new PlanRefused(`manual trade refused: ${r.reason}`, { details: { reason: r.reason } });
      return { tradeId: r.tradeId };
    },
  };
  const portfolio = createPortfolioService({ accounts, registry, trading: tradingPort, log });

  async function forwardedSource(userId: number, sourceId: number | null) {
    if (sourceId !== null) return (await sourcesRepo.findSource(db, sourceId)) ?? null;
    return sourcesRepo.upsertSource(db, { kind: 'forwarded', chatId: `user:${userId}`, title: 'Forwarded', addedBy: userId, visibility: 'private', now: clock.now() });
  }

  const signalPort: SignalPort = {
    parse: parseSignal,
    async channelPost(source, post) {
      await router.handleMessage({
        sourceId: source.id,
        messageId: String(post.messageId),
        text: post.text,
        replyToMessageId: post.replyToMessageId == null ? null : String(post.replyToMessageId),
        postedAt: post.postedAt,
        edited: post.edited,
      });
    },
    async preview({ userId, sourceId, signal }) {
      const source = sourceId === null ? null : ((await sourcesRepo.findSource(db, sourceId)) ?? null);
      const sub = sourceId === null ? undefined : await sourcesRepo.findSubscription(db, userId, sourceId);
      const s = { ...(await settingsFor(trading.deps, userId, source, sub?.overrides ?? null)), maxSignalAgeSec: 0 };
      const user = await usersRepo.findUserById(db, userId);
      const r = await prepareForUser(trading.deps, { userId, accountId: sub?.account_id ?? user?.default_account_id ?? null, settings: s, signal, signalAt: null }, new SharedQuotes());
      return r.ok ? { ok: true, plan: summarize(r.value.plan) } : { ok: false, reason: r.reason, details: r.details };
    },
    async executeParsed({ userId, sourceId, signal, messageKey }) {
      const source = await forwardedSource(userId, sourceId);
      if (!source) throw new UserError('source vanished');
      const stored = await signalsRepo.insertSignalOnce(db, {
        sourceId: source.id,
        messageId: messageKey,
        rawText: '',
        parseResult: JSON.stringify(signal),
        kind: 'signal',
        status: 'received',
        traceId: newTraceId(),
        now: clock.now(),
      });
      const sub = await sourcesRepo.findSubscription(db, userId, source.id);
      const user = await usersRepo.findUserById(db, userId);
      // Forwarded: the age of the forward, not of the original post.
      const row = { ...stored.row, received_at: clock.now() };
      const out = await locks.run(userLockKey(userId), () =>
        runForUser(trading.deps, row, signal as SignalParse, source, { userId, mode: 'auto', accountId: sub?.account_id ?? user?.default_account_id ?? null, overrides: sub?.overrides ?? '{}' }, new SharedQuotes(), true),
      );
      return outcomeTrade(out);
    },
    async executeStored({ userId, signalId }) {
      return outcomeTrade(await trading.executeConfirmed(signalId, userId));
    },
    ignoreStored: ({ userId, signalId }) => trading.skip(signalId, userId),
  };
  const signals = createSignalInbox({ port: signalPort, sources, log, clock });

  const daily = createDailySummaryJob({ users, stats, settings, log, clock, listActiveUsers: async () => (await usersRepo.listUsers(db, { status: 'active' })).map((u) => u.id) });
  if (options.dailySummary !== false) daily.start();

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
    daily,
    clock,
    async close() {
      daily.stop();
      notifications.stop();
      if (ownFeed) (feed as SimulatedPriceFeed).stop();
      await registry.close();
      await db.destroy();
    },
  };
}

function manualSignal(d: { symbol: string; side: 'long' | 'short'; stopLoss?: number | null; leverage?: number }): SignalParse {
  return {
    kind: 'signal',
    symbol: d.symbol,
    side: d.side,
    entries: [],
    entryMarket: true,
    entryTrigger: null,
    takeProfits: null,
    takeProfitPercents: null,
    stopLoss: d.stopLoss ?? null,
    leverage: d.leverage ?? null,
    marginMode: null,
    warnings: [],
  };
}

function outcomeTrade(out: Awaited<ReturnType<TradingService['executeConfirmed']>>): { tradeId: number } {
  if (out.status === 'opened' || out.status === 'placed' || out.status === 'duplicate') return { tradeId: out.tradeId };
  if (out.status === 'refused' || out.status === 'failed') throw new PlanRefused(`signal not executed: ${out.reason}`, { details: { reason: out.reason } });
  throw new PlanRefused('signal not executed', { details: { reason: 'exchange-error' } });
}
