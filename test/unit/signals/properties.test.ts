// Property tests: number formats and symbol spellings survive any value.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { interpretNumber, scanNumbers } from '../../../services/signals/numbers.js';
import { parseSignal } from '../../../services/signals/parser.js';
import { isReservedWord, normalizeSymbol } from '../../../services/signals/symbols.js';

/** A price as an exact decimal: `units` scaled by 10^-decimals. */
const priceArb = (maxUnits: number, maxDecimals: number) =>
  fc.record({ units: fc.integer({ min: 1, max: maxUnits }), decimals: fc.integer({ min: 0, max: maxDecimals }) });

function toNumber(p: { units: number; decimals: number }): number {
  return Number(`${p.units}e-${p.decimals}`);
}
function plain(p: { units: number; decimals: number }): string {
  return toNumber(p).toFixed(p.decimals);
}
/** English thousands separators: 45,000 / 1,234.5 */
function withThousands(p: { units: number; decimals: number }): string {
  const [int = '', frac] = plain(p).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}
function signalText(entry: string, tp: string, sl: string, side: 'LONG' | 'SHORT' = 'LONG'): string {
  return `#BTC/USDT ${side}\nEntry: ${entry}\nTP: ${tp}\nSL: ${sl}`;
}
function expectSignal(text: string, entry: number, tp: number, sl: number): void {
  const r = parseSignal(text);
  expect(r.kind, `${text} -> ${JSON.stringify(r)}`).toBe('signal');
  if (r.kind !== 'signal') return;
  expect(r.entries).toEqual([entry]);
  expect(r.takeProfits).toEqual([tp]);
  expect(r.stopLoss).toBe(sl);
}

describe('number formats', () => {
  it('plain decimals and integers read back exactly', () => {
    fc.assert(
      fc.property(priceArb(10_000_000, 8), (p) => {
        const toks = scanNumbers(`Entry: ${plain(p)}`, false);
        expect(toks.map((t) => t.value)).toEqual([toNumber(p)]);
      }),
    );
  });

  it('thousands separators in English signals (45,000 and 1,234.56)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1000, max: 9_000_000 }), fc.integer({ min: 0, max: 2 }), (units, decimals) => {
        const e = { units: units * 100, decimals };
        const entry = toNumber(e);
        const tp = { units: units * 101, decimals };
        const sl = { units: units * 99, decimals };
        expectSignal(signalText(withThousands(e), withThousands(tp), withThousands(sl)), entry, toNumber(tp), toNumber(sl));
      }),
    );
  });

  it('decimal commas in Russian signals (0,5123 and 6,120)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 99_999 }), fc.integer({ min: 1, max: 6 }), (units, decimals) => {
        const e = { units: units * 100, decimals: decimals + 2 };
        const tp = { units: units * 103, decimals: decimals + 2 };
        const sl = { units: units * 97, decimals: decimals + 2 };
        const ru = (p: { units: number; decimals: number }) => plain(p).replace('.', ',');
        const text = `ЛОНГ #ETH/USDT\nВход: ${ru(e)}\nЦели: ${ru(tp)}\nСтоп: ${ru(sl)}`;
        expectSignal(text, toNumber(e), toNumber(tp), toNumber(sl));
      }),
    );
  });

  it('K suffix (30K, 67.5k) means thousands', () => {
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 9_999 }), fc.constantFrom('k', 'K'), (tenths, k) => {
        const text = `Entry: ${tenths / 10}${k}`;
        expect(scanNumbers(text, false).map((t) => t.value)).toEqual([tenths * 100]);
      }),
    );
  });

  it('many decimals (0.00001234) are kept exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1000, max: 9999 }), fc.integer({ min: 5, max: 10 }), (digits, zeros) => {
        const e = { units: digits * 100, decimals: zeros + 4 + 2 };
        const tp = { units: digits * 105, decimals: zeros + 4 + 2 };
        const sl = { units: digits * 95, decimals: zeros + 4 + 2 };
        expectSignal(signalText(plain(e), plain(tp), plain(sl)), toNumber(e), toNumber(tp), toNumber(sl));
      }),
    );
  });

  it('prices glued to emojis or currency signs', () => {
    // 🎯 marks targets, so it is glued only to the take-profit
    const glue = fc.constantFrom('💰', '👉', '$', '✅', '📍', '🔥', '⚡');
    const tpGlue = fc.constantFrom('🎯', '💰', '$', '✅');
    fc.assert(
      fc.property(priceArb(9_999_999, 6), glue, tpGlue, (p, a, b) => {
        const e = toNumber(p);
        const tp = { units: p.units * 2, decimals: p.decimals };
        const sl = { units: p.units * 9, decimals: p.decimals + 1 };
        const text = `#SOL/USDT LONG\nEntry: ${a}${plain(p)}\nTP: ${b}${plain(tp)}\nSL: ${a}${plain(sl)}${b}`;
        expectSignal(text, e, toNumber(tp), toNumber(sl));
      }),
    );
  });

  it('a comma before three digits reads by language, and by the other prices of the message', () => {
    expect(interpretNumber('6,120', false)).toEqual({ value: 6120, alt: 6.12 });
    expect(interpretNumber('6,120', true)).toEqual({ value: 6.12, alt: 6120 });
    expect(interpretNumber('0,512', false)).toEqual({ value: 0.512, alt: null });
    expect(interpretNumber('1.234,56', false)).toEqual({ value: 1234.56, alt: null });
    expect(interpretNumber('12.05.2024', false)).toBeNull();
    // English message with one unambiguous price: the ambiguous ones follow its magnitude
    const r = parseSignal('#DOT/USDT LONG\nEntry: 6.125\nTP: 6,250 / 6,400\nSL: 5,980');
    expect(r).toMatchObject({ kind: 'signal', entries: [6.125], takeProfits: [6.25, 6.4], stopLoss: 5.98 });
  });

  it('does not read numbers glued to letters (TP1, H4, 4H, x20) as prices', () => {
    fc.assert(
      fc.property(fc.constantFrom('TP', 'H', 'x', 'ТП', 'M'), fc.integer({ min: 1, max: 99 }), (prefix, n) => {
        expect(scanNumbers(`${prefix}${n}`, false).filter((t) => !t.lev)).toEqual([]);
      }),
    );
  });
});

// Tickers the generator may produce: 2-7 characters, optionally 1000-prefixed,
// never a reserved word and never ending in a quote currency.
const baseArb = fc
  .tuple(
    fc.constantFrom('', '', '', '1000'),
    fc.stringMatching(/^[A-Z][A-Z0-9]{1,6}$/),
  )
  .map(([prefix, core]) => prefix + core)
  .filter((b) => !isReservedWord(b) && !/(?:USDT?|USDC|BUSD|PERP|BTC|ETH|EUR)$/.test(b) && !/^(?:USD|TP|SL)/.test(b));

const spellings: ((b: string) => string)[] = [
  (b) => `#${b}/USDT`,
  (b) => `${b}USDT`,
  (b) => `${b}/USDT`,
  (b) => `${b}-USDT`,
  (b) => `${b}_USDT`,
  (b) => `${b}/USDT.P`,
  (b) => `${b}USDT.P`,
  (b) => `${b}-USDT-PERP`,
  (b) => `#${b}USDT`,
  (b) => `$${b}`,
  (b) => `#${b}`,
  (b) => `Coin: #${b}/USDT`,
  (b) => `Pair: ${b}/USDT`,
  (b) => `${b.toLowerCase()}usdt`,
  (b) => `${b.toLowerCase()}/usdt`,
  (b) => `$${b.toLowerCase()}`,
];

describe('symbol spellings', () => {
  it('every spelling of a ticker normalises to BASE/USDT', () => {
    fc.assert(
      fc.property(baseArb, fc.integer({ min: 0, max: spellings.length - 1 }), (base, i) => {
        const spelled = (spellings[i] as (b: string) => string)(base);
        if (/^\$\d/.test(spelled)) return; // `$1000X` is a money amount, not a ticker
        expect(normalizeSymbol(spelled), spelled).toBe(`${base}/USDT`);
      }),
      { numRuns: 500 },
    );
  });

  it('a full signal carries the normalised symbol whatever the spelling', () => {
    fc.assert(
      fc.property(baseArb, fc.integer({ min: 0, max: spellings.length - 1 }), (base, i) => {
        const spelled = (spellings[i] as (b: string) => string)(base);
        if (/^\$\d/.test(spelled)) return;
        const r = parseSignal(`${spelled} SHORT\nEntry: 1.50\nTP: 1.40\nSL: 1.60`);
        expect(r, spelled).toMatchObject({ kind: 'signal', symbol: `${base}/USDT`, side: 'short' });
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a non-USDT quote when one is written', () => {
    expect(normalizeSymbol('ETH/BTC')).toBe('ETH/BTC');
    expect(normalizeSymbol('BTCUSD')).toBe('BTC/USD');
    expect(normalizeSymbol('SOL/USDC')).toBe('SOL/USDC');
  });

  it('two different coins are ambiguous', () => {
    expect(normalizeSymbol('#BTC/USDT and #ETH/USDT')).toBeNull();
  });
});
