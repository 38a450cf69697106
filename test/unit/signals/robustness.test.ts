// Pathological inputs: the parser never throws and always returns one valid result.
// (How fast it does so is measured by `npm run bench:parser`, not asserted here.)
import { describe, expect, it } from 'vitest';
import type { ParseResult } from '../../../models/signal.js';
import { MAX_MESSAGE_LENGTH, NONE_REASONS, parseSignal } from '../../../services/signals/parser.js';

function isValid(r: ParseResult): boolean {
  if (r.kind === 'none') return (NONE_REASONS as readonly string[]).includes(r.reason);
  if (r.kind === 'update') return ['close', 'cancel', 'move_sl', 'tp_hit', 'sl_hit', 'other'].includes(r.action);
  return (r.side === 'long' || r.side === 'short') && r.symbol.includes('/') && r.entries.every(Number.isFinite);
}

const fill = (unit: string, n: number): string => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);

/** Shapes that stress the scanners: long runs without punctuation, glued signs, surrogate pairs. */
const SHAPES: Record<string, string> = {
  emojis: '🚀',
  targets: '🎯🔥✅',
  gluedSigns: 'Target🎯x💰a🛑',
  numbers: '1.1 ',
  digits: '1',
  dots: '1.',
  commas: '1,',
  keycaps: '1️⃣',
  circled: '①',
  arrows: '➡️',
  hits: 'TP1 hit ',
  closes: 'close ',
  labels: 'Entry: 1 TP 2 SL 3 ',
  pairs: '#ABC/USDT ',
  ruNumbers: '66 000 ',
  cyrillic: 'стоп ',
  ranges: '5-10% ',
  ratios: '1:',
  parens: '((((1))))',
  zeroWidth: '\u200b',
  markdown: '**',
};

describe('parseSignal on pathological input', () => {
  it.each(Object.entries(SHAPES))('%s just under the length limit', (_name, unit) => {
    const text = fill(unit, MAX_MESSAGE_LENGTH);
    const r = parseSignal(text);
    expect(isValid(r)).toBe(true);
  });

  it('refuses texts longer than Telegram could send (never a trade)', () => {
    for (const unit of Object.values(SHAPES)) {
      expect(parseSignal(fill(unit, 100_000))).toEqual({ kind: 'none', reason: 'message too long' });
    }
    const signal = '#BTC/USDT LONG\nEntry: 65000\nTP: 66000\nSL: 64000\n';
    expect(parseSignal(signal + fill(' blah', MAX_MESSAGE_LENGTH)).kind).toBe('none');
    expect(parseSignal(signal + fill(' blah', 1000)).kind).toBe('signal');
  });

  it('survives random binary and random words', () => {
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const words = ['LONG', 'SHORT', 'Entry:', 'TP', 'SL', '1.23', '#BTC/USDT', 'close', 'hit', '✅', '🎯', 'x10', '-', '/', '\n', '?', '@', '💰', 'Вход', 'стоп', '45,000', '0,5123', '30K', '(1)'];
    for (let round = 0; round < 20; round++) {
      const binary = Array.from({ length: 2000 }, () => String.fromCharCode(Math.floor(rnd() * 0xffff))).join('');
      const soup = Array.from({ length: 400 }, () => words[Math.floor(rnd() * words.length)]).join(' ');
      expect(isValid(parseSignal(binary))).toBe(true);
      expect(isValid(parseSignal(soup))).toBe(true);
    }
  });
});
