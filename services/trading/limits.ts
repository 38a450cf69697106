/**
 * Protections (in the spirit of freqtrade's): pure checks of a user's state
 * against their settings before a new trade is planned. Each refusal names
 * the limit and carries the numbers bot/ shows ("3 of 3 trades open").
 */
import type { Settings } from '../../models/index.js';
import type { RefusalReason } from '../notifications.js';

export interface Refusal {
  ok: false;
  reason: RefusalReason;
  details: Record<string, unknown>;
}

export const refuse = (reason: RefusalReason, details: Record<string, unknown> = {}): Refusal => ({ ok: false, reason, details });

/** What the limits need to know about a user's account. */
export interface AccountState {
  /** Trades that hold or may hold a position (opening, open, closing). */
  openTrades: { symbol: string; margin: number; accountId?: number }[];
  /** Realized PnL (after fees) of trades closed since the start of today (UTC). */
  realizedPnlToday: number;
  /** Epoch ms of the last stop-loss close per symbol. */
  lastStopAt: Record<string, number>;
}

export const EMPTY_ACCOUNT_STATE: AccountState = { openTrades: [], realizedPnlToday: 0, lastStopAt: {} };

export function startOfUtcDay(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}

/** Checks that need no price or size: age, trade count, symbol, daily loss, cooldown. */
export function checkEntryLimits(
  settings: Settings,
  account: AccountState,
  input: { symbol: string; now: number; signalAt: number | null; accountId?: number | null },
): Refusal | null {
  if (settings.maxSignalAgeSec > 0 && input.signalAt !== null) {
    const ageSec = (input.now - input.signalAt) / 1000;
    if (ageSec > settings.maxSignalAgeSec) return refuse('signal-too-old', { ageSec: Math.round(ageSec), maxSignalAgeSec: settings.maxSignalAgeSec });
  }
  if (account.openTrades.length >= settings.maxTrades) {
    return refuse('max-trades', { open: account.openTrades.length, maxTrades: settings.maxTrades });
  }
  if (settings.onePerSymbol && account.openTrades.some((t) => t.symbol === input.symbol)) {
    return refuse('one-per-symbol', { symbol: input.symbol });
  }
  // One net position per symbol per account (one-way mode): a second trade would merge into the first.
  if (input.accountId != null && account.openTrades.some((t) => t.accountId === input.accountId && t.symbol === input.symbol)) {
    return refuse('same-symbol-open', { symbol: input.symbol, accountId: input.accountId, with: 'trade' });
  }
  if (settings.dailyLossLimitUsdt > 0 && -account.realizedPnlToday >= settings.dailyLossLimitUsdt) {
    return refuse('daily-loss', { lossToday: round2(-account.realizedPnlToday), dailyLossLimitUsdt: settings.dailyLossLimitUsdt });
  }
  if (settings.cooldownAfterStopMin > 0) {
    const last = account.lastStopAt[input.symbol];
    const until = last === undefined ? 0 : last + settings.cooldownAfterStopMin * 60_000;
    if (until > input.now) return refuse('cooldown', { symbol: input.symbol, until, cooldownAfterStopMin: settings.cooldownAfterStopMin });
  }
  return null;
}

/** Total margin after this trade against the exposure cap. */
export function checkExposure(settings: Settings, account: AccountState, margin: number): Refusal | null {
  if (settings.maxExposureUsdt <= 0) return null;
  const current = account.openTrades.reduce((s, t) => s + t.margin, 0);
  if (current + margin > settings.maxExposureUsdt) {
    return refuse('max-exposure', { current: round2(current), adding: round2(margin), maxExposureUsdt: settings.maxExposureUsdt });
  }
  return null;
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
