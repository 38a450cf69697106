/**
 * Plan guards from the acceptance tour: a stop beyond the estimated
 * liquidation price (P1.4) and a take-profit split that does not match the
 * signal's targets (P1.5).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type Market, type Settings, type SignalParse } from '../../../models/index.js';
import { EMPTY_ACCOUNT_STATE } from '../../../services/trading/limits.js';
import { estimatedLiquidation, liquidationBuffer, maintenanceRate, maxLeverageForStop, planTargets, planTrade } from '../../../services/trading/plan.js';

const BTC: Market = {
  symbol: 'BTC/USDT', exchangeSymbol: 'BTC/USDT:USDT', base: 'BTC', quote: 'USDT', settle: 'USDT', tickSize: 0.1, stepSize: 0.001, minQty: 0.001,
  maxQty: 100, minNotional: 5, maxLeverage: 50, contractSize: 1, takerFee: 0.00055, makerFee: 0.0002, active: true,
};
const sig = (o: Partial<SignalParse> = {}): SignalParse => ({
  kind: 'signal', symbol: 'BTC/USDT', side: 'long', entries: [], entryMarket: true, entryTrigger: null, takeProfits: [51_000, 52_000, 53_000],
  takeProfitPercents: null, stopLoss: 49_000, leverage: 10, marginMode: null, warnings: [], ...o,
});
const set = (o: Partial<Settings> = {}): Settings => ({ ...DEFAULT_SETTINGS, ...o });
const NOW = Date.UTC(2025, 0, 15, 12);
const plan = (s: Partial<Settings>, g: Partial<SignalParse> = {}) =>
  planTrade({ signal: sig(g), settings: set(s), market: BTC, price: 50_000, freeBalance: 100_000, account: EMPTY_ACCOUNT_STATE, now: NOW, signalAt: NOW });

describe('liquidation estimate', () => {
  it.each([
    ['long 10x', 'long', 10, 0.01, 45_500],
    ['short 10x', 'short', 10, 0.01, 54_500],
    ['long 7x with 0.5 %', 'long', 7, 0.005, 43_107.142857],
    ['long 1x', 'long', 1, 0.005, 250],
  ] as const)('%s', (_n, side, lev, mmr, expected) => {
    expect(estimatedLiquidation(side, 50_000, lev, mmr)).toBeCloseTo(expected, 4);
  });
  it('maintenance rate: half the initial margin at the market maximum, at least 0.5 %', () => {
    expect(maintenanceRate({ maxLeverage: 50 })).toBe(0.01);
    expect(maintenanceRate({ maxLeverage: 100 })).toBe(0.005);
    expect(maintenanceRate({ maxLeverage: 200 })).toBe(0.005);
  });
  it.each([
    [50_000, 49_000, 0.01, 33], // 1 / 0.03 = 33.3
    [50_000, 49_500, 0.01, 49], // 1 / 0.02 = 50 exactly: strictly below
    [50_000, 20_000, 0.005, 1], // 60 % away: 1x only
    [50_000, 50, 0.01, 0], // 99.9 % away: not even 1x
  ])('entry %s stop %s mmr %s -> at most %sx', (entry, stop, mmr, expected) => {
    expect(maxLeverageForStop(entry, stop, mmr)).toBe(expected);
  });
});

describe('stop beyond liquidation (isolated)', () => {
  it.each([
    ['stop before liquidation: leverage kept', { maxLeverage: 50 }, { leverage: 10 }, 10, []],
    // 33x would put the liquidation 15 away from the stop, inside the 0.1 % margin: 32x.
    ['long 50x, stop 2 % away: lowered to 32x', { maxLeverage: 50 }, { leverage: 50 }, 32, ['leverage-lowered-for-stop']],
    ['short 50x, stop 2 % away: lowered to 32x', { maxLeverage: 50 }, { leverage: 50, side: 'short', stopLoss: 51_000, takeProfits: [49_000] }, 32, ['leverage-lowered-for-stop']],
    ['default stop 60 % at 7x (the tour): lowered to 1x', { maxLeverage: 50, defaultStopPct: 60, sizeMode: 'fixed', sizeValue: 100 }, { leverage: 7, stopLoss: null }, 1, ['default-stop', 'leverage-lowered-for-stop', 'targets-merged']], // 0.002 BTC for three targets
    ['cross margin: not checked here', { maxLeverage: 50, marginMode: 'cross' }, { leverage: 50 }, 50, []],
  ] as const)('%s', (_n, s, g, lev, warnings) => {
    const r = plan(s as Partial<Settings>, g as Partial<SignalParse>);
    if (!r.ok) throw new Error(`refused: ${r.reason}`);
    expect(r.plan.leverage).toBe(lev);
    expect(r.plan.warnings.filter((w) => w !== 'no-targets')).toEqual(warnings);
    const liq = estimatedLiquidation(r.plan.side, r.plan.avgEntry, r.plan.leverage, maintenanceRate(BTC));
    if (r.plan.marginMode === 'isolated') expect(r.plan.side === 'long' ? r.plan.stopLoss! > liq : r.plan.stopLoss! < liq).toBe(true);
  });

  it.each([
    ['fixed leverage is never changed', { leverageMode: 'fixed', leverage: 50, maxLeverage: 50 }, {}],
    ['a stop too far even at 1x', { maxLeverage: 50 }, { stopLoss: 50 }],
  ] as const)('refuses: %s', (_n, s, g) => {
    const r = plan(s as Partial<Settings>, g as Partial<SignalParse>);
    expect(r.ok ? 'ok' : r.reason).toBe('stop-beyond-liquidation');
    if (!r.ok) expect(r.details).toMatchObject({ stopLoss: expect.any(Number), liquidationPrice: expect.any(Number), leverage: expect.any(Number) });
  });
});

describe('stop beyond liquidation: laddered limit entries (only the worst leg may fill)', () => {
  const ladder = (g: Partial<SignalParse>, s: Partial<Settings> = {}) =>
    planTrade({
      signal: sig({ entryMarket: false, leverage: 5, ...g }),
      settings: set({ maxLeverage: 50, marginMode: 'isolated', entryMode: 'signal', ...s }),
      market: BTC, price: 50_000, freeBalance: 100_000, account: EMPTY_ACCOUNT_STATE, now: NOW, signalAt: NOW,
    });
  it.each([
    // The review's example: the average (45 000) at 5x liquidates at 36 450, but the 50 000 leg alone at 40 500 (above the stop).
    ['long 50 000 / 40 000, stop 39 000, 5x', { entries: [50_000, 40_000], stopLoss: 39_000, takeProfits: [55_000] }, 'long', 50_000],
    ['short 40 000 / 50 000, stop 51 000, 5x', { side: 'short', entries: [40_000, 50_000], stopLoss: 51_000, takeProfits: [35_000] }, 'short', 40_000],
    // Average 47 000 at 10x liquidates at 42 770 (clear of a 43 000 stop); the 50 000 leg alone at 45 500.
    ['long 50 000 / 44 000, stop 43 000, 10x', { entries: [50_000, 44_000], stopLoss: 43_000, leverage: 10, takeProfits: [55_000] }, 'long', 50_000],
  ] as const)('%s: leverage lowered so the worst leg alone is liquidated after the stop', (_n, g, side, worstLeg) => {
    const r = ladder(g as unknown as Partial<SignalParse>);
    if (!r.ok) throw new Error(`refused: ${r.reason}`);
    expect(r.plan.leverage).toBeLessThan((g as { leverage?: number }).leverage ?? 5);
    expect(r.plan.warnings).toContain('leverage-lowered-for-stop');
    const liq = estimatedLiquidation(side, worstLeg, r.plan.leverage, maintenanceRate(BTC));
    const gap = side === 'long' ? r.plan.stopLoss! - liq : liq - r.plan.stopLoss!;
    expect(gap).toBeGreaterThanOrEqual(liquidationBuffer(BTC, worstLeg));
    // The highest leverage that keeps the margin: one more would not.
    const next = estimatedLiquidation(side, worstLeg, r.plan.leverage + 1, maintenanceRate(BTC));
    expect(side === 'long' ? r.plan.stopLoss! - next : next - r.plan.stopLoss!).toBeLessThan(liquidationBuffer(BTC, worstLeg));
  });
  it('the review example lowers 5x to 4x', () => {
    const r = ladder({ entries: [50_000, 40_000], stopLoss: 39_000, takeProfits: [55_000] });
    expect(r.ok && r.plan.leverage).toBe(4);
  });
  it('fixed leverage: refused rather than liquidated before the stop', () => {
    const r = ladder({ entries: [50_000, 40_000], stopLoss: 39_000, takeProfits: [55_000] }, { leverageMode: 'fixed', leverage: 5 });
    expect(r.ok ? 'ok' : r.reason).toBe('stop-beyond-liquidation');
  });
  it('a stop well clear of the worst leg keeps the leverage', () => {
    const r = ladder({ entries: [50_000, 49_000], stopLoss: 48_000, takeProfits: [55_000] });
    expect(r.ok && r.plan.leverage).toBe(5);
    expect(r.ok && r.plan.warnings).not.toContain('leverage-lowered-for-stop');
  });
  it('market entry: a stop within 0.1 % of the liquidation estimate lowers the leverage', () => {
    // 50 000 at 33x: liquidation 48 984.8, 15.2 below a 49 000 stop (< 50 = 0.1 %).
    const r = plan({ maxLeverage: 50 }, { leverage: 33 });
    expect(r.ok && r.plan.leverage).toBe(32);
  });
});

describe('take-profit split against the signal targets', () => {
  it.each([
    ['matching split', [50, 30, 20], [51_000, 52_000, 53_000], [[51_000, 0.5], [52_000, 0.3], [53_000, 0.2]], false],
    ['no split: even', null, [51_000, 52_000, 53_000], [[51_000, 1 / 3], [52_000, 1 / 3], [53_000, 1 / 3]], false],
    ['shorter split: first targets, nearest kept', [50, 50], [51_000, 52_000, 53_000], [[51_000, 0.5], [52_000, 0.5]], true],
    ['split not adding up to 100: renormalised', [50, 30], [51_000, 52_000], [[51_000, 0.625], [52_000, 0.375]], true],
    ['longer split than targets: first shares renormalised', [40, 30, 20, 10], [51_000, 52_000, 53_000], [[51_000, 4 / 9], [52_000, 3 / 9], [53_000, 2 / 9]], true],
    ['a single value is not 100 % at the first target: even', [6], [51_000, 52_000, 53_000], [[51_000, 1 / 3], [52_000, 1 / 3], [53_000, 1 / 3]], true],
    ['a target behind the entry: the split applies from the nearest remaining', [50, 30, 20], [49_900, 51_000, 52_000], [[51_000, 0.625], [52_000, 0.375]], true],
    ['unsorted signal targets: nearest first', [70, 30], [53_000, 51_000], [[51_000, 0.7], [53_000, 0.3]], false],
  ] as const)('%s', (_n, split, targets, expected, warned) => {
    const warnings: string[] = [];
    const t = planTargets(sig({ takeProfits: [...targets] }), set({ tpSplit: split === null ? null : [...split] }), BTC, 50_000, warnings);
    expect(t.map((x) => [x.price, Number(x.share.toFixed(6))])).toEqual(expected.map(([p, sh]) => [p, Number(sh.toFixed(6))]));
    expect(t.reduce((a, x) => a + x.share, 0)).toBeCloseTo(1, 12);
    expect(warnings).toEqual(warned ? ['tp-split-adjusted'] : []);
  });

  it('the plan carries the warning', () => {
    const r = plan({ tpSplit: [6] });
    expect(r.ok && r.plan.warnings).toContain('tp-split-adjusted');
    expect(r.ok && r.plan.takeProfits.length).toBe(3);
  });
});

describe('a quantity too small for every target', () => {
  it('warns that targets were merged when a leg would fall below the minimum quantity', () => {
    // 5 USDT × 10x at 50,000 = 0.001 BTC: one minimum step for three targets.
    const r = plan({ sizeMode: 'fixed', sizeValue: 5, maxLeverage: 50 });
    if (!r.ok) throw new Error(`refused: ${r.reason}`);
    expect(r.plan.quantity).toBe(0.001);
    expect(r.plan.warnings).toContain('targets-merged');
  });

  it('says nothing when every target gets its own leg', () => {
    const r = plan({ sizeMode: 'fixed', sizeValue: 100, maxLeverage: 50 });
    if (!r.ok) throw new Error(`refused: ${r.reason}`);
    expect(r.plan.warnings).not.toContain('targets-merged');
  });
});
