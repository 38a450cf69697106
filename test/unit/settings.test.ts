import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, ownerDefaults, parseSettings, sourceSettings, validateSetting } from '../../models/settings.js';

describe('settings', () => {
  it('layers owner defaults (owner keys only) under the user per-source overrides', () => {
    const global = { ...DEFAULT_SETTINGS, maxLeverage: 10, sizeValue: 20 };
    const owner = { leverage: 7, allowNoStop: true, maxLeverage: 125, sizeValue: 5000, breakevenAfterTp: 2 } as const;
    const s = sourceSettings(global, owner, { breakevenAfterTp: 3 });
    expect(s.leverage).toBe(7);
    expect(s.breakevenAfterTp).toBe(3);
    expect(s.allowNoStop).toBe(false);
    expect(s.maxLeverage).toBe(10);
    expect(s.sizeValue).toBe(20);
    expect(ownerDefaults(owner)).toEqual({ leverage: 7, breakevenAfterTp: 2 });
  });

  it('parses stored JSON leniently, dropping unknown keys and invalid values', () => {
    const s = parseSettings(JSON.stringify({ leverage: 9, maxTrades: -3, bogus: 1, sizeValue: 'x' }));
    expect(s.leverage).toBe(9);
    expect(s.maxTrades).toBe(DEFAULT_SETTINGS.maxTrades);
    expect(s.sizeValue).toBe(DEFAULT_SETTINGS.sizeValue);
    expect(parseSettings('not json')).toEqual(DEFAULT_SETTINGS);
  });

  it.each([
    ['leverage', 0],
    ['leverage', 126],
    ['leverage', 2.5],
    ['sizeValue', Number.NaN],
    ['sizeValue', Number.POSITIVE_INFINITY],
    ['sizeValue', -1],
    ['defaultStopPct', 0],
    ['maxTrades', 0],
  ] as const)('refuses %s = %s', (key, value) => {
    expect(validateSetting(key, value).ok).toBe(false);
  });
});
