// Every hand-labelled corpus message, every field of its expected result.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ParseResult } from '../../../models/signal.js';
import { NONE_REASONS, parseSignal } from '../../../services/signals/parser.js';

interface Case {
  id: string;
  lang: string;
  text: string;
  expected: Partial<ParseResult> & { kind: ParseResult['kind'] } & Record<string, unknown>;
}

function load(name: string): Case[] {
  const file = fileURLToPath(new URL(`../../fixtures/signals/${name}`, import.meta.url));
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Case);
}

// corpus.jsonl: the first hand-labelled set; corpus-2.jsonl: a second set in formats and
// phrasings the first one lacks, labelled from the text alone before the parser saw it;
// corpus-3.jsonl: a third set, same method (coin only in a trailing hashtag, Pair/Asset/Ticker/
// Инструмент labels, DCA in brackets, percent stops, two stops, Cyrillic `к`, `1 250,5`,
// BTC-PERP/ETH-BTC/SOL/USDT:USDT, verb-first and negated updates, ads that mention a hit target).
const corpus1 = load('corpus.jsonl');
const corpus2 = load('corpus-2.jsonl');
const corpus3 = load('corpus-3.jsonl');
const cases: Case[] = [...corpus1, ...corpus2, ...corpus3];

const SIGNAL_FIELDS = [
  'symbol',
  'side',
  'entries',
  'entryMarket',
  'entryTrigger',
  'takeProfits',
  'takeProfitPercents',
  'stopLoss',
  'leverage',
  'marginMode',
] as const;
const UPDATE_FIELDS = ['symbol', 'action', 'stopLoss', 'breakeven'] as const;

describe('signal corpus', () => {
  it('is large and varied enough', () => {
    expect(corpus1.length).toBeGreaterThanOrEqual(180);
    expect(corpus2.length).toBeGreaterThanOrEqual(150);
    const kinds2 = (k: string) => corpus2.filter((c) => c.expected.kind === k).length;
    expect(kinds2('signal')).toBeGreaterThanOrEqual(60);
    expect(kinds2('update')).toBeGreaterThanOrEqual(30);
    expect(kinds2('none')).toBeGreaterThanOrEqual(40);
    expect(corpus3.length).toBeGreaterThanOrEqual(150);
    const kinds3 = (k: string) => corpus3.filter((c) => c.expected.kind === k).length;
    expect(kinds3('signal')).toBeGreaterThanOrEqual(60);
    expect(kinds3('update')).toBeGreaterThanOrEqual(40);
    expect(kinds3('none')).toBeGreaterThanOrEqual(40);
    expect(corpus3.filter((c) => c.lang === 'ru').length).toBeGreaterThanOrEqual(40);
    const ids = new Set(cases.map((c) => c.id));
    expect(ids.size).toBe(cases.length);
    const kinds = (k: string) => cases.filter((c) => c.expected.kind === k).length;
    expect(kinds('signal')).toBeGreaterThanOrEqual(60);
    expect(kinds('update')).toBeGreaterThanOrEqual(40);
    expect(kinds('none')).toBeGreaterThanOrEqual(60);
    expect(cases.filter((c) => c.lang === 'ru').length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const got = parseSignal(c.text) as ParseResult & Record<string, unknown>;
    const exp = c.expected;
    expect(got.kind, `kind of ${JSON.stringify(c.text)} (${JSON.stringify(got)})`).toBe(exp.kind);
    const fields = exp.kind === 'signal' ? SIGNAL_FIELDS : exp.kind === 'update' ? UPDATE_FIELDS : [];
    for (const f of fields) {
      expect(exp, `corpus entry ${c.id} must label ${f}`).toHaveProperty(f);
      expect(got[f], `${c.id}.${f}`).toEqual(exp[f]);
    }
    if (exp.kind === 'signal') {
      expect(Array.isArray(got.warnings)).toBe(true);
      if (exp.warnings !== undefined) expect(got.warnings).toEqual(exp.warnings);
    }
    if (exp.kind === 'none') {
      expect(NONE_REASONS).toContain(got.reason);
      if (exp.reason !== undefined) expect(got.reason).toBe(exp.reason);
    }
  });

  it('turns zero noise messages into a signal', () => {
    const noise = cases.filter((c) => c.expected.kind === 'none');
    const leaked = noise.filter((c) => parseSignal(c.text).kind === 'signal').map((c) => c.id);
    expect(noise.length).toBeGreaterThan(0);
    expect(leaked).toEqual([]);
  });

  it('gives the same result for the same text (pure, no hidden state)', () => {
    for (const c of cases.slice(0, 50)) expect(parseSignal(c.text)).toEqual(parseSignal(c.text));
  });
});

describe('parseSignal edge inputs', () => {
  it.each([[''], ['   \n\t '], ['\u200b']])('empty-ish text %j is none', (t) => {
    expect(parseSignal(t)).toEqual({ kind: 'none', reason: 'empty message' });
  });

  it('never throws on odd input', () => {
    for (const t of ['🎯🎯🎯', '1) 2) 3)', '#', '$', '/', 'x'.repeat(10_000), 'TP: ' + '1.'.repeat(500)]) {
      expect(() => parseSignal(t)).not.toThrow();
    }
  });

  it('reports a leverage range as a warning', () => {
    const r = parseSignal('#SUI/USDT SHORT\nEntry: 1.75\nTP: 1.70\nSL: 1.80\nLeverage: 20x - 50x');
    expect(r).toMatchObject({ kind: 'signal', leverage: 20, warnings: ['leverage range 20-50, used 20'] });
  });

  it('warns when there is no stop-loss', () => {
    const r = parseSignal('#ADA/USDT LONG\nEntry: 0.45\nTargets: 0.47, 0.49');
    expect(r).toMatchObject({ kind: 'signal', stopLoss: null });
    expect(r.kind === 'signal' && r.warnings).toContain('no stop-loss');
  });
});
