/**
 * The signal parser: one message text in, exactly one ParseResult out —
 * a new `signal`, an `update` about an earlier signal, or `none` with a reason.
 * Pure and synchronous; every regex is compiled once at module load.
 * The accepted formats and the minimum a post needs are in FORMAT.md.
 */
import type { NoneParse, ParseResult, SignalParse, UpdateParse } from '../../models/signal.js';
import {
  ABOVE_RE,
  BELOW_RE,
  BREAKOUT_RE,
  COMMENTARY_RE,
  DISCLAIMER_RE,
  CROSS_RE,
  EDUCATION_RE,
  ISOLATED_RE,
  LABEL_KINDS,
  LABEL_RE,
  LEV_FIELD_NUM_RE,
  LEV_RANGE_RE,
  LEV_SINGLE_RE,
  LONG_EMOJI_RE,
  LONG_WORD_RE,
  MARKET_ENTRY_RE,
  MARKET_GLOBAL_RE,
  NEWS_RE,
  PRE,
  PROMO_RE,
  RECAP_RE,
  SHORT_EMOJI_RE,
  SHORT_WORD_RE,
  SIDE_EXCLUDE_RE,
  type LabelKind,
} from './lexicon.js';
import { normalizeText } from './normalize.js';
import { isPrice, resolveAmbiguous, scanNumbers, type NumToken } from './numbers.js';
import { findSymbol } from './symbols.js';
import { detectUpdate, STRONG_UPDATE_PRE } from './updates.js';

export { normalizeText } from './normalize.js';

/** Stable `none.reason` strings (documented in FORMAT.md). */
export const NONE_REASONS = [
  'empty message',
  'educational',
  'promotion',
  'results recap',
  'news',
  'commentary',
  'no symbol',
  'multiple symbols',
  'conflicting sides',
  'no entry',
  'no stop-loss or take-profit',
  'no side',
  'stop-loss on the wrong side of entry',
  'take-profit on the wrong side of entry',
  'inconsistent prices',
  'message too long',
] as const;
export type NoneReason = (typeof NONE_REASONS)[number];

/** Most prices in one message stay within this factor of each other. */
const MAX_PRICE_RATIO = 10;
const MAX_LEVERAGE = 200;
/**
 * Telegram sends at most 4,096 characters a message (1,024 a caption); anything
 * four times longer is pasted junk, never a trade. The bound also caps the work.
 */
export const MAX_MESSAGE_LENGTH = 16_384;

const CYRILLIC_RE = /[А-Яа-яЁё]/;
const WORDY_LINE_RE = /\p{L}{3,}/u;
const DIGIT_RE = /\d/;

/** `@`, 💰, 🎯, 🛑, ⛔ (labels that are signs, not words). */
function isSignLabel(label: string): boolean {
  const c = label.charCodeAt(0);
  return c === 0x40 || c === 0x26d4 || (c >= 0xd800 && c <= 0xdbff);
}
const GAP_RE = /^[ \t:=-]*$/;
/** A signed percentage (`+3.9%`, `-12 %`): a result, next to a recap word. */
const SIGNED_PCT_RE = /(?<![\p{L}\p{N}])[+-][ \t]?\d+(?:[.,]\d+)?[ \t]*%/u;
/** Buy stop / sell stop orders anywhere: the entry waits for a breakout. */
const BUY_WORD_RE = /(?<![\p{L}])(?:buy|покупка|покупаем)(?![\p{L}])/iu;
/** Cheap test: both leverage patterns need a digit next to an x (speed only). */
const LEV_PRE_RE = /\d[ \t]?[xх×]|[xх×][ \t]?\d/i;
const STOP_ORDER_RE = /(?<![\p{L}])(?:buy|sell)[ \t]+stop(?![\p{L}])/iu;

interface Label {
  kind: LabelKind;
  start: number;
  end: number;
}

interface Region {
  label: Label;
  start: number;
  end: number;
  text: string;
}

function scanLabels(s: string): Label[] {
  LABEL_RE.reset();
  const out: Label[] = [];
  let m: RegExpExecArray | null;
  while ((m = LABEL_RE.next(s)) !== null) {
    let kind: LabelKind = 'ignore';
    for (let g = 1; g <= LABEL_KINDS.length; g++) {
      if (m[g] !== undefined) {
        kind = LABEL_KINDS[g - 1] as LabelKind;
        break;
      }
    }
    // `Target @ 19.10`, `SL: 💰0.9`: a sign label (`@`, 💰, 🎯, 🛑) right after a word label belongs to it
    const prev = out[out.length - 1];
    if (prev !== undefined && isSignLabel(m[0]) && GAP_RE.test(s.slice(prev.end, m.index))) continue;
    out.push({ kind, start: m.index, end: m.index + m[0].length });
  }
  return out;
}

/** A label's value: up to the next label, over following lines only while they hold no words. */
function regionOf(s: string, labels: Label[], i: number): Region {
  const label = labels[i] as Label;
  const stop = labels[i + 1]?.start ?? s.length;
  const seg = s.slice(label.end, stop);
  let end = seg.indexOf('\n');
  if (end >= 0) {
    // a label alone on its line (`TARGETS` / `Short Term: 27.5 - 28.2`) also takes the
    // following lines that hold numbers, worded or not, up to a line without one
    const bare = !DIGIT_RE.test(seg.slice(0, end));
    let pos = end;
    while (pos >= 0 && pos < seg.length) {
      const next = seg.indexOf('\n', pos + 1);
      const line = seg.slice(pos + 1, next < 0 ? seg.length : next);
      if (WORDY_LINE_RE.test(line) && !(bare && DIGIT_RE.test(line))) break;
      end = next < 0 ? seg.length : next;
      pos = next;
    }
  } else end = seg.length;
  return { label, start: label.end, end: label.end + end, text: seg.slice(0, end) };
}

function tokensIn(tokens: NumToken[], start: number, end: number): NumToken[] {
  return tokens.filter((t) => t.start >= start && t.end <= end);
}

function dedupe(xs: number[]): number[] {
  return xs.filter((x, i) => xs.indexOf(x) === i);
}

function none(reason: NoneReason): NoneParse {
  return { kind: 'none', reason };
}

interface SideWords {
  long: number;
  short: number;
  hits: { end: number; side: 'long' | 'short' }[];
}

function sideWords(s: string, skip: { start: number; end: number }[]): SideWords {
  const excluded: { start: number; end: number }[] = [...skip];
  let m: RegExpExecArray | null;
  if (PRE.sideExclude.test(s)) {
    SIDE_EXCLUDE_RE.lastIndex = 0;
    while ((m = SIDE_EXCLUDE_RE.exec(s)) !== null) excluded.push({ start: m.index, end: m.index + m[0].length });
  }
  // sorted, so each regex walks the ranges once (hits come in text order): linear, not hits × ranges
  excluded.sort((a, b) => a.start - b.start);
  const res: SideWords = { long: 0, short: 0, hits: [] };
  for (const [re, side] of [
    [LONG_WORD_RE, 'long'],
    [SHORT_WORD_RE, 'short'],
  ] as const) {
    re.reset();
    let k = 0;
    let coveredTo = -1; // the furthest end among ranges starting at or before the hit
    while ((m = re.next(s)) !== null) {
      const at = m.index;
      while (k < excluded.length && (excluded[k] as { start: number }).start <= at) {
        coveredTo = Math.max(coveredTo, (excluded[k] as { end: number }).end);
        k++;
      }
      if (at < coveredTo) continue;
      res[side]++;
      res.hits.push({ end: at + m[0].length, side });
    }
  }
  return res;
}

function parseLeverage(s: string, levRegions: Region[], warnings: string[]): number | null {
  const nums: number[] = [];
  for (const r of levRegions) {
    LEV_FIELD_NUM_RE.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = LEV_FIELD_NUM_RE.exec(r.text)) !== null) nums.push(Number(m[1]));
    if (nums.length > 0) break;
  }
  let low: number | null = null;
  let high: number | null = null;
  if (nums.length > 0) {
    low = nums[0] as number;
    if (nums.length > 1) high = nums[1] as number;
  } else {
    const r = LEV_PRE_RE.test(s) ? LEV_RANGE_RE.exec(s) : null;
    if (r !== null) {
      low = Number(r[1] ?? r[3]);
      high = Number(r[2] ?? r[4]);
    } else {
      const one = LEV_PRE_RE.test(s) ? LEV_SINGLE_RE.exec(s) : null;
      if (one !== null) low = Number(one[1] ?? one[2]);
    }
  }
  if (low === null) return null;
  if (high !== null && high !== low) {
    const lo = Math.min(low, high);
    warnings.push(`leverage range ${lo}-${Math.max(low, high)}, used ${lo}`);
    low = lo;
  }
  if (!Number.isInteger(low) || low < 1 || low > MAX_LEVERAGE) {
    warnings.push('leverage out of range, ignored');
    return null;
  }
  return low;
}

function parseMargin(s: string): 'isolated' | 'cross' | null {
  if (ISOLATED_RE.test(s)) return 'isolated';
  if (CROSS_RE.test(s)) return 'cross';
  return null;
}

type Built = { ok: true; signal: SignalParse } | { ok: false; reason: NoneReason };

function buildSignal(s: string, cyrillic: boolean, symbol: string | null, ambiguousSymbol: boolean): Built {
  if (symbol === null) return { ok: false, reason: 'no symbol' };
  if (ambiguousSymbol) return { ok: false, reason: 'multiple symbols' };

  const labels = scanLabels(s);
  const hasEntryLabel = labels.some((l) => l.kind === 'entry' || l.kind === 'buy');
  // `BUY $XRP 2.05-2.10` / `SELL 2.20 2.30`: with a buy word before it, SELL lists the targets
  const firstSell = labels.find((l) => l.kind === 'sell');
  const buyBeforeSell = firstSell !== undefined && BUY_WORD_RE.test(s.slice(0, firstSell.start));
  const sellIsTp = hasEntryLabel || buyBeforeSell;
  const regions = labels.map((_, i) => regionOf(s, labels, i));
  const entryRegions: Region[] = [];
  const tpRegions: Region[] = [];
  const slRegions: Region[] = [];
  const levRegions: Region[] = [];
  const sellAsTp: { start: number; end: number }[] = [];
  for (const r of regions) {
    switch (r.label.kind) {
      case 'entry':
      case 'buy':
        entryRegions.push(r);
        break;
      case 'sell':
        // Cornix style: `Buy: ...` / `Sell: ...` — with another entry label, SELL lists the targets
        if (sellIsTp) {
          tpRegions.push(r);
          sellAsTp.push({ start: r.label.start, end: r.label.end });
        } else entryRegions.push(r);
        break;
      case 'tp':
        tpRegions.push(r);
        break;
      case 'price':
        // a bare `Price: 1.42` is the entry only when nothing else is labelled as one
        if (!hasEntryLabel) entryRegions.push(r);
        break;
      case 'sl':
        slRegions.push(r);
        break;
      case 'lev':
        levRegions.push(r);
        break;
      default:
        break;
    }
  }

  // side words inside a target label (`Sell targets:`) say nothing about the side
  const sideSkip = [...sellAsTp, ...labels.filter((l) => l.kind === 'tp').map((l) => ({ start: l.start, end: l.end }))];
  const sides = sideWords(s, sideSkip);
  if (sides.long > 0 && sides.short > 0) return { ok: false, reason: 'conflicting sides' };
  const wordSide: 'long' | 'short' | null = sides.long > 0 ? 'long' : sides.short > 0 ? 'short' : null;

  const tokens = scanNumbers(s, cyrillic);
  const entryToks = entryRegions.flatMap((r) => tokensIn(tokens, r.start, r.end).filter(isPrice));
  // `LONG BTC 67000`: prices on the side-word line when no entry label gives them
  const labelledEntry = entryToks.length > 0;
  const sideLines: string[] = [];
  if (!labelledEntry) {
    const inLabelled = (t: NumToken): boolean => regions.some((r) => t.start >= r.label.start && t.end <= r.end);
    for (const h of sides.hits) {
      const lineStart = s.lastIndexOf('\n', h.end - 1) + 1;
      const lineEnd = s.indexOf('\n', h.end);
      const line = tokensIn(tokens, lineStart, lineEnd < 0 ? s.length : lineEnd).filter((t) => isPrice(t) && !inLabelled(t));
      // prefer the prices after the side word (`short @ 182.4`, `LONG BTC 67000`), else before it (`ETH 3,200 long`)
      const after = line.filter((t) => t.start >= h.end);
      entryToks.push(...(after.length > 0 ? after : line));
      if (entryToks.length > 0) {
        sideLines.push(s.slice(lineStart, lineEnd < 0 ? s.length : lineEnd));
        break;
      }
    }
  }
  const tpToks = tpRegions.flatMap((r) => tokensIn(tokens, r.start, r.end));
  const tpPriceToks = tpToks.filter(isPrice);
  const slToks = slRegions.flatMap((r) => tokensIn(tokens, r.start, r.end));
  const slPriceToks = slToks.filter(isPrice);
  resolveAmbiguous([...entryToks, ...tpPriceToks, ...slPriceToks]);

  const warnings: string[] = [];
  const entries = dedupe(entryToks.map((t) => t.value));
  const entryText = entryRegions.map((r) => r.text).join('\n');
  const entryMarket = MARKET_ENTRY_RE.test(entryText) || (PRE.market.test(s) && MARKET_GLOBAL_RE.test(s));
  if (entries.length === 0 && !entryMarket) return { ok: false, reason: 'no entry' };
  if (!labelledEntry && !entryMarket && (s.includes('?') || COMMENTARY_RE.test(s))) return { ok: false, reason: 'commentary' };

  let takeProfits: number[] | null = null;
  let takeProfitPercents: number[] | null = null;
  if (tpPriceToks.length > 0) takeProfits = dedupe(tpPriceToks.map((t) => t.value));
  else {
    const pcts = tpToks.filter((t) => t.pct && t.value > 0).map((t) => t.value);
    if (pcts.length > 0) takeProfitPercents = dedupe(pcts);
  }
  const firstSl = slPriceToks[0];
  const stopLoss = firstSl === undefined ? null : firstSl.value;
  if (stopLoss === null && slToks.some((t) => t.pct)) warnings.push('stop-loss given as percent, ignored');
  if (stopLoss === null && takeProfits === null && takeProfitPercents === null) {
    return { ok: false, reason: 'no stop-loss or take-profit' };
  }

  // side: words, then the first line's emoji, then prices
  const lo = entries.length > 0 ? Math.min(...entries) : null;
  const hi = entries.length > 0 ? Math.max(...entries) : null;
  let inferred: 'long' | 'short' | null = null;
  if (lo !== null && hi !== null && stopLoss !== null) {
    if (stopLoss < lo) inferred = 'long';
    else if (stopLoss > hi) inferred = 'short';
  } else if (lo !== null && hi !== null && takeProfits !== null) {
    if (takeProfits.every((t) => t > hi)) inferred = 'long';
    else if (takeProfits.every((t) => t < lo)) inferred = 'short';
  } else if (stopLoss !== null && takeProfits !== null) {
    if (takeProfits.every((t) => t > stopLoss)) inferred = 'long';
    else if (takeProfits.every((t) => t < stopLoss)) inferred = 'short';
  }
  let side = wordSide;
  if (side === null) {
    const firstLine = s.slice(0, s.indexOf('\n') < 0 ? s.length : s.indexOf('\n'));
    const emojiLong = LONG_EMOJI_RE.test(firstLine);
    const emojiShort = SHORT_EMOJI_RE.test(firstLine);
    const emoji = emojiLong && !emojiShort ? 'long' : emojiShort && !emojiLong ? 'short' : null;
    if (emoji !== null && inferred !== null && emoji !== inferred) return { ok: false, reason: 'conflicting sides' };
    side = emoji ?? inferred;
    if (side === null) {
      if (lo !== null && stopLoss !== null) return { ok: false, reason: 'stop-loss on the wrong side of entry' };
      return { ok: false, reason: 'no side' };
    }
    if (emoji === null) warnings.push('side inferred from prices');
  }

  // the plan must hang together
  const isLong = side === 'long';
  if (stopLoss !== null && lo !== null && hi !== null && (isLong ? stopLoss >= lo : stopLoss <= hi)) {
    return { ok: false, reason: 'stop-loss on the wrong side of entry' };
  }
  if (takeProfits !== null) {
    const wrongVsEntry = lo !== null && hi !== null && takeProfits.some((t) => (isLong ? t <= lo : t >= hi));
    const wrongVsStop = stopLoss !== null && takeProfits.some((t) => (isLong ? t <= stopLoss : t >= stopLoss));
    if (wrongVsEntry || wrongVsStop) return { ok: false, reason: 'take-profit on the wrong side of entry' };
  }
  const all = [...entries, ...(takeProfits ?? []), ...(stopLoss === null ? [] : [stopLoss])];
  if (all.length > 1 && Math.max(...all) / Math.min(...all) > MAX_PRICE_RATIO) return { ok: false, reason: 'inconsistent prices' };

  let entryTrigger: 'above' | 'below' | null = null;
  // the entry fields, or the side-word line that gave the entry (`BTC short below 61,800`)
  const triggerText = [...entryRegions.map((r) => s.slice(r.label.start, r.end)), ...sideLines].join('\n');
  if (ABOVE_RE.test(triggerText)) entryTrigger = isLong ? 'above' : null;
  else if (BELOW_RE.test(triggerText)) entryTrigger = isLong ? null : 'below';
  else if (BREAKOUT_RE.test(triggerText) || STOP_ORDER_RE.test(s)) entryTrigger = isLong ? 'above' : 'below';
  if (entryTrigger !== null && entryMarket) entryTrigger = null;

  if (stopLoss === null) warnings.push('no stop-loss');
  if (takeProfits === null && takeProfitPercents === null) warnings.push('no take-profit');
  const leverage = parseLeverage(s, levRegions, warnings);

  return {
    ok: true,
    signal: {
      kind: 'signal',
      symbol,
      side,
      entries,
      entryMarket,
      entryTrigger,
      takeProfits,
      takeProfitPercents,
      stopLoss,
      leverage,
      marginMode: parseMargin(s),
      warnings,
    },
  };
}

/**
 * Parses one channel message. Never throws; anything that is not clearly a
 * trade or a follow-up is `{ kind: 'none', reason }`.
 */
export function parseSignal(text: string): ParseResult {
  if (typeof text !== 'string') return none('empty message');
  if (text.length > MAX_MESSAGE_LENGTH) return none('message too long');
  const s = normalizeText(text);
  if (s.length === 0) return none('empty message');
  if (PRE.education.test(s) && EDUCATION_RE.test(s)) return none('educational');
  if (PRE.disclaimer.test(s) && DISCLAIMER_RE.test(s)) return none('commentary');
  const cyrillic = CYRILLIC_RE.test(s);
  const sym = findSymbol(s);
  // no digit, no price: it cannot be a signal (updates and noise only), so skip building one
  let built: Built = DIGIT_RE.test(s)
    ? buildSignal(s, cyrillic, sym.symbol, sym.ambiguous)
    : { ok: false, reason: sym.symbol === null ? 'no symbol' : sym.ambiguous ? 'multiple symbols' : 'no entry' };
  // `Result of the #BNB short: entry 612, exit 588, +3.9%` reports a past trade
  if (built.ok && PRE.recap.test(s) && RECAP_RE.test(s) && SIGNED_PCT_RE.test(s)) built = { ok: false, reason: 'results recap' };
  if (built.ok && !STRONG_UPDATE_PRE.test(s)) return built.signal;
  const upd = detectUpdate(s, cyrillic);
  if (built.ok && (upd === null || !upd.strong)) return built.signal;
  // from here the result is not a signal: an ad or a recap that mentions a hit target
  // ("Our VIP caught #ZRO long at 3.20 → TP 4.00 hit 🚀 Join…") is noise, not an update
  if (PRE.promo.test(s) && PROMO_RE.test(s)) return none('promotion');
  if (PRE.recap.test(s) && RECAP_RE.test(s)) return none('results recap');
  if (PRE.news.test(s) && NEWS_RE.test(s)) return none('news');
  if (upd !== null) {
    if (sym.ambiguous) return none('multiple symbols');
    const out: UpdateParse = {
      kind: 'update',
      symbol: sym.symbol,
      action: upd.action,
      stopLoss: upd.stopLoss,
      breakeven: upd.breakeven,
    };
    return out;
  }
  return none(built.ok ? 'no entry' : built.reason);
}
