/**
 * Starts the real bot against the local Bot API emulator, with the real
 * services (in-memory SQLite, Paper exchange on a manual price feed, Bybit
 * through ccxt with intercepted HTTP) and long polling through @grammyjs/runner.
 */
import { run, type RunnerHandle } from '@grammyjs/runner';
import { Writable } from 'node:stream';
import { BotApiEmulator } from '../../bot/sandbox/bot-api-emulator.js';
import { createBot } from '../../bot/create-bot.js';
import { createNotifier } from '../../bot/notifier.js';
import { registerCommands } from '../../bot/i18n.js';
import { createApp, type App } from '../../services/app.js';
import { loadConfig } from '../../services/config.js';
import { createLogger } from '../../services/logger.js';
import { ManualPriceFeed, MemoryPaperStore } from '../../exchanges/paper/index.js';
import { fakeHttp, fixture, type FakeHttp } from '../exchanges/ccxt/fake-http.js';
import { tempDir } from '../helpers/db.js';

export interface Harness {
  emu: BotApiEmulator;
  app: App;
  feed: ManualPriceFeed;
  bybit: FakeHttp;
  /** Every log line, parsed (to check error ids and that no secret is logged). */
  logs: Record<string, unknown>[];
  logText(): string;
  stop(): Promise<void>;
}

/** Per-user flood budget in the harness (per minute). */
export const FLOOD_MAX = 80;

export const BYBIT_KEY = 'TESTKEY000000000';
export const BYBIT_SECRET = 'TESTSECRET0000000000000000000000000';

export function bybitRoutes(): FakeHttp {
  return fakeHttp([
    { method: 'GET', path: '/v5/market/instruments-info', reply: { body: fixture('bybit/instruments-linear.json') } },
    { method: 'GET', path: '/v5/market/instruments-info', when: (r) => r.query.status === 'PreLaunch', reply: { body: fixture('bybit/instruments-prelaunch.json') } },
    { method: 'GET', path: '/v5/user/query-api', reply: { body: fixture('bybit/query-api.json') } },
    { method: 'GET', path: '/v5/account/info', reply: { body: fixture('bybit/account-info.json') } },
    { method: 'GET', path: '/v5/account/wallet-balance', reply: { body: fixture('bybit/wallet-balance.json') } },
  ]);
}

export async function startHarness(): Promise<Harness> {
  const emu = await BotApiEmulator.start({ maxPollMs: 300 });
  const { dir, cleanup } = tempDir('stb-e2e-');
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  const config = loadConfig({
    env: {
      TELEGRAM_BOT_TOKEN: emu.token,
      TELEGRAM_API_ROOT: emu.apiRoot,
      DATABASE_URL: ':memory:',
      DATA_DIR: dir,
      MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
      BYBIT_API_URL: 'http://127.0.0.1:18080',
      LOG_LEVEL: 'debug',
    },
    envFile: null,
  });
  const logger = createLogger({ level: 'debug', destination: sink, secrets: [emu.token] });
  const feed = new ManualPriceFeed();
  feed.set('BTC/USDT', 65_000);
  feed.set('ETH/USDT', 3_000);
  const bybit = bybitRoutes();
  const app = await createApp(config, {
    logger,
    paperFeed: feed,
    paperStore: new MemoryPaperStore(),
    fetchImpl: bybit.fetch,
    notifications: { coalesceMs: 30, perChatIntervalMs: 0 },
    dailySummary: false,
  });
  const fast = { maxConcurrent: 4, minTime: 0 };
  const { bot, i18n } = createBot(config.TELEGRAM_BOT_TOKEN!, app, {
    apiRoot: config.TELEGRAM_API_ROOT,
    throttle: { out: fast, group: fast, global: { reservoir: 1000, reservoirRefreshAmount: 1000, reservoirRefreshInterval: 1000 } },
    autoRetry: { maxRetryAttempts: 3, maxDelaySeconds: 2 },
    flood: { max: FLOOD_MAX, windowMs: 60_000 },
  });
  const notifier = createNotifier({ api: bot.api, i18n, users: app.users, log: app.log });
  app.setNotificationSink(notifier.sink);
  app.daily.setDelivery(notifier.sendDaily);
  await bot.init();
  await registerCommands(bot.api, i18n);
  const runner: RunnerHandle = run(bot, { runner: { fetch: { allowed_updates: ['message', 'edited_message', 'callback_query', 'channel_post', 'edited_channel_post', 'my_chat_member'] } } });
  return {
    emu,
    app,
    feed,
    bybit,
    get logs() {
      return lines.map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return { raw: l };
        }
      });
    },
    logText: () => lines.join('\n'),
    async stop() {
      await runner.stop();
      await app.close();
      await emu.close();
      cleanup();
    },
  };
}
