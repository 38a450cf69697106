/**
 * Cross-check of the project's grid simulator (services/grid/sim.ts) against
 * the independent audit implementation (audit-sim.ts, written from the issue's
 * spec text only). See audit-compare.ts for the full 200+ case comparison.
 *
 * Three readings of the spec are disputed (see the audit report):
 * - gapOrder: orders a candle opens beyond — met along previous close -> open
 *   (audit) or by price along the candle's first segment (project);
 * - tie: a grid level and the stop-loss at the same price — exit first (audit)
 *   or grid level first (project);
 * - peakFromDeposit: drawdown peak starts at the first close (audit) or at the
 *   deposit (project).
 * A case is asserted only when all readings of the disputed questions give the
 * same result, so this test checks everything the two agree on without failing
 * the build over an open question. Readings both sides share (gap fills at the
 * order's own price, unrealized PnL without fees, merge of levels under the
 * minimum, ...) are asserted.
 */
import { describe, expect, it } from 'vitest';
import { candlesToCsv, diffOutcomes, generateCase, runAudit, runProjectFn, type GenCase, type Outcome } from './audit-compare.js';
import type { AuditOptions, AuditParams } from './audit-sim.js';

const DISPUTED: Partial<AuditOptions>[] = [];
for (const gapOrder of ['prev-close', 'first-segment'] as const)
  for (const tie of ['exits-first', 'grid-first'] as const)
    for (const peakFromDeposit of [false, true]) DISPUTED.push({ gapOrder, tie, peakFromDeposit, belowMinimum: 'merge' });

/** The audit's outcome when every disputed reading agrees on it, else null. */
function undisputed(c: GenCase): Outcome | null {
  const outs = DISPUTED.map((o) => runAudit(c.candles, c.params, o));
  const first = outs[0]!;
  return outs.every((x) => diffOutcomes(first, x).length === 0) ? first : null;
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

  it('agrees on generated candle files wherever the spec is not disputed', () => {
    let asserted = 0;
    const failures: string[] = [];
    for (let seed = 9001; seed < 9031; seed++) {
      const c = generateCase(seed, { rows: 300 + (seed % 5) * 100 });
      const want = undisputed(c);
      if (want === null) continue;
      asserted++;
      const got = runProjectFn(candlesToCsv(c.candles), c.params);
      const diff = diffOutcomes(got, want);
      if (diff.length > 0) failures.push(`${c.name} [${diff.join(',')}] project ${JSON.stringify(got)} audit ${JSON.stringify(want)}`);
    }
    expect(failures).toEqual([]);
    // Most generated cases are not touched by a disputed reading; the test must assert something.
    expect(asserted).toBeGreaterThanOrEqual(20);
  });
});
