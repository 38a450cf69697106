import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type Market, type Settings, type SignalParse } from '../../../models/index.js';
import { checkEntryLimits, checkExposure, EMPTY_ACCOUNT_STATE, startOfUtcDay } from '../../../services/trading/limits.js';
import { ladderFor, legShares, planLeverage, planTargets, planTrade, splitQuantity } from '../../../services/trading/plan.js';

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
const plan = (s: Partial<Settings>, g: Partial<SignalParse> = {}, extra: { free?: number | null; price?: number } = {}) =>
  planTrade({ signal: sig(g), settings: set(s), market: BTC, price: extra.price ?? 50_000, freeBalance: extra.free === undefined ? 1_000 : extra.free, account: EMPTY_ACCOUNT_STATE, now: NOW, signalAt: NOW });

describe('sizing', () => {
  it.each([
    ['fixed 20 USDT x10', { sizeMode: 'fixed', sizeValue: 20 }, 0.004],
    ['10% of 1,000 free x10', { sizeMode: 'balance_pct', sizeValue: 10 }, 0.02],
    ['1% risk of 1,000 at 1,000 distance', { sizeMode: 'risk_pct', sizeValue: 1 }, 0.01],
    ['2% risk of 1,000 at 1,000 distance', { sizeMode: 'risk_pct', sizeValue: 2 }, 0.02],
    ['fixed 33 USDT x10 rounds down to the step', { sizeMode: 'fixed', sizeValue: 33 }, 0.006],
  ] as const)('%s', (_n, s, qty) => {
    const r = plan(s as Partial<Settings>);
    expect(r.ok && r.plan.quantity).toBe(qty);
  });

  it.each([
    ['below the minimum quantity', { sizeValue: 1 }, {}, 'below-min-size'],
    ['more margin than free balance', { sizeMode: 'fixed', sizeValue: 500 }, { free: 100 }, 'insufficient-balance'],
    ['stop above a long entry', {}, { price: 48_000 }, 'invalid-stop'],
    ['no stop with skip_without', { stopPolicy: 'skip_without' }, { stop: null }, 'no-stop'],
  ] as const)('refuses %s', (_n, s, e, reason) => {
    const extra = e as { free?: number; price?: number; stop?: null };
    const r = plan(s as Partial<Settings>, 'stop' in extra ? { stopLoss: null } : {}, extra);
    expect(r.ok ? 'ok' : r.reason).toBe(reason);
  });

  it('uses a default stop distance when the signal has none', () => {
    const r = plan({ defaultStopPct: 2 }, { stopLoss: null });
    expect(r.ok && r.plan.stopLoss).toBe(49_000);
    const s = plan({ defaultStopPct: 2 }, { stopLoss: null, side: 'short', takeProfits: [48_000] });
    expect(s.ok && s.plan.stopLoss).toBe(51_000);
  });

  it('splits limit entries by weights and refuses nothing when a leg merges', () => {
    const r = plan({ sizeValue: 100, entryWeights: [3, 1] }, { entryMarket: false, entries: [49_900, 49_500] });
    expect(r.ok && r.plan.entries).toEqual([
      { price: 49_900, quantity: 0.015 },
      { price: 49_500, quantity: 0.005 },
    ]);
    expect(r.ok && r.plan.entryType).toBe('limit');
    const m = plan({ entryMode: 'market' }, { entryMarket: false, entries: [49_900] });
    expect(m.ok && m.plan.entryType).toBe('market');
  });
});

describe('leverage', () => {
  it.each([
    ['signal 10, user max 20', { leverageMode: 'signal', maxLeverage: 20 }, 10, 10],
    ['signal 75 capped by user max 20', { leverageMode: 'signal', maxLeverage: 20 }, 75, 20],
    ['signal 40, user max 125, market max 50', { leverageMode: 'signal', maxLeverage: 125 }, 40, 40],
    ['signal 100, user max 125 capped by market 50', { leverageMode: 'signal', maxLeverage: 125 }, 100, 50],
    ['no leverage in the signal: user default 5', { leverageMode: 'signal', leverage: 5 }, null, 5],
    ['fixed 3 whatever the signal says', { leverageMode: 'fixed', leverage: 3 }, 20, 3],
  ] as const)('%s', (_n, s, signalLev, expected) => {
    expect(planLeverage(set(s as Partial<Settings>), BTC, signalLev)).toBe(expected);
  });
});

describe('targets', () => {
  it.each([
    ['even split of the signal targets', {}, {}, [[51_000, 1 / 3], [52_000, 1 / 3], [53_000, 1 / 3]]],
    ['custom percentages', { tpSplit: [50, 30, 20] }, {}, [[51_000, 0.5], [52_000, 0.3], [53_000, 0.2]]],
    ['fewer percentages than targets use the first targets', { tpSplit: [1, 1] }, {}, [[51_000, 0.5], [52_000, 0.5]]],
    ['own targets in % when the signal has none', { ownTakeProfitPcts: [2, 4] }, { takeProfits: null }, [[51_000, 0.5], [52_000, 0.5]]],
    ['signal percentages', {}, { takeProfits: null, takeProfitPercents: [1] }, [[50_500, 1]]],
    ['targets on the wrong side are dropped', {}, { takeProfits: [49_500, 51_000] }, [[51_000, 1]]],
  ] as const)('%s', (_n, s, g, expected) => {
    const t = planTargets(sig(g as Partial<SignalParse>), set(s as Partial<Settings>), BTC, 50_000);
    expect(t.map((x) => [x.price, Number(x.share.toFixed(6))])).toEqual(expected.map(([p, sh]) => [p, Number(sh.toFixed(6))]));
  });
});

describe('splitQuantity', () => {
  it.each([
    [0.02, [1 / 3, 1 / 3, 1 / 3], [0.006, 0.006, 0.008]],
    [0.01, [0.5, 0.3, 0.2], [0.005, 0.003, 0.002]],
    [0.002, [1 / 3, 1 / 3, 1 / 3], [0, 0, 0.002]], // legs below the minimum merge into the next one
    [0.001, [0.5, 0.5], [0, 0.001]],
    [0.0199, [0.5, 0.5], [0.009, 0.01]],
  ])('%s by %j', (total, shares, expected) => {
    const q = splitQuantity(total, shares, BTC);
    expect(q).toEqual(expected);
  });
  it('always sums to the rounded total', () => {
    for (let units = 1; units < 300; units += 7) {
      const total = units / 1000;
      const q = splitQuantity(total, legShares(4, [4, 3, 2, 1]), BTC);
      expect(Number(q.reduce((a, b) => a + b, 0).toFixed(6))).toBe(total);
      for (const x of q) expect(x === 0 || x >= BTC.minQty).toBe(true);
    }
  });
  it('ladder skips hit targets and leaves the last to trailing', () => {
    const p = { takeProfits: [{ price: 51_000, share: 0.5 }, { price: 52_000, share: 0.25 }, { price: 53_000, share: 0.25 }], trailingPct: 0 };
    expect(ladderFor(p, 0.01, BTC, 1)).toEqual([{ index: 1, price: 52_000, quantity: 0.005 }, { index: 2, price: 53_000, quantity: 0.005 }]);
    expect(ladderFor({ ...p, trailingPct: 1 }, 0.02, BTC)).toEqual([{ index: 0, price: 51_000, quantity: 0.01 }, { index: 1, price: 52_000, quantity: 0.005 }]);
  });
});

describe('limits', () => {
  const state = { openTrades: [{ symbol: 'ETH/USDT', margin: 40 }], realizedPnlToday: -60, lastStopAt: { 'BTC/USDT': NOW - 10 * 60_000 } };
  it.each([
    ['signal too old', { maxSignalAgeSec: 60 }, NOW - 61_000, 'signal-too-old'],
    ['max trades', { maxTrades: 1 }, NOW, 'max-trades'],
    ['daily loss', { dailyLossLimitUsdt: 50 }, NOW, 'daily-loss'],
    ['cooldown after a stop', { cooldownAfterStopMin: 30 }, NOW, 'cooldown'],
    ['cooldown over', { cooldownAfterStopMin: 5 }, NOW, null],
    ['all within', {}, NOW, null],
  ] as const)('%s', (_n, s, at, reason) => {
    const r = checkEntryLimits(set(s as Partial<Settings>), state, { symbol: 'BTC/USDT', now: NOW, signalAt: at });
    expect(r?.reason ?? null).toBe(reason);
  });
  it('one per symbol and exposure', () => {
    expect(checkEntryLimits(set({ onePerSymbol: true }), state, { symbol: 'ETH/USDT', now: NOW, signalAt: null })?.reason).toBe('one-per-symbol');
    expect(checkExposure(set({ maxExposureUsdt: 50 }), state, 20)).toMatchObject({ reason: 'max-exposure', details: { current: 40, adding: 20 } });
    expect(checkExposure(set({ maxExposureUsdt: 60 }), state, 20)).toBeNull();
    expect(startOfUtcDay(NOW)).toBe(Date.UTC(2025, 0, 15));
  });
});
