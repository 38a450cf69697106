/**
 * What the Bybit and HyperLiquid adapters share, word for word: how a ccxt
 * instance is configured, the `.catch(fail(op))` error seam, start-up requests through the client's
 * limiter, the markets this instance trades (a unified view over a
 * SharedMarkets store, refreshed when stale), the ticker/candle reads and
 * closePosition. Each piece is built per adapter instance from its ccxt
 * object; nothing here knows an exchange's endpoints.
 */
import ccxt from 'ccxt';
import {
  MarketNotFound,
  OrderRejected,
  exitSide,
  type Candle,
  type Environment,
  type ExchangeId,
  type Market,
  type Order,
  type OrderRequest,
  type Position,
  type PositionSide,
  type Ticker,
} from '../../models/index.js';
import type { AdapterContext, AdapterInternalOp } from '../types.js';
import { mapCcxtError, overrideApiUrls, type AdapterLog, type FetchLike } from './base.js';
import { toCandle, toTicker, type CcxtMarketLike } from './map.js';
import type { SharedMarkets } from './market-store.js';
import { SymbolMap, type SymbolMarketInfo, type SymbolVenue } from './symbols.js';

/** What every adapter's ccxt instance is told (the market loaders' too). */
export interface CcxtInstanceOptions {
  environment: Environment;
  apiUrl?: string | undefined;
  fetchImpl?: FetchLike | undefined;
  timeoutMs?: number | undefined;
}

/**
 * A ccxt instance as every adapter needs it: no ccxt throttling (the unified
 * client throttles), never `verbose` (it logs API-key headers), no
 * currencies call, the environment's URLs (testnet: sandbox mode, demo: demo
 * trading), then `apiUrl` over every REST entry and the HTTP seam.
 */
export function newCcxtInstance(id: 'bybit' | 'hyperliquid', o: CcxtInstanceOptions, auth: Record<string, string>, options: Record<string, unknown>): any {
  const ex: any = new (ccxt as any)[id]({
    ...auth,
    enableRateLimit: false,
    timeout: o.timeoutMs ?? 10_000,
    verbose: false,
    options,
  });
  ex.has = { ...ex.has, fetchCurrencies: false };
  if (o.environment === 'testnet') ex.setSandboxMode(true);
  else if (o.environment === 'demo') ex.enableDemoTrading(true);
  if (o.apiUrl) overrideApiUrls(ex.urls, o.apiUrl);
  if (o.fetchImpl) ex.fetchImplementation = o.fetchImpl;
  return ex;
}

/** `promise.catch(fail(operation, market))`: rethrows what a ccxt call threw as our typed error. */
export type Fail = (operation: string, market?: Market) => (e: unknown) => never;

export function failFor(exchange: ExchangeId): Fail {
  return (operation, market) => (e) => {
    throw mapCcxtError(e, { exchange, operation, ...(market ? { market } : {}) });
  };
}

export type Throttle = <T>(op: AdapterInternalOp, fn: () => Promise<T>) => Promise<T>;

/** The adapter's own start-up requests go through the client's limiter when a context is given. */
export function throttleVia(context: AdapterContext | undefined): Throttle {
  return (op, fn) => (context ? context.throttle(op, fn) : fn());
}

/** Operations that need no markets in this instance. */
const NO_MARKETS = new Set(['loadMarkets', 'auditKey', 'detectAccount']);

interface View {
  symbols: SymbolMap;
  byUnified: Map<string, Market>;
}

export interface AdapterMarketsOptions<M extends CcxtMarketLike> {
  exchange: SymbolVenue;
  /** This adapter's ccxt instance. */
  ex: any;
  shared: SharedMarkets;
  /** Key of the unified view in the shared store. */
  viewKey: string;
  /** The ccxt markets this adapter trades. */
  select(all: M[]): M[];
  /** A traded market's SymbolMap entry. */
  entry(m: M): SymbolMarketInfo;
  toMarket(m: M, unified: string): Market;
  /** What MarketNotFound says the exchange has none of ("USDT perpetual", "perpetual"). */
  kind: string;
  fail: Fail;
  throttle: Throttle;
  log?: AdapterLog | undefined;
}

export interface AdapterMarkets {
  /** The unified view (null before the first load); brings this instance's ccxt markets up to the store's version. */
  view(): View | null;
  loadMarkets(reload?: boolean): Promise<Market[]>;
  market(symbol: string): Promise<Market>;
  /** ccxt symbol -> unified symbol (as-is before any load). */
  unifiedOf(ccxtSymbol: string | undefined): string;
  /**
   * The markets part of `prepare(op)`: markets in this instance (loaded once
   * for every instance, through the limiter, refreshed when stale). No
   * request once done.
   */
  refreshFor(op: string): Promise<void>;
}

export function adapterMarkets<M extends CcxtMarketLike>(o: AdapterMarketsOptions<M>): AdapterMarkets {
  const { ex, shared, fail } = o;

  /** This instance's ccxt markets follow the shared store; the unified view is computed once per load for all instances. */
  let appliedVersion = 0;
  function view(): View | null {
    if (shared.version === 0) return null;
    if (shared.applyTo(ex, appliedVersion)) appliedVersion = shared.version;
    return shared.derived(o.viewKey, () => {
      const traded = o.select(Object.values(ex.markets as Record<string, M>));
      const symbols = new SymbolMap(o.exchange, traded.map(o.entry));
      const byUnified = new Map<string, Market>();
      for (const m of traded) {
        const unified = symbols.toUnified(m.symbol);
        byUnified.set(unified, o.toMarket(m, unified));
      }
      return { symbols, byUnified };
    });
  }

  async function loadMarkets(reload = false): Promise<Market[]> {
    if (reload || shared.version === 0) await shared.load(reload).catch(fail('loadMarkets'));
    return [...view()!.byUnified.values()];
  }

  async function market(symbol: string): Promise<Market> {
    await loadMarkets();
    const v = view()!;
    const ccxtSymbol = v.symbols.toExchange(symbol);
    const m = ccxtSymbol ? v.byUnified.get(v.symbols.toUnified(ccxtSymbol)) : undefined;
    if (!m) {
      throw new MarketNotFound(`${o.exchange} has no ${o.kind} for ${symbol}`, { exchange: o.exchange, operation: 'market', details: { symbol } });
    }
    return m;
  }

  function unifiedOf(ccxtSymbol: string | undefined): string {
    const v = view();
    return ccxtSymbol && v ? v.symbols.toUnified(ccxtSymbol) : (ccxtSymbol ?? '');
  }

  async function refreshFor(op: string): Promise<void> {
    if (!NO_MARKETS.has(op) && shared.due()) {
      const hadMarkets = shared.version > 0;
      try {
        await shared.load(true, (fn) => o.throttle('loadMarkets', () => fn().catch(fail('loadMarkets'))));
      } catch (e) {
        // A failed refresh keeps the markets we have; without any, the operation cannot go on.
        if (!hadMarkets) throw e;
        o.log?.warn({ exchange: o.exchange, op: 'loadMarkets', error: (e as Error).message }, 'market refresh failed; using the markets loaded before');
      }
    }
    view();
  }

  return { view, loadMarkets, market, unifiedOf, refreshFor };
}

/** fetchTicker and fetchCandles: ccxt's unified reads on the market's ccxt symbol. */
export function marketReads(ex: any, market: (symbol: string) => Promise<Market>, fail: Fail) {
  return {
    async fetchTicker(symbol: string): Promise<Ticker> {
      const m = await market(symbol);
      const t = await ex.fetchTicker(m.exchangeSymbol).catch(fail('fetchTicker', m));
      return toTicker(t, m.symbol);
    },
    async fetchCandles(symbol: string, timeframe: string, since?: number, limit?: number): Promise<Candle[]> {
      const m = await market(symbol);
      const rows: number[][] = await ex.fetchOHLCV(m.exchangeSymbol, timeframe, since, limit).catch(fail('fetchCandles', m));
      return rows.map(toCandle);
    },
  };
}

/**
 * closePosition as a reduce-only market order on the closing side: the given
 * quantity, or the whole position as fetchPositions reports it (none open:
 * OrderRejected with details.reason 'no-position').
 */
export function closePositionWith(deps: {
  exchange: ExchangeId;
  market(symbol: string): Promise<Market>;
  fetchPositions(symbols?: string[]): Promise<Position[]>;
  placeOrder(r: OrderRequest): Promise<Order>;
}): (symbol: string, side: PositionSide, o: { quantity?: number; clientOrderId: string }) => Promise<Order> {
  const { exchange } = deps;
  return async function closePosition(symbol, side, o) {
    const m = await deps.market(symbol);
    let qty = o.quantity;
    if (qty === undefined) {
      const pos = (await deps.fetchPositions([symbol])).find((p) => p.side === side);
      if (!pos) {
        throw new OrderRejected(`${exchange} closePosition: no open ${side} position on ${m.symbol}`, {
          exchange,
          operation: 'closePosition',
          details: { reason: 'no-position', symbol: m.symbol, side },
        });
      }
      qty = pos.quantity;
    }
    return deps.placeOrder({ symbol, side: exitSide(side), type: 'market', quantity: qty, reduceOnly: true, clientOrderId: o.clientOrderId });
  };
}
