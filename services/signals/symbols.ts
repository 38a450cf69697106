/**
 * Symbol spellings: `#BTC/USDT`, `BTCUSDT`, `$SOL`, `BTC-USDT`, `BTC/USDT.P`,
 * `SOL-USDT-PERP`, `1000PEPEUSDT`, `Coin: #OP/USDT`, `FHE/ USDT`, bare `ETH`.
 *
 * Candidates come in tiers, strongest first: pairs (base + quote), cash/hash
 * tags (`$SOL`, `#OP`), labelled (`Coin: OP`), bare tickers (known coins, or an
 * upper-case word next to LONG/SHORT). The strongest non-empty tier wins; two
 * different bases in it make the message ambiguous.
 */

const QUOTES = 'USDT|USDC|BUSD|FDUSD|USD|BTC|ETH|EUR|PERP';
const GLUED_QUOTES = 'USDT|USDC|BUSD|FDUSD|USD|PERP';
const SAFE_QUOTES = new Set(['USDT', 'USDC', 'BUSD', 'FDUSD', 'PERP']);
const SUFFIX = '(?:[.\\-_:](?:P|PERP|USDT|SWAP))?';

const PAIR_RE = new RegExp(
  `(?<![\\p{L}\\p{N}])[#$]?([A-Za-z0-9]{1,15}?) ?[/\\-_] ?(${QUOTES})${SUFFIX}(?![\\p{L}\\p{N}])`,
  'giu',
);
const GLUED_RE = new RegExp(
  `(?<![\\p{L}\\p{N}])[#$]?([A-Za-z0-9]{2,15}?)(${GLUED_QUOTES})${SUFFIX}(?![\\p{L}\\p{N}])`,
  'giu',
);
const TAG_RE = /(?<![\p{L}\p{N}])[#$]([A-Za-z][A-Za-z0-9]{0,14}|\d+[A-Za-z][A-Za-z0-9]*)(?:\.P)?(?![\p{L}\p{N}])/gu;
const BARE_RE = /(?<![\p{L}\p{N}#$])([A-Z][A-Z0-9]{1,9}|\d{2,7}[A-Z]{2,8})(?![\p{L}\p{N}])/gu;
const LOWER_KNOWN_RE =
  /(?<![\p{L}\p{N}#$])(btc|eth|sol|xrp|bnb|doge|ada|avax|ltc|trx|pepe|shib|sui|apt|arb|inj|tia|wif|ton|bitcoin|ethereum|ether|solana|биткоин\p{L}*|биткойн\p{L}*|биток\p{L}*|эфир\p{L}*|эфириум\p{L}*)(?![\p{L}\p{N}])/gu;
const SYMBOL_LABEL_RE =
  /(?<![\p{L}\p{N}])(?:coin|pair|symbol|asset|token|ticker|instrument|монета|пара|актив|тикер|инструмент)(?:[ \t]+(?:name|название))?\s*[:=-]?\s*[#$]?([A-Za-z0-9]{2,15})(?![\p{L}\p{N}])/giu;
const SIDE_NEAR_RE =
  /(?<![\p{L}\p{N}])(?:long|short|buy|sell|лонг|шорт)\s*[:-]?\s*[#$]?([A-Z][A-Z0-9]{1,9})(?![\p{L}\p{N}])|(?<![\p{L}\p{N}#$])([A-Z][A-Z0-9]{1,9})\s*[:-]?\s*(?:long|short|buy|sell|лонг|шорт)(?![\p{L}])/giu;
/** Cheap test for SIDE_NEAR_RE (speed only). */
const SIDE_NEAR_PRE = /long|short|buy|sell|лонг|шорт/i;
const LINE_HEAD_RE = /(?:^|\n)[^\S\n]*[#$]?([A-Z][A-Z0-9]{1,9}):/gu;

const NAMES: Record<string, string> = {
  BITCOIN: 'BTC',
  ETHEREUM: 'ETH',
  ETHER: 'ETH',
  SOLANA: 'SOL',
};

/** Well-known tickers accepted without `#`/`$`/quote (upper case only). */
const KNOWN = new Set(
  (
    'BTC ETH SOL XRP BNB DOGE ADA AVAX LINK DOT LTC TRX TON SHIB PEPE WIF BONK FLOKI SUI APT ARB OP INJ TIA SEI NEAR ' +
    'ATOM FIL ICP HBAR VET ALGO XLM XMR ETC BCH EOS AAVE UNI MKR CRV LDO SNX COMP SUSHI YFI DYDX GMX PENDLE JUP PYTH ' +
    'JTO RNDR RENDER FET AGIX OCEAN TAO WLD ORDI SATS STX IMX SAND MANA AXS GALA APE ENJ CHZ FLOW KAVA ZIL ZEC DASH ' +
    'NEO QTUM IOTA XTZ THETA EGLD FTM KAS MATIC POL RUNE TWT CAKE 1INCH GRT ENS BLUR STRK ZK ZRO ENA ETHFI ONDO JASMY ' +
    'NOT DOGS HMSTR TRUMP POPCAT MEW BOME BRETT TURBO NEIRO PNUT GOAT MOODENG VIRTUAL AIXBT HYPE KAITO BERA ' +
    'IP TRB BAND OM AR ROSE CELO CFX CKB CORE EIGEN ALT MANTA DYM ZETA XAI PIXEL PORTAL SAGA AEVO W TNSR OMNI REZ BB ' +
    '1000PEPE 1000SHIB 1000BONK 1000FLOKI 1000SATS 1000LUNC LUNC LUNA USTC ID RDNT SSV LQTY HOOK MAGIC GMT MINA ' +
    'ICX ONT WAVES KSM SKL ANKR COTI CELR DENT OGN LRC BAT ZRX STORJ RSR AUDIO API3 UMA BAL KNC SXP WOO MASK C98 ' +
    'GLM LPT ASTR MOVR GLMR ACH HIGH PERP SPELL JOE AGLD ARKM CYBER NTRN MEME ORCA RAY JITO BSV XEC XDC PAXG XAU'
  ).split(' '),
);

/** Exchange names: never a coin, whether written bare, as `#Bybit` or as `BYBIT:`. */
const EXCHANGES =
  'BINANCE BYBIT OKX OKEX MEXC BINGX BITGET KUCOIN GATE GATEIO HTX HUOBI KRAKEN PHEMEX WEEX BLOFIN LBANK BITMART ' +
  'COINEX BITMEX DERIBIT BITFINEX COINBASE BITSTAMP POLONIEX UPBIT BITHUMB ZOOMEX TOOBIT BITUNIX DEEPCOIN BTCC ' +
  'HYPERLIQUID WHITEBIT BITRUE PIONEX ASCENDEX CRYPTOCOM XT CORNIX TRADINGVIEW';

/** Upper-case words that are never tickers when written bare. */
const STOP = new Set(
  (
    'LONG SHORT BUY SELL TP TPS SL SLS ENTRY ENTRIES STOP LOSS TARGET TARGETS USDT USD USDC BUSD PERP SPOT FUTURES ' +
    'FUTURE LEVERAGE LEV CROSS ISOLATED CMP DCA VIP PNL ROI ATH ATL CPI PPI ETF FOMC FED NFA DYOR RSI MACD EMA SMA MA BB ' +
    'OB FVG TF HTF LTF NOW NEW HIT BE AND THE FOR NOT ALL UPDATE SIGNAL SIGNALS FREE PREMIUM RR RRR TA FA UTC GMT EST AM ' +
    'PM OK DM UP DOWN AT IN ON TO OF IS IT NO YES BINANCE BYBIT OKX MEXC BINGX BITGET KUCOIN GATE HTX ZONE PRICE MARKET ' +
    'LIMIT CLOSE CLOSED CANCEL CANCELLED BULLISH BEARISH PUMP DUMP ALERT NEWS TOTAL PROFIT X H1 H4 D1 W1 M15 M5 M30 1H ' +
    '4H 1D USA US EU UK SEC CEO AI ID NFT DEFI CEX DEX KYC API TOP HOLD BREAKOUT RETEST SUPPORT RESISTANCE TRADE TRADES ' +
    'SETUP SCALP SWING MID LOW HIGH OPEN WIN RISK AMOUNT EXCHANGE PAIR COIN TYPE SIDE DIRECTION MODE MARGIN TAKE DONE ' +
    'REACHED SMASHED HITS ALERTS GM GN LFG ASAP IMO FYI PS BTCD DXY SPX NASDAQ GOLD OIL WAIT WATCH CALL PUT ORDER ' +
    'ORDERS EXIT STOPLOSS NOTE NOTES REASON TIME PERIOD DURATION WARNING INFO DATE TIMEFRAME VOLUME ORDERS_ BOTH MY OUR YOU WE I A AN IF SO OR BUT BY AS BE DO GO Q1 Q2 Q3 Q4 PERPETUAL DAILY WEEKLY MONTHLY RESULTS ' +
    EXCHANGES
  ).split(' '),
);

/** Words that look like a pair base in `LONG-BTC` or `BUY/USDT`. */
const PAIR_STOP = new Set('LONG SHORT BUY SELL ENTRY STOP TP SL TARGET TARGETS PRICE PAIR COIN SIDE TO IN AT ON FOR'.split(' '));

const TAG_STOP = new Set(
  (
    'SIGNAL SIGNALS VIP CRYPTO NEWS UPDATE LONG SHORT TRADE TRADING FREE PREMIUM GIVEAWAY RESULTS RESULT SPOT FUTURES ' +
    'FUTURE BINANCE BYBIT OKX MEXC BINGX BITGET KUCOIN ALTCOIN ALTCOINS ALTS SCALP SWING ANALYSIS TA EDUCATION PROMO AD ' +
    'ADS BREAKOUT ALERT PUMP GEM GEMS DEFI NFT WEB3 AIRDROP CRYPTOCURRENCY BITCOINNEWS PROFIT REPORT POLL UPDATES ' +
    'NFA DYOR LEVERAGE ' +
    EXCHANGES
  ).split(' '),
);

/** Words never read as a ticker in some position (for tests and tools that generate tickers). */
export function isReservedWord(word: string): boolean {
  const w = word.toUpperCase();
  return STOP.has(w) || TAG_STOP.has(w) || PAIR_STOP.has(w);
}

export interface SymbolPick {
  /** `BASE/QUOTE`, upper case; null when none was found. */
  symbol: string | null;
  /** More than one distinct base in the strongest tier. */
  ambiguous: boolean;
}

function normBase(raw: string): string | null {
  let base = raw.toUpperCase();
  if (base.endsWith('.P')) base = base.slice(0, -2);
  if (!/[A-Z]/.test(base)) return null;
  if (base === 'USDT' || base === 'USD' || base === 'USDC' || base === 'BUSD' || base === 'PERP') return null;
  return NAMES[base] ?? base;
}

function normQuote(raw: string): string {
  const q = raw.toUpperCase();
  return q === 'PERP' ? 'USDT' : q;
}

interface Candidate {
  base: string;
  quote: string;
  at: number;
}

function collect(re: RegExp, text: string, fn: (m: RegExpExecArray) => Candidate | null): Candidate[] {
  re.lastIndex = 0;
  const out: Candidate[] = [];
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const c = fn(m);
    if (c !== null) out.push(c);
  }
  return out;
}

const PAIR_PRE = /usd|perp|btc|eth|eur/i;
const GLUED_QUOTE_END_RE = /(?:USDT|USDC|BUSD|FDUSD|USD)$/;
/** `$65K`, `#100M`: an amount, not a coin. */
const AMOUNT_TAG_RE = /^\d+[KMB]$/;
const GLUED_PRE = /usd|perp/i;

function pairCandidates(text: string): Candidate[] {
  if (!PAIR_PRE.test(text)) return [];
  const pairs = collect(PAIR_RE, text, (m) => {
    const rawBase = m[1] ?? '';
    let base = normBase(rawBase);
    let quote = normQuote(m[2] ?? '');
    // `BTCUSDT_PERP`, `ETHUSD-PERP`: the quote is glued to the base, PERP only says perpetual
    const glued = (m[2] ?? '').toUpperCase() === 'PERP' && base !== null ? GLUED_QUOTE_END_RE.exec(base) : null;
    if (glued !== null && base !== null && glued.index > 0) {
      quote = glued[0];
      base = base.slice(0, glued.index);
    }
    if (base === null || base === quote || PAIR_STOP.has(base)) return null;
    // lower-case pairs only with a distinctive quote or a known base (`long/short` is not a pair)
    const upper = rawBase !== rawBase.toLowerCase();
    if (!upper && !SAFE_QUOTES.has((m[2] ?? '').toUpperCase()) && !KNOWN.has(base)) return null;
    return { base, quote, at: m.index };
  });
  if (!GLUED_PRE.test(text)) return pairs;
  const glued = collect(GLUED_RE, text, (m) => {
    const base = normBase(m[1] ?? '');
    if (base === null) return null;
    return { base, quote: normQuote(m[2] ?? ''), at: m.index };
  });
  return [...pairs, ...glued];
}

function tagCandidates(text: string): Candidate[] {
  return collect(TAG_RE, text, (m) => {
    const base = normBase(m[1] ?? '');
    if (base === null || TAG_STOP.has(base) || AMOUNT_TAG_RE.test(base)) return null;
    return { base, quote: 'USDT', at: m.index };
  });
}

function labelCandidates(text: string): Candidate[] {
  return collect(SYMBOL_LABEL_RE, text, (m) => {
    const base = normBase(m[1] ?? '');
    if (base === null || STOP.has(base)) return null;
    return { base, quote: 'USDT', at: m.index };
  });
}

function bareCandidates(text: string): Candidate[] {
  const known = collect(BARE_RE, text, (m) => {
    const base = m[1] ?? '';
    return KNOWN.has(base) && !STOP.has(base) ? { base, quote: 'USDT', at: m.index } : null;
  });
  const lower = collect(LOWER_KNOWN_RE, text, (m) => {
    const w = (m[1] ?? '').toLowerCase();
    let base = w.toUpperCase();
    if (w.startsWith('битко') || w.startsWith('биток')) base = 'BTC';
    else if (w.startsWith('эфир')) base = 'ETH';
    else base = NAMES[base] ?? base;
    return { base, quote: 'USDT', at: m.index };
  });
  const near = !SIDE_NEAR_PRE.test(text) ? [] : collect(SIDE_NEAR_RE, text, (m) => {
    const raw = m[1] ?? m[2] ?? '';
    if (raw !== raw.toUpperCase()) return null;
    const base = normBase(raw);
    if (base === null || STOP.has(base)) return null;
    return { base, quote: 'USDT', at: m.index };
  });
  const heads = !text.includes(':') ? [] : collect(LINE_HEAD_RE, text, (m) => {
    const base = normBase(m[1] ?? '');
    if (base === null || STOP.has(base) || /^(?:TP|SL|T|E)\d+$/.test(base)) return null;
    return { base, quote: 'USDT', at: m.index };
  });
  return [...known, ...lower, ...near, ...heads];
}

function pick(cands: Candidate[]): SymbolPick | null {
  if (cands.length === 0) return null;
  cands.sort((a, b) => a.at - b.at);
  const first = cands[0] as Candidate;
  const ambiguous = cands.some((c) => c.base !== first.base);
  return { symbol: `${first.base}/${first.quote}`, ambiguous };
}

/** Finds the message's symbol (see the module comment for the tiers). */
export function findSymbol(text: string): SymbolPick {
  return (
    pick(pairCandidates(text)) ??
    pick(tagCandidates(text)) ??
    pick(labelCandidates(text)) ??
    pick(bareCandidates(text)) ?? { symbol: null, ambiguous: false }
  );
}

/** Normalises one symbol spelling on its own (`btcusdt`, `$SOL`, `ETH-USDT.P`); null if none. */
export function normalizeSymbol(text: string): string | null {
  const p = findSymbol(text);
  return p.ambiguous ? null : p.symbol;
}
