/** Unicode and markup clean-up before parsing: every offset the parser uses refers to the result. */

const KEYCAP_RE = /(\d)\uFE0F?\u20E3/g;
const CIRCLED_RE = /[\u2460-\u2473\u2776-\u2793]/g;
const ZERO_WIDTH_RE = /[\u200B-\u200D\u2060\uFEFF]/g;
const SPACES_RE = /[\u00A0\u2000-\u200A\u202F\u205F\u3000]/g;
const DASHES_RE = /[\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]/g;
const MARKDOWN_RE = /\*\*|__|`|\*|~~/g;
const ARROWS_RE = /->|=>|[→➜➡⇒⟶►▶➔➙➛➝➞➟➠]\uFE0F?/g;

function circledDigit(c: string): string {
  const code = c.charCodeAt(0);
  let n = 0;
  if (code >= 0x2460 && code <= 0x2473) n = code - 0x2460 + 1;
  else if (code >= 0x2776 && code <= 0x277f) n = code - 0x2776 + 1;
  else if (code >= 0x2780 && code <= 0x2789) n = code - 0x2780 + 1;
  else if (code >= 0x278a && code <= 0x2793) n = code - 0x278a + 1;
  return ` ${n})`;
}

export function normalizeText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(KEYCAP_RE, ' $1)')
    .replace(CIRCLED_RE, circledDigit)
    .normalize('NFKC')
    .replace(ZERO_WIDTH_RE, '')
    .replace(SPACES_RE, ' ')
    .replace(DASHES_RE, '-')
    .replace(MARKDOWN_RE, '')
    .replace(ARROWS_RE, ' : ')
    .trim();
}
