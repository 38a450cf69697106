/**
 * Number tokens in signal texts: `45,000`, `0,5123` (Russian decimal comma),
 * `30K`, `0.00001234`, `$1.25`, `🎯0.389`, `68 000`, `1 250,5` (Russian thousands).
 *
 * A comma followed by exactly three digits (`6,120`) is ambiguous: thousands in
 * English (`68,200` = 68200), decimal in Russian (`6,120` = 6.12). Such tokens
 * carry both readings (`value` is the language default, `alt` the other) and
 * `resolveAmbiguous` picks per message the reading closest to the unambiguous
 * prices of the same message.
 */

export interface NumToken {
  /** Offset of the first character of the token in the scanned text. */
  start: number;
  end: number;
  value: number;
  /** The other reading of an ambiguous `a,bbb` token, else null. */
  alt: number | null;
  /** Followed by `%`. */
  pct: boolean;
  /** Followed (or preceded) by `x`/`х`/`×`: a leverage, not a price. */
  lev: boolean;
  /** A list enumerator such as `1)` or `1.` before another number, or `#1`. */
  enumerator: boolean;
}

// Lookbehind: not glued to a letter/digit (so `TP1`, `H4`, `x20` are not prices),
// and not the second half of a ratio or a time (`1:2`, `14:30`).
const NUM_RE = /(?<![\p{L}\p{N}_.,]|(?<!\p{L}\d?)\d:)(\d+(?:[.,]\d+)*|[.,]\d+)([kKкК](?![\p{L}\p{N}]))?/gu;
// Russian texts also write thousands with a space: `66 000`, `67 500`.
const NUM_RE_SPACED =
  /(?<![\p{L}\p{N}_.,]|(?<!\p{L}\d?)\d:)(\d{1,2} \d{3}(?:[.,]\d{1,2}(?!\d))?(?![\d]|[.,]\d)|\d+(?:[.,]\d+)*|[.,]\d+)([kKкК](?![\p{L}\p{N}]))?/gu;

// A text that writes `98 800` also writes `100 100` (six digits) that way.
const NUM_RE_SPACED_WIDE =
  /(?<![\p{L}\p{N}_.,]|(?<!\p{L}\d?)\d:)(\d{1,3} \d{3}(?:[.,]\d{1,2}(?!\d))?(?![\d]|[.,]\d)|\d+(?:[.,]\d+)*|[.,]\d+)([kKкК](?![\p{L}\p{N}]))?/gu;
const SPACED_THOUSANDS_RE = /(?<![\d.,])\d{1,2} \d{3}(?:[.,]\d{1,2}(?!\d))?(?![\d]|[.,]\d)/;

const AFTER_LETTER_RE = /^[ \t]?[xх×](?![\p{L}])/u;
// `5%`, and the first end of a glued percent range `5-10%`
const PCT_RE = /^[ \t]?%|^-\d+(?:[.,]\d+)?%/;
const ENUM_AFTER_RE = /^[.)][ \t]*(?:\$)?\.?\d/;
/** A count, not a price: `(2 orders)`, `3 entries`, `в 2 части`. */
const COUNT_AFTER_RE = /^[ \t]+(?:orders?|entries|parts?|tranches?|steps?|limits?|ордер\p{L}*|част\p{L}*|лимитк\p{L}*|вход\p{L}*)(?![\p{L}])/iu;
const RATIO_AFTER_RE = /^:\d/;
const LETTER_RE = /\p{L}/u;

/** Parses the raw digits of a token; null when it is not a number (dates, versions). */
const PLAIN_NUMBER_RE = /^\d+(?:\.\d+)?$/;

export function interpretNumber(raw: string, commaDecimalDefault: boolean): { value: number; alt: number | null } | null {
  // the common case first: `67000`, `0.3810` (speed only; the general path gives the same)
  if (PLAIN_NUMBER_RE.test(raw)) return finite(Number(raw), null);
  let s = raw.replace(/ /g, '');
  if (s.startsWith('.') || s.startsWith(',')) s = `0${s}`;
  const commas = s.split(',').length - 1;
  const dots = s.split('.').length - 1;
  if (commas > 0 && dots > 0) {
    const lastComma = s.lastIndexOf(',');
    const lastDot = s.lastIndexOf('.');
    if (lastDot > lastComma) {
      // 1,234.56 — commas group thousands
      if (dots > 1 || !/^\d{1,3}(?:,\d{3})+\.\d+$/.test(s)) return null;
      return finite(Number(s.replace(/,/g, '')), null);
    }
    // 1.234,56 — dots group thousands
    if (commas > 1 || !/^\d{1,3}(?:\.\d{3})+,\d+$/.test(s)) return null;
    return finite(Number(s.replace(/\./g, '').replace(',', '.')), null);
  }
  if (commas > 1) {
    if (!/^\d{1,3}(?:,\d{3})+$/.test(s)) return null;
    return finite(Number(s.replace(/,/g, '')), null);
  }
  if (commas === 1) {
    const [a = '', b = ''] = s.split(',');
    const decimal = Number(`${a}.${b}`);
    if (b.length === 3 && a.length <= 3 && !a.startsWith('0')) {
      const thousands = Number(a + b);
      return commaDecimalDefault ? finite(decimal, thousands) : finite(thousands, decimal);
    }
    return finite(decimal, null);
  }
  if (dots > 1) return null;
  return finite(Number(s), null);
}

function finite(value: number, alt: number | null): { value: number; alt: number | null } | null {
  return Number.isFinite(value) ? { value, alt: alt !== null && Number.isFinite(alt) ? alt : null } : null;
}

/** `67.2k`: scaled in decimal, not binary (67.2 * 1000 is not always exact in floating point). */
function thousands(v: number): number {
  return Number((v * 1000).toPrecision(12));
}

/**
 * Scans `text` for number tokens. `cyrillic` switches on the Russian defaults
 * (decimal comma, space as thousands separator).
 */
export function scanNumbers(text: string, cyrillic: boolean): NumToken[] {
  const re = cyrillic ? (SPACED_THOUSANDS_RE.test(text) ? NUM_RE_SPACED_WIDE : NUM_RE_SPACED) : NUM_RE;
  re.lastIndex = 0;
  const out: NumToken[] = [];
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const raw = m[1] ?? '';
    const kSuffix = m[2] !== undefined;
    const start = m.index;
    const end = start + m[0].length;
    const after = text.slice(end, end + 12);
    if (!kSuffix) {
      const next = text.charAt(end);
      // glued to a letter after it (`4H`, `15m`, `1st`) — unless it is a leverage `10x`
      if (next !== '' && LETTER_RE.test(next) && !AFTER_LETTER_RE.test(after)) continue;
    }
    if (RATIO_AFTER_RE.test(after)) continue;
    const parsed = interpretNumber(raw, cyrillic);
    if (parsed === null) continue;
    const prev = start > 0 ? text.charAt(start - 1) : '';
    const integerLike = /^\d{1,2}$/.test(raw);
    const enumerator =
      !kSuffix && integerLike && (ENUM_AFTER_RE.test(after) || COUNT_AFTER_RE.test(after) || prev === '#' || prev === '№');
    const lev = !kSuffix && (AFTER_LETTER_RE.test(after) || prev === 'x' || prev === 'X' || prev === 'х' || prev === '×');
    out.push({
      start,
      end,
      value: kSuffix ? thousands(parsed.value) : parsed.value,
      alt: parsed.alt === null ? null : kSuffix ? thousands(parsed.alt) : parsed.alt,
      pct: PCT_RE.test(after),
      lev,
      enumerator,
    });
  }
  return out;
}

/** True for a token that can be read as a price. */
export function isPrice(t: NumToken): boolean {
  return !t.pct && !t.lev && !t.enumerator && t.value > 0;
}

/**
 * Chooses, for every ambiguous token, the reading closest (in orders of
 * magnitude) to the median of the message's unambiguous prices; with no
 * unambiguous price the language default stays. Mutates the tokens.
 */
export function resolveAmbiguous(tokens: NumToken[]): void {
  const sure: number[] = [];
  let ambiguous = false;
  for (const t of tokens) {
    if (t.alt === null) {
      if (t.value > 0) sure.push(t.value);
    } else ambiguous = true;
  }
  if (!ambiguous || sure.length === 0) return;
  sure.sort((a, b) => a - b);
  const median = sure[Math.floor(sure.length / 2)] ?? 1;
  for (const t of tokens) {
    if (t.alt === null) continue;
    const dv = Math.abs(Math.log(t.value / median));
    const da = Math.abs(Math.log(t.alt / median));
    if (da < dv) {
      const v = t.value;
      t.value = t.alt;
      t.alt = v;
    }
  }
}
