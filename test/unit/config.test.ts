import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../models/errors.js';
import { loadConfig } from '../../services/config.js';
import { tempDir } from '../helpers/db.js';

const KEY = Buffer.alloc(32, 7).toString('base64');

describe('configuration', () => {
  it('applies defaults with an empty environment', () => {
    const c = loadConfig({ env: {}, envFile: null });
    expect(c.TELEGRAM_API_ROOT).toBe('https://api.telegram.org');
    expect(c.DATABASE_URL).toBe('./data/bot.sqlite');
    expect(c.ACCESS).toBe('open');
    expect(c.ADMIN_IDS).toEqual([]);
    expect(c.LOG_LEVEL).toBe('info');
    expect(c.TELEGRAM_BOT_TOKEN).toBeUndefined();
  });

  it('parses valid values', () => {
    const c = loadConfig({
      env: {
        TELEGRAM_BOT_TOKEN: '123456789:AAEhBP0av28dmMZfGoBc4uv8aWW-3YyQSVO',
        TELEGRAM_API_ROOT: 'http://127.0.0.1:8081/',
        MASTER_KEY: KEY,
        ADMIN_IDS: '1, 22,333',
        ACCESS: 'invite',
        BYBIT_API_URL: 'http://127.0.0.1:9000',
        HYPERLIQUID_API_URL: 'https://api.hyperliquid-testnet.xyz',
      },
      envFile: null,
    });
    expect(c.TELEGRAM_API_ROOT).toBe('http://127.0.0.1:8081');
    expect(c.ADMIN_IDS).toEqual([1, 22, 333]);
    expect(c.ACCESS).toBe('invite');
    expect(c.BYBIT_API_URL).toBe('http://127.0.0.1:9000');
  });

  it.each([
    ['MASTER_KEY', 'c2hvcnQ=', 'exactly 32 bytes'],
    ['ADMIN_IDS', '12,abc', 'comma-separated numeric'],
    ['ACCESS', 'closed', "'open' or 'invite'"],
    ['LOG_LEVEL', 'loud', 'expected one of'],
    ['TELEGRAM_BOT_TOKEN', 'not-a-token', 'bot token'],
    ['BYBIT_API_URL', 'https://api.bybit.com/v5', 'scheme://host[:port]'],
    ['TELEGRAM_API_ROOT', 'ftp://x', 'scheme://host[:port]'],
  ])('names the bad variable %s and says what is expected', (name, value, expected) => {
    let error: unknown;
    try {
      loadConfig({ env: { [name]: value }, envFile: null });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain(name);
    expect(message).toContain(expected);
    // the bad value itself is not echoed (it may be a secret)
    if (name === 'MASTER_KEY' || name === 'TELEGRAM_BOT_TOKEN') expect(message).not.toContain(value);
  });

  it('reads an optional .env file, with the real environment winning', () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, '.env');
      fs.writeFileSync(file, 'ACCESS=invite\nLOG_LEVEL=debug\n');
      const c = loadConfig({ env: { LOG_LEVEL: 'warn' }, envFile: file });
      expect(c.ACCESS).toBe('invite');
      expect(c.LOG_LEVEL).toBe('warn');
    } finally {
      cleanup();
    }
  });

  it('requires WEBHOOK_URL in webhook mode', () => {
    expect(() => loadConfig({ env: { BOT_MODE: 'webhook' }, envFile: null })).toThrow(/WEBHOOK_URL/);
  });

  it('requires a WEBHOOK_SECRET of at least 16 characters in webhook mode, naming the variable', () => {
    const url = 'https://bot.example.com/tg/hook';
    expect(() => loadConfig({ env: { BOT_MODE: 'webhook', WEBHOOK_URL: url }, envFile: null })).toThrow(/WEBHOOK_SECRET: required when BOT_MODE=webhook/);
    expect(() => loadConfig({ env: { BOT_MODE: 'webhook', WEBHOOK_URL: url, WEBHOOK_SECRET: 'short' }, envFile: null })).toThrow(/WEBHOOK_SECRET: at least 16/);
    const c = loadConfig({ env: { BOT_MODE: 'webhook', WEBHOOK_URL: url, WEBHOOK_SECRET: 'a'.repeat(32) }, envFile: null });
    expect(c.WEBHOOK_SECRET).toBe('a'.repeat(32));
    // Polling mode does not need it.
    expect(loadConfig({ env: {}, envFile: null }).WEBHOOK_SECRET).toBeUndefined();
  });
});
