/** Text helpers shared by renderers: HTML escaping, numbers, splitting long texts. */

export const MAX_MESSAGE_LENGTH = 4096;

/** Escapes user- or exchange-supplied text for parse_mode HTML. */
export function esc(text: string | number | null | undefined): string {
  return String(text ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** Trims trailing zeros of a fixed-point string (`1.500` → `1.5`, `2.000` → `2`, `-0` → `0`). */
function trimZeros(s: string): string {
  const t = s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
  return t === '-0' ? '0' : t;
}

/** Significant digits shown for a number whose market precision is unknown. */
export const SIGNIFICANT_DIGITS = 6;

/**
 * How many decimals the sane default shows: at least 2 (never fewer than
 * needed for cents) and enough for `SIGNIFICANT_DIGITS` significant digits
 * (`14.97151311` → 4, `3503.5333` → 2, `0.18668575` → 6).
 */
function defaultDecimals(abs: number): number {
  if (abs === 0) return 0;
  const magnitude = Math.floor(Math.log10(abs)) + 1; // digits before the point (≤ 0 for fractions)
  return Math.min(12, Math.max(2, SIGNIFICANT_DIGITS - magnitude));
}

/**
 * A price, quantity or other number for a message: no exponent, trailing zeros
 * trimmed. With `max` it shows at most that many decimals; without it, up to
 * 6 significant digits (at least 2 decimals for numbers ≥ 1).
 */
export function num(value: number | null | undefined, max?: number): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return trimZeros(value.toFixed(max ?? defaultDecimals(Math.abs(value))));
}

/** Decimals of a tick or step size (`0.01` → 2, `0.5` → 1, `1` → 0, `1e-7` → 7). */
export function decimalsOf(step: number): number {
  if (!Number.isFinite(step) || step <= 0) return 0;
  for (let d = 0; d <= 12; d++) if (Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) < 1e-9) return d;
  return 12;
}

/** A price with the market's precision (its tick size) when known, else `num`'s default. */
export function price(value: number | null | undefined, tickSize?: number | null): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return tickSize ? trimZeros(value.toFixed(decimalsOf(tickSize))) : num(value);
}

/** A quantity with the market's precision (its step size) when known, else `num`'s default. */
export function qty(value: number | null | undefined, stepSize?: number | null): string {
  return price(value, stepSize);
}

/** Money (USDT amounts, PnL): 2 decimals, 4 when |x| < 0.01; never `-0.00`. */
export function money(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  const s = value.toFixed(abs !== 0 && abs < 0.01 ? 4 : 2);
  return /^-?0\.0+$/.test(s) ? '0.00' : s;
}

/** Alias of `money` for USDT amounts. */
export const usdt = money;

export function signedMoney(value: number): string {
  const m = money(value);
  return value > 0 && !/^0\.0+$/.test(m) ? `+${m}` : m;
}

/** A bound or amount with thousands grouped (`1000000` → `1,000,000`; Russian: `1 000 000`), `num`'s decimals. */
export function grouped(value: number, lang = 'en'): string {
  if (!Number.isFinite(value)) return '∞';
  const s = num(value);
  const [int, frac] = s.split('.');
  const sign = int!.startsWith('-') ? '-' : '';
  const digits = sign ? int!.slice(1) : int!;
  const sep = lang === 'ru' ? '\u00a0' : ',';
  const g = digits.replace(/\B(?=(\d{3})+(?!\d))/g, sep);
  return `${sign}${g}${frac ? `.${frac}` : ''}`;
}

export function pct(value: number | null | undefined, decimals = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return `${(value * 100).toFixed(decimals)}%`;
}

/**
 * Splits a text into chunks of at most `limit` characters, at line breaks
 * where possible (never inside an HTML tag when lines are tag-balanced).
 */
export function splitText(text: string, limit = MAX_MESSAGE_LENGTH): string[] {
  if (text.length <= limit) return [text];
  const out: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    if (line.length > limit) {
      if (current) {
        out.push(current);
        current = '';
      }
      for (let i = 0; i < line.length; i += limit) out.push(line.slice(i, i + limit));
      continue;
    }
    const next = current ? `${current}\n${line}` : line;
    if (next.length > limit) {
      out.push(current);
      current = line;
    } else current = next;
  }
  if (current) out.push(current);
  return out;
}
