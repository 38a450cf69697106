/**
 * The Paper exchange's bundled market snapshot (markets.json): Bybit-like
 * linear USDT perpetuals with tick size, quantity step, limits, leverage and
 * fees, plus a rough reference price per symbol that seeds the simulated walk.
 */
import { MarketNotFound, type Market } from '../../models/index.js';
import snapshot from './markets.json' with { type: 'json' };

interface SnapshotMarket extends Market {
  refPrice: number;
}

function toMarket(m: SnapshotMarket): Market {
  return {
    symbol: m.symbol,
    exchangeSymbol: m.exchangeSymbol,
    base: m.base,
    quote: m.quote,
    settle: m.settle,
    tickSize: m.tickSize,
    stepSize: m.stepSize,
    minQty: m.minQty,
    maxQty: m.maxQty,
    minNotional: m.minNotional,
    maxLeverage: m.maxLeverage,
    contractSize: m.contractSize,
    takerFee: m.takerFee,
    makerFee: m.makerFee,
    active: m.active,
  };
}

const SNAPSHOT = snapshot.markets as SnapshotMarket[];

/** The bundled markets (fresh copies: callers may not mutate the snapshot). */
export function bundledMarkets(): Market[] {
  return SNAPSHOT.map(toMarket);
}

/** Reference price per unified symbol, from the snapshot. */
export function bundledReferencePrices(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of SNAPSHOT) out[m.symbol] = m.refPrice;
  return out;
}

/** A symbol -> market index that throws MarketNotFound with a clear message. */
export class MarketIndex {
  private readonly bySymbol = new Map<string, Market>();

  constructor(markets: readonly Market[]) {
    for (const m of markets) {
      this.bySymbol.set(m.symbol, m);
      this.bySymbol.set(m.exchangeSymbol, m);
    }
  }

  list(): Market[] {
    const seen = new Set<Market>();
    for (const m of this.bySymbol.values()) seen.add(m);
    return [...seen];
  }

  find(symbol: string): Market | undefined {
    return this.bySymbol.get(symbol);
  }

  get(symbol: string): Market {
    const m = this.bySymbol.get(symbol);
    if (!m || !m.active) {
      throw new MarketNotFound(`the Paper exchange has no market ${JSON.stringify(symbol)} (expected a symbol like "BTC/USDT")`, {
        exchange: 'paper',
        operation: 'market',
        details: { symbol },
      });
    }
    return m;
  }
}
