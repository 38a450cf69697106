/**
 * Settings as inline menus that edit one message in place. Choices and
 * switches cycle on a press; numbers are typed after a prompt and validated
 * (a clear error, nothing changed on bad input). The same menus edit a
 * source's overrides (scope = source id) on top of the global settings.
 */
import { Composer, InlineKeyboard } from 'grammy';
import {
  SIZE_MODE_MAX,
  isValidTpSplit,
  settingsSchema,
  validateSetting,
  type Settings,
  type SettingsOverrides,
  type SizeMode,
} from '../../models/settings.js';
import { isAppError } from '../../models/errors.js';
import { LANGUAGES } from '../../services/users.js';
import type { BotContext } from '../context.js';
import { settingsData, sourceData } from '../callback-data/index.js';
import { answer, editMessage, editOrReply, parseUserNumber, replyHtml, userOf } from '../helpers.js';
import { backToMenu } from '../keyboards/menu.js';
import { esc, grouped, num } from '../render/format.js';
import { PENDING_TTL_MS } from '../pending.js';
import { localeKeys } from '../i18n.js';
import type { FeatureKit } from './kit.js';

type Kind = 'choice' | 'bool' | 'number' | 'int' | 'list' | 'language';
export interface SettingItem {
  key: keyof Settings | 'language';
  kind: Kind;
  options?: readonly string[];
  unit?: string;
}

/** Menu pages; an item's index in ITEMS is its id in callback data. */
export const GROUPS: { id: string; items: SettingItem['key'][] }[] = [
  { id: 'size', items: ['sizeMode', 'sizeValue', 'leverageMode', 'leverage', 'maxLeverage', 'marginMode'] },
  { id: 'entries', items: ['entryMode', 'entryTimeoutMin', 'tpSplit', 'stopPolicy', 'defaultStopPct', 'breakevenAfterTp', 'trailingPct'] },
  { id: 'risk', items: ['maxTrades', 'maxExposureUsdt', 'dailyLossLimitUsdt', 'followUpdates'] },
  { id: 'notify', items: ['notifyFills', 'notifyDaily', 'language'] },
];

export const ITEMS: SettingItem[] = [
  { key: 'sizeMode', kind: 'choice', options: ['fixed', 'balance_pct', 'risk_pct'] },
  { key: 'sizeValue', kind: 'number' },
  { key: 'leverageMode', kind: 'choice', options: ['signal', 'fixed'] },
  { key: 'leverage', kind: 'int', unit: 'x' },
  { key: 'maxLeverage', kind: 'int', unit: 'x' },
  { key: 'marginMode', kind: 'choice', options: ['isolated', 'cross'] },
  { key: 'entryMode', kind: 'choice', options: ['signal', 'market'] },
  { key: 'entryTimeoutMin', kind: 'int' },
  { key: 'tpSplit', kind: 'list' },
  { key: 'stopPolicy', kind: 'choice', options: ['signal_or_default', 'skip_without'] },
  { key: 'defaultStopPct', kind: 'number', unit: '%' },
  { key: 'breakevenAfterTp', kind: 'int' },
  { key: 'trailingPct', kind: 'number', unit: '%' },
  { key: 'maxTrades', kind: 'int' },
  { key: 'maxExposureUsdt', kind: 'number', unit: 'USDT' },
  { key: 'dailyLossLimitUsdt', kind: 'number', unit: 'USDT' },
  { key: 'followUpdates', kind: 'bool' },
  { key: 'notifyFills', kind: 'bool' },
  { key: 'notifyDaily', kind: 'bool' },
  { key: 'language', kind: 'language', options: LANGUAGES },
];

const itemIndex = (key: SettingItem['key']) => ITEMS.findIndex((i) => i.key === key);
const kebab = (s: string) => s.replace(/_/g, '-').replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`);

export function settingLabel(ctx: BotContext, key: SettingItem['key']): string {
  return ctx.t(`settings-item-${kebab(key)}`);
}

type T = (key: string, vars?: Record<string, string | number>) => string;
const langOf = (ctx: BotContext) => ctx.user?.language ?? 'en';

/** A size with its unit: `20 USDT`, `2 % of balance`, `1 % risk per trade`. */
export function formatSize(t: T, mode: SizeMode, value: number, lang = 'en'): string {
  return t(`settings-size-${kebab(mode)}`, { value: grouped(value, lang) });
}

/** A number with its unit: `5 %`, `10x`, `500 USDT`. */
function withUnit(n: string, unit: string | undefined): string {
  if (!unit) return n;
  return unit === 'x' ? `${n}x` : `${n} ${unit}`;
}

/** A take-profit split as `50 % / 30 % / 20 %`, or "even". */
export function formatTpSplit(t: T, value: unknown): string {
  return Array.isArray(value) && value.length ? value.map((v) => `${num(Number(v), 2)} %`).join(' / ') : t('settings-tp-even');
}

/** A setting's value for display; `settings` gives the size its mode's unit. */
export function formatValue(ctx: BotContext, item: SettingItem, value: unknown, settings?: Pick<Settings, 'sizeMode'>): string {
  if (item.kind === 'language') return ctx.t(`language-name-${String(value)}`);
  if (item.kind === 'bool') return value ? ctx.t('settings-on') : ctx.t('settings-off');
  if (item.kind === 'choice') {
    // A wording of its own where the grammar needs one ("Плечо: фиксированное"), else the shared option name.
    const own = `settings-opt-${kebab(item.key)}-${kebab(String(value))}`;
    return ctx.t(localeKeys('en').has(own) ? own : `settings-opt-${kebab(String(value))}`);
  }
  if (item.kind === 'list') return formatTpSplit(ctx.t, value);
  if (item.key === 'sizeValue') return formatSize(ctx.t, settings?.sizeMode ?? 'fixed', Number(value), langOf(ctx));
  if ((item.key === 'maxExposureUsdt' || item.key === 'dailyLossLimitUsdt' || item.key === 'entryTimeoutMin' || item.key === 'breakevenAfterTp' || item.key === 'trailingPct') && Number(value) === 0) return ctx.t('settings-off');
  return withUnit(grouped(Number(value), langOf(ctx)), item.unit);
}

/**
 * The allowed range of a numeric setting as words, the same everywhere:
 * "more than 0 and at most 1,000,000 USDT" or "from 1 to 200".
 */
export function rangeText(t: T, item: SettingItem, lang = 'en', settings?: Pick<Settings, 'sizeMode'>): string {
  const key = item.key as keyof Settings;
  const { min, max } = boundsOf(key);
  const lo = min ?? 0;
  if (key === 'sizeValue') {
    const mode = settings?.sizeMode ?? 'fixed';
    return t('settings-range-open', { min: grouped(0, lang), max: formatSize(t, mode, SIZE_MODE_MAX[mode], lang) });
  }
  const hi = withUnit(grouped(max ?? Infinity, lang), item.unit);
  // A lower bound the schema itself refuses is exclusive ("more than 0").
  const exclusive = !validateSetting(key, lo).ok;
  return exclusive ? t('settings-range-open', { min: grouped(lo, lang), max: hi }) : t('settings-range-closed', { min: grouped(lo, lang), max: hi });
}

/** Bounds of a numeric setting, from the settings schema. */
export function boundsOf(key: keyof Settings): { min: number | null; max: number | null } {
  const field = (settingsSchema.shape as Record<string, unknown>)[key] as { minValue?: number | null; maxValue?: number | null };
  return { min: field.minValue ?? null, max: field.maxValue ?? null };
}

interface Scope {
  userId: number;
  /** 0 = global, else a source id. */
  sourceId: number;
}

async function load(kit: FeatureKit, s: Scope): Promise<{ effective: Settings; overrides: SettingsOverrides | null }> {
  if (s.sourceId === 0) return { effective: await kit.deps.settings.getGlobal(s.userId), overrides: null };
  return { effective: await kit.deps.settings.effective(s.userId, s.sourceId), overrides: await kit.deps.settings.getOverrides(s.userId, s.sourceId) };
}

function valueOf(ctx: BotContext, item: SettingItem, st: { effective: Settings; overrides: SettingsOverrides | null }): string {
  if (item.key === 'language') return formatValue(ctx, item, ctx.user?.language ?? 'en');
  const v = formatValue(ctx, item, st.effective[item.key], st.effective);
  if (st.overrides && !(item.key in st.overrides)) return ctx.t('settings-inherited', { value: v });
  return v;
}

async function renderHome(kit: FeatureKit, ctx: BotContext, scope: Scope, note?: string): Promise<{ text: string; kb: InlineKeyboard }> {
  const kb = new InlineKeyboard();
  for (const [i, g] of GROUPS.entries()) {
    if (scope.sourceId !== 0 && g.id === 'notify') continue;
    kb.text(ctx.t(`settings-group-${g.id}`), settingsData.pack({ action: 'page', scope: scope.sourceId, item: i + 1, value: '-' })).row();
  }
  let title = ctx.t('settings-title');
  if (scope.sourceId !== 0) {
    const src = await kit.deps.sources.get(scope.userId, scope.sourceId);
    title = ctx.t('settings-overrides-title', { title: esc(src.title) });
    kb.text(ctx.t('btn-settings-reset-overrides'), settingsData.pack({ action: 'reset', scope: scope.sourceId, item: 0, value: '-' })).row();
    kb.text(ctx.t('btn-back'), sourceData.pack({ action: 'open', id: scope.sourceId }));
  } else backToMenu(ctx, kb);
  return { text: [note, title, ctx.t('settings-hint')].filter(Boolean).join('\n\n'), kb };
}

async function renderGroup(kit: FeatureKit, ctx: BotContext, scope: Scope, groupNo: number, note?: string): Promise<{ text: string; kb: InlineKeyboard }> {
  const group = GROUPS[groupNo - 1];
  if (!group) return renderHome(kit, ctx, scope, note);
  const st = await load(kit, scope);
  const kb = new InlineKeyboard();
  const lines: string[] = [];
  for (const key of group.items) {
    const item = ITEMS[itemIndex(key)]!;
    if (scope.sourceId !== 0 && item.kind === 'language') continue;
    const value = valueOf(ctx, item, st);
    lines.push(`${settingLabel(ctx, key)}: <b>${value}</b>`);
    const action = item.kind === 'choice' || item.kind === 'bool' || item.kind === 'language' ? 'cyc' : 'ask';
    kb.text(`${settingLabel(ctx, key)}: ${value}`, settingsData.pack({ action, scope: scope.sourceId, item: itemIndex(key), value: groupNo })).row();
  }
  kb.text(ctx.t('btn-back'), settingsData.pack({ action: 'page', scope: scope.sourceId, item: 0, value: '-' }));
  const title = ctx.t(`settings-group-${group.id}`);
  return { text: [note, `<b>${title}</b>`, lines.join('\n')].filter(Boolean).join('\n\n'), kb };
}

export async function showSettings(kit: FeatureKit, ctx: BotContext, sourceId: number, edit: boolean): Promise<void> {
  const { text, kb } = await renderHome(kit, ctx, { userId: userOf(ctx).id, sourceId });
  if (edit) await editOrReply(ctx, text, kb);
  else await replyHtml(ctx, text, kb);
}

type Parsed = { ok: true; value: unknown } | { ok: false; key: string; vars?: Record<string, string | number> };

/**
 * Parses a typed value for an item; returns a locale key on bad input
 * (range errors carry `range`, filled in by the caller with `rangeText`).
 * Numbers are plain decimals (`parseUserNumber`), optionally with their unit.
 */
export function parseTyped(item: SettingItem, text: string, settings?: Pick<Settings, 'sizeMode'>): Parsed {
  const t = text.trim();
  if (item.kind === 'list') {
    if (/^(even|0|-|ровно|поровну)$/i.test(t)) return { ok: true, value: null };
    // Separated by spaces, ';' or '/' (a comma is then a decimal comma), else by commas.
    const raw = /[\s;/]/.test(t) ? t.split(/[\s;/]+/) : t.split(',');
    const parts = raw.filter(Boolean).map((p) => parseUserNumber(p.replace(/%$/, '')));
    if (parts.length < 2 || parts.length > 10 || parts.some((p) => p === null || p <= 0)) return { ok: false, key: 'settings-error-list' };
    const nums = parts as number[];
    if (!isValidTpSplit(nums)) return { ok: false, key: 'settings-error-list-sum', vars: { sum: num(nums.reduce((a, b) => a + b, 0), 2) } };
    return { ok: true, value: nums };
  }
  const n = parseUserNumber(t.replace(/\s*(%|x|х|usdt|\$)$/i, ''));
  if (n === null) return { ok: false, key: 'settings-error-not-number' };
  if (item.kind === 'int' && !Number.isInteger(n)) return { ok: false, key: 'settings-error-not-integer' };
  const key = item.key as keyof Settings;
  const { min, max } = boundsOf(key);
  const outOfSize = key === 'sizeValue' && n > SIZE_MODE_MAX[settings?.sizeMode ?? 'fixed'];
  if (outOfSize || (min !== null && n < min) || (max !== null && n > max) || !validateSetting(key, n).ok) {
    return { ok: false, key: 'settings-error-range' };
  }
  return { ok: true, value: n };
}

export function createSettingsFeature(kit: FeatureKit): Composer<BotContext> {
  const c = new Composer<BotContext>();
  c.chatType('private').command('settings', (ctx) => showSettings(kit, ctx, 0, false));

  c.callbackQuery(settingsData.filter, async (ctx) => {
    const d = settingsData.unpack(ctx.callbackQuery.data);
    const user = userOf(ctx);
    if (!/^\d{1,12}$/.test(d.scope) || !/^\d{1,3}$/.test(d.item)) {
      await answer(ctx, ctx.t('button-expired'));
      return;
    }
    const scope: Scope = { userId: user.id, sourceId: Number(d.scope) };
    const itemNo = Number(d.item);
    await answer(ctx);
    // A source's overrides: only a source this user may see (another user's private source: not found).
    if (scope.sourceId !== 0) await kit.deps.sources.get(user.id, scope.sourceId);

    if (d.action === 'page') {
      const { text, kb } = itemNo ? await renderGroup(kit, ctx, scope, itemNo) : await renderHome(kit, ctx, scope);
      return editOrReply(ctx, text, kb);
    }
    if (d.action === 'reset' && scope.sourceId) {
      const current = await kit.deps.settings.getOverrides(user.id, scope.sourceId);
      await kit.deps.settings.updateOverrides(user.id, scope.sourceId, Object.fromEntries(Object.keys(current).map((k) => [k, null])));
      const { text, kb } = await renderHome(kit, ctx, scope, ctx.t('settings-overrides-cleared'));
      return editOrReply(ctx, text, kb);
    }
    const item = ITEMS[itemNo];
    const groupNo = Math.min(Math.max(Number(d.value) || 1, 1), GROUPS.length);
    if (!item) return;
    // Choices and switches cycle; numbers and lists are typed. Any other pairing is forged data.
    const cycles = item.kind === 'choice' || item.kind === 'bool' || item.kind === 'language';
    if ((d.action === 'cyc' && !cycles) || (d.action === 'ask' && cycles) || (scope.sourceId !== 0 && item.kind === 'language')) return;
    if (d.action === 'cyc') {
      let note: string | undefined;
      if (item.kind === 'language') {
        const next = LANGUAGES[(LANGUAGES.indexOf(user.language) + 1) % LANGUAGES.length]!;
        ctx.user = await kit.deps.users.setLanguage(user.id, next);
        ctx.i18n.useLocale(next);
      } else {
        const st = await load(kit, scope);
        const current = st.effective[item.key as keyof Settings];
        const next = item.kind === 'bool' ? !current : item.options![(item.options!.indexOf(String(current)) + 1) % item.options!.length];
        await save(kit, scope, item.key as keyof Settings, next);
        if (item.key === 'sizeMode') {
          // The size was reset to the new mode's default (never the old number in a new meaning): say so.
          const after = (await load(kit, scope)).effective;
          note = ctx.t('settings-size-reset', { mode: ctx.t(`settings-opt-${kebab(after.sizeMode)}`), value: formatSize(ctx.t, after.sizeMode, after.sizeValue, langOf(ctx)) });
        }
      }
      const { text, kb } = await renderGroup(kit, ctx, scope, groupNo, note);
      return editOrReply(ctx, text, kb);
    }
    if (d.action === 'ask') {
      const msg = ctx.callbackQuery.message;
      if (!msg || !ctx.chat) return;
      const chatId = ctx.chat.id;
      const key = item.key as keyof Settings;
      const st = await load(kit, scope);
      const prompt = (note?: string) => {
        const hint = item.kind === 'list' ? ctx.t('settings-ask-list') : ctx.t('settings-ask-number', { range: rangeText(ctx.t, item, langOf(ctx), st.effective) });
        const lines = [note, `<b>${settingLabel(ctx, key)}</b>: ${valueOf(ctx, item, st)}`, hint].filter(Boolean);
        const kb = new InlineKeyboard();
        if (scope.sourceId && st.overrides && key in st.overrides) kb.text(ctx.t('btn-settings-inherit'), settingsData.pack({ action: 'clr', scope: scope.sourceId, item: itemNo, value: groupNo }));
        kb.text(ctx.t('btn-cancel'), settingsData.pack({ action: 'page', scope: scope.sourceId, item: groupNo, value: '-' }));
        return { text: lines.join('\n\n'), kb };
      };
      kit.pending.set(ctx.from.id, {
        kind: 'setting',
        secret: false,
        expiresAt: kit.now() + PENDING_TTL_MS,
        handle: async (ctx2, text) => {
          const parsed = parseTyped(item, text, st.effective);
          let errorNote: string | null = null;
          if (!parsed.ok) errorNote = ctx2.t(parsed.key, { ...(parsed.vars ?? {}), range: rangeText(ctx2.t, item, langOf(ctx2), st.effective) });
          else {
            const cross = crossCheck(key, parsed.value, st.effective);
            if (cross) errorNote = ctx2.t(cross.key, cross.vars);
            else {
              try {
                await save(kit, scope, key, parsed.value);
              } catch (e) {
                if (!isAppError(e) || (e.code !== 'validation' && e.code !== 'user-input')) throw e;
                const range = (e.details as { issue?: string } | undefined)?.issue === 'range';
                errorNote = range ? ctx2.t('settings-error-range', { range: rangeText(ctx2.t, item, langOf(ctx2), st.effective) }) : ctx2.t('settings-error-invalid');
              }
            }
          }
          if (errorNote) {
            const p = prompt(`⚠️ ${errorNote}`);
            await editMessage(ctx2, chatId, msg.message_id, p.text, p.kb);
            await replyHtml(ctx2, `⚠️ ${errorNote}`);
            return;
          }
          kit.pending.clear(ctx2.from!.id);
          const { text: t2, kb } = await renderGroup(kit, ctx2, scope, groupNo, ctx2.t('settings-saved', { name: settingLabel(ctx2, key) }));
          await editMessage(ctx2, chatId, msg.message_id, t2, kb);
        },
      });
      const p = prompt();
      return editOrReply(ctx, p.text, p.kb);
    }
    if (d.action === 'clr' && scope.sourceId) {
      kit.pending.clear(ctx.from.id);
      await kit.deps.settings.updateOverrides(user.id, scope.sourceId, { [item.key]: null });
      const { text, kb } = await renderGroup(kit, ctx, scope, groupNo);
      return editOrReply(ctx, text, kb);
    }
  });
  return c;
}

/** Checks that need other settings: leverage within the cap. */
function crossCheck(key: keyof Settings, value: unknown, s: Settings): { key: string; vars: Record<string, string | number> } | null {
  if (key === 'leverage' && typeof value === 'number' && value > s.maxLeverage) return { key: 'settings-error-leverage-cap', vars: { max: s.maxLeverage } };
  if (key === 'maxLeverage' && typeof value === 'number' && s.leverageMode === 'fixed' && value < s.leverage) return { key: 'settings-error-cap-below', vars: { leverage: s.leverage } };
  return null;
}

async function save(kit: FeatureKit, scope: Scope, key: keyof Settings, value: unknown): Promise<void> {
  if (scope.sourceId === 0) await kit.deps.settings.updateGlobal(scope.userId, { [key]: value });
  else await kit.deps.settings.updateOverrides(scope.userId, scope.sourceId, { [key]: value });
}
