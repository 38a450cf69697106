/**
 * startBot(app, config, options): everything between "the services are
 * built" and "the bot is serving", shared by `npm start` (bot/main.ts) and
 * the local sandbox (bot/sandbox/demo.ts):
 *   1. the bot (createBot) and every outgoing sink: trading + grid
 *      notifications, the daily summary, license notices, admin alerts;
 *   2. getMe, then setMyCommands per language (admins get /admin in their own chat);
 *   3. the app's background work (app.start(): start-up reconciliation, the
 *      reconciliation and tracking jobs, the grid loop, the license job, the
 *      daily summary, the restart alert);
 *   4. long polling (@grammyjs/runner) or the webhook server.
 * `stop()` undoes it in order: background jobs and the transport stop, the
 * last notifications go out, then app.close() flushes Paper and closes the
 * database. With `handleSignals`, SIGINT / SIGTERM call stop() and exit.
 */
import http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { run, type RunnerHandle } from '@grammyjs/runner';
import { webhookCallback, type Bot } from 'grammy';
import type { I18n } from '@grammyjs/i18n';
import type { App } from '../services/app.js';
import type { Config } from '../services/config.js';
import type { BotContext } from './context.js';
import { createBot, errorInfo, type CreateBotOptions } from './create-bot.js';
import { registerCommands } from './i18n.js';
import { createNotifier, type BotNotifier } from './notifier.js';
import { adminAlertSink, licenseNoticeSink } from './features/admin.js';

export const ALLOWED_UPDATES = ['message', 'edited_message', 'callback_query', 'channel_post', 'edited_channel_post', 'my_chat_member'] as const;

export interface StartBotOptions {
  /** Passed to createBot (throttle, flood control, auto-retry, locales); apiRoot comes from the config. */
  bot?: Omit<CreateBotOptions, 'apiRoot'>;
  /** Install SIGINT / SIGTERM handlers that stop everything and exit (npm start). Default false. */
  handleSignals?: boolean;
  /** How long stop() waits for the last notifications to go out (default 5 000 ms). */
  drainTimeoutMs?: number;
}

export interface StartedBot {
  bot: Bot<BotContext>;
  i18n: I18n<BotContext>;
  notifier: BotNotifier;
  /** Webhook mode: the port the webhook server listens on and the only path it serves. */
  webhook?: { port: number; path: string } | undefined;
  /** Stops the transport and the background jobs, sends what is queued, closes the app. Idempotent. */
  stop(): Promise<void>;
}

export const SECRET_TOKEN_HEADER = 'x-telegram-bot-api-secret-token';
/** Largest update body accepted by the webhook server (Telegram's updates are far smaller). */
const MAX_WEBHOOK_BODY = 1_000_000;

/** The path the webhook server serves: WEBHOOK_URL's pathname ('/' when it has none). */
export function webhookPath(url: string): string {
  return new URL(url).pathname || '/';
}

/** Constant-time comparison of the secret token header with the configured secret. */
export function secretTokenMatches(got: string | string[] | undefined, want: string): boolean {
  if (typeof got !== 'string' || !want) return false;
  const a = Buffer.from(got, 'utf8');
  const b = Buffer.from(want, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The webhook's HTTP server: POST on `path` only (everything else 404), and only
 * with the right X-Telegram-Bot-Api-Secret-Token (else 401, nothing processed).
 * grammY checks the token again (`secretToken`).
 */
export function createWebhookServer(deps: {
  path: string;
  secret: string;
  handle: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<unknown>;
  log: App['log'];
}): http.Server {
  return http.createServer((req, res) => {
    const refuse = (status: number) => {
      req.resume();
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 401 ? 'unauthorized' : status === 413 ? 'too large' : 'not found');
    };
    const pathname = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || pathname !== deps.path) return refuse(404);
    if (!secretTokenMatches(req.headers[SECRET_TOKEN_HEADER], deps.secret)) {
      deps.log.warn({ remote: req.socket.remoteAddress, hasToken: req.headers[SECRET_TOKEN_HEADER] !== undefined }, 'webhook: request without the right secret token refused');
      return refuse(401);
    }
    if (Number(req.headers['content-length'] ?? 0) > MAX_WEBHOOK_BODY) return refuse(413);
    deps.handle(req, res).catch((e: unknown) => {
      deps.log.error({ err: errorInfo(e) }, 'webhook: update handling failed');
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Admins to give the admin command list to: configured and promoted, in their language. */
async function adminTargets(app: App) {
  const out: { telegramId: number; language: 'en' | 'ru' }[] = [];
  for (const telegramId of await app.access.adminTelegramIds()) {
    const u = await app.users.findByTelegramId(telegramId);
    out.push({ telegramId, language: u?.language ?? 'en' });
  }
  return out;
}

export async function startBot(app: App, config: Config, options: StartBotOptions = {}): Promise<StartedBot> {
  const log = app.log;
  if (!config.TELEGRAM_BOT_TOKEN) throw new Error('TELEGRAM_BOT_TOKEN is not set');
  const { bot, i18n } = createBot(config.TELEGRAM_BOT_TOKEN, app, { ...options.bot, apiRoot: config.TELEGRAM_API_ROOT });

  // Outgoing: everything the services tell users and admins.
  const notifier = createNotifier({ api: bot.api, i18n, users: app.users, log });
  app.setNotificationSink(notifier.sink);
  app.daily.setDelivery(notifier.sendDaily);
  app.setLicenseSink(licenseNoticeSink({ api: bot.api, i18n, users: app.users, log }));
  app.setAlertSink(adminAlertSink({ api: bot.api, i18n, access: app.access, users: app.users, log }));

  await bot.init();
  try {
    const r = await registerCommands(bot.api, i18n, await adminTargets(app));
    if (r.failedAdmins.length) log.info({ admins: r.failedAdmins }, 'admin commands not set for admins who have not started the bot yet');
  } catch (e) {
    log.warn({ err: message(e) }, 'setMyCommands failed');
  }

  await app.start();

  let stopTransport: () => Promise<void>;
  let webhook: StartedBot['webhook'];
  if (config.BOT_MODE === 'webhook') {
    if (!config.WEBHOOK_URL || !config.WEBHOOK_SECRET) throw new Error('webhook mode needs WEBHOOK_URL and WEBHOOK_SECRET');
    const path = webhookPath(config.WEBHOOK_URL);
    // Answer Telegram within its timeout and let a long update (an exchange call) finish in the
    // background: a timed-out request would make Telegram deliver the same update again.
    const handle = webhookCallback(bot, 'http', { secretToken: config.WEBHOOK_SECRET, onTimeout: 'return', timeoutMilliseconds: 9_000 });
    const server = createWebhookServer({ path, secret: config.WEBHOOK_SECRET, handle, log });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.WEBHOOK_PORT, () => {
        server.off('error', reject);
        resolve();
      });
    });
    await bot.api.setWebhook(config.WEBHOOK_URL, { allowed_updates: [...ALLOWED_UPDATES], secret_token: config.WEBHOOK_SECRET });
    webhook = { port: (server.address() as AddressInfo).port, path };
    log.info({ port: webhook.port }, 'bot started (webhook)');
    stopTransport = () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
  } else {
    await bot.api.deleteWebhook();
    const runner: RunnerHandle = run(bot, { runner: { fetch: { allowed_updates: [...ALLOWED_UPDATES] } } });
    log.info({ username: bot.botInfo.username }, 'bot started (long polling)');
    stopTransport = async () => {
      if (runner.isRunning()) await runner.stop();
    };
  }

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      log.info('stopping');
      // Background jobs first (their running pass finishes), so nothing new starts while we wind down.
      await app.stopBackground();
      // No new updates; the updates being handled finish first.
      await stopTransport().catch((e: unknown) => log.warn({ err: errorInfo(e) }, 'stopping the transport failed'));
      // The last notifications go out (bounded: Telegram may be unreachable).
      const drainMs = options.drainTimeoutMs ?? 5_000;
      await Promise.race([app.notifications.drain().catch(() => undefined), new Promise<void>((r) => setTimeout(r, drainMs).unref())]);
      // Paper is flushed, the database closed.
      await app.close();
      log.info('stopped');
    })();
    return stopping;
  };

  if (options.handleSignals) {
    const onSignal = (signal: NodeJS.Signals) => {
      // A second signal while stopping ends at once.
      process.once(signal, () => process.exit(130));
      log.info({ signal }, 'signal received');
      void stop().then(
        () => process.exit(0),
        (e: unknown) => {
          log.error({ err: errorInfo(e) }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }

  return { bot, i18n, notifier, webhook, stop };
}
