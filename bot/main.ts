/**
 * Entry point (`npm start`): loads the configuration, builds the services
 * (services/app.ts) and the bot, registers commands per language, wires the
 * notifications, then runs long polling (@grammyjs/runner) or a webhook.
 */
import http from 'node:http';
import { run } from '@grammyjs/runner';
import { webhookCallback } from 'grammy';
import { createApp } from '../services/app.js';
import { loadConfig } from '../services/config.js';
import { isAppError } from '../models/errors.js';
import { createBot } from './create-bot.js';
import { registerCommands } from './i18n.js';
import { createNotifier } from './notifier.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    console.error(isAppError(e) ? e.message : String(e));
    process.exit(1);
  }
  if (!config.TELEGRAM_BOT_TOKEN) {
    console.error(
      [
        'TELEGRAM_BOT_TOKEN is not set.',
        'Set it (in the environment or in a .env file) to the token @BotFather gave you, e.g. TELEGRAM_BOT_TOKEN=123456789:AA...',
        'To try the bot without Telegram, run the local sandbox: npm run demo',
        'All settings are described in the configuration table in README.md.',
      ].join('\n'),
    );
    process.exit(1);
  }

  const app = await createApp(config);
  const { bot, i18n } = createBot(config.TELEGRAM_BOT_TOKEN, app, { apiRoot: config.TELEGRAM_API_ROOT });
  const notifier = createNotifier({ api: bot.api, i18n, users: app.users, log: app.log });
  app.setNotificationSink(notifier.sink);
  app.daily.setDelivery(notifier.sendDaily);

  await bot.init();
  await registerCommands(bot.api, i18n).catch((e: unknown) => app.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'setMyCommands failed'));
  await app.trading.reconcile({ startup: true }).catch((e: unknown) => app.log.error({ err: e instanceof Error ? e.message : String(e) }, 'startup reconciliation failed'));

  const allowed = ['message', 'edited_message', 'callback_query', 'channel_post', 'edited_channel_post', 'my_chat_member'] as const;
  let stop: () => Promise<void>;
  if (config.BOT_MODE === 'webhook') {
    const handle = webhookCallback(bot, 'http', { ...(config.WEBHOOK_SECRET ? { secretToken: config.WEBHOOK_SECRET } : {}) });
    const server = http.createServer((req, res) => {
      if (req.method === 'POST') return void handle(req, res);
      res.writeHead(200).end('ok');
    });
    await new Promise<void>((resolve) => server.listen(config.WEBHOOK_PORT, resolve));
    await bot.api.setWebhook(config.WEBHOOK_URL!, { allowed_updates: [...allowed], ...(config.WEBHOOK_SECRET ? { secret_token: config.WEBHOOK_SECRET } : {}) });
    app.log.info({ port: config.WEBHOOK_PORT }, 'bot started (webhook)');
    stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  } else {
    await bot.api.deleteWebhook();
    const runner = run(bot, { runner: { fetch: { allowed_updates: [...allowed] } } });
    app.log.info({ username: bot.botInfo.username }, 'bot started (long polling)');
    stop = () => runner.stop();
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'stopping');
    await stop().catch(() => undefined);
    await app.notifications.drain().catch(() => undefined);
    await app.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

void main();
