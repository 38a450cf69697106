/**
 * The access gate: a Composer placed BEFORE user registration and every
 * other feature. For private chats and button presses it asks the access
 * service who this is:
 *  - blocked: one clear answer, nothing else runs;
 *  - invite mode, not yet admitted: an invite code (typed, or /start <code>)
 *    is redeemed; otherwise the user is asked for one and offered
 *    "Request access", which sends every admin Approve / Reject buttons;
 *  - allowed: the update goes on to the rest of the bot.
 * Channel posts and chat-member updates are not gated here.
 *
 * It does not rely on ctx.t or ctx.user (it runs before both are set).
 */
import { Composer, InlineKeyboard } from 'grammy';
import type { I18n } from '@grammyjs/i18n';
import type { AccessService } from '../../services/access.js';
import type { LicensesService } from '../../services/licenses.js';
import { redeemInviteWithLicense } from '../../services/licenses.js';
import { languageFromCode, type Language, type UsersService } from '../../services/users.js';
import type { BotContext } from '../context.js';
import { esc } from '../render/format.js';
import { containsSecret, dropSecretMessage } from '../secrets.js';

export interface AccessFeatureDeps {
  access: AccessService;
  licenses: Pick<LicensesService, 'grantFromInvite'>;
  users: Pick<UsersService, 'findByTelegramId'>;
  i18n: I18n<BotContext>;
}

/** Callback data of the access feature (no ids the server trusts: approve/reject re-check admin rights). */
export const ACCESS_REQUEST_DATA = 'acc:req';
export const accessDecisionData = (decision: 'ok' | 'no', requestId: number) => `acc:${decision}:${requestId}`;
export const ACCESS_DECISION_FILTER = /^acc:(ok|no):(\d{1,12})$/;

const INVITE_REPLY: Record<string, string> = {
  invalid: 'access-invite-invalid',
  expired: 'access-invite-expired',
  'used-up': 'access-invite-used-up',
  revoked: 'access-invite-revoked',
  'already-redeemed': 'access-invite-already-redeemed',
  blocked: 'access-blocked',
};

/** A typed invite code candidate: `/start CODE` or a bare code-looking text. */
export function inviteCandidate(text: string | undefined): string | null {
  if (!text) return null;
  const start = /^\/start(?:@\w+)?\s+([A-Za-z0-9-]{4,40})\s*$/.exec(text);
  if (start) return start[1]!;
  if (text.startsWith('/')) return null;
  return /^[A-Za-z0-9][A-Za-z0-9 -]{3,39}$/.test(text.trim()) ? text.trim() : null;
}

export async function languageOf(ctx: BotContext, users: Pick<UsersService, 'findByTelegramId'>): Promise<Language> {
  if (ctx.user) return ctx.user.language;
  if (ctx.from) {
    const u = await users.findByTelegramId(ctx.from.id);
    if (u) return u.language;
  }
  return languageFromCode(ctx.from?.language_code);
}

export function createAccessFeature(deps: AccessFeatureDeps): Composer<BotContext> {
  const { access, i18n } = deps;
  const composer = new Composer<BotContext>();

  composer.use(async (ctx, next) => {
    const from = ctx.from;
    const isPrivate = ctx.chat?.type === 'private' || (!!ctx.callbackQuery && !ctx.chat);
    if (!from || from.is_bot || !isPrivate) return next();
    const profile = { telegramId: from.id, username: from.username ?? null, firstName: from.first_name ?? null, languageCode: from.language_code ?? null };
    const decision = await access.check(profile);
    if (decision.kind === 'allowed') return next();

    const lang = await languageOf(ctx, deps.users);
    const t = (key: string, vars?: Record<string, string | number>) => i18n.t(lang, key, vars);
    const say = async (text: string, keyboard?: InlineKeyboard) => {
      if (ctx.callbackQuery) await ctx.answerCallbackQuery().catch(() => undefined);
      await ctx.reply(text, keyboard ? { reply_markup: keyboard } : {});
    };
    ctx.log?.info({ access: decision.kind }, 'access gate: not admitted');

    if (decision.kind === 'blocked') {
      if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text: t('access-blocked'), show_alert: true }).catch(() => undefined);
      else if (ctx.message) await ctx.reply(t('access-blocked'));
      return;
    }

    if (ctx.callbackQuery?.data === ACCESS_REQUEST_DATA) {
      if (decision.kind === 'pending') return say(t('access-pending'));
      if (!decision.canRequest) return say(t('access-request-wait'));
      const r = await access.requestAccess(profile);
      if (r.created) {
        const name = esc([from.first_name, from.last_name].filter(Boolean).join(' ') || String(from.id));
        for (const adminTg of r.adminTelegramIds) {
          const adminLang = (await deps.users.findByTelegramId(adminTg))?.language ?? 'en';
          const keyboard = new InlineKeyboard()
            .text(i18n.t(adminLang, 'access-btn-approve'), accessDecisionData('ok', r.request.id))
            .text(i18n.t(adminLang, 'access-btn-reject'), accessDecisionData('no', r.request.id));
          await ctx.api
            .sendMessage(adminTg, i18n.t(adminLang, 'access-admin-request', { id: String(r.request.id), name, username: esc(from.username ?? '-'), tg: String(from.id) }), { reply_markup: keyboard })
            .catch((e: unknown) => ctx.log?.warn({ adminTg, err: e instanceof Error ? e.message : String(e) }, 'could not tell an admin about an access request'));
        }
      }
      return say(t('access-request-sent'));
    }

    // A newcomer pasting a key: it goes at once (invite codes are far shorter than keys).
    if (ctx.message?.text && !ctx.message.forward_origin && containsSecret(ctx.message.text)) {
      await dropSecretMessage(ctx, (k) => t(k), ctx.message.chat.id, ctx.message.message_id);
      return;
    }
    const code = inviteCandidate(ctx.message?.text);
    if (code) {
      const r = await redeemInviteWithLicense(access, deps.licenses, profile, code);
      if (r.ok) return say(t('access-invite-ok'));
      return say(t(INVITE_REPLY[r.reason] ?? 'access-invite-invalid'));
    }

    if (decision.kind === 'pending') return say(t('access-pending'));
    if (!decision.canRequest) return say(t('access-request-wait'));
    return say(t('access-need-invite'), new InlineKeyboard().text(t('access-btn-request'), ACCESS_REQUEST_DATA));
  });

  return composer;
}
