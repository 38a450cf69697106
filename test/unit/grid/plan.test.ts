import { describe, expect, it } from 'vitest';
import { ValidationError, type Market } from '../../../models/index.js';
import { levelPrice, planGrid, stopLossPrice, takeProfitPrice, validateGridParams, type GridParams } from '../../../services/grid/plan.js';

const base: GridParams = {
  side: 'long',
  deposit: 10,
  leverage: 20,
  levels: 15,
  coverage: 40,
  multiplier: 1.3,
  takeProfit: 2,
  stopLoss: 15,
  pauseMs: 0,
  maxCycles: null,
  afterStopLoss: 'stop',
};

const market = (over: Partial<Market> = {}): Market => ({
  symbol: 'DOGE/USDT',
  exchangeSymbol: 'DOGE/USDT:USDT',
  base: 'DOGE',
  quote: 'USDT',
  settle: 'USDT',
  tickSize: 0.0001,
  stepSize: 1,
  minQty: 1,
  maxQty: 1_000_000,
  minNotional: 0,
  maxLeverage: 50,
  contractSize: 1,
  takerFee: 0.00055,
  makerFee: 0.0002,
  active: true,
  ...over,
});

describe('grid arithmetic: the worked example (deposit 10, x20, 15 levels, m=1.3, coverage 40 %, price 0.50, tp 2 %)', () => {
  const plan = planGrid(base, 0.5, null);

  it('base quantity q = deposit × leverage / (Σ m^i × price)', () => {
    // Σ_{i<15} 1.3^i = (1.3^15 − 1) / 0.3 = 167.28631…
    expect(plan.weightSum).toBeCloseTo(167.28631004696928, 9);
    expect(plan.baseQty).toBeCloseTo(2.391110186408507, 12);
    expect(plan.levels).toHaveLength(15);
    expect(plan.levels[0]!.quantity).toBeCloseTo(2.391110186408507, 12);
    expect(plan.levels[14]!.quantity).toBeCloseTo(2.391110186408507 * 1.3 ** 14, 9);
  });

  it('level prices evenly spaced from 0.50 down to 0.50 × (1 − 40 %)', () => {
    const prices = plan.levels.map((l) => l.price);
    expect(prices[0]).toBe(0.5);
    expect(prices[1]).toBeCloseTo(0.4857142857142857, 14);
    expect(prices[2]).toBeCloseTo(0.4714285714285714, 14);
    expect(prices[3]).toBeCloseTo(0.45714285714285713, 14);
    expect(prices[14]).toBeCloseTo(0.3, 14);
    for (let i = 1; i < 15; i++) expect(prices[i - 1]! - prices[i]!).toBeCloseTo(0.2 / 14, 12);
  });

  it('take-profit after three fills is the average × 1.02', () => {
    const fills = plan.levels.slice(0, 3);
    const qty = fills.reduce((a, l) => a + l.quantity, 0);
    const avg = fills.reduce((a, l) => a + l.quantity * l.price, 0) / qty;
    expect(qty).toBeCloseTo(9.540529643769943, 12);
    expect(avg).toBeCloseTo(0.48324382384532766, 12);
    expect(takeProfitPrice('long', avg, 2)).toBeCloseTo(0.4929087003222342, 12);
  });

  it('the full grid uses the whole deposit at most', () => {
    expect(plan.requiredMargin).toBeLessThanOrEqual(10);
    expect(plan.notional).toBeCloseTo(plan.levels.reduce((a, l) => a + l.quantity * l.price, 0), 9);
  });
});

describe('grid arithmetic: short side and helpers', () => {
  it('mirrors levels above the price and protection around the average', () => {
    const p = { ...base, side: 'short' as const, levels: 5, coverage: 20 };
    expect(levelPrice(p, 100, 4)).toBeCloseTo(120, 12);
    expect(levelPrice(p, 100, 2)).toBeCloseTo(110, 12);
    expect(takeProfitPrice('short', 100, 2)).toBeCloseTo(98, 12);
    expect(stopLossPrice('short', 100, 15)).toBeCloseTo(115, 12);
    expect(stopLossPrice('long', 100, 15)).toBeCloseTo(85, 12);
  });

  it('one level is just the market order', () => {
    const plan = planGrid({ ...base, levels: 1 }, 2, null);
    expect(plan.levels).toEqual([{ index: 0, price: 2, quantity: 100, merged: [] }]);
  });
});

describe('grid arithmetic: precision and minimum size', () => {
  it('rounds quantities down to the step and prices to the tick', () => {
    const plan = planGrid(base, 0.5, market({ tickSize: 0.001, stepSize: 0.1, minQty: 0.1 }));
    expect(plan.levels[0]!.quantity).toBe(2.3);
    expect(plan.levels[1]!.quantity).toBe(3.1); // 3.1084… down
    expect(plan.levels[1]!.price).toBe(0.486); // 0.485714… to the nearest tick
    expect(plan.levels[2]!.price).toBe(0.471);
    for (const l of plan.levels) expect(Math.abs(l.quantity * 10 - Math.round(l.quantity * 10))).toBeLessThan(1e-9);
  });

  it('refuses a grid whose first order is below the minimum, naming the smallest workable deposit', () => {
    const m = market({ minQty: 5 });
    let err: unknown;
    try {
      planGrid(base, 0.5, m);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    const d = (err as ValidationError).details;
    expect(d.reason).toBe('level-below-minimum');
    expect(d.level).toBe(0);
    // needs q ≥ 5: deposit ≥ 5 × 167.286… × 0.5 / 20 = 20.91
    expect(d.minDeposit).toBeCloseTo(20.92, 2);
    expect(() => planGrid({ ...base, deposit: 20.92 }, 0.5, m)).not.toThrow();
  });

  it('merges a level below the minimum notional into the next deeper level', () => {
    // m = 1: equal quantities; the deeper (cheaper) levels fall below a 1.2 USDT notional.
    const p = { ...base, deposit: 10, leverage: 1, levels: 5, coverage: 50, multiplier: 1 };
    // q = 10 / (5 × 1) = 2 per level; notionals 2, 1.75, 1.5, 1.25, 1.0 at prices 1, .875, .75, .625, .5
    const plan = planGrid(p, 1, market({ stepSize: 0.01, minQty: 0.01, minNotional: 1.3, tickSize: 0.001 }));
    expect(plan.levels.map((l) => l.index)).toEqual([0, 1, 2, 4]);
    expect(plan.levels[3]!.quantity).toBeCloseTo(4, 9); // level 3 merged into level 4
    expect(plan.levels[3]!.merged).toEqual([3]);
    expect(plan.totalQty).toBeCloseTo(10, 9);
    expect(plan.warnings).toContainEqual({ code: 'levels-merged', merged: [3] });
  });

  it('merges a trailing remainder into the last placed level', () => {
    const p = { ...base, deposit: 10, leverage: 1, levels: 5, coverage: 50, multiplier: 1 };
    const plan = planGrid(p, 1, market({ stepSize: 0.01, minQty: 0.01, minNotional: 1.1, tickSize: 0.001 }));
    // level 4 (notional 1.0) cannot stand alone and goes back into level 3
    expect(plan.levels.map((l) => l.index)).toEqual([0, 1, 2, 3]);
    expect(plan.levels[3]!.quantity).toBeCloseTo(4, 9);
    expect(plan.levels[3]!.merged).toEqual([4]);
  });

  it('warns about levels a stop-loss makes unreachable', () => {
    const plan = planGrid({ ...base, levels: 5, coverage: 40, stopLoss: 5 }, 1, null);
    expect(plan.warnings.find((w) => w.code === 'stop-above-levels')).toEqual({ code: 'stop-above-levels', unreachable: [1, 2, 3, 4] });
  });

  it('a level exactly at the stop-loss price is unreachable (the stop fires first on a tie)', () => {
    // start 100, levels 100 / 90; stop 10 % from 100 = 90, the same price as level 1
    const p = { ...base, levels: 2, coverage: 10, multiplier: 1, stopLoss: 10 };
    expect(planGrid(p, 100, null).warnings).toContainEqual({ code: 'stop-above-levels', unreachable: [1] });
    // a hair wider stop (89.99) leaves level 1 reachable
    expect(planGrid({ ...p, stopLoss: 10.01 }, 100, null).warnings.some((w) => w.code === 'stop-above-levels')).toBe(false);
  });

  it('compares the level with the stop rounded to the tick, as the core places it', () => {
    // tick 1: stop 100 × (1 − 10.3 %) = 89.7 is placed at 90 = level 1's price → unreachable
    const m = market({ tickSize: 1, stepSize: 0.001, minQty: 0.001 });
    const p = { ...base, deposit: 100, leverage: 1, levels: 2, coverage: 10, multiplier: 1, stopLoss: 10.3 };
    expect(planGrid(p, 100, m).warnings).toContainEqual({ code: 'stop-above-levels', unreachable: [1] });
    // 10.6 % → 89.4 rounds to 89, below the level: reachable
    expect(planGrid({ ...p, stopLoss: 10.6 }, 100, m).warnings.some((w) => w.code === 'stop-above-levels')).toBe(false);
  });
});

describe('parameter validation', () => {
  it.each([
    ['deposit', { deposit: 0 }],
    ['leverage', { leverage: 0.5 }],
    ['levels', { levels: 2.5 }],
    ['levels', { levels: 0 }],
    ['coverage', { coverage: 100 }],
    ['multiplier', { multiplier: 0.9 }],
    ['takeProfit', { takeProfit: 0 }],
    ['stopLoss', { stopLoss: -1 }],
    ['maxCycles', { maxCycles: 0 }],
  ] as const)('refuses a bad %s', (field, over) => {
    expect(() => validateGridParams({ ...base, ...over })).toThrow(ValidationError);
    try {
      validateGridParams({ ...base, ...over });
    } catch (e) {
      expect((e as ValidationError).details.field).toBe(field);
    }
  });

  it('accepts the worked example, a disabled stop-loss, and checks the market leverage', () => {
    expect(validateGridParams(base)).toBe(base);
    expect(() => validateGridParams({ ...base, stopLoss: null })).not.toThrow();
    expect(() => validateGridParams({ ...base, leverage: 60 }, market())).toThrow(/grid leverage/);
  });
});
