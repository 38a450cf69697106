/**
 * The root pino logger. JSON by default; human-readable in a terminal.
 * Every secret-bearing field is redacted by key path, and secret values that
 * were registered (bot token, master key) are scrubbed from any string.
 */
import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

const SECRET_KEYS = [
  'apiKey',
  'api_key',
  'secret',
  'apiSecret',
  'privateKey',
  'private_key',
  'token',
  'botToken',
  'TELEGRAM_BOT_TOKEN',
  'masterKey',
  'MASTER_KEY',
  'password',
  'credentials',
  'authorization',
  'Authorization',
  'x-bapi-api-key',
  'X-BAPI-API-KEY',
  'x-bapi-sign',
  'X-BAPI-SIGN',
  'signature',
  'WEBHOOK_SECRET',
  'webhookSecret',
];

/** Redaction paths: the key at the top level and up to three levels deep. */
export const REDACT_PATHS = SECRET_KEYS.flatMap((k) => {
  const key = /^[A-Za-z_$][\w$]*$/.test(k) ? k : `["${k}"]`;
  const sep = key.startsWith('[') ? '' : '.';
  return [key, `*${sep}${key}`, `*.*${sep}${key}`, `*.*.*${sep}${key}`];
});

export interface LoggerConfig {
  level?: string;
  format?: 'json' | 'pretty' | 'auto';
  /** Secret values to scrub from every string field (e.g. the bot token). */
  secrets?: string[];
  destination?: pino.DestinationStream;
  name?: string;
}

function scrubber(secrets: string[]) {
  const values = secrets.filter((s) => s && s.length >= 8);
  if (values.length === 0) return (v: unknown) => v;
  const scrub = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') {
      let out = value;
      for (const s of values) if (out.includes(s)) out = out.split(s).join('[Redacted]');
      return out;
    }
    if (depth > 4 || value === null || typeof value !== 'object') return value;
    // Errors keep message and stack (non-enumerable) through the copy.
    if (value instanceof Error) return scrub(pino.stdSerializers.err(value), depth);
    if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) copy[k] = scrub(v, depth + 1);
    return copy;
  };
  return (v: unknown) => scrub(v, 0);
}

export function createLogger(config: LoggerConfig = {}): Logger {
  const scrub = scrubber(config.secrets ?? []);
  const options: LoggerOptions = {
    name: config.name ?? 'bot',
    level: config.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
    formatters: { log: (obj) => scrub(obj) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map((a, i) => (i === 0 && a instanceof Error ? { err: scrub(a) } : scrub(a)));
        method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
    serializers: { err: pino.stdSerializers.err },
  };
  if (config.destination) return pino(options, config.destination);
  const pretty = config.format === 'pretty' || (config.format !== 'json' && process.stdout.isTTY === true);
  if (pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } });
  }
  return pino(options);
}

/** A logger that drops everything (tests, CLIs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
