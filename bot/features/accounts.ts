/**
 * /connect (exchange → environment → key → secret, each secret message deleted
 * at once; key entry is a plain in-memory pending step, never a persisted
 * conversation) and /accounts (default, rename, remove).
 */
import { Composer, InlineKeyboard } from 'grammy';
import type { Environment } from '../../models/market.js';
import type { StoredCredentials } from '../../services/credentials.js';
import type { BotContext } from '../context.js';
import { accountData, connectData } from '../callback-data/index.js';
import { answer, editMessage, editOrReply, replyHtml, userOf } from '../helpers.js';
import { backToMenu } from '../keyboards/menu.js';
import { renderAccountDetails, renderAccountsList, renderConnected } from '../render/accounts.js';
import { esc } from '../render/format.js';
import { errorKey, errorVars } from '../create-bot.js';
import { localeKeys } from '../i18n.js';
import { PENDING_TTL_MS } from '../pending.js';
import type { FeatureKit } from './kit.js';

type Venue = 'bybit' | 'hyperliquid';
const ENVS: Record<Venue, Environment[]> = { bybit: ['mainnet', 'testnet', 'demo'], hyperliquid: ['mainnet', 'testnet'] };
/** Callback data is never trusted: only our own venues (not 'constructor', '__proto__', ...). */
const isVenue = (v: string): v is Venue => v === 'bybit' || v === 'hyperliquid';

export async function showAccounts(kit: FeatureKit, ctx: BotContext, edit: boolean): Promise<void> {
  const list = await kit.deps.accounts.list(userOf(ctx).id);
  const kb = new InlineKeyboard();
  for (const a of list) kb.text(`${a.isDefault ? '⭐ ' : ''}${a.label}`, accountData.pack({ action: 'open', id: a.id })).row();
  kb.text(ctx.t('btn-accounts-connect'), connectData.pack({ step: 'start', value: '-' }));
  backToMenu(ctx, kb);
  const text = renderAccountsList(ctx, list);
  if (edit) await editOrReply(ctx, text, kb);
  else await replyHtml(ctx, text, kb);
}

function exchangeKeyboard(ctx: BotContext): InlineKeyboard {
  return new InlineKeyboard()
    .text('Bybit', connectData.pack({ step: 'ex', value: 'bybit' }))
    .text('HyperLiquid', connectData.pack({ step: 'ex', value: 'hyperliquid' }))
    .row()
    .text(ctx.t('btn-cancel'), connectData.pack({ step: 'cancel', value: '-' }));
}

function cancelKeyboard(ctx: BotContext): InlineKeyboard {
  return new InlineKeyboard().text(ctx.t('btn-cancel'), connectData.pack({ step: 'cancel', value: '-' }));
}

/** Renders a service error in place: its err-<code> text, or a generic one with an id in the log. */
function errorText(kit: FeatureKit, ctx: BotContext, e: unknown): string | null {
  const key = errorKey(e, localeKeys('en'));
  if (!key) return null;
  void kit;
  return ctx.t(key, errorVars(e, ctx.t, localeKeys('en')));
}

export function createAccountsFeature(kit: FeatureKit): Composer<BotContext> {
  const c = new Composer<BotContext>();
  const pm = c.chatType('private');

  pm.command('connect', async (ctx) => {
    kit.pending.clear(ctx.from.id);
    await replyHtml(ctx, ctx.t('connect-choose-exchange'), exchangeKeyboard(ctx));
  });
  pm.command('accounts', (ctx) => showAccounts(kit, ctx, false));

  c.callbackQuery(connectData.filter, async (ctx) => {
    const { step, value } = connectData.unpack(ctx.callbackQuery.data);
    const tgId = ctx.from.id;
    await answer(ctx);
    if (step === 'cancel') {
      kit.pending.clear(tgId);
      return editOrReply(ctx, ctx.t('connect-cancelled'));
    }
    if (step === 'start') {
      kit.pending.clear(tgId);
      return editOrReply(ctx, ctx.t('connect-choose-exchange'), exchangeKeyboard(ctx));
    }
    if (step === 'ex') {
      const venue = value as Venue;
      if (!isVenue(venue)) return;
      const kb = new InlineKeyboard();
      for (const env of ENVS[venue]) kb.text(ctx.t(`env-${env}`), connectData.pack({ step: 'env', value: `${venue}.${env}` }));
      kb.row().text(ctx.t('btn-cancel'), connectData.pack({ step: 'cancel', value: '-' }));
      return editOrReply(ctx, ctx.t('connect-choose-environment', { exchange: venue === 'bybit' ? 'Bybit' : 'HyperLiquid' }), kb);
    }
    if (step === 'env') {
      const [venue, env] = value.split('.') as [Venue, Environment];
      if (!isVenue(venue) || !ENVS[venue].includes(env)) return;
      const promptId = ctx.callbackQuery.message?.message_id;
      const chatId = ctx.chat?.id;
      if (promptId === undefined || chatId === undefined) return;
      startKeyEntry(kit, ctx, { venue, env, chatId, promptId });
      const ask = venue === 'bybit' ? ctx.t('connect-ask-api-key') : ctx.t('connect-ask-wallet');
      return editOrReply(ctx, `${ask}\n\n${ctx.t('connect-secret-note')}`, cancelKeyboard(ctx));
    }
  });

  c.callbackQuery(accountData.filter, async (ctx) => {
    const { action, id } = accountData.unpack(ctx.callbackQuery.data);
    const userId = userOf(ctx).id;
    const accountId = Number(id);
    await answer(ctx);
    if (action === 'list') return showAccounts(kit, ctx, true);
    // Every action below goes through the accounts service with this user's id: another user's
    // account id is "account not found" and changes nothing.
    if (!/^\d{1,12}$/.test(id)) return;
    if (action === 'ren') await kit.deps.accounts.get(userId, accountId);
    if (action === 'def') {
      await kit.deps.accounts.setDefault(userId, accountId);
      await answer(ctx, ctx.t('accounts-default-set'));
    }
    if (action === 'rm') {
      await kit.deps.accounts.remove(userId, accountId);
      await editOrReply(ctx, ctx.t('accounts-removed'));
      return showAccounts(kit, ctx, false);
    }
    if (action === 'del') {
      const a = await kit.deps.accounts.get(userId, accountId);
      const kb = new InlineKeyboard()
        .text(ctx.t('btn-accounts-remove-confirm'), accountData.pack({ action: 'rm', id: accountId }))
        .text(ctx.t('btn-cancel'), accountData.pack({ action: 'open', id: accountId }));
      return editOrReply(ctx, ctx.t('accounts-remove-confirm', { label: esc(a.label) }), kb);
    }
    if (action === 'ren') {
      const msg = ctx.callbackQuery.message;
      if (!msg || !ctx.chat) return;
      const chatId = ctx.chat.id;
      kit.pending.set(ctx.from.id, {
        kind: 'rename',
        secret: false,
        expiresAt: kit.now() + PENDING_TTL_MS,
        handle: async (ctx2, text) => {
          try {
            await kit.deps.accounts.rename(userId, accountId, text);
          } catch (e) {
            const t = errorText(kit, ctx2, e);
            if (!t) throw e;
            await replyHtml(ctx2, `${t}\n${ctx2.t('accounts-ask-label')}`);
            return;
          }
          kit.pending.clear(ctx2.from!.id);
          const a = await kit.deps.accounts.get(userId, accountId);
          await editMessage(ctx2, chatId, msg.message_id, renderAccountDetails(ctx2, a), accountKeyboard(ctx2, a.id, a.exchange === 'paper', a.isDefault));
          await replyHtml(ctx2, ctx2.t('accounts-renamed', { label: esc(a.label) }));
        },
      });
      return replyHtml(ctx, ctx.t('accounts-ask-label'));
    }
    // open (and after def): with the account's balance, read through the portfolio service (null: could not be read)
    const a = await kit.deps.accounts.get(userId, accountId);
    const balance = a.status === 'active' ? await kit.deps.portfolio.balance(userId, a.id) : undefined;
    return editOrReply(ctx, renderAccountDetails(ctx, a, balance), accountKeyboard(ctx, a.id, a.exchange === 'paper', a.isDefault));
  });
  return c;
}

function accountKeyboard(ctx: BotContext, id: number, paper: boolean, isDefault: boolean): InlineKeyboard {
  const kb = new InlineKeyboard();
  if (!isDefault) kb.text(ctx.t('btn-accounts-default'), accountData.pack({ action: 'def', id }));
  kb.text(ctx.t('btn-accounts-rename'), accountData.pack({ action: 'ren', id }));
  if (!paper) kb.text(ctx.t('btn-accounts-remove'), accountData.pack({ action: 'del', id }));
  return kb.row().text(ctx.t('btn-back'), accountData.pack({ action: 'list', id: 0 }));
}

/** A HyperLiquid wallet address: 0x and 40 hex digits. */
export function isWalletAddress(text: string): boolean {
  return /^0x[0-9a-fA-F]{40}$/.test(text);
}

/** A HyperLiquid API wallet private key: 64 hex digits, with or without 0x. */
export function isPrivateKey(text: string): boolean {
  return /^(0x)?[0-9a-fA-F]{64}$/.test(text);
}

/**
 * Key entry: two pending steps held in memory only. The public part (API key /
 * wallet address) waits in this closure until the secret arrives; both
 * messages are deleted by the router before this code runs.
 */
function startKeyEntry(kit: FeatureKit, ctx: BotContext, s: { venue: Venue; env: Environment; chatId: number; promptId: number }): void {
  const tgId = ctx.from!.id;
  const userId = userOf(ctx).id;
  kit.pending.set(tgId, {
    kind: 'connect-key',
    secret: true,
    expiresAt: kit.now() + PENDING_TTL_MS,
    handle: async (ctx1, first) => {
      const publicPart = first.trim();
      // HyperLiquid: the wallet address is checked at its step (the message is already deleted).
      if (s.venue === 'hyperliquid' && !isWalletAddress(publicPart)) {
        await editMessage(ctx1, s.chatId, s.promptId, `⚠️ ${ctx1.t('connect-bad-wallet')}\n\n${ctx1.t('connect-ask-wallet')}\n\n${ctx1.t('connect-secret-note')}`, cancelKeyboard(ctx1));
        return;
      }
      const ask = s.venue === 'bybit' ? ctx1.t('connect-ask-api-secret') : ctx1.t('connect-ask-private-key');
      kit.pending.set(tgId, {
        kind: 'connect-secret',
        secret: true,
        expiresAt: kit.now() + PENDING_TTL_MS,
        handle: async (ctx2, second) => {
          if (s.venue === 'hyperliquid' && !isPrivateKey(second.trim())) {
            // The step stays: the user sends the key again (this message is already deleted).
            await editMessage(ctx2, s.chatId, s.promptId, `⚠️ ${ctx2.t('connect-bad-private-key')}\n\n${ask}\n\n${ctx2.t('connect-secret-note')}`, cancelKeyboard(ctx2));
            return;
          }
          kit.pending.clear(tgId);
          const credentials: StoredCredentials =
            s.venue === 'bybit' ? { apiKey: publicPart, secret: second.trim() } : { walletAddress: publicPart, privateKey: second.trim() };
          await editMessage(ctx2, s.chatId, s.promptId, ctx2.t('connect-checking'));
          try {
            const r = await kit.deps.accounts.connect({ userId, exchange: s.venue, environment: s.env, credentials });
            await editMessage(ctx2, s.chatId, s.promptId, renderConnected(ctx2, r));
          } catch (e) {
            const t = errorText(kit, ctx2, e);
            if (!t) {
              await editMessage(ctx2, s.chatId, s.promptId, `${ctx2.t('connect-failed')}\n\n${ctx2.t('connect-nothing-stored')}`);
              throw e;
            }
            const kb = new InlineKeyboard().text(ctx2.t('btn-connect-retry'), connectData.pack({ step: 'env', value: `${s.venue}.${s.env}` }));
            await editMessage(ctx2, s.chatId, s.promptId, `${ctx2.t('connect-failed')}\n${t}\n\n${ctx2.t('connect-nothing-stored')}`, kb);
          }
        },
      });
      await editMessage(ctx1, s.chatId, s.promptId, `${ask}\n\n${ctx1.t('connect-secret-note')}`, cancelKeyboard(ctx1));
    },
  });
}
