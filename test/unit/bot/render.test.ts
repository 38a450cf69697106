import { describe, expect, it } from 'vitest';
import { createCallbackData, positionData, settingsData } from '../../../bot/callback-data/index.js';
import { esc, num, splitText } from '../../../bot/render/format.js';
import { ITEMS, parseTyped } from '../../../bot/features/settings.js';
import { looksLikeSecret } from '../../../bot/features/fallback.js';
import { renderBurst, renderEvent } from '../../../bot/notifier.js';
import { computeStats, dailyBreakdown } from '../../../services/stats.js';
import { normalizeUserSymbol } from '../../../services/portfolio.js';
import type { TradingEvent } from '../../../services/notifications.js';

const t = (key: string, vars?: Record<string, string | number>) => (vars ? `${key}(${Object.entries(vars).map(([k, v]) => `${k}=${v}`).join(',')})` : key);

describe('callback data', () => {
  it('packs and unpacks, and refuses more than 64 bytes or a ":" in a value', () => {
    const d = positionData.pack({ action: 'cl', account: 12, symbol: '1000PEPE/USDT', value: 50 });
    expect(d).toBe('ps:cl:12:1000PEPE/USDT:50');
    expect(positionData.unpack(d)).toEqual({ action: 'cl', account: '12', symbol: '1000PEPE/USDT', value: '50' });
    expect(positionData.filter.test(d)).toBe(true);
    expect(settingsData.filter.test(d)).toBe(false);
    const long = createCallbackData('x', ['a']);
    expect(() => long.pack({ a: 'y'.repeat(63) })).toThrow(/64 bytes/);
    expect(() => long.pack({ a: 'a:b' })).toThrow(/contains ':'/);
  });
});

describe('format', () => {
  it('escapes HTML', () => {
    expect(esc('<b>"x" & y</b>')).toBe('&lt;b&gt;&quot;x&quot; &amp; y&lt;/b&gt;');
  });
  it('formats numbers without exponents', () => {
    expect(num(0.00001234)).toBe('0.00001234');
    expect(num(65000)).toBe('65000');
    expect(num(null)).toBe('—');
  });
  it('splits long texts at line breaks, each chunk within the limit', () => {
    const text = Array.from({ length: 300 }, (_, i) => `line ${i} ${'x'.repeat(20)}`).join('\n');
    const chunks = splitText(text, 1000);
    expect(chunks.length).toBeGreaterThan(5);
    expect(chunks.every((c) => c.length <= 1000)).toBe(true);
    expect(chunks.join('\n')).toBe(text);
    expect(splitText('y'.repeat(2500), 1000).map((c) => c.length)).toEqual([1000, 1000, 500]);
  });
});

describe('typed settings values', () => {
  const item = (key: string) => ITEMS.find((i) => i.key === key)!;
  it.each([
    ['leverage', '10', { ok: true, value: 10 }],
    ['leverage', '10x', { ok: true, value: 10 }],
    ['leverage', 'ten', { ok: false, key: 'settings-error-not-number' }],
    ['leverage', '2.5', { ok: false, key: 'settings-error-not-integer' }],
    ['leverage', '500', { ok: false, key: 'settings-error-range' }],
    ['sizeValue', '12,5', { ok: true, value: 12.5 }],
    ['sizeValue', '0', { ok: false, key: 'settings-error-range' }],
    ['maxExposureUsdt', '0', { ok: true, value: 0 }],
    ['tpSplit', '50 30 20', { ok: true, value: [50, 30, 20] }],
    ['tpSplit', 'even', { ok: true, value: null }],
    ['tpSplit', '50 -1', { ok: false, key: 'settings-error-list' }],
  ])('%s %s', (key, text, expected) => {
    expect(parseTyped(item(key), text)).toMatchObject(expected);
  });
});

describe('secret-looking texts', () => {
  it.each([
    ['TESTKEY000000000XY', true],
    ['0x' + 'a'.repeat(64), true],
    ['hello there', false],
    ['BTC', false],
  ])('%s', (text, expected) => expect(looksLikeSecret(text)).toBe(expected));
});

describe('notification rendering', () => {
  const closed: TradingEvent = { type: 'trade-closed', userId: 1, tradeId: 5, symbol: 'BTC/<USDT>', side: 'long', reason: 'take-profit', exitPrice: 70000, realizedPnl: 12.5, fees: 0.1, estimated: false };
  it('renders one event with escaped symbol and signed PnL', () => {
    const s = renderEvent(t, closed);
    expect(s).toContain('notify-trade-closed(');
    expect(s).toContain('symbol=<b>BTC/&lt;USDT&gt;</b>');
    expect(s).toContain('pnl=+12.50');
    expect(s).toContain('reason=notify-close-take-profit');
  });
  it('groups a burst into one text', () => {
    const s = renderBurst(t, [closed, { type: 'sl-hit', userId: 1, tradeId: 6, symbol: 'ETH/USDT', side: 'short', price: 3100 }]);
    expect(s.startsWith('notify-burst(count=2)')).toBe(true);
    expect(s).toContain('notify-sl-hit(');
  });
  it('carries grid notifications in the same burst as trading events', () => {
    const s = renderBurst(t, [closed, { type: 'grid-stopped', userId: 1, botId: 3, symbol: 'ETH/USDT', side: 'long', reason: 'manual' }]);
    expect(s.startsWith('notify-burst(count=2)')).toBe(true);
    expect(s).toContain('grid-note-stopped(bot=#3 ETH/USDT,reason=grid-stop-manual)');
    expect(s).toContain('notify-trade-closed(');
  });
  it('names the entry gate reason of a refused plan (kill switch, license), and falls back for unknown ones', () => {
    const refused = (gate?: string): TradingEvent => ({ type: 'plan-refused', userId: 1, signalId: 1, symbol: 'BTC/USDT', reason: 'entry-gate', details: gate ? { gate } : {}, ...(gate ? { gate } : {}) });
    expect(renderEvent(t, refused('kill-switch'))).toContain('reason=refusal-gate-kill-switch');
    expect(renderEvent(t, refused('license-expired'))).toContain('reason=refusal-gate-license-expired');
    expect(renderEvent(t, refused('something-new'))).toContain('reason=refusal-entry-gate');
    expect(renderEvent(t, refused())).toContain('reason=refusal-entry-gate');
  });
  it('renders the first fill of a multi-entry plan as the trade being opened', () => {
    const first: TradingEvent = { type: 'entry-filled', userId: 1, tradeId: 7, symbol: 'LINK/USDT', side: 'short', filled: 9.9, planned: 19.9, averagePrice: 15, first: true, stopLoss: 16 };
    expect(renderEvent(t, first)).toContain('notify-entry-first(');
    expect(renderEvent(t, first)).toContain('sl=16');
    expect(renderEvent(t, { ...first, first: false })).toContain('notify-entry-filled(');
  });
  it('names unknown error codes generically', () => {
    expect(renderEvent(t, { type: 'error', userId: 1, code: 'something-new' })).toContain('err-unknown-code(code=something-new)');
    expect(renderEvent(t, { type: 'error', userId: 1, code: 'insufficient-funds' })).toContain('error=err-insufficient-funds');
  });
});

describe('stats', () => {
  const day = 86_400_000;
  const trades = [
    { symbol: 'BTC/USDT', sourceId: 1, realizedPnl: 10, fees: 0.1, closedAt: 1 * day },
    { symbol: 'ETH/USDT', sourceId: 1, realizedPnl: -4, fees: 0.1, closedAt: 2 * day },
    { symbol: 'BTC/USDT', sourceId: null, realizedPnl: -6, fees: 0.1, closedAt: 3 * day },
    { symbol: 'BTC/USDT', sourceId: 2, realizedPnl: 5, fees: 0.1, closedAt: 4 * day },
  ];
  it('computes PnL, win rate, profit factor and max drawdown', () => {
    const s = computeStats(trades);
    expect(s).toMatchObject({ trades: 4, wins: 2, losses: 2, realizedPnl: 5, grossProfit: 15, grossLoss: 10, profitFactor: 1.5, maxDrawdown: 10, winRate: 0.5, fees: 0.4 });
    expect(s.bySymbol.map((g) => [g.key, g.trades, g.realizedPnl])).toEqual([
      ['BTC/USDT', 3, 9],
      ['ETH/USDT', 1, -4],
    ]);
    expect(s.bySource.find((g) => g.key === '')?.realizedPnl).toBe(-6);
  });
  it('has no profit factor without losses and nothing without trades', () => {
    expect(computeStats([trades[0]!]).profitFactor).toBeNull();
    expect(computeStats([])).toMatchObject({ trades: 0, winRate: null, maxDrawdown: 0 });
  });
  it('groups by UTC day, newest first', () => {
    expect(dailyBreakdown(trades).map((r) => r.day)).toEqual(['1970-01-05', '1970-01-04', '1970-01-03', '1970-01-02']);
  });
});

describe('symbols typed by users', () => {
  it.each([
    ['btc', 'BTC/USDT'],
    ['BTCUSDT', 'BTC/USDT'],
    ['eth/usdc', 'ETH/USDC'],
    ['#sol', 'SOL/USDT'],
    ['not a symbol!', null],
  ])('%s', (input, expected) => expect(normalizeUserSymbol(input)).toBe(expected));
});
