/**
 * `npm run demo`: the whole bot on one machine, with nothing external.
 *
 * In one process: a local Bot API emulator on a free 127.0.0.1 port, the real
 * bot (long polling against it through TELEGRAM_API_ROOT), the services with
 * the Paper exchange fed by public prices (a deterministic walk when offline),
 * a demo signals channel that posts a signal every minute or so, and a
 * terminal chat where the person at the keyboard is a Telegram user.
 *
 * Its data lives in data/demo/ (database, master key, Paper state, log), never
 * mixed with a real deployment; a .env file is ignored. Ctrl+C, SIGTERM or :q
 * shut everything down cleanly (Paper state flushed, database closed).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { createApp, type App } from '../../services/app.js';
import { loadConfig } from '../../services/config.js';
import { createLogger } from '../../services/logger.js';
import { createSandboxPriceFeed, type SandboxPriceFeed } from '../../services/sandbox-prices.js';
import { isAppError } from '../../models/errors.js';
import { startBot } from '../start.js';
import { BotApiEmulator, type UserClient } from './bot-api-emulator.js';
import { continueMessageIds, DemoChannel, isDemoChannelState, type DemoChannelState } from './demo-channel.js';
import { TerminalChat, type DrawMode } from './terminal-chat.js';

/** A well-formed token that is not anyone's: the emulator accepts only this one. */
export const SANDBOX_TOKEN = '1000000001:SANDBOX_not_a_real_token_0000000';
export const SANDBOX_USER_ID = 100000001;
export const DEFAULT_SANDBOX_DIR = path.join('data', 'demo');

export interface SandboxOptions {
  /** Where the sandbox keeps its data; default data/demo (relative to the working directory). */
  dataDir?: string;
  input?: Readable;
  output?: Writable;
  /** Try public prices (default true; false: the simulated walk only, no network at all). */
  online?: boolean;
  /** Time between the demo channel's posts (ms); default 60 000; 0: only on request. */
  channelIntervalMs?: number;
  /** Price refresh interval (ms); default 5000 with public prices, 3000 for the walk. */
  priceIntervalMs?: number;
  /** Seed of the demo channel's choices. */
  channelSeed?: number;
  /** The terminal user's Telegram language; default from LANG (ru or en). */
  language?: 'en' | 'ru';
  firstName?: string;
  mode?: DrawMode;
  color?: boolean;
  /** Log level of data/demo/bot.log; default LOG_LEVEL or info. */
  logLevel?: string;
  /** Notification queue timing (tests use short delays). */
  notifications?: { coalesceMs?: number; perChatIntervalMs?: number };
}

export interface Sandbox {
  emulator: BotApiEmulator;
  app: App;
  feed: SandboxPriceFeed;
  channel: DemoChannel;
  chat: TerminalChat;
  user: UserClient;
  dataDir: string;
  /** Resolves when the sandbox has stopped (after :q, Ctrl+C, end of input or stop()). */
  done: Promise<void>;
  stop(): Promise<void>;
}

/** data/demo/sandbox.json: what the emulator forgets between runs but the bot's database remembers. */
interface SandboxState {
  version: 1;
  userLastMessageId: number;
  channel: DemoChannelState | null;
}

function loadState(file: string): SandboxState | null {
  try {
    const s = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<SandboxState>;
    if (s.version !== 1 || !Number.isInteger(s.userLastMessageId)) return null;
    return { version: 1, userLastMessageId: s.userLastMessageId!, channel: isDemoChannelState(s.channel) ? s.channel : null };
  } catch {
    return null;
  }
}

function saveState(file: string, state: SandboxState): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state));
  fs.renameSync(tmp, file);
}

function defaultLanguage(): 'en' | 'ru' {
  const lang = process.env.LC_ALL || process.env.LC_MESSAGES || process.env.LANG || '';
  return /^ru/i.test(lang) ? 'ru' : 'en';
}

function defaultFirstName(): string {
  try {
    const name = os.userInfo().username.replace(/[^A-Za-z0-9_ -]/g, '');
    return name ? name.charAt(0).toUpperCase() + name.slice(1) : 'Trader';
  } catch {
    return 'Trader';
  }
}

export function welcomeText(info: { dataDir: string; live: boolean; channelTitle: string; intervalMs: number }): string {
  const every = info.intervalMs > 0 ? `every ${Math.round(info.intervalMs / 1000)} s` : 'on :post';
  return [
    `Signal Trader \u2014 local sandbox. No Telegram, no exchange keys; data in ${info.dataDir}/ (log: bot.log).`,
    `You are a Telegram user chatting with the bot. Type /start, then type a button's number to press it.`,
    `"${info.channelTitle}" posts a signal ${every} (:post posts one now). Subscribe to it from the Signals menu.`,
    `Prices: ${info.live ? 'public Bybit prices' : 'simulated (offline)'} \u00b7 :help for help \u00b7 :q or Ctrl+C to quit.`,
  ].join('\n');
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const dataDir = path.resolve(options.dataDir ?? DEFAULT_SANDBOX_DIR);
  fs.mkdirSync(dataDir, { recursive: true });
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const channelIntervalMs = options.channelIntervalMs ?? 60_000;
  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) await Promise.resolve().then(fn).catch(() => undefined);
  };

  try {
    const emulator = await BotApiEmulator.start({ token: SANDBOX_TOKEN, maxPollMs: 500, botUser: { first_name: 'Signal Trader (sandbox)', username: 'signal_trader_sandbox_bot' } });
    cleanups.push(() => emulator.close());

    // The configuration of a deployment, forced to the sandbox: .env is ignored.
    const config = loadConfig({
      env: {
        TELEGRAM_BOT_TOKEN: SANDBOX_TOKEN,
        TELEGRAM_API_ROOT: emulator.apiRoot,
        DATA_DIR: dataDir,
        DATABASE_URL: path.join(dataDir, 'bot.sqlite'),
        ADMIN_IDS: String(SANDBOX_USER_ID),
        ACCESS: 'open',
        LOG_LEVEL: options.logLevel ?? process.env.LOG_LEVEL ?? 'info',
        LOG_FORMAT: 'json',
      },
      envFile: null,
    });
    const logStream = fs.createWriteStream(path.join(dataDir, 'bot.log'), { flags: 'a' });
    cleanups.push(() => new Promise<void>((resolve) => logStream.end(() => resolve())));
    const log = createLogger({ level: config.LOG_LEVEL, destination: logStream, secrets: [SANDBOX_TOKEN] });

    // The walk resumes from the last run's prices (data/demo/prices.json): saved Paper positions see no jump.
    const feed = createSandboxPriceFeed({ online: options.online ?? true, stateFile: path.join(dataDir, 'prices.json') });
    const live = await Promise.race([feed.refresh(), new Promise<boolean>((r) => setTimeout(() => r(false), 5_000).unref())]);
    // Public tickers every 5 s (polite to Bybit); the offline walk steps every 3 s.
    feed.start(options.priceIntervalMs ?? (live ? 5_000 : 3_000));
    cleanups.push(() => feed.stop());

    const app = await createApp(config, {
      logger: log,
      paperFeed: feed,
      dailySummary: false,
      // You are the admin here: no "the bot restarted" alert at every start.
      restartAlert: false,
      ...(options.notifications ? { notifications: options.notifications } : {}),
    });
    // Closes the app if the bot never started (idempotent: the bot's stop closes it too).
    cleanups.push(() => app.close());
    // Runs after the bot has stopped and the last notifications went out.
    let persistOnStop: () => void = () => undefined;
    cleanups.push(() => persistOnStop());

    // Message ids continue from the last run: the bot's database remembers the old ones.
    const stateFile = path.join(dataDir, 'sandbox.json');
    const previous = loadState(stateFile);
    const user = emulator.user({
      id: SANDBOX_USER_ID,
      firstName: options.firstName ?? defaultFirstName(),
      username: 'sandbox_user',
      languageCode: options.language ?? defaultLanguage(),
    });
    continueMessageIds(emulator, user.id, previous?.userLastMessageId ?? 0);

    // The same start-up as `npm start` (sinks, commands, jobs, grid loop, license job, long polling).
    // The emulator has no rate limits: no outgoing throttle (Telegram's 1 message/s per chat), no flood control.
    const started = await startBot(app, config, { bot: { flood: false, throttle: false } });
    cleanups.push(() => started.stop());
    let channel: DemoChannel | null = null;
    const persist = (channelState?: DemoChannelState) => {
      try {
        saveState(stateFile, { version: 1, userLastMessageId: emulator.lastMessageId(user.id), channel: channelState ?? channel?.exportState() ?? previous?.channel ?? null });
      } catch (e) {
        log.warn({ err: e instanceof Error ? e.message : String(e) }, 'could not save the sandbox state');
      }
    };
    channel = new DemoChannel({
      emulator,
      prices: feed,
      intervalMs: channelIntervalMs,
      restore: previous?.channel ?? null,
      onState: (s) => persist(s),
      ...(options.channelSeed !== undefined ? { seed: options.channelSeed } : {}),
    });
    const demoChannel = channel;
    demoChannel.start();
    persistOnStop = () => persist();
    cleanups.push(() => demoChannel.stop());

    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    let stopping: Promise<void> | null = null;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        chat.stop();
        await cleanup();
        resolveDone();
      })();
      return stopping;
    };

    const chat = new TerminalChat({
      emulator,
      user,
      input,
      output,
      channel: demoChannel,
      banner: welcomeText({ dataDir: path.relative(process.cwd(), dataDir) || '.', live, channelTitle: demoChannel.title, intervalMs: channelIntervalMs }),
      ...(options.mode ? { mode: options.mode } : {}),
      ...(options.color !== undefined ? { color: options.color } : {}),
      onQuit: () => void stop(),
    });
    chat.start();
    log.info({ apiRoot: emulator.apiRoot, dataDir, live }, 'sandbox started');

    return { emulator, app, feed, channel: demoChannel, chat, user, dataDir, done, stop };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

async function main(): Promise<void> {
  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox({ online: process.env.SANDBOX_OFFLINE !== '1' });
  } catch (e) {
    console.error(`The sandbox could not start: ${isAppError(e) || e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
  const onSignal = (signal: NodeJS.Signals) => {
    // A second Ctrl+C while stopping ends at once.
    process.once(signal, () => process.exit(130));
    void sandbox.stop();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  await sandbox.done;
  process.stdout.write(`\nSandbox stopped. Its data is in ${path.relative(process.cwd(), sandbox.dataDir) || '.'}/ (delete the folder to start afresh).\n`);
  // Everything is closed; do not wait for stray handles (stdin of a terminal, keep-alive sockets).
  process.exit(0);
}

const entry = process.argv[1];
if (entry && import.meta.url === pathToFileURL(path.resolve(entry)).href) void main();
