/**
 * Unified symbols ("BTC/USDT", the form signals use) <-> each exchange's ccxt
 * symbols. Pure: built from the loaded markets.
 *
 * - Bybit linear perps: "BTC/USDT" <-> "BTC/USDT:USDT"; "1000PEPE/USDT" <-> "1000PEPE/USDT:USDT".
 * - HyperLiquid perps are USDC-margined: "BTC/USDT" (and "BTC/USDC") -> "BTC/USDC:USDC";
 *   markets quoted in thousands carry a lowercase k ("kPEPE", ccxt base "KPEPE"), which is
 *   "1000PEPE" everywhere else: "1000PEPE/USDT" <-> "KPEPE/USDC:USDC".
 *   The unified symbol of a HyperLiquid market is always BASE/USDT, so positions and
 *   orders compare equal with the signal's symbol.
 */

export interface SymbolMarketInfo {
  /** ccxt symbol, e.g. "KPEPE/USDC:USDC". */
  symbol: string;
  base: string;
  quote: string;
  settle: string;
  /** The exchange's own coin name when it differs in case (HyperLiquid "kPEPE"). */
  baseName?: string;
}

export interface ParsedSymbol {
  base: string;
  quote: string;
}

const QUOTES = ['USDT', 'USDC', 'USD'];

/** Parse "BTC/USDT", "BTC/USDT:USDT", "BTCUSDT", "btc-usdt" into base/quote (uppercased). */
export function parseUnifiedSymbol(input: string): ParsedSymbol | null {
  const s = input.trim().toUpperCase().replace(/\s+/g, '');
  if (!s) return null;
  const noSettle = s.split(':')[0] ?? '';
  const sep = noSettle.match(/^([A-Z0-9]+)[/\-_]([A-Z0-9]+)$/);
  if (sep) return { base: sep[1]!, quote: sep[2]! };
  for (const q of QUOTES) {
    if (noSettle.endsWith(q) && noSettle.length > q.length && /^[A-Z0-9]+$/.test(noSettle)) {
      return { base: noSettle.slice(0, -q.length), quote: q };
    }
  }
  return null;
}

/** Multiplier prefixes used for low-priced coins: 1000PEPE, 10000SATS, 1000000MOG. */
const MULTIPLIER = /^(1000|10000|100000|1000000)([A-Z][A-Z0-9]*)$/;
/** Bybit's suffix form of the same idea: SHIB1000 is 1000SHIB. */
const SUFFIX_MULTIPLIER = /^([A-Z][A-Z0-9]*?)(1000|10000|100000|1000000)$/;

export type SymbolVenue = 'bybit' | 'hyperliquid';

export class SymbolMap {
  private readonly byCcxt = new Map<string, SymbolMarketInfo>();
  /** key "BASE" -> market, for the venue's settle currency. */
  private readonly byBase = new Map<string, SymbolMarketInfo>();

  constructor(
    readonly venue: SymbolVenue,
    markets: SymbolMarketInfo[],
  ) {
    const settle = venue === 'bybit' ? 'USDT' : 'USDC';
    for (const m of markets) {
      this.byCcxt.set(m.symbol, m);
      if (m.settle === settle && m.quote === settle) this.byBase.set(m.base.toUpperCase(), m);
    }
  }

  /** ccxt symbol for a unified symbol, or null when the exchange has no such market. */
  toExchange(unified: string): string | null {
    const p = parseUnifiedSymbol(unified);
    if (!p) return null;
    if (this.venue === 'bybit') {
      if (p.quote !== 'USDT') return null; // only USDT-settled linear perpetuals
      const direct = this.byBase.get(p.base);
      if (direct) return direct.symbol;
      const mult = p.base.match(MULTIPLIER);
      // Bybit writes a few multiplier markets suffix-first: 1000SHIB -> SHIB1000.
      if (mult) return this.byBase.get(`${mult[2]}${mult[1]}`)?.symbol ?? null;
      const suffix = p.base.match(SUFFIX_MULTIPLIER);
      if (suffix) return this.byBase.get(`${suffix[2]}${suffix[1]}`)?.symbol ?? null;
      // A HyperLiquid-style "kPEPE" signal -> Bybit's 1000PEPE.
      if (p.base.startsWith('K')) return this.byBase.get(`1000${p.base.slice(1)}`)?.symbol ?? null;
      return null;
    }
    // HyperLiquid: USDT and USDC signals both trade the USDC perp.
    if (p.quote !== 'USDT' && p.quote !== 'USDC') return null;
    const direct = this.byBase.get(p.base);
    if (direct && !this.isThousandsMarket(direct)) return direct.symbol;
    const mult = p.base.match(MULTIPLIER);
    if (mult && mult[1] === '1000') {
      const k = this.byBase.get(`K${mult[2]}`);
      if (k && this.isThousandsMarket(k)) return k.symbol;
    }
    // "KPEPE/USDT" written the HyperLiquid way.
    if (direct) return direct.symbol;
    return null;
  }

  /** Unified symbol ("BASE/USDT") of a ccxt market symbol of this venue. */
  toUnified(ccxtSymbol: string): string {
    const m = this.byCcxt.get(ccxtSymbol);
    if (!m) {
      const p = parseUnifiedSymbol(ccxtSymbol);
      return p ? `${p.base}/USDT` : ccxtSymbol;
    }
    if (this.venue === 'hyperliquid' && this.isThousandsMarket(m)) return `1000${m.base.slice(1)}/USDT`;
    const suffix = m.base.match(SUFFIX_MULTIPLIER);
    if (suffix) return `${suffix[2]}${suffix[1]}/USDT`;
    return `${m.base}/USDT`;
  }

  has(ccxtSymbol: string): boolean {
    return this.byCcxt.has(ccxtSymbol);
  }

  /** HyperLiquid "kPEPE": priced per 1,000 coins (lowercase k in the exchange's own name). */
  private isThousandsMarket(m: SymbolMarketInfo): boolean {
    return this.venue === 'hyperliquid' && typeof m.baseName === 'string' && /^k[A-Z0-9]+$/.test(m.baseName);
  }
}
