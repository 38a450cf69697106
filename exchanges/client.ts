/**
 * The unified exchange client: the only way services reach an exchange.
 * Wraps one account's ExchangeAdapter; every call goes
 *   breaker check → limiter (account bucket of the op's class + host bucket)
 *   → adapter call with a timeout → metrics → error mapping,
 * reads and other idempotent calls are retried with backoff and jitter, and
 * orders follow placement.ts (look up by client order id, never a blind
 * re-send). Quantities and prices are rounded with the market's precision
 * and checked against its limits before anything is sent.
 *
 * The parts: client-call.ts (the guarded call path and retries),
 * client-writes.ts (orders, amend, protection, close) with
 * client-precision.ts (rounding and limit checks), client-leverage.ts (the
 * leverage / margin-mode cache), market-cache.ts (markets shared by every
 * client of an exchange) and adapter-context.ts (the adapter's own start-up
 * requests through the client).
 */
import { NotSupported, roundPrice, roundQty, type Balance, type Candle, type Fill, type Market, type Order, type OrderRequest, type Position, type RoundMode, type Ticker } from '../models/index.js';
import type { BindableAdapterContext } from './adapter-context.js';
import type { BreakerState, Breakers } from './breaker.js';
import { createCallPath } from './client-call.js';
import { createLeverageCache } from './client-leverage.js';
import { assertPositive, normalizeRequest } from './client-precision.js';
import { createClientWrites } from './client-writes.js';
import type { Clock, RateLimiter } from './limiter.js';
import type { ExchangeLimits } from './limits.js';
import type { MarketCache } from './market-cache.js';
import type { PlacementOptions } from './placement.js';
import type { RetryOptions } from './retry.js';
import type { AccountRef, CallObserver, ExchangeAdapter, KeyAudit } from './types.js';

export { createAdapterContext, type BindableAdapterContext } from './adapter-context.js';
export { toAppError } from './client-call.js';
export { checkedPrice, normalizeRequest } from './client-precision.js';
export { createMarketCache, type MarketCache } from './market-cache.js';

export interface ClientOptions {
  /** Backstop timeout per adapter call (default 20 s; ccxt has its own, shorter one). */
  timeoutMs?: number;
  /** Retries of reads, cancels and leverage/margin calls. */
  retry?: RetryOptions;
  placement?: PlacementOptions;
  /** How long a leverage / margin mode we set is trusted before being sent again (default 10 min). */
  leverageTtlMs?: number;
}

export interface PrecisionHelpers {
  roundPrice(symbol: string, price: number, mode?: RoundMode): Promise<number>;
  roundQty(symbol: string, quantity: number, mode?: RoundMode): Promise<number>;
  /** The request as it would be sent: rounded, checked; throws InvalidOrderSize. */
  normalize(request: OrderRequest): Promise<OrderRequest>;
}

/** What services call: the adapter's operations plus account, breaker and precision helpers. */
export interface ExchangeClient extends Omit<ExchangeAdapter, 'rateLimitStatus' | 'close' | 'auditKey'> {
  readonly account: AccountRef;
  auditKey(): Promise<KeyAudit>;
  /** Host (exchange) and account breakers, for "exchange is down" / "update your keys" messages. */
  breakerState(): { exchange: BreakerState; account: BreakerState };
  readonly precision: PrecisionHelpers;
  /** Forget remembered leverage / margin mode (e.g. the user changed it on the exchange). */
  forgetLeverage(symbol?: string): void;
}

/** Told when a client call starts and ends (the registry uses it to never evict a busy client). */
export interface ClientActivity {
  start(): void;
  end(): void;
}

export interface ClientDeps {
  ref: AccountRef;
  adapter: ExchangeAdapter;
  limiter: RateLimiter;
  breakers: Breakers;
  limits: ExchangeLimits;
  observer: CallObserver;
  clock: Clock;
  markets: MarketCache;
  random?: () => number;
  options?: ClientOptions;
  /** The context the adapter was built with: bound here so its start-up requests go through `call`. */
  context?: BindableAdapterContext;
  activity?: ClientActivity;
}

export function createExchangeClient(deps: ClientDeps): ExchangeClient {
  const { ref, adapter, breakers, clock } = deps;
  const options = deps.options ?? {};
  const leverageTtl = options.leverageTtlMs ?? 10 * 60_000;
  const exchange = adapter.id;
  const host = adapter.host;
  const leverage = createLeverageCache(clock, leverageTtl);
  const path = createCallPath(deps);
  const { retried } = path;

  function market(symbol: string): Promise<Market> {
    return deps.markets.get(symbol, () => retried('market', () => adapter.market(symbol)));
  }

  const writes = createClientWrites(deps, path, market);

  const client: ExchangeClient = {
    id: exchange,
    host,
    account: ref,

    async loadMarkets(reload) {
      const markets = await retried('loadMarkets', () => adapter.loadMarkets(reload));
      deps.markets.put(markets);
      return markets;
    },
    market,
    fetchTicker: (symbol): Promise<Ticker> => retried('fetchTicker', () => adapter.fetchTicker(symbol)),
    fetchCandles: (symbol, timeframe, since, limit): Promise<Candle[]> =>
      retried('fetchCandles', () => adapter.fetchCandles(symbol, timeframe, since, limit), limit === undefined ? {} : { limit }),
    fetchBalance: (): Promise<Balance> => retried('fetchBalance', () => adapter.fetchBalance()),
    fetchPositions: (symbols): Promise<Position[]> => retried('fetchPositions', () => adapter.fetchPositions(symbols)),
    fetchOpenOrders: (symbol): Promise<Order[]> => retried('fetchOpenOrders', () => adapter.fetchOpenOrders(symbol)),
    fetchOrder: (symbol, orderRef) => retried('fetchOrder', () => adapter.fetchOrder(symbol, orderRef)),
    ...(adapter.fetchFills
      ? { fetchFills: (symbol: string, since: number): Promise<Fill[]> => retried('fetchFills', () => adapter.fetchFills!(symbol, since)) }
      : {}),
    async auditKey() {
      const audit = adapter.auditKey?.bind(adapter);
      if (!audit) throw new NotSupported(`${exchange} does not report key permissions`, { exchange, operation: 'auditKey' });
      return retried('auditKey', () => audit());
    },

    placeOrder: writes.placeOrder,
    placeOrders: writes.placeOrders,
    amendOrder: writes.amendOrder,

    cancelOrder: (symbol, orderRef) => retried('cancelOrder', () => adapter.cancelOrder(symbol, orderRef)),
    cancelAllOrders: (symbol) => retried('cancelAllOrders', () => adapter.cancelAllOrders(symbol)),

    async setLeverage(symbol, lev) {
      assertPositive('leverage', lev, 'setLeverage');
      await leverage.setLeverage(symbol, lev, () => retried('setLeverage', () => adapter.setLeverage(symbol, lev)));
    },

    async setMarginMode(symbol, mode, lev) {
      assertPositive('leverage', lev, 'setMarginMode');
      await leverage.setMarginMode(symbol, mode, lev, () => retried('setMarginMode', () => adapter.setMarginMode(symbol, mode, lev)));
    },

    setPositionProtection: writes.setPositionProtection,
    closePosition: writes.closePosition,

    breakerState: () => ({ exchange: breakers.hostState(host), account: breakers.accountState(ref.accountId) }),

    precision: {
      roundPrice: async (symbol, price, mode) => roundPrice(await market(symbol), price, mode),
      roundQty: async (symbol, quantity, mode) => roundQty(await market(symbol), quantity, mode),
      normalize: async (request) => normalizeRequest(await market(request.symbol), request),
    },

    forgetLeverage(symbol) {
      leverage.forget(symbol);
    },
  };
  return client;
}
