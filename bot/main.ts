/**
 * Entry point (`npm start`): loads the configuration, builds the services
 * (services/app.ts) and starts the bot with everything around it
 * (bot/start.ts: sinks, commands, background jobs, long polling or webhook).
 * SIGINT / SIGTERM stop the jobs and the runner, send the last
 * notifications, flush Paper and close the database.
 */
import { createApp } from '../services/app.js';
import { loadConfig } from '../services/config.js';
import { isAppError } from '../models/errors.js';
import { startBot } from './start.js';

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
  try {
    await startBot(app, config, { handleSignals: true });
  } catch (e) {
    app.log.fatal({ err: e instanceof Error ? { name: e.name, message: e.message } : String(e) }, 'the bot could not start');
    await app.close().catch(() => undefined);
    process.exit(1);
  }
}

void main();
