/**
 * The unified exchange client: the only way services reach an exchange.
 * Wraps one account's ExchangeAdapter; every call goes
 *   breaker check → limiter (account bucket of the op's class + host bucket)
 *   → adapter call with a timeout → metrics → error mapping,
 * reads and other idempotent calls are retried with backoff and jitter, and
 * orders follow placement.ts (look up by client order id, never a blind
 * re-send). Quantities and prices are rounded with the market's precision
 * and checked against its limits before anything is sent.
 */
import {
  ExchangeError,
  InvalidOrderSize,
  MarketNotFound,
  NetworkTimeout,
  NotSupported,
  OrderStateUnknown,
  RateLimited,
  ValidationError,
  isAppError,
  normalizeOrder,
  roundPrice,
  roundQty,
  type AppError,
  type Balance,
  type Candle,
  type MarginMode,
  type Market,
  type Order,
  type OrderRequest,
  type Position,
  type PositionSide,
  type RoundMode,
  type Ticker,
} from '../models/index.js';
import type { BreakerState, Breakers } from './breaker.js';
import type { Clock, RateLimiter } from './limiter.js';
import { OP_CLASS, type ClientOp, type CostContext, type ExchangeLimits } from './limits.js';
import { placeBatchIdempotent, placeIdempotent, type PlacementDeps, type PlacementOptions } from './placement.js';
import { withRetry, type RetryOptions } from './retry.js';
import type {
  AccountRef,
  AdapterContext,
  AdapterInternalOp,
  BatchItemResult,
  CallObserver,
  ExchangeAdapter,
  KeyAudit,
  PositionProtection,
  RateLimitStatus,
} from './types.js';

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

/** Markets are the same for every account of an exchange + environment: one cache for all. */
export interface MarketCache {
  get(symbol: string, load: () => Promise<Market>): Promise<Market>;
  put(markets: Market[]): void;
  clear(): void;
}

export function createMarketCache(options: { clock: Clock; ttlMs?: number }): MarketCache {
  const ttl = options.ttlMs ?? 60 * 60_000;
  const entries = new Map<string, { market: Market; at: number }>();
  const inflight = new Map<string, Promise<Market>>();
  return {
    get(symbol, load) {
      const hit = entries.get(symbol);
      if (hit && options.clock.now() - hit.at < ttl) return Promise.resolve(hit.market);
      const running = inflight.get(symbol);
      if (running) return running;
      const p = load().then(
        (market) => {
          entries.set(symbol, { market, at: options.clock.now() });
          inflight.delete(symbol);
          return market;
        },
        (e: unknown) => {
          inflight.delete(symbol);
          throw e;
        },
      );
      inflight.set(symbol, p);
      return p;
    },
    put(markets) {
      const at = options.clock.now();
      for (const m of markets) entries.set(m.symbol, { market: m, at });
    },
    clear() {
      entries.clear();
    },
  };
}

/**
 * An AdapterContext whose throttle is bound to a client after the adapter is
 * built (the adapter comes first: the client wraps it). Until bound — or for
 * an adapter used on its own — requests run unthrottled.
 */
export interface BindableAdapterContext extends AdapterContext {
  bind(runner: <T>(op: AdapterInternalOp, fn: () => Promise<T>) => Promise<T>): void;
}

export function createAdapterContext(): BindableAdapterContext {
  let runner: (<T>(op: AdapterInternalOp, fn: () => Promise<T>) => Promise<T>) | null = null;
  return {
    throttle: (op, fn) => (runner ? runner(op, fn) : fn()),
    bind(r) {
      runner = r;
    },
  };
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

const MAX_MESSAGE = 300;
const INTERNAL_OPS: ReadonlySet<string> = new Set<AdapterInternalOp>(['loadMarkets', 'detectAccount']);

/** Adapters already map to our errors; anything else becomes an ExchangeError with its message only. */
export function toAppError(raw: unknown, exchange: string, operation: string): AppError {
  if (isAppError(raw)) return raw;
  const message = raw instanceof Error ? raw.message : typeof raw === 'string' ? raw : 'unexpected failure';
  return new ExchangeError(`${exchange} ${operation}: ${message.slice(0, MAX_MESSAGE)}`, { exchange, operation });
}

function withTimeout<T>(clock: Clock, promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  if (!(ms > 0) || !Number.isFinite(ms)) return promise;
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(onTimeout()), ms);
    promise.then(
      (v) => {
        clock.clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clock.clearTimeout(timer);
        reject(e);
      },
    );
  });
}

function assertPositive(name: string, value: number, operation: string): void {
  if (!Number.isFinite(value) || value <= 0) throw new ValidationError(`${operation}: ${name} must be a positive number (got ${value})`);
}

/** Round a request's quantity and prices to the market and check its limits (throws InvalidOrderSize). */
export function normalizeRequest(market: Market, request: OrderRequest): OrderRequest {
  const n = normalizeOrder(market, { quantity: request.quantity, price: request.price ?? null, reduceOnly: request.reduceOnly ?? false });
  const out: OrderRequest = { ...request, quantity: n.quantity };
  if (n.price !== null) out.price = n.price;
  for (const key of ['stopLoss', 'takeProfit', 'triggerPrice'] as const) {
    const v = request[key];
    if (v !== undefined) out[key] = checkedPrice(market, key, v);
  }
  return out;
}

/** A price rounded to the market's tick; InvalidOrderSize when it is not a positive number after rounding. */
export function checkedPrice(market: Market, name: string, value: number): number {
  const rounded = Number.isFinite(value) ? roundPrice(market, value) : NaN;
  if (!(rounded > 0)) {
    throw new InvalidOrderSize(`${name} ${value} is not a valid price at tick ${market.tickSize} for ${market.symbol}`, {
      details: { symbol: market.symbol, tickSize: market.tickSize, [name]: value },
    });
  }
  return rounded;
}

export function createExchangeClient(deps: ClientDeps): ExchangeClient {
  const { ref, adapter, limiter, breakers, limits, clock } = deps;
  const options = deps.options ?? {};
  const random = deps.random ?? Math.random;
  const timeoutMs = options.timeoutMs ?? 20_000;
  const leverageTtl = options.leverageTtlMs ?? 10 * 60_000;
  const exchange = adapter.id;
  const host = adapter.host;
  const leverageSet = new Map<string, { leverage: number; at: number }>();
  const marginSet = new Map<string, { mode: MarginMode; leverage: number; at: number }>();

  function observe(op: string, ms: number, error: unknown, weight: number): void {
    try {
      deps.observer({
        exchange,
        accountId: ref.accountId,
        host,
        op,
        ms,
        ok: error === null,
        ...(error === null ? {} : { errorCode: isAppError(error) ? error.code : 'error' }),
        weight,
      });
    } catch {
      // metrics never break trading
    }
  }

  function accountKey(op: ClientOp): string {
    return `acct:${ref.accountId}:${OP_CLASS[op]}`;
  }

  /** Honour the exchange's own word on the remaining quota (Bybit X-Bapi-Limit-Status). */
  function afterCall(op: ClientOp, error: unknown): void {
    const now = clock.now();
    if (error instanceof RateLimited && error.details['scope'] === 'ip' && limits.host) {
      // The IP itself is refused (Bybit 403 "access too frequent"): stop everyone on this host.
      const hinted = error.details['retryAfterMs'];
      limiter.hold(`host:${host}`, now + (typeof hinted === 'number' && hinted > 0 ? hinted : (limits.ipBanMs ?? 60_000)));
      return;
    }
    if (!limits.account[OP_CLASS[op]]) return;
    let status: RateLimitStatus | null;
    try {
      status = adapter.rateLimitStatus?.() ?? null;
    } catch {
      status = null;
    }
    const window = limits.account[OP_CLASS[op]]?.windowMs ?? 1_000;
    // Cap holds: a skewed server clock must not freeze an account for long.
    const cap = now + 10 * window;
    if (status && status.remaining <= 0 && status.resetAt > now) {
      limiter.hold(accountKey(op), Math.min(status.resetAt, cap));
    } else if (error instanceof RateLimited) {
      const hinted = error.details['retryAfterMs'];
      limiter.hold(accountKey(op), Math.min(cap, now + (typeof hinted === 'number' && hinted > 0 ? hinted : window)));
    }
  }

  /** One guarded request, after the adapter got ready for it (its own requests guarded the same way). */
  async function call<T>(op: ClientOp, fn: () => Promise<T>, ctx?: CostContext): Promise<T> {
    deps.activity?.start();
    try {
      if (adapter.prepare && !INTERNAL_OPS.has(op)) {
        try {
          await adapter.prepare(op);
        } catch (e) {
          // Typed errors come from its guarded requests (observed there); anything else is a bug, observed here.
          if (!isAppError(e)) observe(op, 0, toAppError(e, exchange, op), 0);
          throw toAppError(e, exchange, op);
        }
      }
      return await guarded(op, fn, ctx);
    } finally {
      deps.activity?.end();
    }
  }

  /** Breaker, limiter, timeout, metrics, error mapping. No retries. */
  async function guarded<T>(op: ClientOp, fn: () => Promise<T>, ctx?: CostContext): Promise<T> {
    let permit;
    try {
      permit = breakers.enter(host, ref.accountId, { exchange, operation: op });
    } catch (e) {
      observe(op, 0, e, 0);
      throw e;
    }
    // An adapter with prepare() answers market() from the markets prepare loaded: no request.
    const cost = op === 'market' && adapter.prepare ? { host: 0, account: 0 } : limits.cost(op, ctx);
    const accountLimit = limits.account[OP_CLASS[op]];
    try {
      await limiter.acquire({
        account: accountLimit && cost.account > 0 ? { key: accountKey(op), limit: accountLimit, cost: cost.account } : undefined,
        host: limits.host && cost.host > 0 ? { key: `host:${host}`, limit: limits.host, cost: cost.host } : undefined,
      });
    } catch (e) {
      permit.neutral();
      throw toAppError(e, exchange, op);
    }
    const started = clock.now();
    try {
      const pending = fn();
      // A timed-out request may still settle later; nobody is listening then.
      pending.catch(() => undefined);
      const result = await withTimeout(
        clock,
        pending,
        timeoutMs,
        () => new NetworkTimeout(`${exchange} ${op} did not answer within ${timeoutMs} ms`, { exchange, operation: op }),
      );
      permit.success();
      observe(op, clock.now() - started, null, cost.host);
      afterCall(op, null);
      return result;
    } catch (raw) {
      const e = toAppError(raw, exchange, op);
      permit.failure(e);
      observe(op, clock.now() - started, e, cost.host);
      afterCall(op, e);
      throw e;
    }
  }

  // The adapter's own start-up requests (market load, account-type probe) go the same guarded way.
  deps.context?.bind((op, fn) => guarded(op, fn));

  function retried<T>(op: ClientOp, fn: () => Promise<T>, ctx?: CostContext): Promise<T> {
    return withRetry(() => call(op, fn, ctx), { ...options.retry, clock, random });
  }

  function market(symbol: string): Promise<Market> {
    return deps.markets.get(symbol, () => retried('market', () => adapter.market(symbol)));
  }

  function refuse(op: ClientOp, e: unknown): never {
    observe(op, 0, e, 0);
    throw e;
  }

  async function prepare(op: ClientOp, request: OrderRequest): Promise<OrderRequest> {
    if (typeof request.clientOrderId !== 'string' || request.clientOrderId.length === 0) {
      refuse(op, new ValidationError(`${op}: every order needs a deterministic clientOrderId`));
    }
    const m = await market(request.symbol);
    try {
      return normalizeRequest(m, request);
    } catch (e) {
      return refuse(op, e);
    }
  }

  const placement: PlacementDeps = {
    exchange,
    clock,
    random,
    options: options.placement ?? {},
    lookup: (symbol, clientOrderId) => call('fetchOrder', () => adapter.fetchOrder(symbol, { clientOrderId })),
  };

  const fresh = (at: number): boolean => clock.now() - at < leverageTtl;

  /**
   * One batch request per `limits.maxBatch` orders (Bybit: 10, its per-UID
   * batch quota per second), each priced by its own length. A chunk whose call
   * fails gives that error to each of its orders (placement looks them up).
   */
  async function sendBatch(reqs: OrderRequest[]): Promise<BatchItemResult[]> {
    const max = limits.maxBatch !== undefined && limits.maxBatch > 0 ? Math.floor(limits.maxBatch) : reqs.length;
    const one = (chunk: OrderRequest[]) =>
      call('placeOrders', () => adapter.placeOrders(chunk), {
        batchSize: chunk.length,
        withoutPrice: chunk.filter((r) => r.type === 'market' && r.price === undefined).length,
      });
    if (reqs.length <= max) return one(reqs);
    const chunks: OrderRequest[][] = [];
    for (let i = 0; i < reqs.length; i += max) chunks.push(reqs.slice(i, i + max));
    const results = await Promise.all(
      chunks.map(async (chunk): Promise<BatchItemResult[]> => {
        try {
          const r = await one(chunk);
          if (r.length === chunk.length) return r;
          throw new OrderStateUnknown(`placeOrders: adapter returned ${r.length} results for ${chunk.length} orders`, { exchange, operation: 'placeOrders' });
        } catch (e) {
          const error = e instanceof Error ? e : new Error(String(e));
          return chunk.map((request) => ({ ok: false as const, error, request }));
        }
      }),
    );
    return results.flat();
  }

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
    async auditKey() {
      const audit = adapter.auditKey?.bind(adapter);
      if (!audit) throw new NotSupported(`${exchange} does not report key permissions`, { exchange, operation: 'auditKey' });
      return retried('auditKey', () => audit());
    },

    async placeOrder(request) {
      const req = await prepare('placeOrder', request);
      const ctx: CostContext = req.type === 'market' && req.price === undefined ? { withoutPrice: 1 } : {};
      return placeIdempotent(placement, 'placeOrder', req, (r) => call('placeOrder', () => adapter.placeOrder(r), ctx));
    },

    async placeOrders(requests) {
      if (requests.length === 0) return [];
      const results: (BatchItemResult | undefined)[] = [];
      const valid: { index: number; request: OrderRequest }[] = [];
      for (const [index, request] of requests.entries()) {
        try {
          valid.push({ index, request: await prepare('placeOrders', request) });
        } catch (e) {
          if (e instanceof MarketNotFound || e instanceof InvalidOrderSize || e instanceof ValidationError) {
            results[index] = { ok: false, error: e, request };
          } else throw e;
        }
      }
      if (valid.length > 0) {
        const sent = await placeBatchIdempotent(placement, valid.map((v) => v.request), sendBatch);
        sent.forEach((r, i) => (results[valid[i]!.index] = r));
      }
      return requests.map((request, i) => results[i] ?? { ok: false, error: new ExchangeError('placeOrders: no result', { exchange }), request });
    },

    async amendOrder(symbol, id, changes) {
      const m = await market(symbol);
      const out: { price?: number; quantity?: number; triggerPrice?: number } = {};
      try {
        if (changes.price !== undefined) out.price = checkedPrice(m, 'price', changes.price);
        if (changes.triggerPrice !== undefined) out.triggerPrice = checkedPrice(m, 'triggerPrice', changes.triggerPrice);
        if (changes.quantity !== undefined) out.quantity = normalizeOrder(m, { quantity: changes.quantity, reduceOnly: true }).quantity;
      } catch (e) {
        refuse('amendOrder', e);
      }
      return call('amendOrder', () => adapter.amendOrder(symbol, id, out));
    },

    cancelOrder: (symbol, orderRef) => retried('cancelOrder', () => adapter.cancelOrder(symbol, orderRef)),
    cancelAllOrders: (symbol) => retried('cancelAllOrders', () => adapter.cancelAllOrders(symbol)),

    async setLeverage(symbol, leverage) {
      assertPositive('leverage', leverage, 'setLeverage');
      const known = leverageSet.get(symbol);
      if (known && known.leverage === leverage && fresh(known.at)) return;
      leverageSet.delete(symbol);
      await retried('setLeverage', () => adapter.setLeverage(symbol, leverage));
      leverageSet.set(symbol, { leverage, at: clock.now() });
    },

    async setMarginMode(symbol, mode, leverage) {
      assertPositive('leverage', leverage, 'setMarginMode');
      const known = marginSet.get(symbol);
      if (known && known.mode === mode && known.leverage === leverage && fresh(known.at)) return;
      marginSet.delete(symbol);
      leverageSet.delete(symbol);
      await retried('setMarginMode', () => adapter.setMarginMode(symbol, mode, leverage));
      const at = clock.now();
      marginSet.set(symbol, { mode, leverage, at });
      leverageSet.set(symbol, { leverage, at });
    },

    async setPositionProtection(symbol: string, side: PositionSide, protection: PositionProtection) {
      const m = await market(symbol);
      const out: PositionProtection = { ...protection };
      try {
        for (const key of ['stopLoss', 'takeProfit'] as const) {
          const v = protection[key];
          if (v !== undefined && v !== null) out[key] = checkedPrice(m, key, v);
        }
        if (protection.quantity !== undefined) out.quantity = normalizeOrder(m, { quantity: protection.quantity, reduceOnly: true }).quantity;
      } catch (e) {
        refuse('setPositionProtection', e);
      }
      // Not retried here: exchanges that implement protection as orders need the
      // caller's reconciliation by clientOrderId; the caller decides.
      return call('setPositionProtection', () => adapter.setPositionProtection(symbol, side, out));
    },

    async closePosition(symbol, side, closeOptions) {
      if (!closeOptions.clientOrderId) refuse('closePosition', new ValidationError('closePosition: a deterministic clientOrderId is required'));
      let quantity = closeOptions.quantity;
      if (quantity !== undefined) {
        const m = await market(symbol);
        try {
          quantity = normalizeOrder(m, { quantity, reduceOnly: true }).quantity;
        } catch (e) {
          refuse('closePosition', e);
        }
      }
      const side0 = side === 'long' ? 'sell' : 'buy';
      const asRequest: OrderRequest = {
        symbol,
        side: side0,
        type: 'market',
        quantity: quantity ?? 0,
        reduceOnly: true,
        clientOrderId: closeOptions.clientOrderId,
      };
      const opts = quantity === undefined ? { clientOrderId: closeOptions.clientOrderId } : { quantity, clientOrderId: closeOptions.clientOrderId };
      return placeIdempotent(placement, 'closePosition', asRequest, () =>
        call('closePosition', () => adapter.closePosition(symbol, side, opts), { fullClose: quantity === undefined }),
      );
    },

    breakerState: () => ({ exchange: breakers.hostState(host), account: breakers.accountState(ref.accountId) }),

    precision: {
      roundPrice: async (symbol, price, mode) => roundPrice(await market(symbol), price, mode),
      roundQty: async (symbol, quantity, mode) => roundQty(await market(symbol), quantity, mode),
      normalize: async (request) => normalizeRequest(await market(request.symbol), request),
    },

    forgetLeverage(symbol) {
      if (symbol === undefined) {
        leverageSet.clear();
        marginSet.clear();
      } else {
        leverageSet.delete(symbol);
        marginSet.delete(symbol);
      }
    },
  };
  return client;
}
