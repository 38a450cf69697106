/**
 * Planning: pure functions from (signal, settings, market, price, balance,
 * account state) to exactly the orders that will be sent, or a typed refusal.
 * Quantities and prices are rounded with the market's precision here, so the
 * plan is what goes out (the client rounds again; it changes nothing).
 */
import {
  InvalidOrderSize,
  clean,
  normalizeOrder,
  roundPrice,
  roundQty,
  type MarginMode,
  type Market,
  type PositionSide,
  type Settings,
  type SignalParse,
} from '../../models/index.js';
import type { PlanSummary } from '../notifications.js';
import { checkEntryLimits, checkExposure, refuse, type AccountState, type Refusal } from './limits.js';

export interface TradePlan {
  symbol: string;
  side: PositionSide;
  entryType: 'market' | 'limit';
  /** Market: one leg with price = null. Limit: one leg per entry price. */
  entries: { price: number | null; quantity: number }[];
  /** Breakout entries: conditional orders triggered when the price crosses the entry. */
  entryTrigger: 'above' | 'below' | null;
  quantity: number;
  /** Expected average entry price (the reference price for market entries). */
  avgEntry: number;
  leverage: number;
  marginMode: MarginMode;
  margin: number;
  notional: number;
  stopLoss: number | null;
  takeProfits: { price: number; share: number }[];
  allowNoStop: boolean;
  breakevenAfterTp: number;
  trailingPct: number;
  entryTimeoutMin: number;
  warnings: string[];
  /** The signal's own entry prices (a zone's both ends), kept even when legs were merged. */
  signalEntries?: number[];
}

export type PlanResult = { ok: true; plan: TradePlan } | Refusal;

export interface PlanInput {
  signal: SignalParse;
  settings: Settings;
  market: Market;
  /** Current price (last or mark). */
  price: number;
  /** Free balance in the settle currency; null when not fetched (fixed sizing needs none). */
  freeBalance: number | null;
  account: AccountState;
  now: number;
  /** When the signal was posted; null = no age limit (manual trades). */
  signalAt: number | null;
  /** The account the trade would go to (one trade per account+symbol). */
  accountId?: number | null;
}

/** Normalised weights (positive, summing to 1) for n legs; even when `weights` is null or unusable. */
export function legShares(n: number, weights: readonly number[] | null | undefined): number[] {
  if (n <= 0) return [];
  const w = weights && weights.length > 0 ? weights.slice(0, n).filter((x) => Number.isFinite(x) && x > 0) : [];
  if (w.length === 0) return Array.from({ length: n }, () => 1 / n);
  const sum = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / sum);
}

/**
 * Splits `total` into legs by `shares`, in whole steps, summing exactly to
 * `total` (rounded down to the step). A leg below the market's minimum is
 * merged into the next leg (the last one into the previous), so every leg can
 * be sent. Returns one quantity per share; merged legs are 0.
 */
export function splitQuantity(total: number, shares: readonly number[], market: Pick<Market, 'stepSize' | 'minQty'>): number[] {
  const step = market.stepSize > 0 ? market.stepSize : 1e-8;
  const units = Math.floor(total / step + 1e-9);
  if (shares.length === 0) return [];
  const minUnits = Math.max(1, Math.ceil(market.minQty / step - 1e-9));
  const legs = shares.map((s) => Math.floor(units * s + 1e-9));
  legs[legs.length - 1] = units - legs.slice(0, -1).reduce((a, b) => a + b, 0);
  let carry = 0;
  for (let i = 0; i < legs.length; i++) {
    const u = legs[i]! + carry;
    if (u < minUnits && i < legs.length - 1) {
      carry = u;
      legs[i] = 0;
    } else {
      legs[i] = u;
      carry = 0;
    }
  }
  const last = legs.length - 1;
  if (legs[last]! < minUnits) {
    for (let i = last - 1; i >= 0; i--) {
      if (legs[i]! > 0) {
        legs[i] = legs[i]! + legs[last]!;
        legs[last] = 0;
        break;
      }
    }
  }
  const decimals = decimalsOfStep(step);
  return legs.map((u) => Number((u * step).toFixed(decimals)));
}

function decimalsOfStep(step: number): number {
  const s = step.toString();
  if (s.includes('e-')) return Number(s.split('e-')[1]) + (s.split('e-')[0]!.split('.')[1]?.length ?? 0);
  return s.split('.')[1]?.length ?? 0;
}

/** Leverage: the signal's (or the user's default) capped at the user's and the market's maximum, or fixed. */
export function planLeverage(settings: Settings, market: Pick<Market, 'maxLeverage'>, signalLeverage: number | null): number {
  const wanted = settings.leverageMode === 'fixed' ? settings.leverage : (signalLeverage ?? settings.leverage);
  const cap = settings.leverageMode === 'fixed' ? market.maxLeverage : Math.min(settings.maxLeverage, market.maxLeverage);
  return Math.max(1, Math.min(Math.floor(wanted), Math.floor(cap)));
}

const better = (side: PositionSide, a: number, b: number): boolean => (side === 'long' ? a > b : a < b);

/**
 * Take-profit prices: the signal's, its percentages, or the user's own; only
 * those beyond the entry, nearest first. A custom split applies to the first
 * k targets in order (k = the smaller of the two lengths), renormalised to
 * 100 %; the nearest targets are never dropped. A split whose length differs
 * from the targets', that does not add up to 100, or that has a single value
 * or an unusable one (the last two: even split instead) adds 'tp-split-adjusted'
 * to `warnings`.
 */
export function planTargets(signal: SignalParse, settings: Settings, market: Market, avgEntry: number, warnings?: string[]): { price: number; share: number }[] {
  const dir = signal.side === 'long' ? 1 : -1;
  let prices: number[];
  if (signal.takeProfits && signal.takeProfits.length > 0) prices = signal.takeProfits;
  else if (signal.takeProfitPercents && signal.takeProfitPercents.length > 0) prices = signal.takeProfitPercents.map((p) => avgEntry * (1 + (dir * p) / 100));
  else prices = settings.ownTakeProfitPcts.map((p) => avgEntry * (1 + (dir * p) / 100));
  const rounded: number[] = [];
  for (const p of prices) {
    const r = roundPrice(market, p);
    if (r > 0 && better(signal.side, r, avgEntry) && !rounded.includes(r)) rounded.push(r);
  }
  rounded.sort((a, b) => (signal.side === 'long' ? a - b : b - a));
  if (rounded.length === 0) return [];
  const split = settings.tpSplit;
  if (!split || split.length === 0) return evenTargets(rounded);
  const usable = split.length >= 2 && split.every((x) => Number.isFinite(x) && x > 0);
  if (!usable) {
    // A single value would put the whole position on the first target: even split instead.
    warnings?.push('tp-split-adjusted');
    return evenTargets(rounded);
  }
  const k = Math.min(split.length, rounded.length);
  const used = split.slice(0, k);
  const sum = used.reduce((a, b) => a + b, 0);
  if (split.length !== rounded.length || Math.abs(sum - 100) > 0.5) warnings?.push('tp-split-adjusted');
  return rounded.slice(0, k).map((price, i) => ({ price, share: used[i]! / sum }));
}

function evenTargets(prices: number[]): { price: number; share: number }[] {
  return prices.map((price) => ({ price, share: 1 / prices.length }));
}

/** Maintenance margin rate assumed for the liquidation estimate: the exchange's first tier is about 1/(2 x max leverage), at least 0.5 %. */
export function maintenanceRate(market: Pick<Market, 'maxLeverage'>): number {
  return Math.max(0.005, market.maxLeverage > 0 ? 1 / (2 * market.maxLeverage) : 0.005);
}

/** Estimated liquidation price of an isolated position: entry x (1 -/+ 1/leverage +/- maintenance rate). */
export function estimatedLiquidation(side: PositionSide, entry: number, leverage: number, mmr: number): number {
  const f = side === 'long' ? 1 - 1 / leverage + mmr : 1 + 1 / leverage - mmr;
  return Math.max(0, entry * f);
}

/**
 * Highest whole leverage at which the stop comes before the estimated liquidation
 * (0: none, the stop is too far). `buffer` (price units) is kept between the stop
 * and the liquidation estimate.
 */
export function maxLeverageForStop(entry: number, stopLoss: number, mmr: number, buffer = 0): number {
  const d = (Math.abs(entry - stopLoss) + Math.max(0, buffer)) / entry;
  const limit = 1 / (d + mmr);
  let l = Math.floor(limit);
  if (l >= limit) l -= 1; // strictly before liquidation
  return Math.max(0, l);
}

/**
 * The entry whose liquidation comes first when only it fills: the reference price
 * for a market entry; for limit legs the one farthest from the stop (long: the
 * highest, short: the lowest).
 */
export function liquidationEntry(side: PositionSide, entries: number | readonly number[]): number {
  if (typeof entries === 'number') return entries;
  return side === 'long' ? Math.max(...entries) : Math.min(...entries);
}

/** Safety margin kept between the stop and the estimated liquidation: 0.1 % of the price, at least one tick. */
export function liquidationBuffer(market: Pick<Market, 'tickSize'>, price: number): number {
  return Math.max(price * 0.001, market.tickSize > 0 ? market.tickSize : 0);
}

/** Whether the stop triggers at least `buffer` before the estimated liquidation price. */
export function stopClearsLiquidation(side: PositionSide, stopLoss: number, liquidation: number, buffer: number): boolean {
  return side === 'long' ? stopLoss - liquidation >= buffer : liquidation - stopLoss >= buffer;
}

function minSizeRefusal(e: unknown): Refusal {
  if (e instanceof InvalidOrderSize) return refuse('below-min-size', { ...e.details, message: e.message });
  throw e;
}

export function planTrade(input: PlanInput): PlanResult {
  const { signal, settings, market, price } = input;
  const warnings: string[] = [];
  const limit = checkEntryLimits(settings, input.account, { symbol: market.symbol, now: input.now, signalAt: input.signalAt, accountId: input.accountId ?? null });
  if (limit) return limit;
  if (!(price > 0)) return refuse('exchange-error', { message: 'no price for the market' });

  let leverage = planLeverage(settings, market, signal.leverage);
  const marginMode = settings.marginMode;

  // Entries.
  const entryPrices = signal.entries.map((p) => roundPrice(market, p)).filter((p) => p > 0);
  const isMarket = settings.entryMode === 'market' || signal.entryMarket || entryPrices.length === 0;
  const shares = isMarket ? [1] : legShares(entryPrices.length, settings.entryWeights);
  const legPrices: (number | null)[] = isMarket ? [null] : entryPrices.slice(0, shares.length);
  const avgEntry = isMarket ? price : clean(legPrices.reduce<number>((s, p, i) => s + (p as number) * shares[i]!, 0));

  // Stop-loss.
  let stopLoss: number | null = signal.stopLoss;
  if (stopLoss === null) {
    if (settings.stopPolicy === 'skip_without') return refuse('no-stop', { symbol: market.symbol });
    const dist = settings.defaultStopPct / 100;
    stopLoss = avgEntry * (signal.side === 'long' ? 1 - dist : 1 + dist);
    warnings.push('default-stop');
  }
  stopLoss = roundPrice(market, stopLoss);
  const worstEntry = isMarket ? price : signal.side === 'long' ? Math.min(...(legPrices as number[])) : Math.max(...(legPrices as number[]));
  if (!(stopLoss > 0) || !better(signal.side, worstEntry, stopLoss) || (isMarket && !better(signal.side, price, stopLoss))) {
    return refuse('invalid-stop', { stopLoss, entry: worstEntry, price, side: signal.side });
  }

  // Isolated margin: a stop beyond the liquidation price could never trigger.
  // Checked against the worst single leg (only it may fill), not the average entry.
  if (marginMode === 'isolated') {
    const mmr = maintenanceRate(market);
    const liqEntry = liquidationEntry(signal.side, isMarket ? price : (legPrices as number[]));
    const buffer = liquidationBuffer(market, liqEntry);
    const liq = estimatedLiquidation(signal.side, liqEntry, leverage, mmr);
    if (!stopClearsLiquidation(signal.side, stopLoss, liq, buffer)) {
      let maxLev = maxLeverageForStop(liqEntry, stopLoss, mmr, buffer);
      // Float edge: never keep a leverage whose estimate is still inside the margin.
      while (maxLev >= 1 && !stopClearsLiquidation(signal.side, stopLoss, estimatedLiquidation(signal.side, liqEntry, maxLev, mmr), buffer)) maxLev -= 1;
      const details = { stopLoss, liquidationPrice: roundPrice(market, liq), leverage, maxLeverage: maxLev, side: signal.side };
      if (settings.leverageMode === 'fixed' || maxLev < 1) return refuse('stop-beyond-liquidation', details);
      leverage = Math.min(leverage, maxLev);
      warnings.push('leverage-lowered-for-stop');
    }
  }

  // Size.
  let qtyRaw: number;
  if (settings.sizeMode === 'fixed') {
    qtyRaw = (settings.sizeValue * leverage) / avgEntry;
  } else {
    if (input.freeBalance === null) return refuse('exchange-error', { message: 'balance unavailable' });
    if (settings.sizeMode === 'balance_pct') qtyRaw = (((input.freeBalance * settings.sizeValue) / 100) * leverage) / avgEntry;
    else qtyRaw = (input.freeBalance * settings.sizeValue) / 100 / Math.abs(avgEntry - stopLoss);
  }
  if (!(qtyRaw > 0) || !Number.isFinite(qtyRaw)) return refuse('below-min-size', { quantity: qtyRaw, minQty: market.minQty });

  let entries: { price: number | null; quantity: number }[];
  try {
    if (isMarket) {
      const n = normalizeOrder(market, { quantity: qtyRaw, refPrice: price });
      entries = [{ price: null, quantity: n.quantity }];
    } else {
      // A leg must meet the minimum quantity AND the minimum order value at its price; smaller legs merge.
      const lowest = Math.min(...(legPrices as number[]));
      const step = market.stepSize > 0 ? market.stepSize : 1e-8;
      const minByValue = market.minNotional > 0 && lowest > 0 ? Math.ceil(market.minNotional / lowest / step - 1e-9) * step : 0;
      const qtys = splitQuantity(roundQty(market, qtyRaw), shares, { stepSize: market.stepSize, minQty: Math.max(market.minQty, minByValue) });
      entries = [];
      let merged = false;
      for (let i = 0; i < qtys.length; i++) {
        if (qtys[i]! <= 0) {
          merged = true;
          continue;
        }
        const n = normalizeOrder(market, { quantity: qtys[i]!, price: legPrices[i]! });
        entries.push({ price: n.price, quantity: n.quantity });
      }
      if (entries.length === 0) normalizeOrder(market, { quantity: roundQty(market, qtyRaw), price: legPrices[0]! });
      if (merged) warnings.push('entries-merged');
    }
  } catch (e) {
    return minSizeRefusal(e);
  }
  const quantity = clean(entries.reduce((s, e) => s + e.quantity, 0));
  const avg = isMarket ? price : clean(entries.reduce((s, e) => s + (e.price as number) * e.quantity, 0) / quantity);
  const notional = clean(quantity * avg, 8);
  const margin = clean(notional / leverage, 8);
  if (input.freeBalance !== null && margin > input.freeBalance) {
    return refuse('insufficient-balance', { needed: margin, available: input.freeBalance });
  }
  const exposure = checkExposure(settings, input.account, margin);
  if (exposure) return exposure;

  const takeProfits = planTargets(signal, settings, market, avg, warnings);
  if (takeProfits.length === 0) warnings.push('no-targets');
  // A quantity too small to split: legs below the exchange minimum are merged into later ones.
  else if (ladderFor({ takeProfits, trailingPct: settings.trailingPct }, quantity, market).length < (settings.trailingPct > 0 && takeProfits.length > 1 ? takeProfits.length - 1 : takeProfits.length)) {
    warnings.push('targets-merged');
  }

  return {
    ok: true,
    plan: {
      symbol: market.symbol,
      side: signal.side,
      entryType: isMarket ? 'market' : 'limit',
      entries,
      entryTrigger: isMarket ? null : signal.entryTrigger,
      quantity,
      avgEntry: avg,
      leverage,
      marginMode,
      margin,
      notional,
      stopLoss,
      takeProfits,
      allowNoStop: settings.allowNoStop,
      breakevenAfterTp: settings.breakevenAfterTp,
      trailingPct: settings.trailingPct,
      entryTimeoutMin: settings.entryTimeoutMin,
      warnings,
      ...(signal.entries.length > 0 ? { signalEntries: [...signal.entries] } : {}),
    },
  };
}

/** The plan as shown to the user; the signal's own entry prices (a zone's both ends) come from `signal`, else from the plan. */
export function summarize(plan: TradePlan, signal?: Pick<SignalParse, 'entries'> | null): PlanSummary {
  return {
    symbol: plan.symbol,
    side: plan.side,
    entryType: plan.entryType,
    entries: plan.entries.map((e) => ({ ...e })),
    quantity: plan.quantity,
    leverage: plan.leverage,
    marginMode: plan.marginMode,
    margin: plan.margin,
    stopLoss: plan.stopLoss,
    takeProfits: plan.takeProfits.map((t) => ({ ...t })),
    // The zone's prices: from the signal when given, else as the plan kept them (summarize(plan) alone keeps them too).
    signalEntries: signal ? [...signal.entries] : plan.signalEntries ? [...plan.signalEntries] : plan.entries.flatMap((e) => (e.price === null ? [] : [e.price])),
    warnings: [...plan.warnings],
  };
}

/**
 * The take-profit ladder for `quantity` of position: one reduce-only leg per
 * target (legs below the minimum merged), skipping targets already taken.
 * With trailing on, the last target is left to the trailing stop.
 */
export function ladderFor(plan: Pick<TradePlan, 'takeProfits' | 'trailingPct'>, quantity: number, market: Market, fromIndex = 0): { index: number; price: number; quantity: number }[] {
  const legs = plan.takeProfits.map((t, index) => ({ ...t, index })).slice(fromIndex);
  const placed = plan.trailingPct > 0 && legs.length > 1 ? legs.slice(0, -1) : legs;
  if (placed.length === 0 || !(quantity > 0)) return [];
  const total = placed.reduce((s, t) => s + t.share, 0);
  const remainingShare = legs.reduce((s, t) => s + t.share, 0);
  // With trailing, the last target's share stays on as the runner.
  const qty = plan.trailingPct > 0 && legs.length > 1 ? quantity * (total / remainingShare) : quantity;
  const qtys = splitQuantity(qty, placed.map((t) => t.share / total), market);
  return placed.map((t, i) => ({ index: t.index, price: t.price, quantity: qtys[i]! })).filter((l) => l.quantity > 0);
}
