/**
 * A trader's risk settings: global defaults per user, with per-source
 * overrides on top. One schema validates both (overrides are partial).
 */
import { z } from 'zod';

export const SIZE_MODES = ['fixed', 'balance_pct', 'risk_pct'] as const;
export type SizeMode = (typeof SIZE_MODES)[number];

const pct = (max: number) => z.number().gt(0).lte(max);

/** The value a size mode starts with when the user switches to it (never the old number reinterpreted). */
export const SIZE_MODE_DEFAULTS: Readonly<Record<SizeMode, number>> = { fixed: 20, balance_pct: 2, risk_pct: 1 };
/** The largest size per mode: USDT margin, % of balance as margin, % of balance lost at the stop. */
export const SIZE_MODE_MAX: Readonly<Record<SizeMode, number>> = { fixed: 1_000_000, balance_pct: 100, risk_pct: 10 };

/** A size value out of its mode's range: the bounds to show, else null. */
export function sizeValueIssue(mode: SizeMode, value: number): { min: number; max: number } | null {
  const max = SIZE_MODE_MAX[mode];
  return Number.isFinite(value) && value > 0 && value <= max ? null : { min: 0, max };
}

/** Tolerance of a take-profit split's total around 100 %. */
export const TP_SPLIT_TOLERANCE = 0.5;

/** A custom take-profit split: 2 to 10 positive percentages adding up to 100 (± 0.5). */
export function isValidTpSplit(parts: readonly number[]): boolean {
  if (parts.length < 2 || parts.length > 10) return false;
  if (parts.some((p) => !Number.isFinite(p) || p <= 0)) return false;
  const sum = parts.reduce((a, b) => a + b, 0);
  return Math.abs(sum - 100) <= TP_SPLIT_TOLERANCE;
}

export const settingsSchema = z.object({
  /** fixed: margin in USDT per trade; balance_pct: % of available balance as margin; risk_pct: % of balance lost at the stop. */
  sizeMode: z.enum(SIZE_MODES),
  sizeValue: z.number().gt(0).lte(1_000_000),
  /** signal: the signal's leverage (capped); fixed: always `leverage`. */
  leverageMode: z.enum(['signal', 'fixed']),
  leverage: z.number().int().min(1).max(125),
  maxLeverage: z.number().int().min(1).max(125),
  marginMode: z.enum(['isolated', 'cross']),
  /** signal: limit orders at the signal's entries (market when the signal says so); market: always market now. */
  entryMode: z.enum(['signal', 'market']),
  /** Split of the position across limit entries: even, or weights (any positive numbers, normalised). */
  entryWeights: z.array(z.number().gt(0)).max(10).nullable(),
  /** Unfilled entries are cancelled after this many minutes (0 = never). */
  entryTimeoutMin: z.number().int().min(0).max(60 * 24 * 14),
  /** Split across take-profits: null = even, or 2–10 percentages adding up to 100 (± 0.5). */
  tpSplit: z.array(z.number().gt(0)).min(2).max(10).refine(isValidTpSplit, 'take-profit shares must add up to 100').nullable(),
  /** The user's own targets in % from entry, used when the signal has none. */
  ownTakeProfitPcts: z.array(pct(1000)).max(10),
  /** signal: use the signal's stop, else a default distance; skip: ignore signals without a stop. */
  stopPolicy: z.enum(['signal_or_default', 'skip_without']),
  defaultStopPct: pct(95),
  /** Explicit consent to trade without an exchange stop-loss (never the default). */
  allowNoStop: z.boolean(),
  /** Move the stop to breakeven after take-profit k (0 = off). */
  breakevenAfterTp: z.number().int().min(0).max(10),
  /** Trailing stop after the last target (0 = off), as a callback %. */
  trailingPct: z.number().min(0).max(50),
  maxTrades: z.number().int().min(1).max(200),
  /** Total margin across open trades, USDT (0 = no limit). */
  maxExposureUsdt: z.number().min(0).max(100_000_000),
  onePerSymbol: z.boolean(),
  /** Realised loss today (UTC) that pauses new entries, USDT (0 = off). */
  dailyLossLimitUsdt: z.number().min(0).max(100_000_000),
  /** No new entry on a symbol this many minutes after a stop-loss on it (0 = off). */
  cooldownAfterStopMin: z.number().int().min(0).max(60 * 24 * 7),
  /** Ignore signals older than this many seconds (0 = off). */
  maxSignalAgeSec: z.number().int().min(0).max(86_400),
  followUpdates: z.boolean(),
  notifyFills: z.boolean(),
  notifyDaily: z.boolean(),
});

export type Settings = z.infer<typeof settingsSchema>;
export type SettingsOverrides = Partial<Settings>;
export const overridesSchema = settingsSchema.partial();

export const DEFAULT_SETTINGS: Settings = {
  sizeMode: 'fixed',
  sizeValue: 20,
  leverageMode: 'signal',
  leverage: 5,
  maxLeverage: 20,
  marginMode: 'isolated',
  entryMode: 'signal',
  entryWeights: null,
  entryTimeoutMin: 24 * 60,
  tpSplit: null,
  ownTakeProfitPcts: [2, 4, 6],
  stopPolicy: 'signal_or_default',
  defaultStopPct: 5,
  allowNoStop: false,
  breakevenAfterTp: 1,
  trailingPct: 0,
  maxTrades: 10,
  maxExposureUsdt: 0,
  onePerSymbol: true,
  dailyLossLimitUsdt: 0,
  cooldownAfterStopMin: 0,
  maxSignalAgeSec: 600,
  followUpdates: true,
  notifyFills: true,
  notifyDaily: true,
};

/** Parses stored JSON leniently: unknown keys dropped, invalid values fall back to defaults. */
export function parseSettings(json: string | null | undefined, base: Settings = DEFAULT_SETTINGS): Settings {
  if (!json) return { ...base };
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return { ...base };
  }
  return { ...base, ...parseOverrides(raw) };
}

export function parseOverrides(raw: unknown): SettingsOverrides {
  if (!raw || typeof raw !== 'object') return {};
  const out: Record<string, unknown> = {};
  const shape = settingsSchema.shape as Record<string, z.ZodTypeAny>;
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const field = shape[k];
    if (field && field.safeParse(v).success) out[k] = v;
  }
  return out as SettingsOverrides;
}

/**
 * The settings a channel owner may set as defaults for the source's
 * subscribers: how to read and manage the channel's signals. Never the
 * subscriber's money or risk (size, leverage cap, margin mode, limits) and
 * never `allowNoStop`: only the user can consent to trading without a stop.
 */
export const SOURCE_OWNER_KEYS = [
  'leverageMode',
  'leverage',
  'entryMode',
  'entryWeights',
  'entryTimeoutMin',
  'tpSplit',
  'ownTakeProfitPcts',
  'stopPolicy',
  'defaultStopPct',
  'breakevenAfterTp',
  'trailingPct',
  'maxSignalAgeSec',
  'followUpdates',
] as const satisfies readonly (keyof Settings)[];

export function isSourceOwnerKey(key: string): key is (typeof SOURCE_OWNER_KEYS)[number] {
  return (SOURCE_OWNER_KEYS as readonly string[]).includes(key);
}

/** Keeps only the keys a source owner may set. */
export function ownerDefaults(overrides: SettingsOverrides): SettingsOverrides {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(overrides)) if (isSourceOwnerKey(k)) out[k] = v;
  return out as SettingsOverrides;
}

/**
 * Settings for a trade from a source: the user's global settings, then the
 * owner's defaults (owner keys only), then the user's own per-source overrides.
 */
export function sourceSettings(global: Settings, ownerLayer: SettingsOverrides, userLayer: SettingsOverrides): Settings {
  return effectiveSettings(global, ownerDefaults(ownerLayer), userLayer);
}

/** Effective settings: user's global settings, then the source owner's defaults, then the user's per-source overrides. */
export function effectiveSettings(global: Settings, ...layers: SettingsOverrides[]): Settings {
  return Object.assign({ ...global }, ...layers);
}

/** Validates one field's new value; returns an error message key-ish reason or null. */
export function validateSetting<K extends keyof Settings>(key: K, value: unknown): { ok: true; value: Settings[K] } | { ok: false; issue: string } {
  const field = (settingsSchema.shape as Record<string, z.ZodTypeAny>)[key as string];
  if (!field) return { ok: false, issue: `unknown setting ${String(key)}` };
  const r = field.safeParse(value);
  return r.success ? { ok: true, value: r.data as Settings[K] } : { ok: false, issue: r.error.issues[0]?.message ?? 'invalid value' };
}

/**
 * Makes a settings patch consistent with the size mode (`current` = the
 * settings it applies to): a mode change without a value starts the new mode
 * at its default; a value is checked against its mode's maximum. Returns the
 * patch to store, or the issue.
 */
export function normalizeSizePatch(
  current: Pick<Settings, 'sizeMode' | 'sizeValue'>,
  patch: Partial<Pick<Settings, 'sizeMode' | 'sizeValue'>>,
): { ok: true; patch: Partial<Pick<Settings, 'sizeMode' | 'sizeValue'>>; reset: boolean } | { ok: false; mode: SizeMode; min: number; max: number } {
  const mode = patch.sizeMode ?? current.sizeMode;
  const out = { ...patch };
  let reset = false;
  if (patch.sizeMode !== undefined && patch.sizeValue === undefined && patch.sizeMode !== current.sizeMode) {
    out.sizeValue = SIZE_MODE_DEFAULTS[patch.sizeMode];
    reset = true;
  }
  if (out.sizeValue !== undefined) {
    const issue = sizeValueIssue(mode, out.sizeValue);
    if (issue) return { ok: false, mode, ...issue };
  }
  return { ok: true, patch: out, reset };
}
