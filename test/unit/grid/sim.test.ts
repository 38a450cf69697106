import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCandles, seriesOf } from '../../../services/grid/candles.js';
import { planGrid, type GridParams } from '../../../services/grid/plan.js';
import { simulateGrid, type SimOptions } from '../../../services/grid/sim.js';
import { referenceSim, type RefCandle, type RefParams } from './reference-sim.js';

const MIN = 60_000;
const params: GridParams = {
  side: 'long',
  deposit: 100,
  leverage: 10,
  levels: 3,
  coverage: 10,
  multiplier: 2,
  takeProfit: 1,
  stopLoss: 10,
  pauseMs: 0,
  maxCycles: null,
  afterStopLoss: 'continue',
};
const opts = (over: Partial<GridParams> = {}, fees = { feeMaker: 0, feeTaker: 0 }): SimOptions => ({
  params: { ...params, ...over },
  market: null,
  ...fees,
  keepCycles: true,
});
/** Candles from [open, high, low, close] rows, one minute apart. */
const candles = (rows: [number, number, number, number][]) =>
  seriesOf(rows.map(([open, high, low, close], i) => ({ time: i * MIN, open, high, low, close })));

describe('grid simulator: fills along the candle path', () => {
  // q = 1000 / (7 × 100); levels 100 (market), 95, 90; tp 1 %; sl 10 % from the average
  const q = 1000 / 700;

  it('market order at the first open; take-profit on a later rising segment of the same candle', () => {
    // close >= open: path 100 -> 99 -> 102 -> 101
    const r = simulateGrid(candles([[100, 102, 99, 101]]), opts());
    expect(r.tpCycles).toBe(1);
    expect(r.pnl).toBeCloseTo(q * 1, 9);
    expect(r.maxCapital).toBeCloseTo((q * 100) / 10, 9);
  });

  it('a take-profit placed at a grid fill does not fill on the same (falling) segment, but on the next rising one', () => {
    // close < open: path 100 -> 100.5 -> 94 -> 99. Level 95 fills on the fall; tp = avg×1.01 = 96.6×1.01 = 97.566 < 100.
    const r1 = simulateGrid(candles([[100, 100.5, 94, 95.5]]), opts());
    expect(r1.tpCycles).toBe(0); // last segment 94 -> 95.5 never reaches 97.57
    const r2 = simulateGrid(candles([[100, 100.5, 94, 99]]), opts());
    expect(r2.tpCycles).toBe(1);
    const avg = (q * 100 + 2 * q * 95) / (3 * q);
    expect(r2.pnl).toBeCloseTo(3 * q * (avg * 1.01 - avg), 9);
    expect(r2.cycleRecords[0]?.levelsUsed).toBe(2);
  });

  it('the stop-loss re-priced after a fill triggers on the same falling segment', () => {
    // long, levels 100 / 95 / 90 (coverage 10), sl 6 %: stop 94 after level 0, then avg×0.94 = 90.87 after level 95
    const r = simulateGrid(candles([[100, 100, 80, 85]]), opts({ stopLoss: 6 }));
    expect(r.slCycles).toBe(1);
    expect(r.cycleRecords[0]?.levelsUsed).toBe(2); // level 90 is below the stop
    const avg = (q * 100 + 2 * q * 95) / (3 * q);
    expect(r.pnl).toBeCloseTo(3 * q * (avg * 0.94 - avg), 9);
  });

  it('pause: the next cycle starts at the open of the first later candle at least `pause` after the ending candle', () => {
    const rows: [number, number, number, number][] = [
      [100, 102, 99, 101], // cycle 1 opens and takes profit
      [101, 101.5, 100.5, 101], // +1 min
      [101, 101.5, 100.5, 101], // +2 min: first candle >= end + 2 min
      [101, 101.5, 100.5, 101],
    ];
    const r0 = simulateGrid(candles(rows), opts({ pauseMs: 0 }));
    expect(r0.cycleRecords.length + (r0.openCycle ? 1 : 0)).toBe(2);
    expect(r0.openCycle?.cycle).toBe(2);
    const r2 = simulateGrid(candles(rows), opts({ pauseMs: 2 * MIN }));
    expect(r2.openCycle?.cycle).toBe(2);
    expect(r2.cycleRecords).toHaveLength(1);
    const r3 = simulateGrid(candles(rows), opts({ pauseMs: 3 * MIN + 1 }));
    expect(r3.openCycle).toBeNull();
  });

  it('fees: market and stop pay taker, grid and take-profit pay maker; an open cycle counts in fees but not in pnl', () => {
    const fees = { feeMaker: 0.0002, feeTaker: 0.00055 };
    const r = simulateGrid(candles([[100, 102, 99, 101]]), opts({}, fees));
    const tpPrice = 101;
    expect(r.fees).toBeCloseTo(q * 100 * 0.00055 + q * tpPrice * 0.0002, 12);
    expect(r.pnl).toBeCloseTo(q * 1 - r.fees, 12);
    const open = simulateGrid(candles([[100, 100.5, 99.5, 100]]), opts({}, fees));
    expect(open.cycles).toBe(0);
    expect(open.pnl).toBe(0);
    expect(open.fees).toBeCloseTo(q * 100 * 0.00055, 12);
  });

  it('drawdown: equity at each close from the deposit peak', () => {
    const r = simulateGrid(candles([[100, 100, 99, 99], [99, 99, 96, 96]]), opts({ levels: 1 }));
    // one level: 10 units at 100; closes at 99 and 96 -> equity 90 at worst
    expect(r.maxDrawdown).toBeCloseTo(40, 9);
  });

  it('short grids are mirrored', () => {
    // short: levels 100 / 105 / 110; close < open path 100 -> 106 -> 98 -> 99
    const r = simulateGrid(candles([[100, 106, 98, 99]]), opts({ side: 'short', coverage: 10 }));
    expect(r.tpCycles).toBe(1);
    const avg = (q * 100 + 2 * q * 105) / (3 * q);
    expect(r.pnl).toBeCloseTo(3 * q * (avg - avg * 0.99), 9);
  });
});

describe('grid simulator: gaps and ties (the Paper engine order)', () => {
  const fees = { feeMaker: 0.0002, feeTaker: 0.00055 };
  const quiet: [number, number, number, number] = [100, 100.5, 99.5, 100]; // first candle: market order at 100, nothing else

  it.each([
    ['closes up', [112, 113, 111, 112.5]],
    ['closes down', [112, 113, 111, 111.5]],
  ] as const)('gap-up short with the stop before level 1: stopped out at the stop price (candle %s)', (_n, gapCandle) => {
    // short, q = 100 / (2 × 100) = 0.5 at 100; level 1 at 110; stop 100 × 1.05 = 105; tp 99.
    // The price went 100 -> 112 before the candle's path: the stop (105) is met before level 1 (110).
    const r = simulateGrid(candles([quiet, [...gapCandle]]), opts({ side: 'short', deposit: 100, leverage: 1, levels: 2, coverage: 10, multiplier: 1, stopLoss: 5 }, fees));
    expect(r.slCycles).toBe(1);
    expect(r.tpCycles).toBe(0);
    const rec = r.cycleRecords[0]!;
    expect(rec.exitPrice).toBe(105);
    expect(rec.levelsUsed).toBe(1);
    const f = 0.5 * 100 * 0.00055 + 0.5 * 105 * 0.00055; // 0.0275 + 0.028875
    expect(r.fees).toBeCloseTo(0.056375, 12);
    expect(r.fees).toBeCloseTo(f, 12);
    expect(r.pnl).toBeCloseTo(-2.5 - 0.056375, 12);
    expect(r.maxDrawdown).toBeCloseTo(2.556375, 12); // equity 100 at the first close, 97.443625 at the second
    expect(r.maxCapital).toBeCloseTo(50, 12);
  });

  it.each([
    ['closes down', [88, 89, 87, 87.5]],
    ['closes up', [88, 89.5, 87, 89]],
  ] as const)('gap-down long across two levels: the highest fills first, the re-priced stop triggers later in the gap (candle %s)', (_n, gapCandle) => {
    // long, q = 300 / (3 × 100) = 1 per level at 100 / 95 / 90; stop 6 %: 94, tp 101.
    // Gap 100 -> 88: level 95 first (avg 97.5, stop re-priced to 91.65), then the stop 91.65 before level 90.
    const r = simulateGrid(candles([quiet, [...gapCandle]]), opts({ deposit: 300, leverage: 1, levels: 3, coverage: 10, multiplier: 1, stopLoss: 6 }));
    expect(r.slCycles).toBe(1);
    const rec = r.cycleRecords[0]!;
    expect(rec.levelsUsed).toBe(2);
    expect(rec.quantity).toBeCloseTo(2, 12);
    expect(rec.averageEntry).toBeCloseTo(97.5, 12);
    expect(rec.exitPrice).toBeCloseTo(91.65, 9);
    expect(r.pnl).toBeCloseTo(2 * (91.65 - 97.5), 9); // −11.7
  });

  it('a take-profit placed at a gap fill cannot fill during the gap but can later in the candle', () => {
    // long, levels 100 / 95 / 90 (1 each), stop 15 % (85 → 82.875 → 80.75, never reached).
    // Gap 100 -> 88 fills 95 then 90: avg 95, tp 95.95 (behind the falling price).
    const p = { deposit: 300, leverage: 1, levels: 3, coverage: 10, multiplier: 1, stopLoss: 15 };
    const stays = simulateGrid(candles([quiet, [88, 95.5, 87, 89]]), opts(p)); // path 88 -> 95.5 -> 87 -> 89
    expect(stays.cycles).toBe(0);
    expect(stays.openCycle?.positionQty).toBeCloseTo(3, 12);
    expect(stays.openCycle?.averageEntry).toBeCloseTo(95, 12);
    const tp = simulateGrid(candles([quiet, [88, 97, 87, 89]]), opts(p)); // path 88 -> 97: reaches 95.95
    expect(tp.tpCycles).toBe(1);
    expect(tp.cycleRecords[0]?.levelsUsed).toBe(3);
    expect(tp.cycleRecords[0]?.exitPrice).toBeCloseTo(95.95, 9);
    expect(tp.pnl).toBeCloseTo(3 * (95.95 - 95), 9);
  });

  it('no gap segment on the candle whose open fills the market order of a new cycle', () => {
    // The first cycle takes profit in candle 0; candle 1 opens far lower and starts cycle 2 at its open:
    // the levels rest from 50, nothing is filled "between" 100.5 and 50.
    const r = simulateGrid(candles([[100, 102, 99, 101], [50, 50.2, 49.9, 50.1]]), opts({ deposit: 300, leverage: 1, levels: 3, coverage: 10, multiplier: 1 }));
    expect(r.tpCycles).toBe(1);
    expect(r.openCycle?.cycle).toBe(2);
    expect(r.openCycle?.averageEntry).toBe(50);
  });

  it('a grid level at the stop-loss price: the stop fires first, as the plan warns', () => {
    // long, q = 0.5 at 100, level 1 at 90, stop 10 %: 90 — the same price.
    const p = { deposit: 100, leverage: 1, levels: 2, coverage: 10, multiplier: 1, stopLoss: 10 };
    for (const rows of [
      [[100, 100, 85, 86]], // reached on the candle's path (100 -> 100 -> 85 -> 86)
      [quiet, [85, 86, 84, 85.5]], // reached in a gap 100 -> 85
    ] as [number, number, number, number][][]) {
      const r = simulateGrid(candles(rows), opts(p));
      expect(r.slCycles).toBe(1);
      const rec = r.cycleRecords[0]!;
      expect(rec.levelsUsed).toBe(1);
      expect(rec.exitPrice).toBe(90);
      expect(r.pnl).toBeCloseTo(0.5 * (90 - 100), 12);
    }
    expect(planGrid({ ...params, ...p }, 100, null).warnings).toContainEqual({ code: 'stop-above-levels', unreachable: [1] });
  });
});

describe('grid simulator agrees with an independent naive implementation', () => {
  function walk(seed: number, n: number, vol: number, gaps: boolean): RefCandle[] {
    let a = seed;
    const rnd = () => {
      a = (a * 1664525 + 1013904223) % 4294967296;
      return a / 4294967296;
    };
    const out: RefCandle[] = [];
    let price = 100;
    for (let i = 0; i < n; i++) {
      const open = gaps && rnd() < 0.05 ? price * (1 + (rnd() - 0.5) * vol * 4) : price;
      const close = open * (1 + (rnd() - 0.5) * vol);
      const high = Math.max(open, close) * (1 + rnd() * vol * 0.5);
      const low = Math.min(open, close) * (1 - rnd() * vol * 0.5);
      out.push({ time: 1_700_000_000 + i * 60, open, high, low, close }); // epoch seconds
      price = close;
    }
    return out;
  }
  const cases: [string, Partial<RefParams>, number, boolean][] = [
    ['long default', {}, 0.01, false],
    ['long tight stop', { sl: 4, coverage: 12 }, 0.015, false],
    ['long no stop, gaps', { sl: null, coverage: 30 }, 0.02, true],
    ['short', { side: 'short', sl: 8 }, 0.012, true],
    ['short wide, long pause', { side: 'short', levels: 8, coverage: 40, multiplier: 1.5, pauseMs: 30 * MIN }, 0.02, false],
    ['one level', { levels: 1, tp: 0.5, sl: 1 }, 0.01, true],
  ];
  it.each(cases)('%s', (_name, over, vol, gaps) => {
    for (const seed of [1, 7, 42]) {
      const P: RefParams = {
        side: 'long',
        deposit: 100,
        leverage: 10,
        levels: 6,
        coverage: 15,
        multiplier: 1.3,
        tp: 1,
        sl: 10,
        pauseMs: 5 * MIN,
        feeMaker: 0.02,
        feeTaker: 0.055,
        ...over,
      };
      const data = walk(seed, 3000, vol, gaps);
      const expected = referenceSim(
        data.map((c) => ({ ...c, time: c.time * 1000 })),
        P,
      );
      const csv = ['time,open,high,low,close,volume', ...data.map((c) => `${c.time},${c.open},${c.high},${c.low},${c.close},1`)].join('\n');
      const got = simulateGrid(parseCandles(csv), {
        params: {
          side: P.side,
          deposit: P.deposit,
          leverage: P.leverage,
          levels: P.levels,
          coverage: P.coverage,
          multiplier: P.multiplier,
          takeProfit: P.tp,
          stopLoss: P.sl,
          pauseMs: P.pauseMs,
          maxCycles: null,
          afterStopLoss: 'continue',
        },
        market: null,
        feeMaker: P.feeMaker / 100,
        feeTaker: P.feeTaker / 100,
      });
      expect(expected.cycles).toBeGreaterThan(0);
      expect(got.cycles).toBe(expected.cycles);
      expect(got.tpCycles).toBe(expected.tpCycles);
      expect(got.slCycles).toBe(expected.slCycles);
      for (const k of ['pnl', 'fees', 'maxDrawdown', 'maxCapital'] as const) {
        expect(got[k], `${k} seed ${seed}`).toBeCloseTo(expected[k], 6);
      }
    }
  });
});

describe('candle files', () => {
  it('detects seconds, milliseconds and ISO times and skips a header', () => {
    const a = parseCandles('time,open,high,low,close,volume\n1700000000,1,2,0.5,1.5,10\n1700000060,1.5,2,1,1,3\n');
    const b = parseCandles('1700000000000,1,2,0.5,1.5,10\n1700000060000,1.5,2,1,1,3\n');
    const c = parseCandles('date;open;high;low;close\n2023-11-14 22:13:20;1;2;0.5;1.5\n2023-11-14T22:14:20Z;1.5;2;1;1\n');
    for (const s of [a, b, c]) {
      expect(s.length).toBe(2);
      expect(Array.from(s.time)).toEqual([1_700_000_000_000, 1_700_000_060_000]);
      expect(Array.from(s.close)).toEqual([1.5, 1]);
    }
  });

  it('maps columns by header name', () => {
    const s = parseCandles('timestamp,volume,close,low,high,open\n1000,5,1.5,0.5,2,1\n');
    expect([s.open[0], s.high[0], s.low[0], s.close[0], s.time[0]]).toEqual([1, 2, 0.5, 1.5, 1_000_000]);
  });

  it('names the line of a malformed row', () => {
    expect(() => parseCandles('time,open,high,low,close\n1,1,1,1,1\n2,x,1,1,1\n')).toThrow(/line 3/);
  });

  it('the bundled sample file simulates', () => {
    const s = parseCandles(readFileSync(new URL('../../fixtures/candles/grid-sample.csv', import.meta.url), 'utf8'));
    expect(s.length).toBe(1440);
    const r = simulateGrid(s, opts({ levels: 10, coverage: 20, multiplier: 1.3, stopLoss: 15, pauseMs: MIN }));
    expect(r.tpCycles).toBeGreaterThan(5);
  });
});
