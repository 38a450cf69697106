/** /positions (close 100% / 50%, stop to breakeven), /orders, /balance, /close SYMBOL; the /trade wizard lives in trade-wizard.ts. */
import { Composer, InlineKeyboard } from 'grammy';
import { isAppError } from '../../models/errors.js';
import { ActionFailed, ActionRefused } from '../../services/app-ports.js';
import { NoPosition, normalizeUserSymbol, type CloseResult, type PositionView } from '../../services/portfolio.js';
import type { BotContext } from '../context.js';
import { positionData } from '../callback-data/index.js';
import { answer, editOrReply, replyHtml, userOf } from '../helpers.js';
import { esc, num } from '../render/format.js';
import { renderBalances, renderClosed, renderOrders, renderPosition } from '../render/trading.js';
import { localeKeys } from '../i18n.js';
import { gridData } from './grid.js';
import type { FeatureKit } from './kit.js';
import { createTradeWizard } from './trade-wizard.js';

export { MAX_MANUAL_MARGIN, parseMargin } from './trade-wizard.js';

const MAX_POSITION_MESSAGES = 10;

/** A position symbol in callback data: BASE/QUOTE (optionally :SETTLE), nothing else. */
const SYMBOL_DATA = /^[A-Z0-9]{1,20}\/[A-Z0-9]{2,10}(:[A-Z0-9]{2,10})?$/;
/** Close button value: the percent, and after partial closes the card's generation (`50g2`). */
const CLOSE_VALUE = /^(\d{1,3})(?:g(\d{1,4}))?$/;
/** Breakeven button value: `0`, or the card's generation (`g2`). */
const BE_VALUE = /^(?:0|g(\d{1,4}))$/;

const baseOf = (symbol: string) => symbol.split(':')[0]!;

/** Running (not stopped) grid bots by `accountId:BASE/QUOTE`: their positions belong to the grid. */
async function gridOwners(kit: FeatureKit, userId: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  try {
    for (const b of await kit.deps.grid.list(userId)) if (b.status !== 'stopped') out.set(`${b.accountId}:${baseOf(b.symbol)}`, b.id);
  } catch (e) {
    kit.deps.log.warn({ userId, code: isAppError(e) ? e.code : 'unknown' }, 'grid list failed');
  }
  return out;
}

function positionKeyboard(ctx: BotContext, v: PositionView, gridId: number | null, gen: number): InlineKeyboard {
  // A grid's position is managed by the grid: no close / breakeven here, only the way to the grid.
  if (gridId !== null) return new InlineKeyboard().text(ctx.t('btn-positions-open-grid', { id: gridId }), gridData.pack({ action: 'show', id: gridId }));
  const g = gen > 0 ? `g${gen}` : '';
  const p = v.position;
  return new InlineKeyboard()
    .text(ctx.t('btn-positions-close-all'), positionData.pack({ action: 'cl', account: v.accountId, symbol: p.symbol, value: `100${g}` }))
    .text(ctx.t('btn-positions-close-half'), positionData.pack({ action: 'cl', account: v.accountId, symbol: p.symbol, value: `50${g}` }))
    .row()
    .text(ctx.t('btn-positions-breakeven'), positionData.pack({ action: 'be', account: v.accountId, symbol: p.symbol, value: g || 0 }));
}

export async function showPositions(kit: FeatureKit, ctx: BotContext): Promise<void> {
  const userId = userOf(ctx).id;
  const list = await kit.deps.portfolio.positions(userId);
  if (!list.length) {
    await replyHtml(ctx, ctx.t('positions-empty'));
    return;
  }
  const grids = await gridOwners(kit, userId);
  await replyHtml(ctx, ctx.t('positions-title', { count: list.length }));
  for (const v of list.slice(0, MAX_POSITION_MESSAGES)) {
    const gridId = grids.get(`${v.accountId}:${baseOf(v.position.symbol)}`) ?? null;
    await replyHtml(ctx, renderPosition(ctx, v, gridId), positionKeyboard(ctx, v, gridId, 0));
  }
  if (list.length > MAX_POSITION_MESSAGES) await replyHtml(ctx, ctx.t('positions-more', { count: list.length - MAX_POSITION_MESSAGES }));
}

type T = (key: string, vars?: Record<string, string | number>) => string;

/** A refused or failed position action as a sentence (the real reason), or null for an unexpected error. */
export function actionErrorText(t: T, e: unknown): string | null {
  if (!isAppError(e)) return null;
  const d = e.details;
  if (d.reason === 'grid-managed' || d.code === 'grid-managed') return t('positions-err-grid-managed', { id: typeof d.gridId === 'number' ? d.gridId : '?' });
  if (e instanceof ActionRefused) {
    if (d.reason === 'below-min-size') return t('positions-err-below-min', { quantity: num(Number(d.quantity)), min: num(Number(d.min)), base: esc(String(d.base ?? '')) });
    if (d.reason === 'breakeven-wrong-side') return t(d.side === 'short' ? 'positions-err-be-wrong-side-short' : 'positions-err-be-wrong-side-long', { price: num(Number(d.price)), entry: num(Number(d.entry)) });
  }
  if (e instanceof NoPosition) return t('err-no-position');
  const keys = localeKeys('en');
  if (e instanceof ActionFailed) {
    const code = typeof d.code === 'string' ? d.code : '';
    if (keys.has(`positions-fail-${code}`)) return t(`positions-fail-${code}`);
    if (keys.has(`err-${code}`)) return t(`err-${code}`);
    return t('positions-fail-other');
  }
  // Anything else (another user's account, an unreachable exchange) goes to the error boundary as a message.
  return null;
}

/** A toast that stays until dismissed (Telegram's alert), for a reason the user has to read. */
async function alert(ctx: BotContext, text: string): Promise<void> {
  const state = ctx as BotContext & { _answered?: boolean };
  if (state._answered) return;
  state._answered = true;
  // Telegram allows 200 characters in a callback answer.
  await ctx.answerCallbackQuery({ text: text.replace(/<[^>]+>/g, '').slice(0, 200), show_alert: true }).catch(() => undefined);
}

export function createTradingFeature(kit: FeatureKit): Composer<BotContext> {
  const c = new Composer<BotContext>();
  const pm = c.chatType('private');
  /** Position actions already done (request ids): a later press of the same button only gets a toast. */
  const done = new Set<string>();
  const remember = (key: string) => {
    done.add(key);
    if (done.size > 2_000) done.delete(done.values().next().value!);
  };

  pm.command('positions', (ctx) => showPositions(kit, ctx));
  pm.command('orders', async (ctx) => {
    await replyHtml(ctx, renderOrders(ctx, await kit.deps.portfolio.orders(userOf(ctx).id)));
  });
  pm.command('balance', async (ctx) => {
    await replyHtml(ctx, renderBalances(ctx, await kit.deps.portfolio.balances(userOf(ctx).id)));
  });
  pm.command('close', async (ctx) => {
    const arg = ctx.match.trim();
    const symbol = arg ? normalizeUserSymbol(arg.split(/\s+/)[0]!) : null;
    if (!symbol) {
      await replyHtml(ctx, ctx.t('close-usage'));
      return;
    }
    const userId = userOf(ctx).id;
    const grids = await gridOwners(kit, userId);
    const gridId = [...grids.entries()].find(([k]) => k.endsWith(`:${symbol}`))?.[1];
    if (gridId !== undefined) {
      await replyHtml(ctx, ctx.t('positions-err-grid-managed', { id: gridId }));
      return;
    }
    let results: CloseResult[];
    try {
      results = await kit.deps.portfolio.closeSymbol(userId, symbol);
    } catch (e) {
      const text = actionErrorText(ctx.t.bind(ctx), e);
      if (text === null) throw e;
      await replyHtml(ctx, `⚠️ ${text}`);
      return;
    }
    // One message for one command: a finalized tracked trade is told by its "closed" notification.
    const unnotified = results.filter((r) => !r.notified);
    if (unnotified.length) await replyHtml(ctx, unnotified.map((r) => renderClosed(ctx, r)).join('\n\n'));
  });

  c.callbackQuery(positionData.filter, async (ctx) => {
    const d = positionData.unpack(ctx.callbackQuery.data);
    const userId = userOf(ctx).id;
    const accountId = Number(d.account);
    const msg = ctx.callbackQuery.message;
    // Ownership of the account is checked by the service (another user's id: account not found).
    if (!/^\d{1,12}$/.test(d.account) || !SYMBOL_DATA.test(d.symbol)) return answer(ctx, ctx.t('button-expired'));
    const cl = d.action === 'cl' ? CLOSE_VALUE.exec(d.value) : null;
    const be = d.action === 'be' ? BE_VALUE.exec(d.value) : null;
    if (!cl && !be) return answer(ctx, ctx.t('button-expired'));
    const percent = cl ? Number(cl[1]) : 0;
    if (cl && (percent < 1 || percent > 100)) return answer(ctx, ctx.t('button-expired'));
    const gen = Number((cl ? cl[2] : be![1]) ?? 0);
    const gridId = (await gridOwners(kit, userId)).get(`${accountId}:${baseOf(d.symbol)}`) ?? null;
    if (gridId !== null) return alert(ctx, ctx.t('positions-err-grid-managed', { id: gridId }));

    const refresh = async (prefix: string, nextGen: number) => {
      const v = await kit.deps.portfolio.position(userId, accountId, d.symbol).catch(() => null);
      if (!v) return editOrReply(ctx, prefix || ctx.t('err-no-position'));
      return editOrReply(ctx, `${prefix ? `${prefix}\n\n` : ''}${renderPosition(ctx, v)}`, positionKeyboard(ctx, v, null, nextGen));
    };

    if (cl) {
      // One close per pressed button: a double tap or a re-delivered update closes once.
      const requestId = `pos:${msg?.chat.id ?? 0}:${msg?.message_id ?? 0}:${d.symbol}:${percent}:${gen}`;
      if (done.has(requestId)) return answer(ctx, ctx.t('positions-already-done'));
      let r: CloseResult;
      try {
        r = await kit.deps.portfolio.close(userId, accountId, d.symbol, percent, requestId);
      } catch (e) {
        const text = actionErrorText(ctx.t.bind(ctx), e);
        if (text === null) throw e;
        // Nothing to close any more (closed meanwhile, an old card): a toast, the card stays.
        if (e instanceof NoPosition) remember(requestId);
        return alert(ctx, text);
      }
      remember(requestId);
      await answer(ctx, ctx.t('positions-closed-toast', { symbol: esc(d.symbol) }));
      // A partial close keeps the card, updated, with buttons for what is left.
      if (percent < 100) return refresh(renderClosed(ctx, r), gen + 1);
      return editOrReply(ctx, renderClosed(ctx, r));
    }

    // Stop to breakeven: a toast, and the card updated in place.
    let r: { stopLoss: number; already: boolean };
    try {
      r = await kit.deps.portfolio.breakeven(userId, accountId, d.symbol);
    } catch (e) {
      const text = actionErrorText(ctx.t.bind(ctx), e);
      if (text === null) throw e;
      return alert(ctx, text);
    }
    await answer(ctx, ctx.t(r.already ? 'positions-breakeven-already' : 'positions-breakeven-done', { price: num(r.stopLoss) }));
    return refresh('', gen);
  });

  c.use(createTradeWizard(kit));
  return c;
}
