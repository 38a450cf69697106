/**
 * A small in-memory exchange for client tests: one server (one "host") that
 * hands out per-account adapters, records the instant it sees every request,
 * can enforce request limits the way an exchange would (rejecting with
 * RateLimited), and has injectable latency and faults. Runs on a manual clock
 * so tests are deterministic and instant.
 */
import {
  ExchangeUnavailable,
  MarketNotFound,
  NetworkTimeout,
  OrderNotFound,
  OrderRejected,
  RateLimited,
  type Balance,
  type ExchangeId,
  type Market,
  type Order,
  type OrderRequest,
  type Position,
} from '../../models/index.js';
import type { Clock, WindowLimit } from '../../exchanges/limiter.js';
import { createExchangeRegistry, type ExchangeRegistry, type ExchangeRegistryOptions } from '../../exchanges/registry.js';
import type { AccountRef, BatchItemResult, Credentials, ExchangeAdapter, RateLimitStatus } from '../../exchanges/types.js';

// ---------------------------------------------------------------- manual clock

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

/** A deterministic clock: timers fire only when the test advances time. */
export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: Timer[] = [];
  /** How many timers were ever scheduled (to check there is no timer storm). */
  scheduled = 0;

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const timer = { id: ++this.seq, at: this.t + Math.max(0, ms), fn };
    // Keep sorted by (at, id): FIFO among equal instants.
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1]!.at > timer.at) i--;
    this.timers.splice(i, 0, timer);
    this.scheduled++;
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    const i = this.timers.findIndex((t) => t.id === handle);
    if (i >= 0) this.timers.splice(i, 1);
  }

  get pending(): number {
    return this.timers.length;
  }

  /** Let every queued promise callback run. */
  async flush(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Fire the earliest timer (moving time to it); false when there is none. */
  private fireNext(limit = Infinity): boolean {
    const next = this.timers[0];
    if (!next || next.at > limit) return false;
    this.timers.shift();
    this.t = Math.max(this.t, next.at);
    next.fn();
    return true;
  }

  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    await this.flush();
    while (this.fireNext(target)) await this.flush();
    this.t = target;
    await this.flush();
  }

  /** Run timers until `promise` settles; throws if it can never settle. */
  async run<T>(promise: Promise<T>, maxSteps = 1_000_000): Promise<T> {
    let settled = false;
    promise.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (let step = 0; step < maxSteps; step++) {
      await this.flush();
      if (settled) return promise;
      if (!this.fireNext()) throw new Error('ManualClock.run: promise is pending but no timer is left (deadlock)');
    }
    throw new Error('ManualClock.run: too many steps');
  }
}

// ------------------------------------------------------------------- markets

export function makeMarket(overrides: Partial<Market> = {}): Market {
  return {
    symbol: 'BTC/USDT',
    exchangeSymbol: 'BTC/USDT:USDT',
    base: 'BTC',
    quote: 'USDT',
    settle: 'USDT',
    tickSize: 0.1,
    stepSize: 0.001,
    minQty: 0.001,
    maxQty: 100,
    minNotional: 5,
    maxLeverage: 100,
    contractSize: 1,
    takerFee: 0.00055,
    makerFee: 0.0002,
    active: true,
    ...overrides,
  };
}

export const DEFAULT_MARKETS: Market[] = [
  makeMarket(),
  makeMarket({ symbol: 'ETH/USDT', exchangeSymbol: 'ETH/USDT:USDT', base: 'ETH', tickSize: 0.01, stepSize: 0.01, minQty: 0.01 }),
];

// -------------------------------------------------------------------- server

export interface SeenRequest {
  accountId: string;
  op: string;
  at: number;
  /** Orders in the request (placeOrders), else 1. */
  size: number;
}

/** A scripted misbehaviour for the next matching request(s). */
export interface Fault {
  op: string;
  accountId?: string;
  /** How many matching requests it applies to (default 1). */
  times?: number;
  /** 'apply': the exchange performs the request; 'skip': it never does (lost on the way). */
  effect: 'apply' | 'skip';
  /** The error the caller gets (default NetworkTimeout); ignored when `hang`. */
  error?: () => Error;
  /** The response never arrives (the client's own timeout must fire). */
  hang?: boolean;
  /** Answer with this value instead of an error (e.g. a stale "not found"). */
  result?: () => unknown;
}

export interface FakeServerOptions {
  clock: ManualClock;
  id?: ExchangeId;
  host?: string;
  /** Response latency in ms for every request (default 0). */
  latencyMs?: number;
  markets?: Market[];
  /** Last price for every symbol (default 50,000). */
  price?: number;
  /** Reject over-limit requests with RateLimited, as the exchange would. */
  enforce?: { host?: WindowLimit; orderPerAccount?: WindowLimit };
  /** How a duplicate client order id is reported: Bybit's message (default) or our details marker. */
  duplicateStyle?: 'message' | 'marker';
}

const ORDER_OPS = new Set(['placeOrder', 'placeOrders', 'closePosition']);

export class FakeExchangeServer {
  readonly id: ExchangeId;
  readonly host: string;
  readonly requests: SeenRequest[] = [];
  readonly orders = new Map<string, Order[]>();
  readonly leverageCalls: { accountId: string; symbol: string; leverage: number }[] = [];
  rateLimitRejections = 0;
  latencyMs: number;
  /** Set to make every request fail with ExchangeUnavailable (an outage). */
  down = false;
  private readonly faults: Fault[] = [];
  private readonly limitStatus = new Map<string, RateLimitStatus | null>();
  private seq = 0;
  private readonly markets: Market[];
  private readonly price: number;

  constructor(private readonly options: FakeServerOptions) {
    this.id = options.id ?? 'bybit';
    this.host = options.host ?? 'https://api.fake-bybit.test';
    this.latencyMs = options.latencyMs ?? 0;
    this.markets = options.markets ?? DEFAULT_MARKETS;
    this.price = options.price ?? 50_000;
  }

  get clock(): ManualClock {
    return this.options.clock;
  }

  fail(fault: Fault): void {
    this.faults.push({ times: 1, ...fault });
  }

  setRateLimitStatus(accountId: string, status: RateLimitStatus | null): void {
    this.limitStatus.set(accountId, status);
  }

  ordersOf(accountId: string): Order[] {
    return this.orders.get(accountId) ?? [];
  }

  requestsOf(op: string, accountId?: string): SeenRequest[] {
    return this.requests.filter((r) => r.op === op && (accountId === undefined || r.accountId === accountId));
  }

  private takeFault(op: string, accountId: string): Fault | null {
    const i = this.faults.findIndex((f) => f.op === op && (f.accountId === undefined || f.accountId === accountId));
    if (i < 0) return null;
    const f = this.faults[i]!;
    f.times = (f.times ?? 1) - 1;
    if (f.times <= 0) this.faults.splice(i, 1);
    return f;
  }

  private countSince(filter: (r: SeenRequest) => boolean, from: number): number {
    let n = 0;
    for (let i = this.requests.length - 1; i >= 0; i--) {
      const r = this.requests[i]!;
      if (r.at <= from) break;
      if (filter(r)) n += r.op === 'placeOrders' ? r.size : 1;
    }
    return n;
  }

  private delay(): Promise<void> {
    if (this.latencyMs <= 0) return Promise.resolve();
    return new Promise((resolve) => this.clock.setTimeout(resolve, this.latencyMs));
  }

  /** Every adapter request goes through here: recorded, limited, faulted, delayed. */
  async handle<T>(accountId: string, op: string, size: number, perform: () => T): Promise<T> {
    const now = this.clock.now();
    const enforce = this.options.enforce;
    // Count the limits as the exchange would, before recording this request.
    if (enforce?.host && this.countSince(() => true, now - enforce.host.windowMs) + 1 > enforce.host.limit) {
      this.requests.push({ accountId, op, at: now, size });
      this.rateLimitRejections++;
      await this.delay();
      throw new RateLimited('403 access too frequent', { exchange: this.id, operation: op });
    }
    if (
      enforce?.orderPerAccount &&
      ORDER_OPS.has(op) &&
      this.countSince((r) => r.accountId === accountId && ORDER_OPS.has(r.op), now - enforce.orderPerAccount.windowMs) + size > enforce.orderPerAccount.limit
    ) {
      this.requests.push({ accountId, op, at: now, size });
      this.rateLimitRejections++;
      await this.delay();
      throw new RateLimited('10006 Too many visits!', { exchange: this.id, operation: op });
    }
    this.requests.push({ accountId, op, at: now, size });
    if (this.down) {
      await this.delay();
      throw new ExchangeUnavailable('503 service unavailable', { exchange: this.id, operation: op });
    }
    const fault = this.takeFault(op, accountId);
    if (fault) {
      if (fault.effect === 'apply') {
        try {
          perform();
        } catch {
          // the caller never learns
        }
      }
      if (fault.hang) return new Promise<T>(() => undefined);
      await this.delay();
      if (fault.result) return fault.result() as T;
      throw fault.error ? fault.error() : new NetworkTimeout(`${op} timed out`, { exchange: this.id, operation: op });
    }
    await this.delay();
    return perform();
  }

  private market(symbol: string): Market {
    const m = this.markets.find((x) => x.symbol === symbol);
    if (!m) throw new MarketNotFound(`no market ${symbol}`, { exchange: this.id });
    return m;
  }

  private createOrder(accountId: string, req: OrderRequest): Order {
    this.market(req.symbol);
    const list = this.orders.get(accountId) ?? [];
    if (list.some((o) => o.clientOrderId === req.clientOrderId)) {
      if (this.options.duplicateStyle === 'marker') {
        throw new OrderRejected('client order id already used', { exchange: this.id, operation: 'placeOrder', details: { reason: 'duplicate-client-order-id' } });
      }
      throw new OrderRejected('bybit 110072: OrderLinkedID is duplicate', { exchange: this.id, operation: 'placeOrder' });
    }
    const filled = req.type === 'market';
    const order: Order = {
      id: `ord-${++this.seq}`,
      clientOrderId: req.clientOrderId,
      symbol: req.symbol,
      side: req.side,
      type: req.type,
      status: filled ? 'filled' : 'open',
      price: req.price ?? null,
      quantity: req.quantity,
      filled: filled ? req.quantity : 0,
      averagePrice: filled ? (req.price ?? this.price) : null,
      reduceOnly: req.reduceOnly ?? false,
      triggerPrice: req.triggerPrice ?? null,
      fee: 0,
      timestamp: this.clock.now(),
    };
    list.push(order);
    this.orders.set(accountId, list);
    return order;
  }

  adapter(accountId: string): FakeAdapter {
    return new FakeAdapter(this, accountId, (req) => this.createOrder(accountId, req), (s) => this.market(s), this.price, () => this.limitStatus.get(accountId) ?? null);
  }
}

export class FakeAdapter implements ExchangeAdapter {
  readonly id: ExchangeId;
  readonly host: string;
  closed = false;

  constructor(
    private readonly server: FakeExchangeServer,
    readonly accountId: string,
    private readonly create: (req: OrderRequest) => Order,
    private readonly lookupMarket: (symbol: string) => Market,
    private readonly price: number,
    private readonly status: () => RateLimitStatus | null,
  ) {
    this.id = server.id;
    this.host = server.host;
  }

  private h<T>(op: string, perform: () => T, size = 1): Promise<T> {
    return this.server.handle(this.accountId, op, size, perform);
  }

  private own(): Order[] {
    return this.server.ordersOf(this.accountId);
  }

  loadMarkets(): Promise<Market[]> {
    return this.h('loadMarkets', () => [...DEFAULT_MARKETS]);
  }
  market(symbol: string): Promise<Market> {
    return this.h('market', () => this.lookupMarket(symbol));
  }
  fetchTicker(symbol: string) {
    return this.h('fetchTicker', () => ({ symbol, last: this.price, bid: this.price, ask: this.price, mark: this.price, timestamp: this.server.clock.now() }));
  }
  fetchCandles() {
    return this.h('fetchCandles', () => []);
  }
  fetchBalance(): Promise<Balance> {
    return this.h('fetchBalance', () => ({ currency: 'USDT', total: 1_000, free: 1_000, used: 0 }));
  }
  fetchPositions(): Promise<Position[]> {
    return this.h('fetchPositions', () => []);
  }
  fetchOpenOrders(symbol?: string): Promise<Order[]> {
    return this.h('fetchOpenOrders', () => this.own().filter((o) => (symbol === undefined || o.symbol === symbol) && (o.status === 'open' || o.status === 'partially_filled')));
  }
  fetchOrder(symbol: string, ref: { id?: string; clientOrderId?: string }): Promise<Order | null> {
    return this.h('fetchOrder', () => this.own().find((o) => o.symbol === symbol && ((ref.id !== undefined && o.id === ref.id) || (ref.clientOrderId !== undefined && o.clientOrderId === ref.clientOrderId))) ?? null);
  }
  placeOrder(request: OrderRequest): Promise<Order> {
    return this.h('placeOrder', () => this.create(request));
  }
  placeOrders(requests: OrderRequest[]): Promise<BatchItemResult[]> {
    return this.h(
      'placeOrders',
      () =>
        requests.map((request): BatchItemResult => {
          try {
            return { ok: true, order: this.create(request) };
          } catch (e) {
            return { ok: false, error: e as Error, request };
          }
        }),
      requests.length,
    );
  }
  amendOrder(symbol: string, id: string, changes: { price?: number; quantity?: number; triggerPrice?: number }): Promise<Order> {
    return this.h('amendOrder', () => {
      const o = this.own().find((x) => x.id === id && x.symbol === symbol);
      if (!o) throw new OrderNotFound(`order ${id} not found`, { exchange: this.id });
      if (changes.price !== undefined) o.price = changes.price;
      if (changes.quantity !== undefined) o.quantity = changes.quantity;
      if (changes.triggerPrice !== undefined) o.triggerPrice = changes.triggerPrice;
      return { ...o };
    });
  }
  cancelOrder(symbol: string, ref: { id?: string; clientOrderId?: string }): Promise<void> {
    return this.h('cancelOrder', () => {
      const o = this.own().find((x) => x.symbol === symbol && (x.id === ref.id || (ref.clientOrderId !== undefined && x.clientOrderId === ref.clientOrderId)));
      if (o && (o.status === 'open' || o.status === 'partially_filled')) o.status = 'cancelled';
    });
  }
  cancelAllOrders(symbol: string): Promise<void> {
    return this.h('cancelAllOrders', () => {
      for (const o of this.own()) if (o.symbol === symbol && o.status === 'open') o.status = 'cancelled';
    });
  }
  setLeverage(symbol: string, leverage: number): Promise<void> {
    return this.h('setLeverage', () => {
      this.server.leverageCalls.push({ accountId: this.accountId, symbol, leverage });
    });
  }
  setMarginMode(): Promise<void> {
    return this.h('setMarginMode', () => undefined);
  }
  setPositionProtection(): Promise<void> {
    return this.h('setPositionProtection', () => undefined);
  }
  closePosition(symbol: string, side: 'long' | 'short', options: { quantity?: number; clientOrderId: string }): Promise<Order> {
    return this.h('closePosition', () =>
      this.create({ symbol, side: side === 'long' ? 'sell' : 'buy', type: 'market', quantity: options.quantity ?? 1, reduceOnly: true, clientOrderId: options.clientOrderId }),
    );
  }
  rateLimitStatus(): RateLimitStatus | null {
    return this.status();
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

// ------------------------------------------------------------------- checks

/** The most requests (or cost) the exchange saw inside any window [t, t + windowMs). */
export function maxInWindow(times: readonly { at: number; cost?: number }[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a.at - b.at);
  let best = 0;
  let sum = 0;
  let j = 0;
  for (let i = 0; i < sorted.length; i++) {
    // window starting at sorted[i].at: add everything before i.at + windowMs
    while (j < sorted.length && sorted[j]!.at < sorted[i]!.at + windowMs) sum += sorted[j++]!.cost ?? 1;
    best = Math.max(best, sum);
    sum -= sorted[i]!.cost ?? 1;
  }
  return best;
}

// ----------------------------------------------------------------- registry

export interface TestRegistryOptions extends Partial<Omit<ExchangeRegistryOptions, 'factories' | 'loadCredentials'>> {
  /** Called for every credential load (to count them). */
  onLoad?: (ref: AccountRef) => void;
}

/** A registry whose every exchange id is served by `server`, on the server's manual clock, with jitter fixed. */
export function createTestRegistry(server: FakeExchangeServer, options: TestRegistryOptions = {}): ExchangeRegistry & { adapters: Map<string, FakeAdapter> } {
  const adapters = new Map<string, FakeAdapter>();
  const factory = (ref: AccountRef, credentials: Credentials): ExchangeAdapter => {
    if (credentials.apiKey !== `key-${ref.accountId}`) throw new Error('factory got the wrong credentials');
    const a = server.adapter(ref.accountId);
    adapters.set(ref.accountId, a);
    return a;
  };
  const { onLoad, ...rest } = options;
  const registry = createExchangeRegistry({
    clock: server.clock,
    random: () => 0.5,
    ...rest,
    factories: { bybit: factory, hyperliquid: factory, paper: factory },
    loadCredentials: async (ref) => {
      onLoad?.(ref);
      return { apiKey: `key-${ref.accountId}`, secret: `secret-${ref.accountId}` };
    },
  });
  return Object.assign(registry, { adapters });
}

export function accountRef(accountId: string, exchange: ExchangeId = 'bybit'): AccountRef {
  return { accountId, exchange, environment: 'mainnet' };
}
