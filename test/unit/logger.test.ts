import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../services/logger.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, destination };
}

const BOT_TOKEN = '123456789:AAEhBP0av28dmMZfGoBc4uv8aWW-3YyQSVO';
const MASTER = 'q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=';

describe('logger redaction', () => {
  it('redacts every secret-bearing field and registered secret values', () => {
    const { lines, destination } = capture();
    const log = createLogger({ level: 'trace', destination, secrets: [BOT_TOKEN, MASTER] });
    log.info({ apiKey: 'BYBIT-KEY-1234567', secret: 'BYBIT-SECRET-abcdef' }, 'top level');
    log.info({ account: { apiKey: 'NESTED-KEY-7777777', secret: 'NESTED-SECRET-888888', privateKey: '0xdeadbeefdeadbeef' } }, 'nested');
    log.info({ req: { headers: { 'X-BAPI-API-KEY': 'HEADER-KEY-999999', 'X-BAPI-SIGN': 'SIGNATURE-123456' } } }, 'headers');
    log.info({ credentials: { walletAddress: '0xabc', privateKey: '0xPRIVATEPRIVATE' } }, 'credentials object');
    log.info({ config: { TELEGRAM_BOT_TOKEN: BOT_TOKEN, MASTER_KEY: MASTER } }, 'config');
    log.warn(`request to https://api.telegram.org/bot${BOT_TOKEN}/getMe failed`);
    log.error({ err: new Error(`boom with ${BOT_TOKEN}`) }, 'error object');
    const out = lines.join('\n');
    for (const secret of [
      'BYBIT-KEY-1234567',
      'BYBIT-SECRET-abcdef',
      'NESTED-KEY-7777777',
      'NESTED-SECRET-888888',
      '0xdeadbeefdeadbeef',
      'HEADER-KEY-999999',
      'SIGNATURE-123456',
      '0xPRIVATEPRIVATE',
      BOT_TOKEN,
      MASTER,
    ]) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('[Redacted]');
    expect(lines).toHaveLength(7);
    // JSON by default: every line parses
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
  });

  it('keeps the message and stack of logged errors while scrubbing secrets from them', () => {
    const { lines, destination } = capture();
    const log = createLogger({ destination, secrets: [BOT_TOKEN] });
    log.error({ err: new Error(`failed for bot${BOT_TOKEN}`) }, 'with secret');
    log.error(new Error('plain failure'));
    const first = JSON.parse(lines[0]!);
    expect(first.err.message).toBe('failed for bot[Redacted]');
    expect(first.err.stack).toContain('failed for bot[Redacted]');
    const second = JSON.parse(lines[1]!);
    expect(second.err?.message ?? second.msg).toContain('plain failure');
  });

  it('keeps non-secret fields', () => {
    const { lines, destination } = capture();
    const log = createLogger({ destination });
    log.info({ userId: 42, exchange: 'bybit' }, 'hello');
    const rec = JSON.parse(lines[0]!);
    expect(rec.userId).toBe(42);
    expect(rec.exchange).toBe('bybit');
    expect(rec.msg).toBe('hello');
  });
});
