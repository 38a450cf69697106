/**
 * Grid (DCA / martingale) arithmetic: parameters, their validation, and the
 * level plan of one cycle. Pure: no I/O, no clock. Shared by the live service,
 * the simulator and the Telegram preview, so all three size a grid the same way.
 *
 * Percentages are plain numbers as the user types them (20 = 20 %).
 */
import { ValidationError, roundPrice, roundQty, type Market, type PositionSide } from '../../models/index.js';

export interface GridParams {
  side: PositionSide;
  /** Margin the bot may use, in the settle currency (USDT). */
  deposit: number;
  leverage: number;
  /** Grid levels N, level 0 (the market order) included. */
  levels: number;
  /** How far from the start price the last level is, in percent (below for long, above for short). */
  coverage: number;
  /** Martingale multiplier m: level i has quantity q·m^i. */
  multiplier: number;
  /** Take-profit distance from the average entry, percent. */
  takeProfit: number;
  /** Stop-loss distance from the average entry, percent; null = off (needs explicit confirmation). */
  stopLoss: number | null;
  /** Pause between a cycle's end and the next cycle's start, milliseconds. */
  pauseMs: number;
  /** Stop after this many completed cycles; null = no limit. */
  maxCycles: number | null;
  /** What to do after a cycle ended by the stop-loss: start the next cycle or stop the bot. */
  afterStopLoss: 'continue' | 'stop';
}

/** The market rules a plan needs (a Market satisfies it). Null in a plan = no rounding, no limits. */
export type GridMarket = Pick<Market, 'symbol' | 'base' | 'quote' | 'tickSize' | 'stepSize' | 'minQty' | 'maxQty' | 'minNotional' | 'maxLeverage'>;

export const GRID_LIMITS = {
  levels: { min: 1, max: 100 },
  leverage: { min: 1, max: 125 },
  multiplier: { min: 1, max: 5 },
  coverageLong: { min: 0, max: 99 },
  coverageShort: { min: 0, max: 500 },
  takeProfit: { min: 0, max: 100 },
  stopLossLong: { min: 0, max: 99 },
  stopLossShort: { min: 0, max: 500 },
  maxCycles: { min: 1, max: 1_000_000 },
  pauseMs: { min: 0, max: 30 * 24 * 3600_000 },
} as const;

function bad(field: string, reason: string, details: Record<string, unknown> = {}): ValidationError {
  return new ValidationError(`grid ${field}: ${reason}`, { details: { field, reason, ...details } });
}

function inRange(field: string, v: number, min: number, max: number, exclusiveMin: boolean): void {
  if (!Number.isFinite(v) || (exclusiveMin ? v <= min : v < min) || v > max) {
    throw bad(field, 'out-of-range', { value: v, min, max, exclusiveMin });
  }
}

/**
 * Checks every parameter; throws ValidationError whose details name the
 * `field` and a `reason` code ('out-of-range', 'not-integer', 'leverage-above-market').
 */
export function validateGridParams(p: GridParams, market?: GridMarket | null): GridParams {
  if (p.side !== 'long' && p.side !== 'short') throw bad('side', 'invalid', { value: p.side });
  inRange('deposit', p.deposit, 0, 1e9, true);
  inRange('leverage', p.leverage, GRID_LIMITS.leverage.min, GRID_LIMITS.leverage.max, false);
  if (market && p.leverage > market.maxLeverage) throw bad('leverage', 'leverage-above-market', { value: p.leverage, max: market.maxLeverage });
  if (!Number.isInteger(p.levels)) throw bad('levels', 'not-integer', { value: p.levels });
  inRange('levels', p.levels, GRID_LIMITS.levels.min, GRID_LIMITS.levels.max, false);
  const cov = p.side === 'long' ? GRID_LIMITS.coverageLong : GRID_LIMITS.coverageShort;
  if (p.levels > 1) inRange('coverage', p.coverage, cov.min, cov.max, true);
  inRange('multiplier', p.multiplier, GRID_LIMITS.multiplier.min, GRID_LIMITS.multiplier.max, false);
  inRange('takeProfit', p.takeProfit, GRID_LIMITS.takeProfit.min, GRID_LIMITS.takeProfit.max, true);
  if (p.stopLoss !== null) {
    const sl = p.side === 'long' ? GRID_LIMITS.stopLossLong : GRID_LIMITS.stopLossShort;
    inRange('stopLoss', p.stopLoss, sl.min, sl.max, true);
  }
  inRange('pauseMs', p.pauseMs, GRID_LIMITS.pauseMs.min, GRID_LIMITS.pauseMs.max, false);
  if (p.maxCycles !== null) {
    if (!Number.isInteger(p.maxCycles)) throw bad('maxCycles', 'not-integer', { value: p.maxCycles });
    inRange('maxCycles', p.maxCycles, GRID_LIMITS.maxCycles.min, GRID_LIMITS.maxCycles.max, false);
  }
  if (p.afterStopLoss !== 'continue' && p.afterStopLoss !== 'stop') throw bad('afterStopLoss', 'invalid', { value: p.afterStopLoss });
  return p;
}

export interface GridLevel {
  /** Level index 0..N-1 of the level this order is placed at. */
  index: number;
  price: number;
  quantity: number;
  /** Indices of smaller levels merged into this one because they were below the minimum order size. */
  merged: number[];
}

export type GridWarning =
  | { code: 'levels-merged'; merged: number[] }
  | { code: 'stop-above-levels'; unreachable: number[] }
  /** An isolated position at this leverage is liquidated (about 1/leverage − 0.5 % maintenance) before the stop. */
  | { code: 'stop-beyond-liquidation'; liquidationPct: number };

export interface GridPlan {
  startPrice: number;
  /** Base quantity q = deposit × leverage / (Σ_{i<N} m^i × price), before rounding. */
  baseQty: number;
  /** Σ_{i<N} m^i. */
  weightSum: number;
  /** Orders to place: levels[0] is the market order, the rest limit orders. */
  levels: GridLevel[];
  totalQty: number;
  /** Σ quantity × level price: the notional if every level fills. */
  notional: number;
  /** notional / leverage: the margin the full grid needs (≤ deposit). */
  requiredMargin: number;
  /** Average entry and take-profit / stop-loss prices if every level fills. */
  fullAverage: number;
  fullTakeProfit: number;
  fullStopLoss: number | null;
  warnings: GridWarning[];
}

export const pct = (v: number): number => v / 100;

export function roundGridPrice(market: GridMarket | null, price: number): number {
  return market ? roundPrice(market as Market, price) : price;
}

export function roundGridQty(market: GridMarket | null, qty: number): number {
  return market ? roundQty(market as Market, qty) : qty;
}

/** Price of level i of N: evenly spaced from the start price to start × (1 ∓ coverage). */
export function levelPrice(p: Pick<GridParams, 'side' | 'levels' | 'coverage'>, startPrice: number, i: number): number {
  if (i === 0 || p.levels <= 1) return startPrice;
  const f = (pct(p.coverage) * i) / (p.levels - 1);
  return p.side === 'long' ? startPrice * (1 - f) : startPrice * (1 + f);
}

export function takeProfitPrice(side: PositionSide, average: number, tpPct: number): number {
  return side === 'long' ? average * (1 + pct(tpPct)) : average * (1 - pct(tpPct));
}

export function stopLossPrice(side: PositionSide, average: number, slPct: number): number {
  return side === 'long' ? average * (1 - pct(slPct)) : average * (1 + pct(slPct));
}

/** Is an order of `qty` at `price` placeable under the market's minimums? */
export function meetsMinimum(market: GridMarket | null, qty: number, price: number): boolean {
  if (!(qty > 0)) return false;
  if (!market) return true;
  return qty >= market.minQty && qty * price >= market.minNotional;
}

/**
 * The levels of one cycle started at `startPrice`.
 *
 * Rounding (only with a market): quantities down to the step, prices to the
 * nearest tick. Minimum size: a level whose rounded quantity is below the
 * market's minimum quantity or notional is merged into the next deeper level
 * (their quantities add up and are placed at the deeper level's price); a
 * remainder after the last level is merged into the last placed level. If
 * level 0 (the market order) itself is below the minimum the plan is refused
 * with ValidationError reason 'level-below-minimum' and the smallest deposit
 * that would work. Above the market's maximum quantity: refused with
 * 'level-above-maximum'.
 */
export function planGrid(p: GridParams, startPrice: number, market: GridMarket | null): GridPlan {
  if (!(startPrice > 0) || !Number.isFinite(startPrice)) throw bad('price', 'out-of-range', { value: startPrice });
  const n = p.levels;
  let weightSum = 0;
  for (let i = 0; i < n; i++) weightSum += Math.pow(p.multiplier, i);
  const baseQty = (p.deposit * p.leverage) / (weightSum * startPrice);
  const levels: GridLevel[] = [];
  const warnings: GridWarning[] = [];
  let carry = 0;
  let carried: number[] = [];
  const allMerged: number[] = [];
  for (let i = 0; i < n; i++) {
    const price = roundGridPrice(market, levelPrice(p, startPrice, i));
    const want = baseQty * Math.pow(p.multiplier, i) + carry;
    const qty = roundGridQty(market, want);
    if (!(price > 0)) throw bad('coverage', 'level-price-not-positive', { level: i, price });
    if (meetsMinimum(market, qty, price)) {
      levels.push({ index: i, price, quantity: qty, merged: carried });
      carry = 0;
      carried = [];
    } else if (i === 0) {
      // Smallest deposit whose level 0 meets both minimums (before step rounding).
      const m = market as GridMarket;
      const needQty = Math.max(m.minQty, m.minNotional / price);
      const minDeposit = (needQty * weightSum * startPrice) / p.leverage;
      throw bad('deposit', 'level-below-minimum', {
        level: 0,
        quantity: qty,
        price,
        minQty: m.minQty,
        minNotional: m.minNotional,
        minDeposit: Math.ceil(minDeposit * 100) / 100,
      });
    } else {
      carry = want;
      carried = [...carried, i];
      allMerged.push(i);
    }
  }
  if (carry > 0) {
    const last = levels[levels.length - 1] as GridLevel;
    const baseOfLast = baseQty * Math.pow(p.multiplier, last.index);
    last.quantity = roundGridQty(market, baseOfLast + carry);
    last.merged = [...last.merged, ...carried];
  }
  if (allMerged.length > 0) warnings.push({ code: 'levels-merged', merged: allMerged });
  if (market && market.maxQty !== null) {
    for (const l of levels) {
      if (l.quantity > market.maxQty) throw bad('deposit', 'level-above-maximum', { level: l.index, quantity: l.quantity, maxQty: market.maxQty });
    }
  }
  let totalQty = 0;
  let notional = 0;
  for (const l of levels) {
    totalQty += l.quantity;
    notional += l.quantity * l.price;
  }
  const fullAverage = notional / totalQty;
  const fullStopLoss = p.stopLoss === null ? null : roundGridPrice(market, stopLossPrice(p.side, fullAverage, p.stopLoss));
  // Levels a steady move never reaches because the stop-loss (re-priced after each fill, rounded as
  // the core places it) comes first. A level exactly at the stop price counts as unreachable: at the
  // same price the stop-loss fires first (the Paper engine's tie order, followed by the simulator).
  if (p.stopLoss !== null && levels.length > 1) {
    let q = 0;
    let cost = 0;
    for (let k = 0; k < levels.length - 1; k++) {
      const l = levels[k] as GridLevel;
      q += l.quantity;
      cost += l.quantity * l.price;
      const stop = roundGridPrice(market, stopLossPrice(p.side, cost / q, p.stopLoss));
      const next = levels[k + 1] as GridLevel;
      if (p.side === 'long' ? next.price <= stop : next.price >= stop) {
        warnings.push({ code: 'stop-above-levels', unreachable: levels.slice(k + 1).map((x) => x.index) });
        break;
      }
    }
  }
  const liquidationPct = (1 / p.leverage - 0.005) * 100;
  if (p.stopLoss === null || p.stopLoss >= liquidationPct) warnings.push({ code: 'stop-beyond-liquidation', liquidationPct });
  return {
    startPrice,
    baseQty,
    weightSum,
    levels,
    totalQty,
    notional,
    requiredMargin: notional / p.leverage,
    fullAverage,
    fullTakeProfit: roundGridPrice(market, takeProfitPrice(p.side, fullAverage, p.takeProfit)),
    fullStopLoss,
    warnings,
  };
}
