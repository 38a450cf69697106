/**
 * Starts the real product against the local Bot API emulator: the real
 * services (createApp: in-memory SQLite, Paper exchange on a manual price
 * feed, Bybit through ccxt with intercepted HTTP) and the real start-up
 * (startBot from bot/start.ts: createBot with the access gate and admin
 * features, every sink, setMyCommands, app.start() with the jobs, the grid
 * loop and the license job, long polling through @grammyjs/runner) — the
 * same wiring as `npm start`, with faster timings.
 *
 * The reconciliation / tracking jobs get a manual scheduler: `runJobs()`
 * runs one scheduled tick of each, so tests decide when tracking happens.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { BotApiEmulator } from '../../bot/sandbox/bot-api-emulator.js';
import { startBot, type StartedBot } from '../../bot/start.js';
import { createApp, type App } from '../../services/app.js';
import { loadConfig } from '../../services/config.js';
import type { Scheduler } from '../../services/jobs.js';
import { createLogger } from '../../services/logger.js';
import { ManualPriceFeed, MemoryPaperStore } from '../../exchanges/paper/index.js';
import { fakeHttp, fixture, type FakeHttp } from '../exchanges/ccxt/fake-http.js';
import { tempDir } from '../helpers/db.js';

export interface Harness {
  emu: BotApiEmulator;
  app: App;
  started: StartedBot;
  feed: ManualPriceFeed;
  bybit: FakeHttp;
  /** Every log line, parsed (to check error ids and that no secret is logged). */
  logs: Record<string, unknown>[];
  logText(): string;
  /** Runs one tick of every scheduled job (reconciliation, tracking) and waits for it. */
  runJobs(): Promise<void>;
  /** Cron expressions the app scheduled through the jobs scheduler. */
  scheduled: string[];
  /** Webhook mode: where the bot's webhook server listens, and its secret. */
  webhook: HarnessWebhook | null;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  access?: 'open' | 'invite';
  adminIds?: number[];
  licenseRequired?: boolean;
  broadcastPerSecond?: number;
  /** Per-user flood budget per minute (default FLOOD_MAX). */
  floodMax?: number;
  logLevel?: 'debug' | 'info' | 'warn';
  /** Webhook mode (BOT_MODE=webhook on a free local port; the emulator POSTs updates with the secret). */
  webhook?: boolean;
}

export interface HarnessWebhook {
  url: string;
  secret: string;
  port: number;
}

/** A free TCP port on 127.0.0.1 (for the webhook server). */
async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
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

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const emu = await BotApiEmulator.start({ maxPollMs: 300 });
  const { dir, cleanup } = tempDir('stb-e2e-');
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  const level = options.logLevel ?? 'debug';
  let webhook: HarnessWebhook | null = null;
  if (options.webhook) {
    const port = await freePort();
    webhook = { port, url: `http://127.0.0.1:${port}/telegram/updates`, secret: 'e2e-webhook-secret-0123456789abcdef' };
  }
  const config = loadConfig({
    env: {
      TELEGRAM_BOT_TOKEN: emu.token,
      TELEGRAM_API_ROOT: emu.apiRoot,
      DATABASE_URL: ':memory:',
      DATA_DIR: dir,
      MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
      BYBIT_API_URL: 'http://127.0.0.1:18080',
      LOG_LEVEL: level,
      ACCESS: options.access ?? 'open',
      ADMIN_IDS: (options.adminIds ?? []).join(','),
      LICENSE_REQUIRED: options.licenseRequired ? 'true' : 'false',
      ...(options.broadcastPerSecond ? { BROADCAST_PER_SECOND: String(options.broadcastPerSecond) } : {}),
      ...(webhook ? { BOT_MODE: 'webhook', WEBHOOK_URL: webhook.url, WEBHOOK_PORT: String(webhook.port), WEBHOOK_SECRET: webhook.secret } : {}),
    },
    envFile: null,
  });
  const logger = createLogger({ level, destination: sink, secrets: [emu.token] });
  const feed = new ManualPriceFeed();
  feed.set('BTC/USDT', 65_000);
  feed.set('ETH/USDT', 3_000);
  const bybit = bybitRoutes();

  // The jobs' ticks run when the test says so.
  const tasks: (() => Promise<void>)[] = [];
  const scheduled: string[] = [];
  const scheduler: Scheduler = {
    schedule(expression, task) {
      scheduled.push(expression);
      tasks.push(task);
      return {
        stop: () => {
          const i = tasks.indexOf(task);
          if (i >= 0) tasks.splice(i, 1);
        },
      };
    },
  };

  const app = await createApp(config, {
    logger,
    paperFeed: feed,
    paperStore: new MemoryPaperStore(),
    fetchImpl: bybit.fetch,
    notifications: { coalesceMs: 30, perChatIntervalMs: 0 },
    dailySummary: false,
    jobs: { scheduler },
    gridLoopMs: 60_000,
  });
  const fast = { maxConcurrent: 4, minTime: 0 };
  let started: StartedBot;
  try {
    started = await startBot(app, config, {
      bot: {
        throttle: { out: fast, group: fast, global: { reservoir: 1000, reservoirRefreshAmount: 1000, reservoirRefreshInterval: 1000 } },
        autoRetry: { maxRetryAttempts: 3, maxDelaySeconds: 2 },
        flood: { max: options.floodMax ?? FLOOD_MAX, windowMs: 60_000 },
      },
      drainTimeoutMs: 1_000,
    });
  } catch (e) {
    await app.close();
    await emu.close();
    cleanup();
    throw e;
  }
  return {
    emu,
    app,
    started,
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
    async runJobs() {
      for (const task of [...tasks]) await task();
    },
    scheduled,
    webhook,
    async stop() {
      await started.stop();
      await emu.close();
      cleanup();
    },
  };
}
