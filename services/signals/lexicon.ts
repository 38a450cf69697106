/**
 * Words the parser recognises, English and Russian, compiled once.
 * Boundaries use Unicode classes because `\b` does not know Cyrillic.
 */

/**
 * A pattern whose every match must start a word: what a leading `(?<![\p{L}\p{N}])`
 * says. V8 cannot quick-scan for a pattern's first characters when it begins with a
 * look-behind (3-8x slower on these texts), so the hot patterns drop it and check the
 * boundary here, with the same result.
 */
export class WordPattern {
  readonly re: RegExp;
  constructor(body: string, flags: string) {
    this.re = new RegExp(body, flags.includes('g') ? flags : `${flags}g`);
  }
  /** Restart `next` from the beginning of a text. */
  reset(): void {
    this.re.lastIndex = 0;
  }
  /** The next match at a word start after the previous one, or null. */
  next(s: string): RegExpExecArray | null {
    for (;;) {
      const m = this.re.exec(s);
      if (m === null) return null;
      if (atWordStart(s, m.index)) return m;
      // step one code point (a unicode pattern would step back into a surrogate pair)
      const c = s.charCodeAt(m.index);
      this.re.lastIndex = m.index + (c >= 0xd800 && c <= 0xdbff ? 2 : 1);
    }
  }
  test(s: string): boolean {
    this.re.lastIndex = 0;
    return this.next(s) !== null;
  }
}

const WORD_CHAR_RE = /[\p{L}\p{N}]/u;

/** True when no letter or digit stands right before `i` (`(?<![\p{L}\p{N}])`). */
export function atWordStart(s: string, i: number): boolean {
  if (i === 0) return true;
  const c = s.charCodeAt(i - 1);
  if (c < 0x80) return !((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a));
  const from = c >= 0xdc00 && c <= 0xdfff && i >= 2 ? i - 2 : i - 1;
  return !WORD_CHAR_RE.test(s.slice(from, i));
}

export function wordPattern(body: string, flags: string): WordPattern {
  return new WordPattern(body, flags);
}

/** Start of a word: not preceded by a letter or digit. */
const B = '(?<![\\p{L}\\p{N}])';
/** End of a word: not followed by a letter. */
const E = '(?![\\p{L}])';
const SP = '[ \\t]*';
/** Optional target/entry index after a label: `TP1`, `TP-1`, `TP #1`, `Target 1:`. */
const IDX = `(?:[-#№]?\\d{1,2}(?![\\d]|[.,]\\d)|[ \\t]+[#№]?\\d{1,2}(?![\\d]|[.,]\\d)(?=[ \\t]*[:)=\\-])|[ \\t]*\\(\\d{1,2}\\))?`;
/** A number follows (for emoji labels such as `💰 60000`, `🛑 58000`). */
const NUM_AHEAD = '(?=[ \\t]*[:=\\-]?[ \\t]*\\$?\\.?\\d)';

export type LabelKind = 'entry' | 'tp' | 'sl' | 'lev' | 'buy' | 'sell' | 'side' | 'symbol' | 'ignore' | 'price';

const ENTRY = [
  `entry${SP}(?:zone|price|point|range|area|levels?|targets?|orders?)?`,
  'entries',
  'enter(?:ing)?',
  `open(?:ing)?${SP}(?:price|at)`,
  // `Open: 92.50`, `Limit: 63,200`, `Limit price 0.45` (a colon or a number must follow)
  `open(?=${SP}[:=]${SP}\\$?\\d)`,
  `limit(?:${SP}(?:price|orders?|entry))?(?=${SP}[:=]?${SP}\\$?\\d)`,
  `accumulation${SP}zone`,
  'dca',
  'averag(?:e|ing)',
  `точк[аи]${SP}входа`,
  `зон[аы]${SP}входа`,
  `цена${SP}входа`,
  'вход(?:ы|им|а)?',
  'твх',
  `цена${SP}покупки`,
  `набор${SP}позиции`,
  'усреднени[ея]',
].join('|');

const TP = [
  `sell${SP}targets?`,
  `take[ \\t-]*profits?(?:${SP}(?:targets?|levels?|zones?))?`,
  `profit${SP}targets?`,
  't\\.?p\\.?s?',
  'targets?',
  'tgts?',
  'exits?',
  'цели',
  'цель',
  `тейк[ \\t-]*профит\\p{L}*`,
  'тейк\\p{L}*',
  'тп',
].join('|');

const SL = [
  `stop[ \\t-]*loss(?:es)?(?:${SP}targets?)?`,
  'stoploss',
  `stop[ \\t-]*(?:price|targets?|level)`,
  'stop',
  `s${SP}\\/${SP}l`,
  'sl',
  'invalidation',
  `стоп[ \\t-]*лосс\\p{L}*`,
  'стоп\\p{L}{0,2}',
  'сл',
].join('|');

const LEV = [`кредитное${SP}плечо`, 'плечо', 'плечом', 'leverage', 'lev', `margin(?:${SP}mode)?`].join('|');

// BUY/SELL are labels only when a number follows (`Buy: 0.51`, `Buy zone 27.4`);
// otherwise they are side words (`BUY ETHUSDT`, `Side: SELL`).
const BUYSELL_TAIL = `(?:${SP}(?:zone|range|area|between|around|at|price|limit|stop|orders?|above|below|under|over))?(?=[ \\t]*(?:[:=@\\-–][ \\t]*\\n?[ \\t]*)?\\$?\\.?\\d|[ \\t]*[:=][ \\t]*(?:cmp|market|now|по${SP}рынку)(?![\\p{L}]))`;
const BUY = `(?:buy|покупка|покупаем)${BUYSELL_TAIL}`;
const SELL = `(?:sell|продажа|продаем|продаём)${BUYSELL_TAIL}`;

const SIDE_LABEL = [
  'direction',
  'side',
  'position',
  `(?:trade|order|signal)${SP}type`,
  'type',
  'направление',
  'сторона',
  'позиция',
  `тип${SP}сделки`,
].join('|');

const SYMBOL_LABEL = ['coin', 'pair', 'symbol', 'asset', 'token', 'ticker', 'instrument', 'монета', 'пара', 'актив', 'тикер', 'инструмент'].join('|');

const IGNORE = [
  `risk(?:${SP}(?:management|level|reward|per${SP}trade))?`,
  'rm',
  `r${SP}[:\\/]${SP}r`,
  'rrr?',
  'exchanges?',
  'timeframe',
  `time${SP}frame`,
  'tf',
  'period',
  'duration',
  'time',
  'date',
  'amount',
  'capital',
  `wallet(?:${SP}size)?`,
  'volume',
  'size',
  `current${SP}price`,
  `price${SP}now`,
  `market${SP}cap`,
  'mcap',
  `win${SP}rate`,
  'profit',
  'loss',
  'pnl',
  'roi',
  'gain',
  'notes?',
  'reason',
  'analysis',
  'риск\\p{L}*',
  'биржа',
  'биржи',
  'таймфрейм',
  'тф',
  'объ[её]м',
  'депозит\\p{L}*',
  'прибыль',
  'профит',
  'убыток',
  'время',
  'период',
  'дата',
  'примечание',
  `signal${SP}(?:#|№|id)`,
].join('|');

/** One pass over the text finds every label; the capturing group says which kind. */
export const LABEL_RE = wordPattern(
  `(?:((?:${ENTRY})${IDX}|@|💰${NUM_AHEAD})|((?:${TP})${IDX}|🎯)|(${SL}|(?:🛑|⛔)\\uFE0F?${NUM_AHEAD})|(${LEV})|(${BUY})|(${SELL})|(${SIDE_LABEL})|(${SYMBOL_LABEL})|(${IGNORE})|((?:price|цена)(?=${SP}[:=])))${E}`,
  'giu',
);
export const LABEL_KINDS: readonly LabelKind[] = ['entry', 'tp', 'sl', 'lev', 'buy', 'sell', 'side', 'symbol', 'ignore', 'price'];

/** Side words. Phrases such as `short-term`, `long/short ratio`, `sell-off` are removed first. */
export const SIDE_EXCLUDE_RE = new RegExp(
  `${B}(?:long|short)(?:[ \\t-]+(?:term|time|run|awaited|way|wick|lasting|squeeze|liquidations?|ratio|story|list|position[ \\t]+ratio))${E}|` +
    `${B}longs?[ \\t]*\\/[ \\t]*shorts?${E}|${B}longs?[ \\t]+(?:and|or|&|vs\\.?)[ \\t]+shorts?${E}|` +
    `${B}sell[ \\t-]*off${E}|${B}in[ \\t]+the[ \\t]+long[ \\t]+run${E}|${B}buy[ \\t]+the[ \\t]+dip${E}|` +
    `${B}(?:лонг|шорт)\\p{L}*[ \\t]*\\/[ \\t]*(?:лонг|шорт)\\p{L}*`,
  'giu',
);
export const LONG_WORD_RE = wordPattern(
  `(?:long(?:s|ing)?|buy(?:ing)?|лонг\\p{L}{0,2}|покупк\\p{L}|покупаем|купить|в${SP}лонг)${E}`,
  'giu',
);
export const SHORT_WORD_RE = wordPattern(
  `(?:short(?:s|ing)?|sell(?:ing)?|шорт\\p{L}{0,2}|продаж\\p{L}|продаем|продаём|продать|в${SP}шорт)${E}`,
  'giu',
);
/** Emoji conventions, only read from the first line when no word gives the side. */
export const LONG_EMOJI_RE = /🟢|📈|⬆️|⬆|🔼|↗️|↗|🐂|💚/u;
export const SHORT_EMOJI_RE = /🔴|📉|⬇️|⬇|🔽|↘️|↘|🐻/u;

/** Market entries, anywhere in the message. */
export const MARKET_GLOBAL_RE = wordPattern(
  `(?:cmp|at${SP}market|by${SP}market|market${SP}(?:price|entry|order|buy|sell)|current${SP}(?:market${SP})?price|` +
    `(?:enter|entry|buy|sell|long|short)(?:[ \\t]+[#$]?[A-Za-z0-9]{2,15}(?:\\/[A-Za-z]{3,5})?)?[ \\t]+(?:now|immediately|asap)|instant${SP}execution|по${SP}рынку|(?:по|с|от)${SP}текущ\\p{L}*|рыночн\\p{L}*|вход${SP}сейчас)${E}`,
  'iu',
);
/** Market words inside an entry field (`Entry: market`, `Вход: по рынку`). */
export const MARKET_ENTRY_RE = /(?<![\p{L}\p{N}])(?:market|cmp|now|current|asap|instant\p{L}*|рын\p{L}*|текущ\p{L}*|сейчас)(?![\p{L}])/iu;
/** Breakout entries. */
export const ABOVE_RE = /(?<![\p{L}\p{N}])(?:above|over|выше|над|пробо\p{L}*\s+вверх)(?![\p{L}])/iu;
export const BELOW_RE = /(?<![\p{L}\p{N}])(?:below|under|ниже|под|пробо\p{L}*\s+вниз)(?![\p{L}])/iu;
export const BREAKOUT_RE = /(?<![\p{L}\p{N}])(?:breakout|break|пробо\p{L}*|buy[ \t]+stop|sell[ \t]+stop)(?![\p{L}])/iu;

export const ISOLATED_RE = /(?<![\p{L}\p{N}])(?:isolated|isolate|iso|изолир\p{L}*)(?![\p{L}])/iu;
export const CROSS_RE =
  /(?<![\p{L}\p{N}])(?<!(?:golden|death|ema|ma|sma|macd|bullish|bearish)[ \t]+)(?:cross(?:ed)?|кросс\p{L}*)(?![\p{L}])(?![ \t]+(?:above|below|over|under))/iu;

/** Leverage written anywhere: `10x`, `x10`, `15х`, ranges `20x - 50x`, `5-10x`, `x10-x20`. */
export const LEV_RANGE_RE =
  /(?<![\p{L}\p{N}.])[xх×]?[ \t]?(\d{1,3})[ \t]*[xх×]?[ \t]*(?:-|–|to|\/|~)[ \t]*[xх×]?[ \t]?(\d{1,3})[ \t]*[xх×](?![\p{L}\p{N}])|(?<![\p{L}\p{N}.])[xх×](\d{1,3})[ \t]*(?:-|–|to|\/|~)[ \t]*[xх×]?(\d{1,3})(?![\p{L}\p{N}.])/iu;
export const LEV_SINGLE_RE =
  /(?<![\p{L}\p{N}.,])(\d{1,3})[ \t]?[xх×](?![\p{L}\p{N}])|(?<![\p{L}\p{N}])[xх×][ \t]?(\d{1,3})(?![\p{L}\p{N}.,])/iu;
/** Numbers inside a leverage field: `Cross 25x`, `20x - 50x`, `x10`, `10`. */
export const LEV_FIELD_NUM_RE = /(?<![\p{L}\p{N}.])[xх×]?[ \t]?(\d{1,3}(?:\.\d+)?)(?![\d.,]*\s?%)/giu;

/** Not a trade, whatever else the message holds. */
export const EDUCATION_RE = wordPattern(
  `(?:what${SP}is${SP}(?:a|an|the)?|what'?s${SP}a|how${SP}to${SP}(?:read|use|set|place|trade|calculate|manage|follow|copy)|lesson|tutorial|for${SP}example|e\\.g\\.|examples?(?![\\p{L}])|` +
    `что${SP}такое|как${SP}(?:читать|торговать|ставить|пользоваться|использовать|копировать|входить)|урок(?![\\p{L}])|например|пример(?![\\p{L}])|обучени\\p{L}*)`,
  'iu',
);
export const PROMO_RE = wordPattern(
  `(?:giveaway|join${SP}(?:our|us|now|the|vip|premium|today)|vip${SP}(?:channel|group|members?|access|signals?|spots?)|` +
    `premium${SP}(?:channel|group|signals?|members?|access)|subscribe|subscription|dm${SP}@|dm${SP}me|contact${SP}@|` +
    `link${SP}in${SP}bio|limited${SP}(?:spots|offer|seats)|only${SP}\\d+${SP}spots|discount|promo(?:code)?|referral|` +
    `sign${SP}up|register|bonus|airdrop|free${SP}(?:signals|vip|trial)|розыгрыш\\p{L}*|подпис\\p{L}+|вступ\\p{L}+|` +
    `скидк\\p{L}*|реклам\\p{L}*|промокод\\p{L}*|бонус\\p{L}*|реферал\\p{L}*|пиши(?:те)?${SP}@|регистр\\p{L}+|` +
    `приглаша\\p{L}*|присоединя\\p{L}*)`,
  'iu',
);
export const NEWS_RE = wordPattern(
  `(?:delist\\p{L}*|listing|lists|announce\\p{L}*|news|breaking${SP}news|новост\\p{L}*|листинг\\p{L}*|делистинг\\p{L}*|листит)${E}`,
  'iu',
);
/** The author says it is not a trade call. */
export const DISCLAIMER_RE = wordPattern(
  `(?:not${SP}a${SP}(?:signal|trade${SP}call|call)|no${SP}signal|just${SP}(?:my${SP})?(?:an${SP})?idea|не${SP}(?:является${SP})?сигнал\\p{L}*|не${SP}торговая${SP}рекомендация)${E}`,
  'iu',
);
/** Opinion words: an unlabelled `short ETH from 3600` inside commentary is not a plan. */
export const COMMENTARY_RE = wordPattern(
  `(?:looks?|might|could|maybe|would|perhaps|if|think|expect\\p{L}*|watch\\p{L}*|wait\\p{L}*|should|possibly|` +
    `(?:our|my)${SP}(?:long|short)|(?:we['’]?re|we${SP}are|i['’]?m|i${SP}am)${SP}(?:long|short|in)|holding|` +
    `(?:мы|я)${SP}в${SP}(?:лонге|шорте|позиции|сделке)|держим|` +
    `возможно|может|думаю|жд[уёе]\\p{L}*|если|смотрю|наблюда\\p{L}*|стоит)${E}`,
  'iu',
);
export const RECAP_RE = wordPattern(
  `(?:results?|recap|report|statistics?|stats|summary|weekly|monthly|this${SP}week|last${SP}week|this${SP}month|` +
    `win${SP}rate|winrate|accuracy|total${SP}(?:profit|gain|pnl|return)|итог\\p{L}*|результат\\p{L}*|статистик\\p{L}*|` +
    `отч[её]т\\p{L}*|за${SP}неделю|за${SP}месяц|винрейт\\p{L}*)${E}`,
  'iu',
);

/**
 * Cheap first tests (plain alternations, no look-behind): when one fails, the
 * matching full pattern above cannot match either, so it is skipped. Speed only.
 */
export const PRE = {
  education: /what|how|lesson|tutorial|example|e\.g|такое|как|урок|пример|обучен/i,
  disclaimer: /signal|idea|сигнал|рекоменд/i,
  market: /cmp|market|price|now|immediately|asap|instant|рынк|текущ|рыночн|сейчас/i,
  sideExclude: /term|time|run|await|way|wick|lasting|squeeze|liquidat|ratio|story|list|\/|and|or|&|vs|off|dip/i,
  promo: /giveaway|join|vip|premium|subscri|dm|contact|link|limited|spots|discount|promo|referral|sign|regist|bonus|airdrop|free|розыгр|подпис|вступ|скидк|реклам|промокод|бонус|реферал|пиши|регистр|приглаш|присоедин/i,
  recap: /result|recap|report|statist|stats|summary|weekly|monthly|week|month|win|accuracy|total|итог|результат|статист|отч|недел|месяц|винрейт/i,
  news: /delist|listing|lists|announce|news|новост|листинг|делистинг|листит/i,
} as const;
