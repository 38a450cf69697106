/**
 * Fast checks behind the review fixes: expired pending steps are swept, key
 * detection inside longer texts, forward keys (one post = one stored signal),
 * margin caps for callback data, and that every trading event type renders
 * with real locale texts (both languages).
 */
import { describe, expect, it } from 'vitest';
import type { MessageOrigin } from 'grammy/types';
import { PendingInputs } from '../../../bot/pending.js';
import { containsSecret, looksLikeSecret } from '../../../bot/secrets.js';
import { forwardOrigin } from '../../../bot/features/signals.js';
import { parseMargin } from '../../../bot/features/trading.js';
import { createI18n } from '../../../bot/i18n.js';
import { renderEvent } from '../../../bot/notifier.js';
import { renderPlan } from '../../../bot/render/trading.js';
import { forwardKey } from '../../../services/signal-inbox.js';
import type { Source } from '../../../services/sources.js';
import type { PlanSummary, TradingEvent } from '../../../services/notifications.js';

describe('PendingInputs', () => {
  it('sweeps expired steps of every user on access (nothing lingers in memory)', () => {
    let now = 1_000;
    const p = new PendingInputs<{ kind: string; expiresAt: number }>(() => now, 0);
    p.set(1, { kind: 'connect-key', expiresAt: 2_000 });
    p.set(2, { kind: 'rename', expiresAt: 5_000 });
    expect(p.size).toBe(2);
    now = 3_000;
    // User 1 never comes back; another user's access sweeps their step.
    expect(p.get(2)?.kind).toBe('rename');
    expect(p.size).toBe(1);
    expect(p.get(1)).toBeUndefined();
    now = 6_000;
    expect(p.sweep()).toBe(1);
    expect(p.size).toBe(0);
  });

  it('sweeps at most once per interval', () => {
    let now = 0;
    const p = new PendingInputs<{ kind: string; expiresAt: number }>(() => now, 30_000);
    p.set(1, { kind: 'a', expiresAt: 10 });
    now = 20;
    p.set(2, { kind: 'b', expiresAt: 100_000 });
    expect(p.size).toBe(2); // swept at t=0 only
    now = 30_000;
    p.get(2);
    expect(p.size).toBe(1);
  });
});

describe('key detection', () => {
  it.each([
    ['Xk7pQ2mZ9vR4tY8wLs3N', true],
    [`0x${'ab'.repeat(32)}`, true],
    ['key: Xk7pQ2mZ9vR4tY8wLs3N', true],
    ['api=a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8 thanks', true],
    [`my wallet key is ${'cd'.repeat(32)}`, true],
    ['internationalization is a long word', false],
    ['My Bybit account', false],
    ['BTCUSDT', false],
    ['25.5', false],
    ['ABCD2345EF', false], // an invite code
  ])('%s → %s', (text, expected) => expect(containsSecret(text)).toBe(expected));

  it('a lone token still counts as before', () => {
    expect(looksLikeSecret('TESTKEY000000000XY')).toBe(true);
    expect(looksLikeSecret('hello there')).toBe(false);
  });
});

describe('forward keys', () => {
  const source = { id: 7, title: 'Chan' } as Source;
  it('a post of a known source is that source\'s own message id (the row of the channel post)', () => {
    expect(forwardKey(source, { originChatId: -100, originMessageId: 55, text: 'x' })).toEqual({ sourceId: 7, messageKey: '55' });
  });
  it('a post of an unknown channel is keyed by its chat and message', () => {
    expect(forwardKey(null, { originChatId: -100, originMessageId: 55, text: 'x' })).toEqual({ sourceId: null, messageKey: 'fwd:-100:55' });
  });
  it('without a post id the key is stable for the same origin, date and text, and differs otherwise', () => {
    const a = forwardKey(null, { originChatId: null, originMessageId: null, originSender: 'user:5', originDate: 100, text: 'BTC long' });
    expect(forwardKey(null, { originChatId: null, originMessageId: null, originSender: 'user:5', originDate: 100, text: 'BTC long' })).toEqual(a);
    expect(a.messageKey).toMatch(/^fwd:h:[0-9a-f]{32}$/);
    expect(forwardKey(null, { originChatId: null, originMessageId: null, originSender: 'user:5', originDate: 101, text: 'BTC long' }).messageKey).not.toBe(a.messageKey);
    expect(forwardKey(null, { originChatId: null, originMessageId: null, originSender: 'user:6', originDate: 100, text: 'BTC long' }).messageKey).not.toBe(a.messageKey);
  });
  it('reads every kind of forward_origin', () => {
    const chat = { id: -100, type: 'channel' as const, title: 'C' };
    expect(forwardOrigin({ type: 'channel', chat, message_id: 9, date: 1 } as MessageOrigin)).toMatchObject({ originChatId: -100, originMessageId: 9 });
    expect(forwardOrigin({ type: 'user', sender_user: { id: 5, is_bot: false, first_name: 'U' }, date: 2 } as MessageOrigin)).toEqual({ originChatId: null, originMessageId: null, originSender: 'user:5', originDate: 2 });
    expect(forwardOrigin({ type: 'hidden_user', sender_user_name: 'Anon', date: 3 } as MessageOrigin)).toMatchObject({ originSender: 'hidden:Anon', originDate: 3 });
    expect(forwardOrigin({ type: 'chat', sender_chat: { id: -200, type: 'supergroup', title: 'G' }, date: 4 } as MessageOrigin)).toMatchObject({ originChatId: -200, originMessageId: null, originSender: 'chat:-200' });
  });
});

describe('margin from text or buttons', () => {
  it.each([
    ['25', 25],
    ['0', 0],
    ['12.5', 12.5],
    ['1000000', 1_000_000],
    ['1000001', null],
    ['1e9', null],
    ['-5', null],
    ['abc', null],
    ['', null],
    ['Infinity', null],
    ['NaN', null],
  ])('%s → %s', (raw, expected) => expect(parseMargin(raw)).toBe(expected));
});

describe('rendering with the real locales', () => {
  const i18n = createI18n();
  const base = { userId: 1, tradeId: 3, symbol: 'BTC/USDT', side: 'long' as const };
  const plan: PlanSummary = {
    symbol: 'BTC/USDT',
    side: 'long',
    entryType: 'limit',
    entries: [{ price: 64_250, quantity: 0.002 }],
    quantity: 0.002,
    leverage: 5,
    marginMode: 'isolated',
    margin: 25.7,
    stopLoss: 62_000,
    takeProfits: [{ price: 70_000, share: 1 }],
    signalEntries: [64_000, 64_500],
    warnings: ['entries-merged', 'default-stop', 'something-new'],
  };
  /** One sample of every event type: adding a type to the union without a sample does not compile. */
  const samples: { [K in TradingEvent['type']]: Extract<TradingEvent, { type: K }> } = {
    'signal-preview': { type: 'signal-preview', userId: 1, signalId: 2, sourceId: 3, plan },
    'plan-refused': { type: 'plan-refused', userId: 1, signalId: 2, symbol: 'BTC/USDT', reason: 'same-symbol-open', details: {} },
    'entry-placed': { ...base, type: 'entry-placed', plan },
    'trade-opened': { ...base, type: 'trade-opened', entryPrice: 65_000, quantity: 0.002, leverage: 5, stopLoss: 62_000, takeProfits: [70_000] },
    'entry-filled': { ...base, type: 'entry-filled', filled: 0.001, planned: 0.002, averagePrice: 64_500 },
    'tp-hit': { ...base, type: 'tp-hit', index: 0, price: 70_000, quantity: 0.001, remaining: 0.001 },
    'sl-moved': { ...base, type: 'sl-moved', stopLoss: 65_000, why: 'breakeven' },
    'sl-hit': { ...base, type: 'sl-hit', price: 62_000 },
    'trade-closed': { ...base, type: 'trade-closed', reason: 'timeout', exitPrice: 64_000, realizedPnl: -2, fees: 0.1, estimated: true },
    'trade-cancelled': { ...base, type: 'trade-cancelled', why: 'never-sent' },
    'stop-failed-closed': { ...base, type: 'stop-failed-closed', errorCode: 'order-rejected' },
    'stop-failed-close-failed': { ...base, type: 'stop-failed-close-failed', severity: 'critical', reason: 'stop-failed', errorCode: 'exchange-unavailable', remaining: 0.002, attempts: 3 },
    'close-incomplete': { ...base, type: 'close-incomplete', severity: 'critical', reason: 'manual', remaining: null, stopLoss: 62_000, errorCode: null, attempts: 1 },
    'sl-move-failed': { ...base, type: 'sl-move-failed', stopLoss: 65_000, kept: null, errorCode: 'order-rejected' },
    'protection-failed': { ...base, type: 'protection-failed', what: 'stop-loss', errorCode: 'order-rejected' },
    'reconcile-discrepancy': { type: 'reconcile-discrepancy', userId: 1, kind: 'x', tradeId: 3, symbol: 'BTC/USDT', details: {} },
    error: { type: 'error', userId: 1, code: 'internal' },
  };

  it.each(['en', 'ru'] as const)('every event type renders without raw keys (%s)', (lang) => {
    const t = (key: string, vars?: Record<string, string | number>) => i18n.t(lang, key, vars);
    for (const e of Object.values(samples)) {
      const text = renderEvent(t, e);
      expect(text, e.type).not.toMatch(/\b(notify|refusal|err|plan)-[a-z-]+\b/);
      expect(text.trim().length, e.type).toBeGreaterThan(5);
    }
  });

  it('the critical events say what to do', () => {
    const t = (key: string, vars?: Record<string, string | number>) => i18n.t('en', key, vars);
    expect(renderEvent(t, samples['stop-failed-close-failed'])).toMatch(/ACT NOW.*no stop-loss protects it.*Left: 0\.002/s);
    expect(renderEvent(t, samples['close-incomplete'])).toContain('an unknown quantity left, protected by a stop-loss at 62000');
    expect(renderEvent(t, samples['sl-move-failed'])).toContain('No stop-loss could be confirmed');
    expect(renderEvent(t, { ...samples['sl-move-failed'], kept: 61_000 })).toContain('The stop-loss stays at 61000');
  });

  it('a plan shows the zone\'s own prices and its warnings, localized', () => {
    const en = renderPlan((k, v) => i18n.t('en', k, v), plan);
    expect(en).toContain('Entry: 64250');
    expect(en).toContain('Signal entry zone: 64000 – 64500');
    expect(en).toContain('merged into fewer orders');
    expect(en).toContain('your default stop-loss is used');
    expect(en).toContain('Plan note: something-new');
    const ru = renderPlan((k, v) => i18n.t('ru', k, v), plan);
    expect(ru).toContain('Зона входа по сигналу: 64000 – 64500');
    // No zone line when the plan's entries are the signal's.
    expect(renderPlan((k, v) => i18n.t('en', k, v), { ...plan, entries: [{ price: 64_000, quantity: 0.001 }, { price: 64_500, quantity: 0.001 }], warnings: [] })).not.toContain('zone');
  });
});
