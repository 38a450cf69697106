import { describe, expect, it } from 'vitest';
import { parseGridAnswer, renderGridNotification } from '../../../bot/features/grid.js';

describe('grid wizard answers', () => {
  it.each([
    ['symbol', 'doge', 'DOGE/USDT'],
    ['symbol', 'btc/usdt', 'BTC/USDT'],
    ['deposit', '100,5', 100.5],
    ['coverage', '20%', 20],
    ['levels', '15', 15],
    ['stopLoss', 'off', null],
    ['maxCycles', '0', null],
    ['pause', '0', 0],
  ] as const)('%s %j', (field, text, value) => {
    expect(parseGridAnswer(field, 'long', text)).toEqual({ ok: true, value });
  });

  it.each([
    ['levels', '2.5'],
    ['levels', '0'],
    ['coverage', '100'],
    ['deposit', '0'],
    ['deposit', 'abc'],
    ['multiplier', '0.5'],
    ['takeProfit', ''],
    ['symbol', '$$'],
  ] as const)('refuses %s %j', (field, text) => {
    expect(parseGridAnswer(field, 'long', text).ok).toBe(false);
  });

  it('a short grid may cover more than 100 %', () => {
    expect(parseGridAnswer('coverage', 'short', '150')).toEqual({ ok: true, value: 150 });
  });
});

describe('grid notifications', () => {
  const t = (key: string, vars?: Record<string, string | number>) => `${key}${vars ? JSON.stringify(vars) : ''}`;
  const base = { userId: 1, botId: 7, symbol: 'DOGE/USDT', side: 'long' as const };
  it('renders each event with its locale key', () => {
    expect(renderGridNotification(t, { ...base, type: 'grid-cycle-completed', cycle: 3, reason: 'take-profit', pnl: 1.5, fees: 0.1, durationMs: 600_000, levelsUsed: 2, estimated: false })).toBe(
      'grid-note-completed{"bot":"#7 DOGE/USDT","cycle":3,"reason":"grid-reason-take-profit","pnl":"+1.50","minutes":"10.0","levels":2}',
    );
    expect(renderGridNotification(t, { ...base, type: 'grid-stopped', reason: 'max-cycles' })).toContain('grid-stop-max-cycles');
    expect(renderGridNotification(t, { ...base, type: 'grid-entry-filled', cycle: 1, level: 2, price: 0.475, quantity: 373, averageEntry: 0.48, positionQty: 881, takeProfit: 0.4848, stopLoss: 0.432 })).toContain('"level":2');
  });
});
