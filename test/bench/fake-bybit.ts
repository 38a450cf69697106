/**
 * A latency-injected fake Bybit for bench:fanout, on the real clock. It counts
 * REQUESTS per IP in any rolling window (Bybit: 600 per 5 s, a batch is one
 * request) and ORDERS per account per second (Bybit: 10/s on create; a batch
 * counts its orders), and rejects anything over either with RateLimited — so
 * a limiter mistake shows up as rejections, not as silently fast numbers.
 */
import type { BatchItemResult, ExchangeAdapter } from '../../exchanges/index.js';
import {
  MarketNotFound,
  OrderRejected,
  RateLimited,
  type Balance,
  type Market,
  type Order,
  type OrderRequest,
  type Position,
} from '../../models/index.js';

export interface BenchExchangeOptions {
  latencyMs: number;
  price: number;
  ipLimit: { limit: number; windowMs: number };
  orderLimit: { limit: number; windowMs: number };
}

export interface SeenRequest {
  accountId: string;
  op: string;
  at: number;
  orders: number;
}

const MARKET: Market = {
  symbol: 'BTC/USDT', exchangeSymbol: 'BTC/USDT:USDT', base: 'BTC', quote: 'USDT', settle: 'USDT', tickSize: 0.1, stepSize: 0.001, minQty: 0.001,
  maxQty: 100, minNotional: 5, maxLeverage: 100, contractSize: 1, takerFee: 0.00055, makerFee: 0.0002, active: true,
};

export class BenchExchange {
  readonly requests: SeenRequest[] = [];
  rateLimitRejections = 0;
  ipRejections = 0;
  private readonly orders = new Map<string, Order[]>();
  private readonly ipTimes: number[] = [];
  private ipHead = 0;
  private readonly accountOrders = new Map<string, { at: number; n: number }[]>();
  private seq = 0;

  constructor(private readonly o: BenchExchangeOptions) {}

  ordersOf(accountId: string): Order[] {
    return this.orders.get(accountId) ?? [];
  }

  private admit(accountId: string, op: string, orders: number): void {
    const now = performance.now();
    this.requests.push({ accountId, op, at: now, orders });
    while (this.ipHead < this.ipTimes.length && this.ipTimes[this.ipHead]! <= now - this.o.ipLimit.windowMs) this.ipHead++;
    const inWindow = this.ipTimes.length - this.ipHead;
    this.ipTimes.push(now);
    if (inWindow + 1 > this.o.ipLimit.limit) {
      this.rateLimitRejections++;
      this.ipRejections++;
      throw new RateLimited('403 access too frequent (IP)', { exchange: 'bybit', operation: op });
    }
    if (orders > 0) {
      const list = (this.accountOrders.get(accountId) ?? []).filter((x) => x.at > now - this.o.orderLimit.windowMs);
      const used = list.reduce((s, x) => s + x.n, 0);
      if (used + orders > this.o.orderLimit.limit) {
        this.rateLimitRejections++;
        this.accountOrders.set(accountId, list);
        throw new RateLimited('10006 Too many visits!', { exchange: 'bybit', operation: op });
      }
      list.push({ at: now, n: orders });
      this.accountOrders.set(accountId, list);
    }
  }

  /** Counted on arrival; answered after the latency. */
  async call<T>(accountId: string, op: string, orders: number, perform: () => T): Promise<T> {
    let error: unknown = null;
    let value: T | undefined;
    try {
      this.admit(accountId, op, orders);
      value = perform();
    } catch (e) {
      error = e;
    }
    await new Promise((resolve) => setTimeout(resolve, this.o.latencyMs));
    if (error) throw error;
    return value as T;
  }

  private create(accountId: string, r: OrderRequest): Order {
    const list = this.orders.get(accountId) ?? [];
    if (list.some((x) => x.clientOrderId === r.clientOrderId)) throw new OrderRejected('bybit 110072: OrderLinkedID is duplicate', { exchange: 'bybit' });
    const filled = r.type === 'market';
    const order: Order = {
      id: `o${++this.seq}`, clientOrderId: r.clientOrderId, symbol: r.symbol, side: r.side, type: r.type, status: filled ? 'filled' : 'open',
      price: r.price ?? null, quantity: r.quantity, filled: filled ? r.quantity : 0, averagePrice: filled ? this.o.price : null,
      reduceOnly: r.reduceOnly ?? false, triggerPrice: r.triggerPrice ?? null, fee: 0, timestamp: Date.now(),
    };
    list.push(order);
    this.orders.set(accountId, list);
    return order;
  }

  adapter(accountId: string): ExchangeAdapter {
    const market = (symbol: string): Market => {
      if (symbol !== MARKET.symbol) throw new MarketNotFound(`no market ${symbol}`, { exchange: 'bybit' });
      return MARKET;
    };
    const c = <T>(op: string, orders: number, fn: () => T) => this.call(accountId, op, orders, fn);
    const own = () => this.ordersOf(accountId);
    return {
      id: 'bybit',
      host: 'https://api.bench-bybit.test',
      loadMarkets: () => c('loadMarkets', 0, () => [MARKET]),
      market: (s) => c('market', 0, () => market(s)),
      fetchTicker: (s) => c('fetchTicker', 0, () => ({ symbol: market(s).symbol, last: this.o.price, bid: null, ask: null, mark: this.o.price, timestamp: Date.now() })),
      fetchCandles: () => c('fetchCandles', 0, () => []),
      fetchBalance: () => c('fetchBalance', 0, (): Balance => ({ currency: 'USDT', total: 10_000, free: 10_000, used: 0 })),
      fetchPositions: () => c('fetchPositions', 0, (): Position[] => []),
      fetchOpenOrders: () => c('fetchOpenOrders', 0, () => own().filter((o) => o.status === 'open')),
      fetchOrder: (_s, ref) => c('fetchOrder', 0, () => own().find((o) => o.id === ref.id || o.clientOrderId === ref.clientOrderId) ?? null),
      placeOrder: (r) => c('placeOrder', 1, () => this.create(accountId, r)),
      placeOrders: (rs) =>
        c('placeOrders', rs.length, (): BatchItemResult[] =>
          rs.map((r) => {
            try {
              return { ok: true, order: this.create(accountId, r) };
            } catch (e) {
              return { ok: false, error: e as Error, request: r };
            }
          }),
        ),
      amendOrder: () => c('amendOrder', 1, () => { throw new OrderRejected('not supported in bench'); }),
      cancelOrder: () => c('cancelOrder', 0, () => undefined),
      cancelAllOrders: () => c('cancelAllOrders', 0, () => undefined),
      setLeverage: () => c('setLeverage', 0, () => undefined),
      setMarginMode: () => c('setMarginMode', 0, () => undefined),
      setPositionProtection: () => c('setPositionProtection', 0, () => undefined),
      closePosition: (s, side, opt) => c('closePosition', 1, () => this.create(accountId, { symbol: s, side: side === 'long' ? 'sell' : 'buy', type: 'market', quantity: opt.quantity ?? 0.001, reduceOnly: true, clientOrderId: opt.clientOrderId })),
    };
  }
}
