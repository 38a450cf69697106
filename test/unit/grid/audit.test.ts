/**
 * Cross-check of the project's grid simulator (services/grid/sim.ts) against
 * the independent audit implementation (audit-sim.ts, written from the issue's
 * spec text only). See audit-compare.ts for the full 500-case comparison.
 *
 * Readings the audit found disputed and that are now decided (issue 9
 * follow-up), asserted with the audit's defaults:
 * - gapOrder 'prev-close': orders a candle opens beyond are met along previous
 *   close -> open, nearest first, each at its own (trigger) price;
 * - tie 'exits-first': a grid level and the stop-loss at the same meeting
 *   point — stop-loss first (the Paper engine's order);
 * - belowMinimum 'merge': a level under the market minimum merges deeper.
 * Still open and excluded: peakFromDeposit (drawdown peak at the deposit, the
 * project, or at the first close, the audit). It only moves `maxDrawdown`, so
 * every other field is asserted on every case, and `maxDrawdown` where both
 * peak readings agree.
 */
import { describe, expect, it } from 'vitest';
import { candlesToCsv, diffOutcomes, generateCase, runAudit, runProjectFn, type GenCase, type Outcome } from './audit-compare.js';
import type { AuditCandle, AuditParams } from './audit-sim.js';

const PEAK_READINGS = [{ peakFromDeposit: false }, { peakFromDeposit: true }] as const;

/** Fields that differ, leaving `maxDrawdown` out when the open peak question decides it. */
function decidedDiff(got: Outcome, c: GenCase): string[] {
  const [a, b] = PEAK_READINGS.map((o) => runAudit(c.candles, c.params, o)) as [Outcome, Outcome];
  const peakOpen = diffOutcomes(a, b).length > 0;
  return diffOutcomes(got, a).filter((k) => !(peakOpen && k === 'maxDrawdown'));
}

describe('grid simulator vs the independent audit implementation', () => {
  it('agrees on a hand-computed take-profit cycle', () => {
    // Long, 1 level, entry 100 x 1 (taker 0.055 %), take-profit 101 on open->low->high (maker 0.02 %).
    const candles = [{ time: 1_700_000_000, open: 100, high: 101.5, low: 99.5, close: 101 }];
    const params: AuditParams = { side: 'long', deposit: 100, leverage: 1, levels: 1, coverage: 10, multiplier: 1, tp: 1, sl: null, pause: 0 };
    const want = { cycles: 1, tpCycles: 1, slCycles: 0, pnl: 1 - 0.055 - 0.0202, fees: 0.055 + 0.0202, maxDrawdown: 0, maxCapital: 100 };
    expect(diffOutcomes(runAudit(candles, params), want)).toEqual([]);
    expect(diffOutcomes(runProjectFn(candlesToCsv(candles), params), want)).toEqual([]);
  });

  it('agrees on a hand-computed stop-loss after a grid fill in the same candle', () => {
    // Long 2 levels, m = 1, coverage 10: q = 100/(2*100) = 0.5 at 100, level 1 at 90.
    // Stop 12 %: 88 before the fill. open->high->low->close (bearish): fills 90 on the way down,
    // avg 95, stop re-priced to 95*0.88 = 83.6, hit on the same segment (low 80).
    const candles = [{ time: 1_700_000_000_000, open: 100, high: 100, low: 80, close: 81 }];
    const params: AuditParams = { side: 'long', deposit: 100, leverage: 1, levels: 2, coverage: 10, multiplier: 1, tp: 5, sl: 12, pause: 60 };
    const fees = 50 * 0.00055 + 45 * 0.0002 + 83.6 * 0.00055;
    const want = { cycles: 1, tpCycles: 0, slCycles: 1, pnl: 83.6 - 95 - fees, fees, maxDrawdown: 95 - 83.6 + fees, maxCapital: 95 };
    const audit = runAudit(candles, params);
    expect(diffOutcomes(audit, { ...want, maxDrawdown: 0 })).toEqual([]); // audit: one close only, peak = that close
    expect(diffOutcomes(runProjectFn(candlesToCsv(candles), params), want)).toEqual([]); // project: peak = deposit
  });

  it('agrees on hand-computed gap and tie cases', () => {
    const t0 = 1_700_000_000;
    const cs = (rows: [number, number, number, number][]): AuditCandle[] =>
      rows.map(([open, high, low, close], i) => ({ time: t0 + i * 60, open, high, low, close }));
    const quiet: [number, number, number, number] = [100, 100.5, 99.5, 100];
    const cases: [string, AuditCandle[], AuditParams, Record<string, number>][] = [
      [
        // short 0.5 at 100, level 110, stop 105: gap 100 -> 112 meets the stop first (taker on 50 and 52.5)
        'gap-up short, stop before level 1',
        cs([quiet, [112, 113, 111, 112.5]]),
        { side: 'short', deposit: 100, leverage: 1, levels: 2, coverage: 10, multiplier: 1, tp: 1, sl: 5, pause: 0 },
        { cycles: 1, tpCycles: 0, slCycles: 1, pnl: -2.5 - 0.056375, fees: 0.056375, maxCapital: 50 },
      ],
      [
        // long 1 each at 100 / 95 / 90, stop 6 %: gap 100 -> 88 fills 95 (maker 0.019), stop 91.65 before 90
        'gap-down long, two levels crossed',
        cs([quiet, [88, 89, 87, 87.5]]),
        { side: 'long', deposit: 300, leverage: 1, levels: 3, coverage: 10, multiplier: 1, tp: 1, sl: 6, pause: 0 },
        { cycles: 1, tpCycles: 0, slCycles: 1, pnl: 2 * (91.65 - 97.5) - (0.055 + 0.019 + 2 * 91.65 * 0.00055), maxCapital: 195 },
      ],
      [
        // long 0.5 at 100, level 90 = stop 90: the stop first
        'level at the stop price',
        cs([[100, 100, 85, 86]]),
        { side: 'long', deposit: 100, leverage: 1, levels: 2, coverage: 10, multiplier: 1, tp: 1, sl: 10, pause: 0 },
        { cycles: 1, tpCycles: 0, slCycles: 1, pnl: -5 - (0.0275 + 45 * 0.00055), maxCapital: 50 },
      ],
    ];
    for (const [name, candles, params, want] of cases) {
      for (const [who, got] of [
        ['audit', runAudit(candles, params)],
        ['project', runProjectFn(candlesToCsv(candles), params)],
      ] as const) {
        expect('error' in got, `${name} (${who})`).toBe(false);
        for (const [k, v] of Object.entries(want)) expect((got as unknown as Record<string, number>)[k], `${name} ${k} (${who})`).toBeCloseTo(v, 9);
      }
    }
  });

  it('agrees on generated candle files on every decided reading', () => {
    let drawdownAsserted = 0;
    let gapCases = 0;
    let tieCases = 0;
    const failures: string[] = [];
    for (let seed = 9001; seed < 9033; seed++) {
      const c = generateCase(seed, { rows: 300 + (seed % 5) * 100 });
      const got = runProjectFn(candlesToCsv(c.candles), c.params);
      const diff = decidedDiff(got, c);
      if (diff.length > 0) failures.push(`${c.name} [${diff.join(',')}] project ${JSON.stringify(got)} audit ${JSON.stringify(runAudit(c.candles, c.params))}`);
      const [a, b] = PEAK_READINGS.map((o) => runAudit(c.candles, c.params, o)) as [Outcome, Outcome];
      if (diffOutcomes(a, b).length === 0) drawdownAsserted++;
      // Cases an old reading (first-segment gap order; grid level first on a tie) would get wrong.
      const changes = (o: Outcome): boolean => diffOutcomes(a, o).filter((k) => k !== 'maxDrawdown').length > 0;
      if (changes(runAudit(c.candles, c.params, { gapOrder: 'first-segment' }))) gapCases++;
      if (changes(runAudit(c.candles, c.params, { tie: 'grid-first' }))) tieCases++;
    }
    expect(failures).toEqual([]);
    // The sample must exercise both decided questions (seed 9032 reaches a level at the stop price)
    // and still assert the drawdown on most cases.
    expect(gapCases).toBeGreaterThanOrEqual(1);
    expect(tieCases).toBeGreaterThanOrEqual(1);
    expect(drawdownAsserted).toBeGreaterThanOrEqual(15);
  });
});
