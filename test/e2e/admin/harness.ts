/**
 * The e2e harness for access and admin: the real app (createApp) and the
 * real bot (createBot) against the local Bot API emulator, with the access
 * gate and the admin feature placed BEFORE the bot's registration and
 * features — the order the composition root must use (see the report).
 * createBot has no hook for extra Composers yet, so an outer Bot runs them
 * and then the created bot's middleware.
 */
import { run, type RunnerHandle } from '@grammyjs/runner';
import { Bot } from 'grammy';
import { Writable } from 'node:stream';
import { BotApiEmulator } from '../../../bot/sandbox/bot-api-emulator.js';
import { createBot } from '../../../bot/create-bot.js';
import type { BotContext } from '../../../bot/context.js';
import { createNotifier } from '../../../bot/notifier.js';
import { createAccessFeature } from '../../../bot/features/access.js';
import { adminAlertSink, createAdminFeature, licenseNoticeSink } from '../../../bot/features/admin.js';
import { createAdminServices, type AdminServices } from '../../../services/admin-services.js';
import { createApp, type App } from '../../../services/app.js';
import { loadConfig } from '../../../services/config.js';
import { createLogger } from '../../../services/logger.js';
import { ManualPriceFeed, MemoryPaperStore } from '../../../exchanges/paper/index.js';
import { tempDir } from '../../helpers/db.js';

export const ADMIN_ID = 9001;

export interface AdminHarness {
  emu: BotApiEmulator;
  app: App;
  svc: AdminServices;
  feed: ManualPriceFeed;
  stop(): Promise<void>;
}

export async function startAdminHarness(options: { access?: 'open' | 'invite'; broadcastPerSecond?: number } = {}): Promise<AdminHarness> {
  const emu = await BotApiEmulator.start({ maxPollMs: 300 });
  const { dir, cleanup } = tempDir('stb-e2e-admin-');
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const config = loadConfig({
    env: {
      TELEGRAM_BOT_TOKEN: emu.token,
      TELEGRAM_API_ROOT: emu.apiRoot,
      DATABASE_URL: ':memory:',
      DATA_DIR: dir,
      MASTER_KEY: Buffer.alloc(32, 9).toString('base64'),
      ADMIN_IDS: String(ADMIN_ID),
      ACCESS: options.access ?? 'invite',
      LOG_LEVEL: 'warn',
    },
    envFile: null,
  });
  const logger = createLogger({ level: 'warn', destination: sink, secrets: [emu.token] });
  const feed = new ManualPriceFeed();
  feed.set('BTC/USDT', 65_000);
  feed.set('ETH/USDT', 3_000);
  const app = await createApp(config, { logger, paperFeed: feed, paperStore: new MemoryPaperStore(), notifications: { coalesceMs: 30, perChatIntervalMs: 0 }, dailySummary: false });
  const svc = createAdminServices({
    db: app.db,
    mode: config.ACCESS,
    adminIds: config.ADMIN_IDS,
    log: app.log,
    exchangeHealth: () => app.registry.health(),
    ...(options.broadcastPerSecond ? { broadcastPerSecond: options.broadcastPerSecond } : {}),
  });

  // The entry gate in front of the signal fan-out (what the trading service must do per user).
  const handleSignal = app.trading.handleSignal.bind(app.trading);
  app.trading.handleSignal = async (signalId) => {
    if ((await svc.gate.killSwitch()).on) return { signalId, users: 0, outcomes: [] };
    return handleSignal(signalId);
  };

  const fast = { maxConcurrent: 4, minTime: 0 };
  const created = createBot(config.TELEGRAM_BOT_TOKEN!, app, {
    apiRoot: config.TELEGRAM_API_ROOT,
    throttle: { out: fast, group: fast, global: { reservoir: 1000, reservoirRefreshAmount: 1000, reservoirRefreshInterval: 1000 } },
    autoRetry: false,
  });
  const notifier = createNotifier({ api: created.bot.api, i18n: created.i18n, users: app.users, log: app.log });
  app.setNotificationSink(notifier.sink);
  await created.bot.init();

  const outer = new Bot<BotContext>(config.TELEGRAM_BOT_TOKEN!, { botInfo: created.bot.botInfo, client: { apiRoot: config.TELEGRAM_API_ROOT } });
  outer.api.config.use((prev, method, payload, signal) => {
    if ((method === 'sendMessage' || method === 'editMessageText') && payload && !('parse_mode' in payload)) {
      payload = { ...payload, parse_mode: 'HTML', link_preview_options: { is_disabled: true } } as typeof payload;
    }
    return prev(method, payload, signal);
  });
  outer.use(async (ctx, next) => {
    ctx.log = app.log.child({ updateId: ctx.update.update_id });
    ctx.user = null;
    await next();
  });
  outer.use(createAccessFeature({ access: svc.access, licenses: svc.licenses, users: app.users, i18n: created.i18n }));
  outer.use(createAdminFeature({ ...svc, users: app.users, i18n: created.i18n, log: app.log }));
  outer.use(created.bot);
  outer.catch((err) => app.log.error({ err: err.error instanceof Error ? err.error.message : String(err.error) }, 'outer bot error'));
  svc.setLicenseSink(licenseNoticeSink({ api: outer.api, i18n: created.i18n, users: app.users, log: app.log }));
  svc.setAlertSink(adminAlertSink({ api: outer.api, i18n: created.i18n, access: svc.access, users: app.users, log: app.log }));

  const runner: RunnerHandle = run(outer, { runner: { fetch: { allowed_updates: ['message', 'edited_message', 'callback_query', 'channel_post', 'edited_channel_post', 'my_chat_member'] } } });
  return {
    emu,
    app,
    svc,
    feed,
    async stop() {
      await runner.stop();
      await app.close();
      await emu.close();
      cleanup();
    },
  };
}
