/**
 * Independent audit implementation of the grid simulator (issue 9), written
 * from the spec text only, as a cross-check of services/grid.
 *
 * Deliberately simple: one loop over candles, each candle walked as a list of
 * straight segments (previous close -> open for a gap, then open -> low ->
 * high -> close when close >= open, else open -> high -> low -> close), and on
 * each segment the resting orders are filled one at a time in the order the
 * price reaches them. No rounding unless a market is given.
 *
 * Fees: market entry = taker, grid levels = maker, take-profit (a limit) =
 * maker, stop-loss (a trigger) = taker. Fee = notional x rate.
 *
 * `AuditOptions` switches the few readings of the spec that were open, so a
 * mismatch with the project can be classified by the switch that removes it.
 * The defaults are the decided readings (issue 9 follow-up: gap walked from
 * the previous close, exits first on a tie, levels under the minimum merged),
 * except `peakFromDeposit`, still this audit's own reading (the drawdown peak
 * question is left open; the project starts the peak at the deposit).
 *
 * Usage as a CLI (same flags as grid:sim, JSON only):
 *   npx tsx test/unit/grid/audit-sim.ts --candles FILE --side long --deposit 100 \
 *     --leverage 10 --levels 10 --coverage 20 --multiplier 1.3 --tp 1 --sl 15 --pause 60
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Market } from '../../../models/market.js';
import { roundToStep } from '../../../models/decimal.js';
import { bundledMarkets } from '../../../exchanges/paper/markets.js';

export interface AuditCandle {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
}

export interface AuditParams {
  side: 'long' | 'short';
  deposit: number;
  leverage: number;
  levels: number;
  /** Percent, e.g. 20. */
  coverage: number;
  multiplier: number;
  /** Percent. */
  tp: number;
  /** Percent, or null for no stop-loss. */
  sl: number | null;
  /** Seconds. */
  pause: number;
  /** Percent; default 0.02. */
  feeMaker?: number;
  /** Percent; default 0.055. */
  feeTaker?: number;
  maxCycles?: number | null;
  /** Market precision (from --symbol); null = no rounding. */
  market?: Market | null;
}

export interface AuditOptions {
  /** A resting order the candle opens beyond fills at its own price ('order', literal spec) or at the open. */
  gapFill: 'order' | 'open';
  /** Equity for the drawdown also subtracts the fees already paid by the open cycle. */
  equityOpenFees: boolean;
  /** The drawdown peak starts at the deposit (before the first candle) rather than at the first close. */
  peakFromDeposit: boolean;
  /** Unrealized PnL at the close also subtracts the taker fee of closing the position at the close. */
  unrealizedExitFee: boolean;
  /** Price rounding mode for the take-profit and stop-loss with a market. */
  exitRound: 'nearest' | 'favour';
  /**
   * Orders a candle opens beyond: 'prev-close' = met along a virtual segment
   * previous close -> open (nearest to the previous price first); 'first-segment'
   * = all met at the open, ordered by price along the candle's first segment
   * (a zero-length segment counts as rising), as services/grid/sim.ts did before
   * the issue 9 follow-up. Decided: 'prev-close'.
   */
  gapOrder: 'prev-close' | 'first-segment';
  /**
   * Equal meeting point of a grid level and an exit: exits first (the Paper
   * engine's tie order, decided), or the grid level first (the old simulator).
   */
  tie: 'exits-first' | 'grid-first';
  /**
   * With a market: a level under the minimum refuses the grid (literal), or is
   * merged into the next deeper level (decided, services/grid/README.md).
   */
  belowMinimum: 'refuse' | 'merge';
}

export const DEFAULT_AUDIT_OPTIONS: AuditOptions = {
  gapFill: 'order',
  equityOpenFees: false,
  peakFromDeposit: false,
  unrealizedExitFee: false,
  exitRound: 'nearest',
  gapOrder: 'prev-close',
  tie: 'exits-first',
  belowMinimum: 'merge',
};

export interface AuditResult {
  cycles: number;
  tpCycles: number;
  slCycles: number;
  pnl: number;
  fees: number;
  maxDrawdown: number;
  maxCapital: number;
}

export interface AuditCycle {
  start: number;
  end: number;
  reason: 'tp' | 'sl';
  pnl: number;
  fees: number;
  levelsUsed: number;
}

export class AuditRefused extends Error {
  override name = 'AuditRefused';
}

interface Level {
  price: number;
  qty: number;
  /** Unrounded own quantity (for merging a remainder into it). */
  want: number;
}

/** Time unit of the file: milliseconds when the timestamps are epoch-ms sized. */
export function timeScale(candles: readonly AuditCandle[]): number {
  const first = candles[0];
  return first !== undefined && first.time >= 1e11 ? 1000 : 1;
}

export function auditSimulate(
  candles: readonly AuditCandle[],
  p: AuditParams,
  opts: Partial<AuditOptions> = {},
): AuditResult & { cycleList: AuditCycle[]; refusedLater: string | null } {
  const o: AuditOptions = { ...DEFAULT_AUDIT_OPTIONS, ...opts };
  const long = p.side === 'long';
  const dir = long ? 1 : -1;
  const fm = (p.feeMaker ?? 0.02) / 100;
  const ft = (p.feeTaker ?? 0.055) / 100;
  const cov = p.coverage / 100;
  const tpPct = p.tp / 100;
  const slPct = p.sl === null ? null : p.sl / 100;
  const market = p.market ?? null;
  const pauseUnits = p.pause * timeScale(candles);

  const rp = (x: number, mode: 'nearest' | 'up' | 'down' = 'nearest'): number =>
    market ? roundToStep(x, market.tickSize, mode) : x;
  const rq = (x: number): number => (market ? roundToStep(x, market.stepSize, 'down') : x);

  let realized = 0;
  let fees = 0;
  let cycles = 0;
  let tpCycles = 0;
  let slCycles = 0;
  let maxCapital = 0;
  let peak = o.peakFromDeposit ? p.deposit : Number.NEGATIVE_INFINITY;
  let maxDrawdown = 0;
  const cycleList: AuditCycle[] = [];

  // Open cycle state.
  let open = false;
  let qty = 0;
  let cost = 0; // sum of fill price x qty
  let cycleFees = 0;
  let cycleStart = 0;
  let levelsUsed = 0;
  let grid: Level[] = []; // resting levels, nearest first
  let tpPrice = 0;
  let slPrice: number | null = null;
  let nextStartTime: number | null = candles.length > 0 ? candles[0]!.time : null;
  let lastEndIndex = -1;

  const avg = (): number => cost / qty;

  function repriceExits(): void {
    const a = avg();
    const up = o.exitRound === 'favour' ? 'up' : 'nearest';
    const down = o.exitRound === 'favour' ? 'down' : 'nearest';
    tpPrice = long ? rp(a * (1 + tpPct), up) : rp(a * (1 - tpPct), down);
    slPrice = slPct === null ? null : long ? rp(a * (1 - slPct), down) : rp(a * (1 + slPct), up);
  }

  function fill(price: number, q: number, rate: number): void {
    const f = price * q * rate;
    fees += f;
    cycleFees += f;
    qty += q;
    cost += price * q;
    levelsUsed += 1;
    maxCapital = Math.max(maxCapital, cost / p.leverage);
    repriceExits();
  }

  function closeCycle(price: number, rate: number, reason: 'tp' | 'sl', index: number, time: number): void {
    const f = price * qty * rate;
    fees += f;
    cycleFees += f;
    const gross = dir * (price * qty - cost);
    const pnl = gross - cycleFees;
    realized += pnl;
    cycles += 1;
    if (reason === 'tp') tpCycles += 1;
    else slCycles += 1;
    cycleList.push({ start: cycleStart, end: time, reason, pnl, fees: cycleFees, levelsUsed });
    open = false;
    qty = 0;
    cost = 0;
    cycleFees = 0;
    grid = [];
    lastEndIndex = index;
    const max = p.maxCycles ?? null;
    nextStartTime = max !== null && cycles >= max ? null : time + pauseUnits;
  }

  function startCycle(price: number, time: number): void {
    const n = p.levels;
    let weights = 0;
    for (let i = 0; i < n; i++) weights += p.multiplier ** i;
    const q = (p.deposit * p.leverage) / (weights * price);
    const levels: Level[] = [];
    let carry = 0;
    for (let i = 0; i < n; i++) {
      const raw = i === 0 ? price : price * (1 - dir * cov * (i / (n - 1)));
      const lp = i === 0 ? price : rp(raw);
      const want = q * p.multiplier ** i + carry;
      const lq = rq(want);
      if (market && o.belowMinimum === 'merge' && i > 0 && (lq < market.minQty || lq * lp < market.minNotional)) {
        carry = want;
        if (i === n - 1 && levels.length > 0) {
          const last = levels[levels.length - 1]!;
          last.qty = rq(last.want + carry);
        }
        continue;
      }
      carry = 0;
      if (market) {
        if (lq < market.minQty || lq <= 0) throw new AuditRefused(`level ${i} quantity ${lq} below minQty ${market.minQty}`);
        if (lq * lp < market.minNotional) throw new AuditRefused(`level ${i} value ${lq * lp} below minNotional ${market.minNotional}`);
      }
      levels.push({ price: lp, qty: lq, want: q * p.multiplier ** i });
    }
    open = true;
    qty = 0;
    cost = 0;
    cycleFees = 0;
    levelsUsed = 0;
    cycleStart = time;
    const first = levels[0]!;
    grid = levels.slice(1);
    fill(first.price, first.qty, ft);
  }

  /**
   * Walk one straight segment a -> b, filling touched orders in path order.
   * Returns true when the cycle ended on it. `gapOpen` is the candle's open when
   * this is the gap segment (fill price may be the open by option).
   */
  function walk(a: number, b: number, index: number, time: number, gapOpen: number | null, gapAtStart: number | null = null): boolean {
    let cursor = a;
    for (;;) {
      if (!open) return false;
      // A long's grid buys and stop-loss and a short's take-profit are reached by a
      // falling price (price <= order); the others by a rising one (price >= order).
      // The segment is monotone, so it reaches a falling order iff min(cursor, b) <= price.
      type Ev = { kind: 'grid' | 'tp' | 'sl'; price: number; falling: boolean };
      const cands: Ev[] = [];
      const next = grid[0];
      if (next) cands.push({ kind: 'grid', price: next.price, falling: long });
      cands.push({ kind: 'tp', price: tpPrice, falling: !long });
      if (slPrice !== null) cands.push({ kind: 'sl', price: slPrice, falling: long });
      const lo = Math.min(cursor, b);
      const hi = Math.max(cursor, b);
      const evs = cands.filter((e) => (e.falling ? lo <= e.price : hi >= e.price));
      if (evs.length === 0) return false;
      // The first one reached: the closest to the cursor along the direction of travel
      // (orders already beyond the cursor count as at the cursor). Ties: exits first.
      const dist = (e: Ev): number => Math.max(0, e.falling ? cursor - e.price : e.price - cursor);
      const rank = (e: Ev): number => (o.tie === 'grid-first' ? { grid: 0, tp: 1, sl: 2 } : { grid: 1, tp: 0, sl: 0 })[e.kind];
      const rising = !(b < a);
      const byPrice = (x: Ev, y: Ev): number => (o.gapOrder === 'first-segment' ? (rising ? x.price - y.price : y.price - x.price) : 0);
      evs.sort((x, y) => dist(x) - dist(y) || byPrice(x, y) || rank(x) - rank(y));
      const ev = evs[0]!;
      // A gap fill: on the virtual gap segment, or (first-segment ordering) met at the
      // candle's open before the cursor moved.
      const gap = gapOpen !== null || (gapAtStart !== null && cursor === a && dist(ev) === 0);
      const at = gap && o.gapFill === 'open' ? (gapOpen ?? gapAtStart!) : ev.price;
      if (dist(ev) > 0) cursor = ev.price;
      if (ev.kind === 'grid') {
        const lvl = grid.shift()!;
        fill(at, lvl.qty, fm);
      } else if (ev.kind === 'tp') {
        closeCycle(at, fm, 'tp', index, time);
        return true;
      } else {
        closeCycle(at, ft, 'sl', index, time);
        return true;
      }
    }
  }

  let refusedLater: string | null = null;
  let prevClose: number | null = null;
  for (let i = 0; i < candles.length; i++) {
    const c = candles[i]!;
    let startedHere = false;
    if (!open && nextStartTime !== null && i > lastEndIndex && c.time >= nextStartTime) {
      try {
        startCycle(c.open, c.time);
        startedHere = true;
      } catch (e) {
        // The first cycle refused: the run is refused; a later one: the bot stops there.
        if (!(e instanceof AuditRefused) || cycles === 0) throw e;
        nextStartTime = null;
        refusedLater = e.message;
      }
    }
    if (open) {
      let ended = false;
      if (!startedHere && prevClose !== null && prevClose !== c.open && o.gapOrder === 'prev-close') {
        ended = walk(prevClose, c.open, i, c.time, c.open);
      }
      const path = c.close >= c.open ? [c.open, c.low, c.high, c.close] : [c.open, c.high, c.low, c.close];
      const gapAtStart = !startedHere && o.gapOrder === 'first-segment' && prevClose !== null && prevClose !== c.open ? c.open : null;
      for (let s = 0; s < 3 && !ended; s++) ended = walk(path[s]!, path[s + 1]!, i, c.time, null, s === 0 ? gapAtStart : null);
    }
    let equity = p.deposit + realized;
    if (open) {
      equity += dir * (c.close * qty - cost);
      if (o.equityOpenFees) equity -= cycleFees;
      if (o.unrealizedExitFee) equity -= c.close * qty * ft;
    }
    peak = Math.max(peak, equity);
    maxDrawdown = Math.max(maxDrawdown, peak - equity);
    prevClose = c.close;
  }

  return { cycles, tpCycles, slCycles, pnl: realized, fees, maxDrawdown, maxCapital, cycleList, refusedLater };
}

export function parseCandlesCsv(text: string): AuditCandle[] {
  const out: AuditCandle[] = [];
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (t === '') continue;
    const cols = t.split(',');
    const time = Number(cols[0]);
    if (!Number.isFinite(time)) continue; // header
    out.push({ time, open: Number(cols[1]), high: Number(cols[2]), low: Number(cols[3]), close: Number(cols[4]) });
  }
  return out;
}

export function findMarket(symbol: string): Market {
  const norm = symbol.toUpperCase();
  const m = bundledMarkets().find((x) => x.symbol === norm || x.exchangeSymbol === norm || x.symbol.replace('/', '') === norm);
  if (!m) throw new AuditRefused(`unknown symbol ${symbol}`);
  return m;
}

function main(argv: string[]): void {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    if (!k.startsWith('--')) continue;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) args.set(k.slice(2), 'true');
    else {
      args.set(k.slice(2), v);
      i++;
    }
  }
  const num = (k: string, d?: number): number => {
    const v = args.get(k);
    if (v === undefined) {
      if (d === undefined) throw new Error(`--${k} required`);
      return d;
    }
    return Number(v);
  };
  const sl = args.get('sl');
  const candles = parseCandlesCsv(readFileSync(args.get('candles') ?? '', 'utf8'));
  const sym = args.get('symbol');
  const res = auditSimulate(candles, {
    side: args.get('side') === 'short' ? 'short' : 'long',
    deposit: num('deposit'),
    leverage: num('leverage'),
    levels: num('levels'),
    coverage: num('coverage'),
    multiplier: num('multiplier'),
    tp: num('tp'),
    sl: sl === undefined || sl === 'off' ? null : Number(sl),
    pause: num('pause', 0),
    feeMaker: num('fee-maker', 0.02),
    feeTaker: num('fee-taker', 0.055),
    maxCycles: args.has('max-cycles') ? num('max-cycles') : null,
    market: sym ? findMarket(sym) : null,
  });
  const { cycleList: _c, refusedLater, ...summary } = res;
  if (refusedLater !== null) console.error(`stopped: a later cycle was refused: ${refusedLater}`);
  console.log(JSON.stringify(summary));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main(process.argv.slice(2));
