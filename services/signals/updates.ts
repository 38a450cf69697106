/**
 * Follow-up messages about an earlier signal: targets hit, stopped out, close,
 * cancel, stop moved. Patterns are tried on the normalised text; a match inside
 * a conditional clause (`if`, `after`, `если`...), a question or a hypothesis
 * (`might`, `возможно`) does not count.
 *
 * Precedence when several match: sl_hit > cancel > close > move_sl > tp_hit > other.
 * A partial close (`close half`, `закрываем 50%`) is `other`: the output has no
 * fraction, and closing everything would do more than the channel asked.
 */
import type { UpdateAction } from '../../models/signal.js';
import { WordPattern } from './lexicon.js';
import { isPrice, scanNumbers } from './numbers.js';

const B = '(?<![\\p{L}\\p{N}])';
const E = '(?![\\p{L}])';
const S = '[ \\t]+';
const O = '[ \\t]*';

const HIT_VERBS =
  `(?:hit|reached|achieved|done|completed?|smashed|touched|filled|secured|taken|booked|(?:✅|✔️|✔)(?![ \\t]*\\$?\\d)|` +
  `выполнен\\p{L}*|достигнут\\p{L}*|взят\\p{L}*|забран\\p{L}*|отработа\\p{L}*|закрыт\\p{L}*)`;
const ORDINAL =
  `(?:(?:first|second|third|fourth|fifth|sixth|final|last|1st|2nd|3rd|\\dth|перв\\p{L}*|втор\\p{L}*|трет\\p{L}*|четв\\p{L}*|пят\\p{L}*|последн\\p{L}*)${S})?`;
const TP_WORD = `(?:take[ \\t-]*profit(?:[ \\t-]*target)?|tp|t\\.p\\.|target|tgt|цел\\p{L}{0,2}|тейк\\p{L}*|тп)`;
const SL_WORD = `(?:sl|s\\/l|stop[ \\t-]*loss|stop)`;
/** Russian verbs that move a stop, any tense: переносим/перенесли, подтягиваем/подтянули… */
const RU_MOVE = 'перенос|перенес|перенёс|передвига|передвин|переставл|переставил|двига|подтягива|подтян|сдвига|сдвину|ставим|перевод|перевел|перевёл';
const BE_WORD = `(?:be|b\\.e\\.?|breakeven|break[ \\t-]*even|entry(?:${S}price)?|entries|безубыт\\p{L}*|бу|б\\/у|точку${S}входа|вход\\p{L}*)`;

interface Pattern {
  action: UpdateAction;
  re: WordPattern;
  /** The word-start check is done in code (the pattern has no look-behind). */
  wordOnly: boolean;
  /** Cheap test that must pass before `re` runs (speed only: `re` implies it). */
  pre: RegExp;
  /** Past events that override a message's signal structure (a repost with ✅ marks). */
  strong: boolean;
}

const PRE: Record<UpdateAction, RegExp> = {
  sl_hit: /stop|sl|s\/l|стоп|сл|выбил|even|b\/?e\s/i,
  cancel: /cancel|актуал|отмен|valid|void|ignore|delete|entry|снял|сним|убра|убира/i,
  close: /clos|exit|закры|выход|выйти|фикси|profit/i,
  move_sl: /sl|s\/l|stop|стоп|сл|безубыт/i,
  tp_hit: /tp|t\.p|target|tgt|цел|тейк|тп|profit/i,
  other: /entr|order|position|trade|вход|ордер|сделк|позици|partial|profit|move|moving|hit/i,
};

/**
 * A pattern. Those whose every alternative starts with the word-start look-behind `B`
 * drop it and check the boundary in code (see WordPattern: V8 scans them much faster).
 */
const P = (action: UpdateAction, strong: boolean, src: string): Pattern => {
  const body = src.split(B).join('');
  const wordOnly = src.startsWith(B) && !/\(\?<[!=]/.test(body);
  return { action, strong, re: wordOnly ? new WordPattern(body, 'giu') : new WordPattern(src, 'giu'), wordOnly, pre: PRE[action] };
};

const PATTERNS: Pattern[] = [
  P(
    'sl_hit',
    true,
    `${B}(?:stopped(?:${S}out|(?=[ \\t]*(?:[❌⛔🛑.!,\\n)]|$))|(?:${S}out)?${S}(?:at|in|on)${S}(?:breakeven|break[ \\t-]*even|be|entry|a${S}loss|loss|profit)(?![\\p{L}]))|stop(?:[ \\t-]*(?:loss|target))?${S}(?:was${S}|has${S}been${S}|got${S}|is${S})?(?:hit|triggered|reached|touched|executed)|` +
      `(?:sl|s\\/l)${S}(?:at${S}(?:breakeven|break[ \\t-]*even|be|entry)${S})?(?:was${S}|has${S}been${S}|got${S})?(?:hit|triggered|reached|touched)|hit${S}(?:the${S}|our${S}|my${S})?(?:sl|stop)|(?:be|b\\/e|breakeven|break[ \\t-]*even)${S}(?:stop${S}|sl${S})?(?:was${S}|got${S}|has${S}been${S})?(?:hit|triggered)|` +
      `closed${S}(?:at|by|on|in|due${S}to)${S}(?:the${S}|a${S})?(?:sl|stop(?:[ \\t-]*loss)?)|` +
      `(?:выбил\\p{L}*|выбило|словил\\p{L}*|поймал\\p{L}*|закрыл\\p{L}*|закрыт\\p{L}*|ушл\\p{L}*)${S}(?:по${S}|в${S}|на${S})?(?:стоп\\p{L}*|сл)|` +
      `(?:стоп(?:[ \\t-]*лосс)?|сл)${S}(?:сработал|задет|выбит|сбит)\\p{L}*|сработал\\p{L}*${S}(?:стоп\\p{L}*|сл)|` +
      `(?:выбил\\p{L}*|выбило)${S}(?:в|по|на)${S}(?:безубыт\\p{L}*|бу|б\\/у)|(?:sl|stop|стоп)${O}(?:❌|⛔|🛑))${E}`,
  ),
  P(
    'cancel',
    true,
    `${B}(?:cancel(?:led|ed|ling|ing)?(?!${S}(?:if|when|once|in${S}case|unless|below|above|on${S}(?:close|candle)))|не${O}актуал\\p{L}*|` +
      `отмен\\p{L}*|(?:signal|trade|setup|call)${S}(?:is${S})?(?:invalid(?:ated)?|void|no${S}longer${S}valid)|` +
      `(?:not|no${S}longer)${S}valid(?:${S}any${O}more|(?=${O}(?:[❌⛔.!\\n]|$)))|` +
      `(?:снял\\p{L}*|снимаем|снимите|убрал\\p{L}*|убираем)${S}(?:все${S})?(?:лимитк\\p{L}*|ордер\\p{L}*|заявк\\p{L}*)|` +
      `(?:лимитк\\p{L}*|ордер\\p{L}*|заявк\\p{L}*)(?:${S}по${S}[#$]?[\\p{L}\\d/]+)?${S}(?:снял\\p{L}*|снимаем|убрал\\p{L}*|убираем)|` +
      `(?:ignore|delete)${S}(?:this|the|that|previous)${S}(?:[#$]?[A-Za-z0-9]{2,15}(?:\\/[A-Za-z]{3,5})?${S})?(?:signal|trade|call|setup|post)|entry${S}(?:was${S})?(?:not|never)${S}(?:reached|triggered|filled|hit))${E}`,
  ),
  P(
    'close',
    false,
    `${B}(?<!(?:candle|daily|weekly|monthly|h\\d|\\d[hdw]|market|markets|day|week|bar|hourly|close|price)${S})` +
      `(?:close|closing|exit|exiting|закрыва\\p{L}*|закрыть|закрою|выходим|выйти|фиксиру\\p{L}*)` +
      `(?!${O}[:=]?${O}\\$?\\d[\\d.,]*(?![\\d.,]|[ \\t]*%))(?!${S}(?:above|below|under|over|to|range|of|price|the${S}gap|early|higher|lower|in${S}profit|candle|выше|ниже))${E}|` +
      `${B}(?:take|book|secure)${S}(?:(?:the|all|full|our)${S})?profits?${S}(?:(?:on|for|in)${S}[#$]?[\\p{L}\\d/]+${S})?(?:now|here)${E}`,
  ),
  P(
    'close',
    true,
    `${B}(?<!(?:candle|daily|weekly|monthly|h\\d|\\d[hdw]|market|markets|day|week|bar|hourly|price)${S})` +
      `(?:closed|exited|закрыл\\p{L}*|закрыт[аы]?|зафиксировал\\p{L}*)(?!${S}(?:above|below|under|over|выше|ниже|the${S}(?:week|day|month|year|candle|session|gap)|(?:week|day|month|неделю|день|месяц|год)))${E}`,
  ),
  P(
    'move_sl',
    false,
    `${B}(?:(?:move|moving|moved|set|setting|put|shift|adjust|raise|lower|trail|trailing|update|bring|place|tighten)\\p{L}*${S}(?:the${S}|your${S}|our${S}|all${S})?(?:sl|s\\/l|stop[ \\t-]*loss(?:es)?|stops?)|` +
      `${SL_WORD}${S}(?:has${S}been${S}|is${S}|was${S})?(?:moved|moving|now|updated|changed|adjusted|raised|lowered|trailed|shifted)|` +
      `${SL_WORD}${O}(?:to|at|→|:|=|-)${O}${BE_WORD}|new${S}(?:sl|stop[ \\t-]*loss|stop)|` +
      `(?:${RU_MOVE})\\p{L}*${S}(?:стоп\\p{L}*|сл)|` +
      `(?:стоп|сл)\\p{L}*${S}(?:${RU_MOVE})\\p{L}*|(?:стоп|сл)\\p{L}*${S}(?:в|на)${S}(?:безубыт\\p{L}*|бу|б\\/у|точку${S}входа|вход|уровень|(?=\\d))|(?:в|на)${S}безубыт\\p{L}*|новый${S}стоп)${E}`,
  ),
  P(
    'tp_hit',
    true,
    `${B}${ORDINAL}${TP_WORD}${O}[#№-]?${O}\\d{0,2}${O}(?:[:\\-–]${O})?(?:\\$?\\d[\\d.,]*${O})?` +
      `(?:(?:по|on|for)${S}[#$]?[\\p{L}\\d/]+${O})?(?:is${S}|was${S}|has${S}been${S}|have${S}been${S}|got${S}|just${S})?${HIT_VERBS}|` +
      `${B}all${S}(?:the${S})?(?:take[ \\t-]*profit${S})?(?:targets?|tps?|take[ \\t-]*profits?)${S}(?:\\p{L}+${S}){0,3}?(?:hit|reached|achieved|done|completed|smashed|filled)|` +
      `${B}все${S}(?:цели|тейки|тп)[^\\n.]{0,30}?(?:выполнен|достигнут|взят|забран|отработа|закрыт)\\p{L}*|` +
      `${B}${TP_WORD}s?${O}[#№]?\\d{1,2}(?:${O}(?:,|&|\\/|and|и)${O}(?:${TP_WORD}${O})?[#№]?\\d{1,2})+${O}(?:(?:are|were|have${S}been|got|all)${S})?${HIT_VERBS}|` +
      `${B}(?:hit|reached|achieved|smashed|touched)${S}(?:the${S}|our${S}|its${S})?${ORDINAL}(?:tp|target|take[ \\t-]*profit)|` +
      `${B}(?:отработал\\p{L}*|взят\\p{L}*|достигнут\\p{L}*|выполнен\\p{L}*)${S}${ORDINAL}(?:цел\\p{L}{0,2}|тейк\\p{L}*|тп)${E}`,
  ),
  P(
    'other',
    false,
    `${B}(?:entry${S}(?:(?:\\d|one|two|zone|price|order)${S})?(?:targets?${O}\\d*${S})?(?:is${S}|was${S}|has${S}been${S})?(?:filled|reached|triggered|activated|hit|done|achieved|✅)|` +
      `all${S}entr(?:y|ies)${S}(?:targets?${S})?(?:filled|achieved|reached|done)|(?:orders?|positions?)${S}(?:is${S}|was${S}|are${S}|were${S})?(?:filled|activated|opened|triggered)|` +
      `(?:вход|ордер|сделка|позиция)\\p{L}*${S}(?:по${S}[#$]?[\\p{L}\\d/]+${S})?(?:сработал|исполнен|активирован|открыт)\\p{L}*|partial(?:ly)?${S}(?:close|closing|profits?|tp|take)|` +
      `(?:price${S})?hit${S}(?:the${S}|our${S})?entry|(?:position|trade)${S}(?:is${S}|was${S})?(?:now${S})?(?:open|opened|active|activated)|(?:take|taking|book|booking|secure|securing)${S}(?:some|partial)${S}profits?|(?:move|moving|moved)${S}(?:sl|stop)${S}to${S}(?:tp|target)${O}\\d)${E}`,
  ),
];

/**
 * Every word a strong pattern needs. A valid signal without any of them cannot be
 * overridden by a strong update, so `detectUpdate` need not run (speed only).
 */
export const STRONG_UPDATE_PRE =
  /stopped|hit|trigger|reach|touch|execut|clos|exit|выбил|словил|поймал|закры|ушл|сработ|задет|выбит|сбит|❌|⛔|🛑|cancel|актуал|отмен|invalid|void|ignore|delete|not|never|снял|сним|убра|зафикс|achiev|done|complet|smash|fill|secur|taken|book|✅|✔|выполн|достигн|взят|отработ/i;

const RANK: Record<UpdateAction, number> = { sl_hit: 0, cancel: 1, close: 2, move_sl: 3, tp_hit: 4, other: 5 };

const CONDITIONAL_RE =
  /(?<![\p{L}\p{N}])(?:if|when|once|after|unless|until|before|если|когда|после|как[ \t]+только|пока)(?![\p{L}])/iu;
/** General advice, not about one trade: `always move your SL to BE once TP1 hits`. */
const GENERIC_RE =
  /(?<![\p{L}\p{N}])(?:every|each|always|reminder|rule|tip|всегда|кажд\p{L}*|правило|совет\p{L}*|напомина\p{L}*)(?![\p{L}])/iu;
/** A message headed `Reminder:` / `Rule:` / `Совет:` is advice throughout, not one trade's update. */
const GENERIC_HEAD_RE = /^[^\p{L}\n]*(?:reminder|rule|tip|напоминани\p{L}*|правил\p{L}*|совет\p{L}*)(?![\p{L}])/iu;
const NEGATION_BEFORE_RE = /(?<![\p{L}\p{N}])(?:don['’]?t|do[ \t]+not|not|never|не)[ \t]+$/iu;
const IF_AFTER_RE = /(?<![\p{L}\p{N}])(?:if|unless|если|в[ \t]+случае)(?![\p{L}])/iu;
const HYPOTHETICAL_RE =
  /(?<![\p{L}\p{N}])(?:might|maybe|perhaps|could|would|should|possibly|планиру\p{L}*|возможно|вероятно|может[ \t]+быть|стоит[ \t]+ли)(?![\p{L}])/iu;
const PARTIAL_AFTER_RE =
  /^[ \t]*(?:the[ \t]+|a[ \t]+)?(?:half|partial|part|some|portion|\d{1,2}(?:[.,]\d+)?[ \t]*%|половин\p{L}*|част\p{L}*)/iu;
const PARTIAL_BEFORE_RE = /(?:partial(?:ly)?|half|частичн\p{L}*)[ \t]*$/iu;
/** `Entry target 1 ✅` reports a filled entry, not a take-profit. */
const ENTRY_BEFORE_RE = /(?:entry|вход\p{L}*)[ \t-]*$/iu;
const BE_RE = new RegExp(`${B}${BE_WORD}${E}`, 'iu');
const TP_REF_RE = /(?<![\p{L}\p{N}])(?:tp|target|цел\p{L}*|тейк\p{L}*|тп)[ \t]*\d/iu;
/** Between `TP1` and a price that names its level: `TP1 (0.51)`, `TP1: 0.51`, `TP1 = $0.51`. */
const PRICE_AFTER_REF_RE = /^\d*[ \t]*[(:=@-]?[ \t]*\$?$/;

export interface UpdateMatch {
  action: UpdateAction;
  strong: boolean;
  stopLoss: number | null;
  breakeven: boolean;
}

/**
 * A clause or sentence is looked at only this far around a match: real clauses are
 * far shorter, and the bound keeps a long text without punctuation linear.
 */
const CLAUSE_REACH = 240;
/** Matches examined per pattern; a real message has a handful. */
const MAX_MATCHES = 64;

function clauseBounds(text: string, start: number, end: number): [number, number] {
  let a = start;
  const aMin = Math.max(0, start - CLAUSE_REACH);
  while (a > aMin && !'.!?\n;,'.includes(text.charAt(a - 1))) a--;
  let b = end;
  const bMax = Math.min(text.length, end + CLAUSE_REACH);
  while (b < bMax && !'.!?\n;'.includes(text.charAt(b))) {
    // a decimal point is not a sentence end
    if (text.charAt(b) === '.' && /\d/.test(text.charAt(b + 1))) b++;
    else b++;
  }
  return [a, b];
}

function sentenceEndsWithQuestion(text: string, from: number): boolean {
  const to = Math.min(text.length, from + CLAUSE_REACH);
  for (let i = from; i < to; i++) {
    const c = text.charAt(i);
    if (c === '?') return true;
    if (c === '\n' || c === '!' || (c === '.' && !/\d/.test(text.charAt(i + 1)))) return false;
  }
  return false;
}

function lineRest(text: string, from: number): string {
  const nl = text.indexOf('\n', from);
  return text.slice(from, Math.min(nl < 0 ? text.length : nl, from + CLAUSE_REACH));
}

/** Finds the update a message announces, or null. */
export function detectUpdate(text: string, cyrillic: boolean): UpdateMatch | null {
  if (GENERIC_HEAD_RE.test(text.slice(0, 40))) return null;
  let best: UpdateMatch | null = null;
  for (const p of PATTERNS) {
    if (!p.pre.test(text)) continue;
    p.re.reset();
    let m: RegExpExecArray | null;
    let seen = 0;
    while ((m = p.wordOnly ? p.re.next(text) : p.re.re.exec(text)) !== null && seen++ < MAX_MATCHES) {
      if (m[0].length === 0) {
        p.re.re.lastIndex++;
        continue;
      }
      const start = m.index;
      const end = start + m[0].length;
      const [a, b] = clauseBounds(text, start, end);
      const before = text.slice(a, start);
      if (CONDITIONAL_RE.test(before)) continue;
      // `Don't close yet`, `Не закрываем`: a negated instruction is no update
      if (NEGATION_BEFORE_RE.test(text.slice(Math.max(0, start - 12), start))) continue;
      // `Cancel #SUI if it doesn't hit entry`: an instruction with a condition after it (up to a comma)
      const after = text.slice(end, b);
      const comma = after.indexOf(',');
      if (IF_AFTER_RE.test(comma >= 0 ? after.slice(0, comma) : after)) continue;
      const clause = text.slice(a, b);
      if (HYPOTHETICAL_RE.test(clause) || GENERIC_RE.test(clause)) continue;
      if (sentenceEndsWithQuestion(text, end)) continue;
      if (p.action === 'tp_hit' && ENTRY_BEFORE_RE.test(text.slice(Math.max(0, start - 12), start))) continue;
      let action = p.action;
      let stopLoss: number | null = null;
      let breakeven = false;
      if (action === 'close') {
        const after = text.slice(end, end + 30);
        if (PARTIAL_AFTER_RE.test(after) || PARTIAL_BEFORE_RE.test(text.slice(Math.max(0, start - 20), start))) action = 'other';
      } else if (action === 'move_sl') {
        const rest = lineRest(text, start);
        breakeven = BE_RE.test(rest.slice(0, 60));
        const tail = rest.slice(m[0].length);
        const nums = scanNumbers(tail, cyrillic).filter(isPrice);
        const first = nums[0];
        // `move SL to TP1` names no price; `move stop to 0.51 (TP1)` and `SL to TP1 (0.51)` do
        const tpRef = TP_REF_RE.exec(tail.slice(0, 30));
        const priceGiven =
          first !== undefined &&
          (tpRef === null || first.start < tpRef.index || PRICE_AFTER_REF_RE.test(tail.slice(tpRef.index + tpRef[0].length, first.start)));
        if (tpRef !== null && !priceGiven && !breakeven) {
          action = 'other';
        } else if (first !== undefined && priceGiven) {
          stopLoss = first.value;
        } else if (!breakeven) {
          continue; // "always set a stop loss" says nothing about a trade
        }
      }
      const cand: UpdateMatch = { action, strong: p.strong && action === p.action, stopLoss, breakeven };
      if (best === null || RANK[cand.action] < RANK[best.action]) best = cand;
      else if (RANK[cand.action] === RANK[best.action] && cand.strong && !best.strong) best = cand;
    }
  }
  return best;
}
