/**
 * /admin menu and /license. Every admin command and callback re-checks admin
 * rights on the server (callback data is never trusted), and the services
 * check again (NotAuthorized). Menus: find a user (card with approve, block,
 * unblock, promote/demote, grant/extend/revoke), access requests, sources
 * with subscriber counts, broadcast (target → text → confirm → report),
 * health, kill switch (and undo) with a second-tap confirmation, invites.
 *
 * Like the access gate it does not rely on ctx.t / ctx.user, so it can sit
 * before registration; it handles only its own commands, callbacks and an
 * admin's pending typed input, and passes everything else on.
 */
import { Composer, GrammyError, InlineKeyboard, type Api } from 'grammy';
import type { I18n } from '@grammyjs/i18n';
import { isAppError } from '../../models/errors.js';
import { NotAuthorized, type AccessService, type Actor } from '../../services/access.js';
import type { AdminService } from '../../services/admin.js';
import type { AlertEnvelope } from '../../services/alerts.js';
import type { Broadcaster, BroadcastSend, BroadcastTarget } from '../../services/broadcast.js';
import type { EntryGate } from '../../services/entry-gate.js';
import type { LicenseEvent, LicensesService } from '../../services/licenses.js';
import type { Logger } from '../../services/logger.js';
import type { UsersService } from '../../services/users.js';
import { createCallbackData } from '../callback-data/index.js';
import { containsSecret, dropSecretMessage } from '../secrets.js';
import type { BotContext } from '../context.js';
import { esc } from '../render/format.js';
import { adminName, fmtDate, renderAlert, renderHealth, renderLicense, renderLicenseEvent, renderUserCard, type T } from '../render/admin.js';
import { ACCESS_DECISION_FILTER, languageOf } from './access.js';
import { setAdminCommands } from '../i18n.js';

export interface AdminFeatureDeps {
  access: AccessService;
  licenses: LicensesService;
  gate: EntryGate;
  admin: AdminService;
  broadcaster: Broadcaster;
  users: Pick<UsersService, 'findByTelegramId'>;
  i18n: I18n<BotContext>;
  log?: Logger;
}

/** Admin callbacks: a = action, id = target (user/source/request id, 0 = none), v = value. */
export const adminData = createCallbackData('ad', ['a', 'id', 'v']);
const cb = (a: string, id: number | string = 0, v: string | number = '') => adminData.pack({ a, id, v });

/** Every admin action's callback name (tests press each of them as a normal user). */
export const ADMIN_ACTIONS = ['menu', 'find', 'user', 'appr', 'block', 'unbl', 'prom', 'demo', 'grant', 'ext', 'revk', 'pend', 'srcs', 'bc', 'bcall', 'bcsrc', 'bcgo', 'bcno', 'hlth', 'kill', 'kill2', 'undo', 'undo2', 'inv', 'inv1', 'invm'] as const;

type PendingInput = { kind: 'find' } | { kind: 'bc-text'; target: BroadcastTarget; count: number };

/** A broadcast sender over the Bot API: 403 → blocked, 429 → retry after. */
export function apiBroadcastSend(api: Api): BroadcastSend {
  return async (telegramId, text) => {
    try {
      // An explicit (empty) parse_mode keeps createBot's HTML default off: the admin's text goes out as typed.
      await api.sendMessage(telegramId, text, { parse_mode: undefined as never, link_preview_options: { is_disabled: true } });
      return 'delivered';
    } catch (e) {
      if (e instanceof GrammyError) {
        if (e.error_code === 403) return 'blocked';
        if (e.error_code === 429) return { retryAfterMs: (e.parameters.retry_after ?? 1) * 1000 };
      }
      return 'failed';
    }
  };
}

/** Sends license notices to their user (the licenses service's sink). */
export function licenseNoticeSink(deps: { api: Api; i18n: I18n<BotContext>; users: Pick<UsersService, 'findByTelegramId'>; log?: Logger }) {
  return (e: LicenseEvent): void => {
    void (async () => {
      const lang = (await deps.users.findByTelegramId(e.telegramId))?.language ?? 'en';
      await deps.api.sendMessage(e.telegramId, renderLicenseEvent((k, v) => deps.i18n.t(lang, k, v), e));
    })().catch((err: unknown) => deps.log?.warn({ userId: e.userId, err: err instanceof Error ? err.message : String(err) }, 'license notice not delivered'));
  };
}

/** Sends admin alerts to every admin (the alerts service's sink). */
export function adminAlertSink(deps: { api: Api; i18n: I18n<BotContext>; access: Pick<AccessService, 'adminTelegramIds'>; users: Pick<UsersService, 'findByTelegramId'>; log?: Logger }) {
  return (env: AlertEnvelope): void => {
    void (async () => {
      // The kill switch names the admin who acted (@username or name), not a raw id.
      const names: { by?: string } = {};
      if (env.alert.type === 'kill-switch' && env.alert.by !== null) names.by = adminName(await deps.users.findByTelegramId(env.alert.by).catch(() => null), env.alert.by);
      for (const tg of await deps.access.adminTelegramIds()) {
        const lang = (await deps.users.findByTelegramId(tg))?.language ?? 'en';
        await deps.api.sendMessage(tg, renderAlert((k, v) => deps.i18n.t(lang, k, v), env, names)).catch((err: unknown) => deps.log?.warn({ tg, err: err instanceof Error ? err.message : String(err) }, 'admin alert not delivered'));
      }
    })();
  };
}

export function createAdminFeature(deps: AdminFeatureDeps): Composer<BotContext> {
  const { access, i18n } = deps;
  const composer = new Composer<BotContext>();
  const pending = new Map<number, PendingInput>();
  const drafts = new Map<number, { target: BroadcastTarget; text: string; count: number }>();
  /** Broadcast confirmations already sent (chat:message), so a double tap sends once and says so once. */
  const sentBroadcasts = new Set<string>();

  async function tr(ctx: BotContext): Promise<T> {
    const lang = await languageOf(ctx, deps.users);
    return (k, v) => i18n.t(lang, k, v);
  }

  async function show(ctx: BotContext, text: string, keyboard?: InlineKeyboard): Promise<void> {
    const msg = ctx.callbackQuery?.message;
    if (msg && ctx.chat) {
      try {
        await ctx.api.editMessageText(ctx.chat.id, msg.message_id, text, { reply_markup: keyboard ?? new InlineKeyboard() });
        return;
      } catch (e) {
        if (e instanceof GrammyError && /not modified/i.test(e.description)) return;
      }
    }
    await ctx.reply(text, keyboard ? { reply_markup: keyboard } : {});
  }

  /** Server-side admin check for every admin entry point. */
  async function guard(ctx: BotContext): Promise<Actor | null> {
    const id = ctx.from?.id;
    if (id !== undefined && (await access.isAdmin(id))) return { telegramId: id };
    const t = await tr(ctx);
    ctx.log?.warn({ tgUserId: id }, 'admin action refused: not an admin');
    if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text: t('admin-not-allowed'), show_alert: true }).catch(() => undefined);
    else await ctx.reply(t('admin-not-allowed'));
    return null;
  }

  async function menu(ctx: BotContext, t: T): Promise<void> {
    const [kill, reqs] = await Promise.all([deps.gate.killSwitch(), access.listPending({ telegramId: ctx.from!.id })]);
    const kb = new InlineKeyboard()
      .text(t('admin-btn-find'), cb('find'))
      .text(t('admin-btn-pending', { count: reqs.length }), cb('pend'))
      .row()
      .text(t('admin-btn-sources'), cb('srcs'))
      .text(t('admin-btn-broadcast'), cb('bc'))
      .row()
      .text(t('admin-btn-health'), cb('hlth'))
      .text(t('admin-btn-invite'), cb('inv'))
      .row()
      .text(kill.on ? t('admin-btn-kill-undo') : t('admin-btn-kill'), cb(kill.on ? 'undo' : 'kill'));
    await show(ctx, t('admin-menu', { kill: kill.on ? t('admin-kill-on') : t('admin-kill-off'), pending: reqs.length }), kb);
  }

  async function userScreen(ctx: BotContext, t: T, actor: Actor, userId: number, note?: string): Promise<void> {
    const card = await deps.admin.userCard(actor, userId);
    const u = card.user;
    const kb = new InlineKeyboard();
    if (u.status === 'pending') kb.text(t('admin-btn-approve'), cb('appr', u.id));
    if (u.status === 'blocked') kb.text(t('admin-btn-unblock'), cb('unbl', u.id));
    else kb.text(t('admin-btn-block'), cb('block', u.id));
    kb.text(u.role === 'admin' ? t('admin-btn-demote') : t('admin-btn-promote'), cb(u.role === 'admin' ? 'demo' : 'prom', u.id)).row();
    kb.text(t('admin-btn-grant-month'), cb('grant', u.id, 'month'))
      .text(t('admin-btn-extend-days', { days: 7 }), cb('ext', u.id, 7))
      .text(t('admin-btn-revoke'), cb('revk', u.id))
      .row()
      .text(t('admin-btn-back'), cb('menu'));
    await show(ctx, (note ? `${note}\n\n` : '') + renderUserCard(t, card), kb);
  }

  async function userAction(ctx: BotContext, t: T, actor: Actor, a: string, userId: number, v: string): Promise<void> {
    switch (a) {
      case 'appr':
        await access.approveUser(actor, userId);
        break;
      case 'block':
        await access.block(actor, userId);
        break;
      case 'unbl':
        await access.unblock(actor, userId);
        break;
      case 'prom':
      case 'demo': {
        const ref = a === 'prom' ? await access.promote(actor, userId) : await access.demote(actor, userId);
        // The /admin command shows (or goes) in their chat now, not after a restart.
        const language = (await deps.users.findByTelegramId(ref.telegramId))?.language ?? 'en';
        const ok = await setAdminCommands(ctx.api, i18n, { telegramId: ref.telegramId, language }, a === 'prom');
        if (!ok) deps.log?.info({ userId }, 'admin commands not updated (the user has no chat with the bot yet)');
        break;
      }
      case 'grant':
        await deps.licenses.grant(actor, userId, /^\d+$/.test(v) ? { days: Number(v) } : { plan: v });
        break;
      case 'ext':
        await deps.licenses.extend(actor, userId, /^\d+$/.test(v) ? { days: Number(v) } : { plan: v });
        break;
      case 'revk':
        await deps.licenses.revoke(actor, userId);
        break;
    }
    await userScreen(ctx, t, actor, userId, t('admin-done'));
  }

  async function startBroadcast(ctx: BotContext, t: T, actor: Actor, draft: { target: BroadcastTarget; text: string; count: number }): Promise<void> {
    const chatId = ctx.chat!.id;
    const api = ctx.api;
    await show(ctx, t('admin-broadcast-started', { count: draft.count }));
    // Runs in the background: a long broadcast must not hold this chat's update queue.
    void deps.broadcaster
      .broadcast(actor, draft.target, draft.text, { send: apiBroadcastSend(api) })
      .then((r) => api.sendMessage(chatId, t('admin-broadcast-done', { delivered: r.delivered, blocked: r.blocked, failed: r.failed, total: r.total })))
      .catch((e: unknown) => deps.log?.error({ err: e instanceof Error ? { name: e.name, message: e.message } : String(e) }, 'broadcast failed'));
  }

  /** Maps expected service refusals to a message; rethrows the rest to the error boundary. */
  async function run(ctx: BotContext, t: T, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      if (e instanceof NotAuthorized) {
        await ctx.answerCallbackQuery({ text: t('admin-not-allowed'), show_alert: true }).catch(() => undefined);
        return;
      }
      if (isAppError(e) && (e.code === 'action-refused' || e.code === 'not-found' || e.code === 'user-input' || e.code === 'validation')) {
        const reason = typeof e.details.reason === 'string' ? e.details.reason : e.code;
        if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text: t('admin-refused', { reason }), show_alert: true }).catch(() => undefined);
        else await ctx.reply(t('admin-refused', { reason }));
        return;
      }
      throw e;
    }
  }

  composer.command('admin', async (ctx) => {
    const actor = await guard(ctx);
    if (!actor) return;
    pending.delete(actor.telegramId);
    const t = await tr(ctx);
    await run(ctx, t, () => menu(ctx, t));
  });

  composer.command('license', async (ctx) => {
    const t = await tr(ctx);
    const user = ctx.user ?? (ctx.from ? await deps.users.findByTelegramId(ctx.from.id) : null);
    if (!user) {
      await ctx.reply(t('license-status-none'));
      return;
    }
    await ctx.reply(renderLicense(t, await deps.licenses.status(user.id)));
  });

  composer.callbackQuery(ACCESS_DECISION_FILTER, async (ctx) => {
    const actor = await guard(ctx);
    if (!actor) return;
    const t = await tr(ctx);
    const m = ACCESS_DECISION_FILTER.exec(ctx.callbackQuery.data)!;
    await run(ctx, t, async () => {
      const approve = m[1] === 'ok';
      const r = approve ? await access.approve(actor, Number(m[2])) : await access.reject(actor, Number(m[2]));
      await ctx.answerCallbackQuery().catch(() => undefined);
      if (!r.changed) {
        await show(ctx, t('admin-request-decided', { id: String(r.request.id), status: r.request.status }));
        return;
      }
      await show(ctx, t(approve ? 'admin-request-approved' : 'admin-request-rejected', { id: String(r.request.id), tg: String(r.user.telegramId) }));
      const userT: T = (k, v) => i18n.t(r.user.language, k, v);
      await ctx.api.sendMessage(r.user.telegramId, userT(approve ? 'access-approved' : 'access-rejected')).catch(() => undefined);
    });
  });

  composer.callbackQuery(adminData.filter, async (ctx) => {
    const actor = await guard(ctx);
    if (!actor) return;
    const t = await tr(ctx);
    const { a, id: rawId, v } = adminData.unpack(ctx.callbackQuery.data);
    const id = /^\d{1,12}$/.test(rawId) ? Number(rawId) : 0;
    await run(ctx, t, async () => {
      await ctx.answerCallbackQuery().catch(() => undefined);
      switch (a) {
        case 'menu':
          pending.delete(actor.telegramId);
          return menu(ctx, t);
        case 'find':
          pending.set(actor.telegramId, { kind: 'find' });
          return show(ctx, t('admin-find-ask'), new InlineKeyboard().text(t('admin-btn-cancel'), cb('menu')));
        case 'user':
          return userScreen(ctx, t, actor, id);
        case 'appr':
        case 'block':
        case 'unbl':
        case 'prom':
        case 'demo':
        case 'grant':
        case 'ext':
        case 'revk':
          return userAction(ctx, t, actor, a, id, v);
        case 'pend': {
          const list = await access.listPending(actor);
          if (list.length === 0) return show(ctx, t('admin-pending-none'), new InlineKeyboard().text(t('admin-btn-back'), cb('menu')));
          const kb = new InlineKeyboard();
          for (const r of list.slice(0, 20)) kb.text(t('admin-pending-item', { id: String(r.id), user: String(r.userId) }), cb('user', r.userId)).row();
          return show(ctx, t('admin-pending-title', { count: list.length }), kb.text(t('admin-btn-back'), cb('menu')));
        }
        case 'srcs': {
          const list = await deps.admin.listSources(actor);
          const lines = list.map((s) => t('admin-source-line', { id: String(s.id), title: esc(s.title), subs: s.subscribers, visibility: s.visibility, paused: s.paused ? t('admin-source-paused') : '' }));
          return show(ctx, [t('admin-sources-title', { count: list.length }), ...lines].join('\n'), new InlineKeyboard().text(t('admin-btn-back'), cb('menu')));
        }
        case 'bc': {
          const [all, sources] = await Promise.all([deps.broadcaster.countRecipients(actor, { kind: 'all' }), deps.admin.listSources(actor)]);
          const kb = new InlineKeyboard().text(t('admin-btn-bc-all', { count: all }), cb('bcall')).row();
          for (const s of sources.slice(0, 20)) kb.text(t('admin-btn-bc-source', { title: s.title.slice(0, 30), count: s.subscribers }), cb('bcsrc', s.id)).row();
          return show(ctx, t('admin-broadcast-target'), kb.text(t('admin-btn-back'), cb('menu')));
        }
        case 'bcall':
        case 'bcsrc': {
          const target: BroadcastTarget = a === 'bcall' ? { kind: 'all' } : { kind: 'source', sourceId: id };
          const count = await deps.broadcaster.countRecipients(actor, target);
          pending.set(actor.telegramId, { kind: 'bc-text', target, count });
          return show(ctx, t('admin-broadcast-ask', { count }), new InlineKeyboard().text(t('admin-btn-cancel'), cb('menu')));
        }
        case 'bcgo': {
          // A second press of Send on the same message leaves the "broadcasting" text alone.
          const pressed = `${ctx.chat?.id ?? 0}:${ctx.callbackQuery.message?.message_id ?? 0}`;
          if (sentBroadcasts.has(pressed)) return;
          const draft = drafts.get(actor.telegramId);
          drafts.delete(actor.telegramId);
          if (!draft) return show(ctx, t('admin-cancelled'));
          sentBroadcasts.add(pressed);
          if (sentBroadcasts.size > 1000) sentBroadcasts.delete(sentBroadcasts.values().next().value!);
          return startBroadcast(ctx, t, actor, draft);
        }
        case 'bcno':
          drafts.delete(actor.telegramId);
          return show(ctx, t('admin-cancelled'), new InlineKeyboard().text(t('admin-btn-back'), cb('menu')));
        case 'hlth':
          return show(ctx, renderHealth(t, await deps.admin.health(actor)), new InlineKeyboard().text(t('admin-btn-refresh'), cb('hlth', 0, Date.now() % 1000)).text(t('admin-btn-back'), cb('menu')));
        case 'kill':
          return show(ctx, t('admin-kill-confirm'), new InlineKeyboard().text(t('admin-btn-kill-confirm'), cb('kill2')).row().text(t('admin-btn-cancel'), cb('menu')));
        case 'kill2': {
          await deps.gate.setKillSwitch(actor);
          return show(ctx, t('admin-kill-set'), new InlineKeyboard().text(t('admin-btn-back'), cb('menu')));
        }
        case 'undo':
          return show(ctx, t('admin-kill-undo-confirm'), new InlineKeyboard().text(t('admin-btn-kill-undo-confirm'), cb('undo2')).row().text(t('admin-btn-cancel'), cb('menu')));
        case 'undo2': {
          await deps.gate.clearKillSwitch(actor);
          return show(ctx, t('admin-kill-cleared'), new InlineKeyboard().text(t('admin-btn-back'), cb('menu')));
        }
        case 'inv':
          return show(
            ctx,
            t('admin-invites-title'),
            new InlineKeyboard().text(t('admin-btn-invite-single'), cb('inv1')).row().text(t('admin-btn-invite-multi'), cb('invm')).row().text(t('admin-btn-back'), cb('menu')),
          );
        case 'inv1':
        case 'invm': {
          const inv = await access.createInvite(actor, { maxUses: a === 'inv1' ? 1 : 10, ttlMs: 7 * 86_400_000 });
          const botName = ctx.me.username;
          return show(ctx, t('admin-invite-created', { code: inv.code, uses: inv.maxUses, expires: fmtDate(inv.expiresAt), link: `https://t.me/${botName}?start=${inv.code}` }), new InlineKeyboard().text(t('admin-btn-back'), cb('menu')));
        }
        default:
          return menu(ctx, t);
      }
    });
  });

  // An admin's typed input (user search, broadcast text). Everyone else passes through.
  composer.on('message:text', async (ctx, next) => {
    const id = ctx.from.id;
    const p = pending.get(id);
    if (!p) return next();
    if (!(await access.isAdmin(id))) {
      pending.delete(id);
      return next();
    }
    const text = ctx.message.text;
    const t = await tr(ctx);
    if (text === '/cancel') {
      pending.delete(id);
      drafts.delete(id);
      await ctx.reply(t('admin-cancelled'));
      return;
    }
    if (text.startsWith('/')) {
      pending.delete(id);
      return next();
    }
    if (containsSecret(text)) {
      // A pasted key is never searched for or broadcast; the step keeps waiting.
      await dropSecretMessage(ctx, (k) => t(k), ctx.chat.id, ctx.message.message_id);
      return;
    }
    const actor = { telegramId: id };
    pending.delete(id);
    await run(ctx, t, async () => {
      if (p.kind === 'find') {
        const card = await deps.admin.findUser(actor, text);
        if (!card) {
          await ctx.reply(t('admin-find-none', { query: esc(text.slice(0, 40)) }), { reply_markup: new InlineKeyboard().text(t('admin-btn-find'), cb('find')).text(t('admin-btn-back'), cb('menu')) });
          return;
        }
        await userScreen(ctx, t, actor, card.user.id);
        return;
      }
      drafts.set(id, { target: p.target, text, count: p.count });
      await ctx.reply(t('admin-broadcast-confirm', { count: p.count, text: esc(text) }), {
        reply_markup: new InlineKeyboard().text(t('admin-btn-bc-send'), cb('bcgo')).text(t('admin-btn-cancel'), cb('bcno')),
      });
    });
  });

  return composer;
}
