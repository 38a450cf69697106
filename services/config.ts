/**
 * The one place that reads the environment (and an optional `.env` file).
 * Fails at start with a message naming each bad variable and what is expected.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { ConfigError } from '../models/errors.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** scheme://host[:port] with no path, query or credentials. */
const baseUrl = (example: string) =>
  z
    .string()
    .trim()
    .refine((v) => {
      try {
        const u = new URL(v);
        return (u.protocol === 'http:' || u.protocol === 'https:') && (u.pathname === '/' || u.pathname === '') && !u.search && !u.username;
      } catch {
        return false;
      }
    }, `expected scheme://host[:port] with no path, e.g. ${example}`)
    .transform((v) => v.replace(/\/+$/, ''));

const optional = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema.optional());

const schema = z.object({
  TELEGRAM_BOT_TOKEN: optional(
    z.string().trim().regex(/^\d{3,}:[A-Za-z0-9_-]{20,}$/, 'expected a bot token from @BotFather, like 123456789:AA...'),
  ),
  TELEGRAM_API_ROOT: optional(baseUrl('https://api.telegram.org')).transform((v) => v ?? 'https://api.telegram.org'),
  DATABASE_URL: optional(z.string().trim()).transform((v) => v ?? './data/bot.sqlite'),
  DATA_DIR: optional(z.string().trim()).transform((v) => v ?? './data'),
  MASTER_KEY: optional(
    z
      .string()
      .trim()
      .refine((v) => /^[A-Za-z0-9+/]+={0,2}$/.test(v) && Buffer.from(v, 'base64').length === 32, 'expected base64 of exactly 32 bytes (generate one with: openssl rand -base64 32)'),
  ),
  ADMIN_IDS: optional(
    z
      .string()
      .trim()
      .refine((v) => v.split(',').every((p) => /^\d+$/.test(p.trim())), 'expected comma-separated numeric Telegram user ids, e.g. 12345,67890'),
  ).transform((v) => (v ? v.split(',').map((p) => Number(p.trim())) : [])),
  ACCESS: optional(z.enum(['open', 'invite'], { message: "expected 'open' or 'invite'" })).transform((v) => v ?? 'open'),
  LICENSE_REQUIRED: optional(z.enum(['true', 'false'], { message: "expected 'true' or 'false'" })).transform((v) => v === 'true'),
  BROADCAST_PER_SECOND: optional(z.coerce.number().int('expected a whole number').min(1, 'expected 1..30').max(30, 'expected 1..30')).transform((v) => v ?? 25),
  LOG_LEVEL: optional(z.enum(LOG_LEVELS, { message: `expected one of ${LOG_LEVELS.join(', ')}` })).transform((v) => v ?? 'info'),
  LOG_FORMAT: optional(z.enum(['json', 'pretty', 'auto'], { message: "expected 'json', 'pretty' or 'auto'" })).transform((v) => v ?? 'auto'),
  BYBIT_API_URL: optional(baseUrl('https://api.bytick.com')),
  HYPERLIQUID_API_URL: optional(baseUrl('https://api.hyperliquid.xyz')),
  BOT_MODE: optional(z.enum(['polling', 'webhook'], { message: "expected 'polling' or 'webhook'" })).transform((v) => v ?? 'polling'),
  WEBHOOK_URL: optional(z.string().trim().url('expected the public https URL Telegram should call')),
  WEBHOOK_PORT: optional(z.coerce.number().int().min(1).max(65535)).transform((v) => v ?? 8080),
  WEBHOOK_SECRET: optional(z.string().trim().regex(/^[A-Za-z0-9_-]{1,256}$/, 'expected 1-256 characters A-Z a-z 0-9 _ -')),
});

export type Config = z.output<typeof schema>;
/** Shortest WEBHOOK_SECRET accepted in webhook mode. */
export const MIN_WEBHOOK_SECRET = 16;
export const CONFIG_VARIABLES = Object.keys(schema.shape) as (keyof typeof schema.shape)[];

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Path of an optional .env file; variables already in `env` win. */
  envFile?: string | null;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const envFile = options.envFile === undefined ? path.resolve('.env') : options.envFile;
  let fromFile: Record<string, string> = {};
  if (envFile && fs.existsSync(envFile)) {
    fromFile = parseEnv(fs.readFileSync(envFile, 'utf8')) as Record<string, string>;
  }
  const merged: Record<string, string | undefined> = {};
  for (const key of CONFIG_VARIABLES) merged[key] = env[key] ?? fromFile[key];
  const result = schema.safeParse(merged);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}\nSee the configuration table in README.md.`, {
      details: { variables: result.error.issues.map((i) => i.path.join('.')) },
    });
  }
  if (result.data.BOT_MODE === 'webhook') {
    // Without a secret anyone who finds the port could forge channel posts (real trades) or button presses.
    const missing: string[] = [];
    if (!result.data.WEBHOOK_URL) missing.push('  WEBHOOK_URL: required when BOT_MODE=webhook');
    if (!result.data.WEBHOOK_SECRET) missing.push('  WEBHOOK_SECRET: required when BOT_MODE=webhook (16-256 characters A-Z a-z 0-9 _ -, e.g. from: openssl rand -hex 32)');
    else if (result.data.WEBHOOK_SECRET.length < MIN_WEBHOOK_SECRET) missing.push(`  WEBHOOK_SECRET: at least ${MIN_WEBHOOK_SECRET} characters when BOT_MODE=webhook (e.g. from: openssl rand -hex 32)`);
    if (missing.length) {
      throw new ConfigError(`Invalid configuration:\n${missing.join('\n')}\nSee the configuration table in README.md.`, {
        details: { variables: missing.map((m) => m.trim().split(':')[0]!) },
      });
    }
  }
  return result.data;
}
