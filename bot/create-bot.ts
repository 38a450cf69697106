/**
 * createBot(token, deps, options): the grammY bot with a per-update child
 * logger, one error boundary before any feature, per-chat sequential
 * processing (@grammyjs/runner), per-user flood control, i18n, HTML replies,
 * auto-retry on 429 and the outgoing throttler.
 *
 * Middleware order: logger → sequentialize → error boundary → flood control →
 * access gate (invite mode / blocked users: before anyone is registered) →
 * admin (/admin, /license, access decisions) → registration → i18n → typed
 * input → features → fallback.
 */
import { randomBytes } from 'node:crypto';
import { Bot, GrammyError, HttpError, type BotError, type Composer } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import { autoRetry, type AutoRetryOptions } from '@grammyjs/auto-retry';
import { apiThrottler } from '@grammyjs/transformer-throttler';
import { sequentialize } from '@grammyjs/runner';
import type { I18n } from '@grammyjs/i18n';
import { isAppError } from '../models/errors.js';
import type { ErrorRing } from '../services/admin.js';
import { languageFromCode, type Language } from '../services/users.js';
import type { BotContext } from './context.js';
import type { BotDeps } from './deps.js';
import { createI18n, localeKeys, LOCALES_DIR } from './i18n.js';
import { answer } from './helpers.js';
import { PendingInputs } from './pending.js';
import type { FeatureKit } from './features/kit.js';
import { createStartFeature } from './features/start.js';
import { createAccountsFeature } from './features/accounts.js';
import { createSourcesFeature } from './features/sources.js';
import { createSignalsFeature } from './features/signals.js';
import { createSettingsFeature } from './features/settings.js';
import { createTradingFeature } from './features/trading.js';
import { createStatsFeature } from './features/stats.js';
import { createFallbackFeature } from './features/fallback.js';
import { createPendingRouter } from './features/pending-router.js';
import { createAccessFeature } from './features/access.js';
import { createAdminFeature } from './features/admin.js';
import { createGridFeature } from './features/grid.js';

type ThrottlerOptions = Parameters<typeof apiThrottler>[0];

export interface CreateBotOptions {
  /** TELEGRAM_API_ROOT (no trailing slash). */
  apiRoot?: string;
  /** Skips getMe at start (tests). */
  botInfo?: UserFromGetMe;
  /** Outgoing throttler (false: off). Default: grammY's limits. */
  throttle?: false | ThrottlerOptions;
  autoRetry?: false | Partial<AutoRetryOptions>;
  /** Per-user flood control: at most `max` updates per `windowMs` (false: off). */
  flood?: false | { max: number; windowMs: number };
  localesDir?: string;
}

export interface CreatedBot {
  bot: Bot<BotContext>;
  i18n: I18n<BotContext>;
}

export function newErrorId(): string {
  return randomBytes(4).toString('hex');
}

/** The locale key for an error: err-<code> when it exists, else null. */
export function errorKey(e: unknown, keys: Set<string>): string | null {
  if (!isAppError(e)) return null;
  const key = `err-${e.code}`;
  return keys.has(key) ? key : null;
}

/** Message of a handler error for the user; logs it with an error id (and records unexpected ones for the admin health page). */
export async function reportError(err: BotError<BotContext>, i18n: I18n<BotContext>, localesDir: string, errors?: Pick<ErrorRing, 'recordError'>): Promise<void> {
  const ctx = err.ctx;
  const e = err.error;
  const log = ctx.log ?? (undefined as never);
  const lang: Language = ctx.user?.language ?? languageFromCode(ctx.from?.language_code);
  const key = errorKey(e, localeKeys('en', localesDir));
  const errorId = newErrorId();
  let text: string;
  if (key) {
    log?.warn({ errorId, code: (e as { code: string }).code, err: { name: (e as Error).name, message: (e as Error).message } }, 'handler error (expected)');
    text = i18n.t(lang, key, { id: errorId, ...errorVars(e, (k, v) => i18n.t(lang, k, v), localeKeys('en', localesDir)) });
  } else {
    log?.error({ errorId, err: errorInfo(e) }, 'handler error');
    recordError(errors, errorId, e);
    text = i18n.t(lang, 'err-generic', { id: errorId });
  }
  await answer(ctx).catch(() => undefined);
  if (ctx.chat?.type === 'private') await ctx.reply(text).catch(() => undefined);
}

/** Adds an unexpected error to the admin's error ring: id, code, a short message (never payloads). */
export function recordError(errors: Pick<ErrorRing, 'recordError'> | undefined, errorId: string, e: unknown): void {
  if (!errors) return;
  try {
    const code = isAppError(e) ? e.code : e instanceof GrammyError ? `telegram-${e.error_code}` : e instanceof HttpError ? 'telegram-unreachable' : 'internal';
    const message = e instanceof GrammyError ? `${e.method}: ${e.description}` : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    errors.recordError(errorId, code, message);
  } catch {
    // recording must never break error handling
  }
}

/** What is logged about an unexpected error: name, message, stack; never request payloads. */
export function errorInfo(e: unknown): Record<string, unknown> {
  if (e instanceof GrammyError) return { name: e.name, method: e.method, code: e.error_code, description: e.description };
  if (e instanceof HttpError) return { name: e.name, message: e.message };
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { value: String(e) };
}

/** Variables for an err-<code> message: the error's scalar details; a refusal reason is translated. */
export function errorVars(e: unknown, t: (key: string, vars?: Record<string, string | number>) => string, keys: Set<string>): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  const d = isAppError(e) ? e.details : {};
  for (const [k, v] of Object.entries(d)) if (typeof v === 'string' || typeof v === 'number') out[k] = typeof v === 'string' ? v.slice(0, 100) : v;
  if (typeof out.reason === 'string' && keys.has(`refusal-${out.reason}`)) out.reason = t(`refusal-${out.reason}`);
  return out;
}

/** Per-user flood control: drops updates above the budget, warns once per window. */
function floodControl(limit: { max: number; windowMs: number }, i18n: I18n<BotContext>) {
  const windows = new Map<number, { start: number; count: number; warned: boolean }>();
  return async (ctx: BotContext, next: () => Promise<void>) => {
    const id = ctx.from?.id;
    if (id === undefined || ctx.chat?.type === 'channel') return next();
    const t = Date.now();
    let w = windows.get(id);
    if (!w || t - w.start >= limit.windowMs) {
      w = { start: t, count: 0, warned: false };
      windows.set(id, w);
      if (windows.size > 10_000) for (const [k, v] of windows) if (t - v.start >= limit.windowMs) windows.delete(k);
    }
    w.count++;
    if (w.count <= limit.max) return next();
    ctx.log.warn({ count: w.count }, 'flood control: update dropped');
    if (!w.warned) {
      w.warned = true;
      const lang = ctx.user?.language ?? languageFromCode(ctx.from?.language_code);
      await answer(ctx, i18n.t(lang, 'flood-slow-down'));
      if (!ctx.callbackQuery && ctx.chat?.type === 'private') await ctx.reply(i18n.t(lang, 'flood-slow-down')).catch(() => undefined);
    } else await answer(ctx);
  };
}

export function createBot(token: string, deps: BotDeps, options: CreateBotOptions = {}): CreatedBot {
  const localesDir = options.localesDir ?? LOCALES_DIR;
  const bot = new Bot<BotContext>(token, {
    ...(options.botInfo ? { botInfo: options.botInfo } : {}),
    client: { ...(options.apiRoot ? { apiRoot: options.apiRoot } : {}) },
  });
  const i18n = createI18n(localesDir);

  // Outgoing: HTML by default, no link previews; throttle; retry 429 / 5xx / network.
  bot.api.config.use((prev, method, payload, signal) => {
    if ((method === 'sendMessage' || method === 'editMessageText') && payload && !('parse_mode' in payload)) {
      payload = { ...payload, parse_mode: 'HTML', link_preview_options: { is_disabled: true } } as typeof payload;
    }
    return prev(method, payload, signal);
  });
  if (options.throttle !== false) bot.api.config.use(apiThrottler(options.throttle ?? {}));
  if (options.autoRetry !== false) bot.api.config.use(autoRetry({ maxRetryAttempts: 5, maxDelaySeconds: 60, ...options.autoRetry }));

  // Per-update child logger: ids only, never texts.
  bot.use(async (ctx, next) => {
    ctx.log = deps.log.child({ updateId: ctx.update.update_id, ...(ctx.from ? { tgUserId: ctx.from.id } : {}) });
    ctx.user = null;
    await next();
  });
  // One chat's updates run in order (runner processes different chats concurrently).
  bot.use(sequentialize((ctx: BotContext) => (ctx.chat?.id ?? ctx.from?.id)?.toString()));

  const protectedBot: Composer<BotContext> = bot.errorBoundary((err) => reportError(err, i18n, localesDir, deps.errors));

  if (options.flood !== false) protectedBot.use(floodControl(options.flood ?? { max: 30, windowMs: 10_000 }, i18n));

  // Who may use the bot at all: runs before registration, so an invite-mode newcomer stays
  // pending (and a blocked user gets one answer) without ever being registered as active.
  protectedBot.use(createAccessFeature({ access: deps.access, licenses: deps.licenses, users: deps.users, i18n }));
  // /admin, /license and access decisions (every admin action re-checks rights on the server).
  protectedBot.use(
    createAdminFeature({ access: deps.access, licenses: deps.licenses, gate: deps.gate, admin: deps.admin, broadcaster: deps.broadcaster, users: deps.users, i18n, log: deps.log }),
  );

  // Register (or refresh) the user behind every private update.
  protectedBot.use(async (ctx, next) => {
    if (ctx.from && !ctx.from.is_bot && (ctx.chat?.type === 'private' || (ctx.callbackQuery && !ctx.chat))) {
      const { user } = await deps.users.register({
        telegramId: ctx.from.id,
        username: ctx.from.username ?? null,
        firstName: ctx.from.first_name ?? null,
        languageCode: ctx.from.language_code ?? null,
      });
      ctx.user = user;
      ctx.log = ctx.log.child({ userId: user.id });
    }
    await next();
  });
  protectedBot.use(i18n);

  const now = () => deps.clock?.now() ?? Date.now();
  const kit: FeatureKit = { deps, i18n, pending: new PendingInputs(now), now };
  // Typed input first (key entry, values), then features, then the fallback.
  protectedBot.use(createPendingRouter(kit));
  protectedBot.use(createStartFeature(kit));
  protectedBot.use(createAccountsFeature(kit));
  protectedBot.use(createSourcesFeature(kit));
  protectedBot.use(createSettingsFeature(kit));
  protectedBot.use(createTradingFeature(kit));
  protectedBot.use(createStatsFeature(kit));
  protectedBot.use(createGridFeature(kit, deps.grid));
  protectedBot.use(createSignalsFeature(kit));
  protectedBot.use(createFallbackFeature(kit));

  bot.catch((err) => {
    const errorId = newErrorId();
    deps.log.error({ errorId, err: errorInfo(err.error) }, 'unhandled bot error');
    recordError(deps.errors, errorId, err.error);
  });
  return { bot, i18n };
}
