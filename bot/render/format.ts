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

/** A number with up to `max` decimals, no exponent, trailing zeros trimmed. */
export function num(value: number | null | undefined, max = 8): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const s = value.toFixed(max);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** Money with 2 decimals (more for tiny amounts). */
export function money(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  return abs !== 0 && abs < 0.01 ? num(value, 6) : value.toFixed(2);
}

export function signedMoney(value: number): string {
  const m = money(value);
  return value > 0 ? `+${m}` : m;
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
