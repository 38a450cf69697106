/**
 * /grid: the grid (DCA / martingale) bots. A create wizard (one typed answer
 * per step, validated as it comes, in-memory pending steps only), a preview of
 * the levels and the margin before confirming (a disabled stop-loss needs a
 * second, explicit confirmation), the list with pause / resume / stop, and
 * per-bot stats. Also exports `renderGridNotification` for the notifier.
 *
 * Wiring (bot/create-bot.ts): `protectedBot.use(createGridFeature(kit, deps.grid))`
 * with `grid: GridService` from services/grid/service.ts.
 */
import { Composer, InlineKeyboard } from 'grammy';
import { ValidationError, isAppError, type PositionSide } from '../../models/index.js';
import type { GridNotification } from '../../services/grid/events.js';
import { GRID_LIMITS, type GridParams } from '../../services/grid/plan.js';
import type { GridBotView, GridPreview, GridService } from '../../services/grid/service.js';
import { createCallbackData } from '../callback-data/index.js';
import type { BotContext } from '../context.js';
import { answer, editOrReply, parseUserNumber, replyHtml, userOf } from '../helpers.js';
import { PENDING_TTL_MS } from '../pending.js';
import { esc, money, num, signedMoney } from '../render/format.js';
import { localeKeys } from '../i18n.js';
import type { FeatureKit } from './kit.js';

export const gridData = createCallbackData('gd', ['action', 'id']);

type Field = 'symbol' | 'deposit' | 'leverage' | 'levels' | 'coverage' | 'multiplier' | 'takeProfit' | 'stopLoss' | 'pause' | 'maxCycles';
const STEPS: Field[] = ['symbol', 'deposit', 'leverage', 'levels', 'coverage', 'multiplier', 'takeProfit', 'stopLoss', 'pause', 'maxCycles'];
const ASK_KEY: Record<Field, string> = {
  symbol: 'grid-ask-symbol',
  deposit: 'grid-ask-deposit',
  leverage: 'grid-ask-leverage',
  levels: 'grid-ask-levels',
  coverage: 'grid-ask-coverage',
  multiplier: 'grid-ask-multiplier',
  takeProfit: 'grid-ask-take-profit',
  stopLoss: 'grid-ask-stop-loss',
  pause: 'grid-ask-pause',
  maxCycles: 'grid-ask-max-cycles',
};

interface Draft {
  accountId: number;
  side: PositionSide;
  symbol?: string;
  values: Partial<Record<Exclude<Field, 'symbol'>, number | null>>;
  preview?: GridPreview;
}

/** 'not-number' (not a plain decimal), 'range' (a number outside min … max; `exclusive`: min itself is not allowed), 'symbol'. */
type Parsed = { ok: true; value: number | null | string } | { ok: false; error: 'not-number' | 'range' | 'symbol'; vars: Record<string, string | number> };

/** Parses and range-checks one answer. Percentages as numbers, pause in seconds, `off`/`0` where allowed. */
export function parseGridAnswer(field: Field, side: PositionSide, raw: string): Parsed {
  const text = raw.trim().replace(/%$/, '').trim();
  if (field === 'symbol') {
    const s = text.toUpperCase().replace(/[^A-Z0-9/]/g, '');
    if (!/^[A-Z0-9]{2,20}(\/[A-Z]{3,5})?$/.test(s)) return { ok: false, error: 'symbol', vars: {} };
    return { ok: true, value: s.includes('/') ? s : `${s}/USDT` };
  }
  if (field === 'stopLoss' && /^(off|нет|no|0)$/i.test(text)) return { ok: true, value: null };
  if (field === 'maxCycles' && /^(0|-|no|нет|∞)$/i.test(text)) return { ok: true, value: null };
  // The same number rules as every other input: plain decimals, `.` or `,`; no exponents.
  const parsed = parseUserNumber(text);
  const range: Record<Exclude<Field, 'symbol'>, { min: number; max: number; int?: boolean; exclusive?: boolean }> = {
    deposit: { min: 0, max: 1e9, exclusive: true },
    leverage: GRID_LIMITS.leverage,
    levels: { ...GRID_LIMITS.levels, int: true },
    coverage: { ...(side === 'long' ? GRID_LIMITS.coverageLong : GRID_LIMITS.coverageShort), exclusive: true },
    multiplier: GRID_LIMITS.multiplier,
    takeProfit: { ...GRID_LIMITS.takeProfit, exclusive: true },
    stopLoss: { ...(side === 'long' ? GRID_LIMITS.stopLossLong : GRID_LIMITS.stopLossShort), exclusive: true },
    pause: { min: 0, max: GRID_LIMITS.pauseMs.max / 1000 },
    maxCycles: { ...GRID_LIMITS.maxCycles, int: true },
  };
  const r = range[field];
  if (parsed === null) return { ok: false, error: 'not-number', vars: { min: r.min, max: r.max } };
  const v = parsed;
  const ok = (r.exclusive ? v > r.min : v >= r.min) && v <= r.max && (!r.int || Number.isInteger(v));
  return ok ? { ok: true, value: v } : { ok: false, error: 'range', vars: { min: r.min, max: r.max, exclusive: r.exclusive ? 1 : 0, int: r.int ? 1 : 0 } };
}

/** The message for a refused answer: "not a number" apart from "out of range". */
function parseErrorText(ctx: BotContext, p: Extract<Parsed, { ok: false }>): string {
  if (p.error === 'symbol') return ctx.t('trade-bad-symbol');
  if (p.error === 'not-number') return ctx.t('grid-err-not-number');
  if (p.vars.int) return ctx.t('grid-err-range-int', { min: p.vars.min!, max: p.vars.max! });
  return p.vars.exclusive ? ctx.t('grid-err-range-above', { min: p.vars.min!, max: p.vars.max! }) : ctx.t('grid-err-range', { min: p.vars.min!, max: p.vars.max! });
}

function paramsOf(d: Draft): GridParams {
  const v = d.values;
  return {
    side: d.side,
    deposit: v.deposit as number,
    leverage: v.leverage as number,
    levels: v.levels as number,
    coverage: v.coverage as number,
    multiplier: v.multiplier as number,
    takeProfit: v.takeProfit as number,
    stopLoss: v.stopLoss ?? null,
    pauseMs: (v.pause ?? 0) * 1000,
    maxCycles: v.maxCycles ?? null,
    afterStopLoss: 'stop',
  };
}

export function renderGridPreview(ctx: BotContext, pv: GridPreview): string {
  const p = pv.params;
  const lines = [
    `<b>${ctx.t('grid-preview-title', { symbol: esc(pv.symbol), side: ctx.t(`grid-side-${p.side}`) })}</b>`,
    ctx.t('grid-preview-price', { price: num(pv.price) }),
    ctx.t('grid-preview-sizing', { deposit: money(p.deposit), leverage: p.leverage, qty: num(pv.plan.baseQty) }),
    '',
    ...pv.plan.levels.map((l) => ctx.t('grid-preview-level', { index: l.index, price: num(l.price), qty: num(l.quantity), kind: ctx.t(l.index === 0 ? 'grid-level-market' : 'grid-level-limit') })),
    '',
    ctx.t('grid-preview-margin', { margin: money(pv.plan.requiredMargin), notional: money(pv.plan.notional) }),
    ctx.t('grid-preview-full', { avg: num(pv.plan.fullAverage), tp: num(pv.plan.fullTakeProfit), sl: pv.plan.fullStopLoss === null ? ctx.t('grid-off') : num(pv.plan.fullStopLoss) }),
    ctx.t('grid-preview-settings', { tp: p.takeProfit, sl: p.stopLoss === null ? ctx.t('grid-off') : `${p.stopLoss}%`, pause: p.pauseMs / 1000, cycles: p.maxCycles ?? '∞' }),
  ];
  if (pv.freeBalance !== null) lines.push(ctx.t('grid-preview-balance', { free: money(pv.freeBalance) }));
  for (const w of pv.plan.warnings) {
    if (w.code === 'levels-merged') lines.push(`⚠️ ${ctx.t('grid-warn-merged', { levels: w.merged.join(', ') })}`);
    else if (w.code === 'stop-above-levels') lines.push(`⚠️ ${ctx.t('grid-warn-unreachable', { levels: w.unreachable.join(', ') })}`);
    else lines.push(`⚠️ ${ctx.t('grid-warn-liquidation', { pct: w.liquidationPct.toFixed(1) })}`);
  }
  if (p.stopLoss === null) lines.push(`⚠️ <b>${ctx.t('grid-warn-no-stop')}</b>`);
  return lines.join('\n');
}

function renderBot(ctx: BotContext, b: GridBotView): string {
  const head = `<b>#${b.id} ${esc(b.symbol)}</b> ${ctx.t(`grid-side-${b.side}`)} · ${ctx.t(`grid-status-${b.status}`)}`;
  const lines = [head, ctx.t('grid-bot-cycles', { cycles: b.totals.cycles, pnl: signedMoney(b.totals.pnl) })];
  if (b.positionQty > 0) {
    lines.push(
      ctx.t('grid-bot-position', {
        cycle: b.cycle,
        qty: num(b.positionQty),
        avg: num(b.averageEntry),
        filled: b.levelsFilled,
        levels: b.levelsPlanned,
        tp: b.takeProfit === null ? '—' : num(b.takeProfit),
        sl: b.stopLoss === null ? ctx.t('grid-off') : num(b.stopLoss),
      }),
    );
  } else if (b.phase === 'waiting' && b.nextStartAt !== null) lines.push(ctx.t('grid-bot-waiting'));
  if (b.lastError?.startsWith('entry-gate:')) lines.push(ctx.t('grid-bot-paused', { reason: gateReason(ctx.t.bind(ctx), b.lastError.slice('entry-gate:'.length)) }));
  else if (b.lastError) lines.push(`⚠️ ${ctx.t('grid-bot-error-text', { reason: gridErrorReason(ctx.t.bind(ctx), b.lastError) })}`);
  return lines.join('\n');
}

function botKeyboard(ctx: BotContext, b: GridBotView): InlineKeyboard {
  const kb = new InlineKeyboard();
  if (b.status === 'running') kb.text(ctx.t('btn-grid-pause'), gridData.pack({ action: 'pause', id: b.id }));
  if (b.status === 'paused') kb.text(ctx.t('btn-grid-resume'), gridData.pack({ action: 'resume', id: b.id }));
  if (b.status !== 'stopped') kb.text(ctx.t('btn-grid-stop'), gridData.pack({ action: 'stop?', id: b.id }));
  kb.text(ctx.t('btn-grid-stats'), gridData.pack({ action: 'stats', id: b.id }));
  return kb.row().text(ctx.t('btn-grid-back'), gridData.pack({ action: 'menu', id: 0 }));
}

type Tr = (key: string, vars?: Record<string, string | number>) => string;

/** An error code of a grid order or step (`order-rejected`, `invalid-order-size`, ...) as a sentence, never the raw code. */
export function gridErrorReason(t: Tr, code: string): string {
  const keys = localeKeys('en');
  const c = code.replace(/\s*\(.*$/, '').trim();
  if (keys.has(`err-${c}`)) return t(`err-${c}`);
  return t('grid-err-other');
}

/** Why new entries are paused (the entry gate's reason: kill switch, license, ...), as a short phrase. */
export function gateReason(t: Tr, gate: unknown): string {
  return typeof gate === 'string' && localeKeys('en').has(`refusal-gate-${gate}`) ? t(`refusal-gate-${gate}`) : t('refusal-entry-gate');
}

/** A user-facing line for a refused input or plan. */
function errorLine(ctx: BotContext, e: unknown): string {
  if (e instanceof ValidationError) {
    const d = e.details;
    if (d.reason === 'entry-gate') return ctx.t('grid-err-paused', { reason: gateReason(ctx.t.bind(ctx), d.gate) });
    if (d.reason === 'level-below-minimum') return ctx.t('grid-err-below-minimum', { deposit: money(Number(d.minDeposit)) });
    if (d.reason === 'symbol-busy') return ctx.t('grid-err-symbol-busy', { symbol: esc(String(d.symbol)) });
    if (d.reason === 'insufficient-balance') return ctx.t('grid-err-balance', { required: money(Number(d.required)), free: money(Number(d.free)) });
    if (d.reason === 'leverage-above-market') return ctx.t('grid-err-leverage', { max: Number(d.max) });
    return ctx.t('grid-err-invalid', { field: String(d.field ?? '?') });
  }
  if (isAppError(e)) return ctx.t(`err-${e.code}`);
  throw e;
}

export function createGridFeature(kit: FeatureKit, grid: GridService): Composer<BotContext> {
  const c = new Composer<BotContext>();
  const drafts = new Map<number, Draft>();
  /** Start messages already acted on (`chatId:messageId`). */
  const started = new Set<string>();

  const menu = async (ctx: BotContext, edit: boolean) => {
    const bots = (await grid.list(userOf(ctx).id)).filter((b) => b.status !== 'stopped' || Date.now() - b.createdAt < 7 * 86_400_000);
    const kb = new InlineKeyboard()
      .text(ctx.t('btn-grid-new-long'), gridData.pack({ action: 'new', id: 'long' }))
      .text(ctx.t('btn-grid-new-short'), gridData.pack({ action: 'new', id: 'short' }));
    for (const b of bots) kb.row().text(`#${b.id} ${b.symbol} · ${ctx.t(`grid-status-${b.status}`)}`, gridData.pack({ action: 'show', id: b.id }));
    const text = [`<b>${ctx.t('grid-menu-title')}</b>`, bots.length === 0 ? ctx.t('grid-menu-empty') : ctx.t('grid-menu-count', { count: bots.length })].join('\n');
    if (edit) await editOrReply(ctx, text, kb);
    else await replyHtml(ctx, text, kb);
  };

  const ask = async (ctx: BotContext, telegramId: number, note?: string) => {
    const d = drafts.get(telegramId);
    if (!d) return;
    const field = STEPS.find((f) => (f === 'symbol' ? d.symbol === undefined : !(f in d.values)));
    if (!field) {
      await showPreview(ctx, telegramId);
      return;
    }
    kit.pending.set(telegramId, {
      kind: 'grid',
      secret: false,
      expiresAt: kit.now() + PENDING_TTL_MS,
      handle: async (ctx2, text) => {
        const parsed = parseGridAnswer(field, d.side, text);
        if (!parsed.ok) {
          await ask(ctx2, telegramId, parseErrorText(ctx2, parsed));
          return;
        }
        // Checked at its step against the account: the coin exists, the deposit fits the free balance.
        const problem = await checkOnAccount(ctx2, d, field, parsed.value);
        if (problem) {
          await ask(ctx2, telegramId, problem);
          return;
        }
        if (field === 'symbol') d.symbol = parsed.value as string;
        else d.values[field] = parsed.value as number | null;
        await ask(ctx2, telegramId);
      },
    });
    const kb = new InlineKeyboard();
    // Back: the previous question again; every other answer is kept.
    if (STEPS.indexOf(field) > 0) kb.text(ctx.t('btn-grid-step-back'), gridData.pack({ action: 'prev', id: field }));
    kb.text(ctx.t('btn-grid-cancel'), gridData.pack({ action: 'cancel', id: 0 }));
    await replyHtml(ctx, [note ? `⚠️ ${note}` : null, ctx.t(ASK_KEY[field])].filter(Boolean).join('\n'), kb);
  };

  /** The market of a coin and the free balance for a deposit, on the draft's account; a sentence when wrong. */
  const checkOnAccount = async (ctx: BotContext, d: Draft, field: Field, value: number | null | string): Promise<string | null> => {
    const userId = userOf(ctx).id;
    if (field === 'symbol') {
      try {
        await kit.deps.portfolio.quote(userId, d.accountId, value as string);
      } catch (e) {
        if (isAppError(e) && e.code === 'market-not-found') return ctx.t('grid-err-unknown-symbol', { symbol: esc(String(value)) });
        throw e;
      }
    }
    if (field === 'deposit' && typeof value === 'number') {
      const b = await kit.deps.portfolio.balance(userId, d.accountId);
      if (b && value > b.free) return ctx.t('grid-err-deposit-free', { deposit: money(value), free: money(b.free) });
    }
    return null;
  };

  const showPreview = async (ctx: BotContext, telegramId: number) => {
    const d = drafts.get(telegramId);
    if (!d || !d.symbol) return;
    kit.pending.clear(telegramId);
    try {
      d.preview = await grid.preview(userOf(ctx).id, { accountId: d.accountId, symbol: d.symbol, params: paramsOf(d) });
    } catch (e) {
      // The answers are kept: "Change the answer" asks the refused one (or the last) again.
      delete d.preview;
      const field = e instanceof ValidationError && STEPS.includes(e.details.field as Field) ? (e.details.field as Field) : (STEPS.at(-1) as Field);
      await replyHtml(
        ctx,
        `⚠️ ${errorLine(ctx, e)}`,
        new InlineKeyboard().text(ctx.t('btn-grid-fix'), gridData.pack({ action: 'redo', id: field })).text(ctx.t('btn-grid-cancel'), gridData.pack({ action: 'cancel', id: 0 })),
      );
      return;
    }
    const kb = new InlineKeyboard()
      .text(ctx.t(d.preview.params.stopLoss === null ? 'btn-grid-confirm-no-stop' : 'btn-grid-confirm'), gridData.pack({ action: d.preview.params.stopLoss === null ? 'nostop?' : 'create', id: 0 }))
      .text(ctx.t('btn-grid-cancel'), gridData.pack({ action: 'cancel', id: 0 }));
    await replyHtml(ctx, renderGridPreview(ctx, d.preview), kb);
  };

  const create = async (ctx: BotContext, confirmNoStopLoss: boolean) => {
    const msg = ctx.callbackQuery?.message;
    const msgKey = msg ? `${msg.chat.id}:${msg.message_id}` : '';
    // A second press of a start button: the first one's message stays as it is.
    if (started.has(msgKey)) {
      await answer(ctx, ctx.t('grid-already-started'));
      return;
    }
    const d = drafts.get(ctx.from!.id);
    if (!d?.preview) {
      await answer(ctx);
      await editOrReply(ctx, ctx.t('grid-err-expired'));
      return;
    }
    await answer(ctx);
    drafts.delete(ctx.from!.id);
    started.add(msgKey);
    if (started.size > 1_000) started.delete(started.values().next().value!);
    try {
      const bot = await grid.create(userOf(ctx).id, { accountId: d.accountId, symbol: d.preview.symbol, params: d.preview.params, confirmNoStopLoss });
      await editOrReply(ctx, `${ctx.t('grid-created')}\n\n${renderBot(ctx, bot)}`, botKeyboard(ctx, bot));
    } catch (e) {
      await editOrReply(ctx, `⚠️ ${errorLine(ctx, e)}`);
    }
  };

  const pm = c.chatType('private');
  pm.command('grid', (ctx) => menu(ctx, false));

  c.callbackQuery(gridData.filter, async (ctx) => {
    const { action, id } = gridData.unpack(ctx.callbackQuery.data);
    const user = userOf(ctx);
    // create / nostop answer themselves (a second press gets a toast).
    if (action !== 'create' && action !== 'nostop') await answer(ctx);
    const botId = Number(id);
    switch (action) {
      case 'prev':
      case 'redo': {
        const d = drafts.get(ctx.from.id);
        const at = STEPS.indexOf(id as Field);
        if (!d || at < 0) return editOrReply(ctx, ctx.t('grid-err-expired'));
        // prev: the question before `id`; redo: `id` itself. Only that answer is dropped.
        const field = action === 'prev' ? STEPS[Math.max(0, at - 1)]! : STEPS[at]!;
        if (field === 'symbol') delete d.symbol;
        else delete d.values[field];
        delete d.preview;
        return ask(ctx, ctx.from.id);
      }
      case 'menu':
        return menu(ctx, true);
      case 'new': {
        const accounts = await kit.deps.accounts.list(user.id);
        const account = accounts.find((a) => a.isDefault && a.status === 'active') ?? accounts.find((a) => a.status === 'active');
        if (!account) return editOrReply(ctx, ctx.t('grid-err-no-account'));
        drafts.set(ctx.from.id, { accountId: account.id, side: id === 'short' ? 'short' : 'long', values: {} });
        await editOrReply(ctx, ctx.t('grid-wizard-start', { account: esc(account.label), side: ctx.t(`grid-side-${id === 'short' ? 'short' : 'long'}`) }));
        return ask(ctx, ctx.from.id);
      }
      case 'cancel':
        drafts.delete(ctx.from.id);
        kit.pending.clear(ctx.from.id);
        return editOrReply(ctx, ctx.t('grid-cancelled'));
      case 'nostop?':
        return editOrReply(
          ctx,
          `⚠️ <b>${ctx.t('grid-confirm-no-stop')}</b>`,
          new InlineKeyboard().text(ctx.t('btn-grid-confirm-no-stop-final'), gridData.pack({ action: 'nostop', id: 0 })).text(ctx.t('btn-grid-cancel'), gridData.pack({ action: 'cancel', id: 0 })),
        );
      case 'nostop':
        return create(ctx, true);
      case 'create':
        return create(ctx, false);
      case 'show': {
        const b = await grid.get(user.id, botId);
        return editOrReply(ctx, renderBot(ctx, b), botKeyboard(ctx, b));
      }
      case 'pause':
      case 'resume': {
        const b = action === 'pause' ? await grid.pause(user.id, botId) : await grid.resume(user.id, botId);
        return editOrReply(ctx, renderBot(ctx, b), botKeyboard(ctx, b));
      }
      case 'stop?':
        return editOrReply(
          ctx,
          ctx.t('grid-confirm-stop', { id: botId }),
          new InlineKeyboard().text(ctx.t('btn-grid-stop-final'), gridData.pack({ action: 'stop', id: botId })).text(ctx.t('btn-grid-back'), gridData.pack({ action: 'show', id: botId })),
        );
      case 'stop': {
        const b = await grid.stop(user.id, botId);
        return editOrReply(ctx, renderBot(ctx, b), botKeyboard(ctx, b));
      }
      case 'stats': {
        const s = await grid.stats(user.id, botId);
        const lines = [
          `<b>${ctx.t('grid-stats-title', { id: botId })}</b>`,
          ctx.t('grid-stats-cycles', { cycles: s.cycles, tp: s.tpCycles, sl: s.slCycles, other: s.otherCycles }),
          ctx.t('grid-stats-pnl', { pnl: signedMoney(s.pnl), fees: money(s.fees) }),
          ctx.t('grid-stats-avg-time', { minutes: s.averageCycleMs === null ? '—' : (s.averageCycleMs / 60_000).toFixed(1) }),
          ...s.recent.map((r) => ctx.t('grid-stats-cycle', { cycle: r.cycle, reason: ctx.t(`grid-reason-${r.reason}`), pnl: signedMoney(Number(r.pnl)), levels: r.levels_used })),
        ];
        return editOrReply(ctx, lines.join('\n'), new InlineKeyboard().text(ctx.t('btn-grid-back'), gridData.pack({ action: 'show', id: botId })));
      }
    }
  });
  return c;
}

/** One notification as a line of text (the notifier joins a user's burst). */
export function renderGridNotification(t: (key: string, vars?: Record<string, string | number>) => string, e: GridNotification): string {
  const head = `#${e.botId} ${esc(e.symbol)}`;
  switch (e.type) {
    case 'grid-cycle-started':
      return t('grid-note-started', { bot: head, cycle: e.cycle, price: num(e.price), levels: e.levels });
    case 'grid-entry-filled':
      return t('grid-note-filled', { bot: head, level: e.level, price: num(e.price), qty: num(e.quantity), avg: num(e.averageEntry), tp: e.takeProfit === null ? '—' : num(e.takeProfit) });
    case 'grid-cycle-completed':
      return t('grid-note-completed', { bot: head, cycle: e.cycle, reason: t(`grid-reason-${e.reason}`), pnl: signedMoney(e.pnl), minutes: (e.durationMs / 60_000).toFixed(1), levels: e.levelsUsed });
    case 'grid-order-rejected':
      return t('grid-note-rejected-text', { bot: head, role: t(`grid-role-${e.role}`), reason: gridErrorReason(t, e.errorCode) });
    case 'grid-stopped':
      return t('grid-note-stopped', { bot: head, reason: t(`grid-stop-${e.reason}`) });
    case 'grid-error':
      if (e.code === 'entry-gate') return t('grid-note-paused', { bot: head, reason: gateReason(t, e.details.gate) });
      return t('grid-note-error', { bot: head, code: esc(e.code) });
  }
}
