/** Pure pieces of the trading screens: protection from open orders, wizard answer checks, HyperLiquid formats, reason texts. */
import { describe, expect, it } from 'vitest';
import type { Order } from '../../../models/order.js';
import type { Position } from '../../../models/position.js';
import { protectionOf } from '../../../services/portfolio.js';
import { ActionFailed, ActionRefused } from '../../../services/app-ports.js';
import { NoPosition } from '../../../services/portfolio.js';
import { isPrivateKey, isWalletAddress } from '../../../bot/features/accounts.js';
import { gridErrorReason, parseGridAnswer } from '../../../bot/features/grid.js';
import { checkStop, defaultStop, parseTargets } from '../../../bot/features/trade-wizard.js';
import { actionErrorText } from '../../../bot/features/trading.js';

const pos = (p: Partial<Position> = {}): Position => ({
  symbol: 'BTC/USDT',
  side: 'long',
  quantity: 0.03,
  entryPrice: 65_000,
  markPrice: 65_500,
  leverage: 5,
  marginMode: 'isolated',
  margin: 390,
  unrealizedPnl: 15,
  liquidationPrice: null,
  stopLoss: null,
  takeProfit: null,
  timestamp: 0,
  ...p,
});
let n = 0;
const order = (o: Partial<Order>): Order => ({
  id: String(++n),
  clientOrderId: null,
  symbol: 'BTC/USDT',
  side: 'sell',
  type: 'limit',
  status: 'open',
  price: null,
  quantity: 0.01,
  filled: 0,
  averagePrice: null,
  reduceOnly: true,
  triggerPrice: null,
  fee: 0,
  timestamp: 0,
  ...o,
});

describe('protectionOf', () => {
  it('takes the stop from a reduce-only trigger order and the ladder from reduce-only limits, nearest first', () => {
    const orders = [
      order({ price: 68_000 }),
      order({ price: 66_000 }),
      order({ type: 'market', triggerPrice: 64_000 }),
      order({ price: 67_000 }),
      order({ price: 70_000, reduceOnly: false }), // not protective
      order({ symbol: 'ETH/USDT', price: 4_000 }), // another coin
      order({ side: 'buy', price: 60_000 }), // not the closing side
    ];
    expect(protectionOf(pos(), orders)).toEqual({ stopLoss: 64_000, takeProfits: [66_000, 67_000, 68_000] });
  });

  it("prefers the position's own stop; for a short the stop is above and the targets below", () => {
    expect(protectionOf(pos({ stopLoss: 63_000 }), [order({ type: 'market', triggerPrice: 64_000 })])).toEqual({ stopLoss: 63_000, takeProfits: [] });
    const short = pos({ side: 'short', markPrice: 65_000 });
    const orders = [order({ side: 'buy', triggerPrice: 67_000, type: 'market' }), order({ side: 'buy', price: 62_000 }), order({ side: 'buy', price: 63_000 })];
    expect(protectionOf(short, orders)).toEqual({ stopLoss: 67_000, takeProfits: [63_000, 62_000] });
  });

  it('no stop anywhere: null (the card shows the warning)', () => {
    expect(protectionOf(pos(), [order({ price: 66_000 })])).toEqual({ stopLoss: null, takeProfits: [66_000] });
  });
});

describe('wizard answers', () => {
  it('grid: "not a number" is told apart from "out of range"; exponents are not numbers', () => {
    expect(parseGridAnswer('deposit', 'long', '1e9')).toMatchObject({ ok: false, error: 'not-number' });
    expect(parseGridAnswer('deposit', 'long', 'abc')).toMatchObject({ ok: false, error: 'not-number' });
    expect(parseGridAnswer('deposit', 'long', '0')).toMatchObject({ ok: false, error: 'range', vars: { min: 0, exclusive: 1 } });
    expect(parseGridAnswer('deposit', 'long', '150,5')).toEqual({ ok: true, value: 150.5 });
    expect(parseGridAnswer('levels', 'long', '2.5')).toMatchObject({ ok: false, error: 'range', vars: { int: 1 } });
    expect(parseGridAnswer('leverage', 'long', '500')).toMatchObject({ ok: false, error: 'range', vars: { min: 1, max: 125 } });
    expect(parseGridAnswer('stopLoss', 'long', 'off')).toEqual({ ok: true, value: null });
    expect(parseGridAnswer('symbol', 'long', '!!')).toMatchObject({ ok: false, error: 'symbol' });
  });

  it('trade: the stop on the losing side of the price, targets on the winning side', () => {
    expect(checkStop('long', 65_000, 61_000)).toBe('ok');
    expect(checkStop('long', 65_000, 70_000)).toBe('wrong-side');
    expect(checkStop('short', 65_000, 70_000)).toBe('ok');
    expect(checkStop('short', 65_000, null)).toBe('not-number');
    expect(parseTargets('long', 65_000, '69000 67000')).toEqual({ ok: true, value: [67_000, 69_000] });
    expect(parseTargets('short', 65_000, '60000; 62000')).toEqual({ ok: true, value: [62_000, 60_000] });
    expect(parseTargets('long', 65_000, '64000')).toEqual({ ok: false, reason: 'wrong-side', value: '64000' });
    expect(parseTargets('long', 65_000, '66000 x')).toEqual({ ok: false, reason: 'not-number', value: 'x' });
    expect(parseTargets('long', 65_000, Array(11).fill('70000').join(' '))).toEqual({ ok: false, reason: 'too-many' });
    expect(defaultStop('long', 100, 5)).toBeCloseTo(95, 10);
    expect(defaultStop('short', 100, 5)).toBeCloseTo(105, 10);
  });

  it('HyperLiquid: 0x + 40 hex for the address, 64 hex for the key', () => {
    expect(isWalletAddress(`0x${'aB'.repeat(20)}`)).toBe(true);
    expect(isWalletAddress('notanaddress')).toBe(false);
    expect(isWalletAddress(`0x${'a'.repeat(39)}`)).toBe(false);
    expect(isWalletAddress(`0x${'g'.repeat(40)}`)).toBe(false);
    expect(isPrivateKey('f'.repeat(64))).toBe(true);
    expect(isPrivateKey(`0x${'0'.repeat(64)}`)).toBe(true);
    expect(isPrivateKey('0x1234')).toBe(false);
    expect(isPrivateKey(`0x${'ab'.repeat(20)}`)).toBe(false);
  });
});

describe('reason texts', () => {
  const t = (key: string, vars?: Record<string, string | number>) => `${key}${vars ? JSON.stringify(vars) : ''}`;

  it('maps refusals and failures to their own messages, never the generic exchange error', () => {
    expect(actionErrorText(t, new ActionRefused('x', { details: { reason: 'below-min-size', quantity: 0.0005, min: 0.001, base: 'BTC' } }))).toBe('positions-err-below-min{"quantity":"0.0005","min":"0.001","base":"BTC"}');
    expect(actionErrorText(t, new ActionRefused('x', { details: { reason: 'breakeven-wrong-side', price: 64_000, entry: 65_000, side: 'long' } }))).toMatch(/^positions-err-be-wrong-side-long/);
    expect(actionErrorText(t, new ActionRefused('x', { details: { reason: 'breakeven-wrong-side', price: 66_000, entry: 65_000, side: 'short' } }))).toMatch(/^positions-err-be-wrong-side-short/);
    expect(actionErrorText(t, new NoPosition('x'))).toBe('err-no-position');
    expect(actionErrorText(t, new ActionFailed('x', { details: { code: 'cancel-failed' } }))).toBe('positions-fail-cancel-failed');
    expect(actionErrorText(t, new ActionFailed('x', { details: { code: 'invalid-order-size' } }))).toBe('err-invalid-order-size');
    expect(actionErrorText(t, new ActionFailed('x', { details: { code: 'weird-thing' } }))).toBe('positions-fail-other');
    expect(actionErrorText(t, new Error('boom'))).toBeNull();
  });

  it('grid order errors are sentences, not raw codes', () => {
    expect(gridErrorReason(t, 'order-rejected')).toBe('err-order-rejected');
    expect(gridErrorReason(t, 'something-odd')).toBe('grid-err-other');
  });
});
