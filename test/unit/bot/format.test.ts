import { describe, expect, it } from 'vitest';
import { decimalsOf, grouped, money, num, price, qty, signedMoney } from '../../../bot/render/format.js';
import { parseUserNumber } from '../../../bot/helpers.js';
import { ITEMS, formatTpSplit, parseTyped, rangeText } from '../../../bot/features/settings.js';

const t = (key: string, vars?: Record<string, string | number>) => (vars ? `${key}(${Object.entries(vars).map(([k, v]) => `${k}=${v}`).join(',')})` : key);
const item = (key: string) => ITEMS.find((i) => i.key === key)!;

describe('numbers in messages (acceptance P2.13)', () => {
  it.each([
    [14.97151311, '14.9715'],
    [3503.53333333, '3503.53'],
    [0.18668575, '0.186686'],
    [116.675483, '116.675'],
    [0.03, '0.03'],
    [65000, '65000'],
    [104523.75, '104523.75'],
    [0.00001234, '0.00001234'],
    [-2.5, '-2.5'],
    [0, '0'],
  ])('num(%s) = %s', (x, s) => expect(num(x)).toBe(s));

  it('keeps an explicit decimals cap', () => {
    expect(num(1.23456, 2)).toBe('1.23');
    expect(num(2, 4)).toBe('2');
  });

  it('money and PnL: 2 decimals, 4 below 0.01, never -0.00', () => {
    expect(money(-0.001722)).toBe('-0.0017');
    expect(money(1548.123)).toBe('1548.12');
    expect(money(-0.000001)).toBe('0.00');
    expect(signedMoney(6.5)).toBe('+6.50');
    expect(signedMoney(-0.001722)).toBe('-0.0017');
    expect(signedMoney(0)).toBe('0.00');
  });

  it('uses the market precision when known', () => {
    expect(decimalsOf(0.01)).toBe(2);
    expect(decimalsOf(0.5)).toBe(1);
    expect(decimalsOf(1)).toBe(0);
    expect(decimalsOf(1e-7)).toBe(7);
    expect(price(3503.53333333, 0.1)).toBe('3503.5');
    expect(price(0.18668575, 0.0001)).toBe('0.1867');
    expect(qty(116.675483, 1)).toBe('117');
    expect(price(14.97151311, null)).toBe('14.9715');
  });

  it('groups thousands in bounds', () => {
    expect(grouped(1_000_000)).toBe('1,000,000');
    expect(grouped(1_000_000, 'ru')).toBe('1\u00a0000\u00a0000');
    expect(grouped(100)).toBe('100');
  });
});

describe('parseUserNumber: plain decimals only, the same in every input', () => {
  it.each([
    ['12', 12],
    ['12.5', 12.5],
    ['12,5', 12.5],
    [' -3 ', -3],
    ['.5', 0.5],
    ['1e3', null],
    ['1e9', null],
    ['0x10', null],
    ['Infinity', null],
    ['', null],
    ['1 000', null],
    ['1,000.5', null],
    ['ten', null],
    // "49,500": 49500 or 49.5? Asked again rather than guessed (a stop at 49.5 is no stop).
    ['49,500', null],
    ['1,000', null],
    ['0,500', 0.5],
    ['49,5', 49.5],
    ['49,5000', 49.5],
  ])('%j → %s', (text, expected) => expect(parseUserNumber(text)).toBe(expected));
});

describe('typed settings (acceptance P1.1, P1.5, P2.9)', () => {
  it.each([
    ['sizeValue', '1e3', 'settings-error-not-number'],
    ['sizeValue', '0', 'settings-error-range'],
    ['sizeValue', '1000001', 'settings-error-range'],
    ['tpSplit', '6', 'settings-error-list'],
    ['tpSplit', '50 30', 'settings-error-list-sum'],
    ['tpSplit', '50 30 10', 'settings-error-list-sum'],
    ['tpSplit', '10 10 10 10 10 10 10 10 10 5 5', 'settings-error-list'],
    ['tpSplit', '50 x 50', 'settings-error-list'],
  ])('%s %j is refused with %s', (key, text, errKey) => {
    expect(parseTyped(item(key), text)).toMatchObject({ ok: false, key: errKey });
  });

  it.each([
    ['tpSplit', '50 30 20', [50, 30, 20]],
    ['tpSplit', '50% 30% 20%', [50, 30, 20]],
    ['tpSplit', '50,30,20', [50, 30, 20]],
    ['tpSplit', '33,3 33,3 33,3', [33.3, 33.3, 33.3]],
    ['tpSplit', 'even', null],
    ['sizeValue', '15.5', 15.5],
    ['sizeValue', '20 USDT', 20],
    ['defaultStopPct', '5%', 5],
  ])('%s %j is accepted as %j', (key, text, value) => {
    expect(parseTyped(item(key), text)).toEqual({ ok: true, value });
  });

  it('checks the size against its mode', () => {
    expect(parseTyped(item('sizeValue'), '150', { sizeMode: 'fixed' })).toEqual({ ok: true, value: 150 });
    expect(parseTyped(item('sizeValue'), '150', { sizeMode: 'balance_pct' })).toMatchObject({ ok: false, key: 'settings-error-range' });
    expect(parseTyped(item('sizeValue'), '15', { sizeMode: 'risk_pct' })).toMatchObject({ ok: false, key: 'settings-error-range' });
    expect(parseTyped(item('sizeValue'), '10', { sizeMode: 'risk_pct' })).toEqual({ ok: true, value: 10 });
  });

  it('states ranges the same way, with units and grouped bounds', () => {
    expect(rangeText(t, item('sizeValue'), 'en', { sizeMode: 'fixed' })).toBe('settings-range-open(min=0,max=settings-size-fixed(value=1,000,000))');
    expect(rangeText(t, item('sizeValue'), 'en', { sizeMode: 'risk_pct' })).toBe('settings-range-open(min=0,max=settings-size-risk-pct(value=10))');
    expect(rangeText(t, item('maxTrades'))).toBe('settings-range-closed(min=1,max=200)');
    expect(rangeText(t, item('leverage'))).toBe('settings-range-closed(min=1,max=125x)');
    expect(rangeText(t, item('defaultStopPct'))).toBe('settings-range-open(min=0,max=95 %)');
    expect(rangeText(t, item('maxExposureUsdt'))).toBe('settings-range-closed(min=0,max=100,000,000 USDT)');
  });

  it('shows a split as percentages', () => {
    expect(formatTpSplit(t, [50, 30, 20])).toBe('50 % / 30 % / 20 %');
    expect(formatTpSplit(t, null)).toBe('settings-tp-even');
  });
});
