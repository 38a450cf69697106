/**
 * The Paper engine's state layer: the account record, the open-order books
 * and id indexes built from it, snapshot/restore for the store, listeners,
 * and the bookkeeping every other layer uses to create, finish and record
 * orders and fills. Layers: engine-state -> engine-margin -> engine-matching
 * -> engine-orders -> engine (PaperEngine); the rules are documented in each.
 *
 * - Finished orders move into a bounded history (`historyLimit`, default
 *   1,000) that still answers lookups by id and client order id; fills are
 *   kept up to `fillsLimit` (default 1,000).
 * - Order and fill ids are deterministic ("paper-<n>", "paper-fill-<n>"),
 *   from one sequence stored with the state.
 */
import { ExchangeUnavailable, clean, type Market, type Order, type PositionSide, type Side } from '../../models/index.js';
import { MarketIndex } from './markets.js';
import {
  emptyState,
  toOrder,
  type FillReason,
  type PaperFill,
  type PaperOrder,
  type PaperOrderOrigin,
  type PaperPosition,
  type PaperState,
  type SymbolSettings,
} from './state.js';

const EXCHANGE = 'paper';

export interface PaperEngineOptions {
  markets: readonly Market[];
  /** State to start from (restored from a store); default a fresh account. */
  state?: PaperState;
  /** Starting wallet balance of a fresh account; default 10,000. */
  startingBalance?: number;
  currency?: string;
  now?: () => number;
  /** Market orders fill this many basis points worse than the current price; default 0. */
  slippageBps?: number;
  /** Maintenance margin rate for liquidation; default 0.005. */
  maintenanceMarginRate?: number;
  /** Leverage of a symbol never set; default 10 (capped at the market's maximum). */
  defaultLeverage?: number;
  /** Finished orders kept (for fetchOrder and duplicate checks); default 1,000. */
  historyLimit?: number;
  /** Fills kept; default 1,000. */
  fillsLimit?: number;
}

export type FillListener = (fill: PaperFill) => void;
export type OrderListener = (order: Order) => void;

/**
 * Binary noise is stripped from money (10 decimals) and from quantities and
 * prices (12 decimals), both also capped at 13 significant digits.
 */
export const money = (v: number): number => Number(clean(v, 10).toPrecision(13));
export const num = (v: number): number => Number(clean(v, 12).toPrecision(13));
export const sideOf = (side: Side): PositionSide => (side === 'buy' ? 'long' : 'short');

/** The `{ exchange, operation, details }` options of a typed error raised by the engine. */
export function errorOptions(operation: string, details?: Record<string, unknown>) {
  return details ? { exchange: EXCHANGE, operation, details } : { exchange: EXCHANGE, operation };
}

export abstract class EngineState {
  readonly markets: MarketIndex;
  protected readonly now: () => number;
  protected readonly slippageBps: number;
  protected readonly mmr: number;
  private readonly defaultLeverage: number;
  private readonly historyLimit: number;
  private readonly fillsLimit: number;

  protected s!: PaperState;
  /** Open orders by symbol, oldest first. */
  protected books = new Map<string, PaperOrder[]>();
  protected positions = new Map<string, PaperPosition>();
  protected byId = new Map<string, PaperOrder>();
  protected byClientId = new Map<string, PaperOrder>();
  protected last = new Map<string, number>();

  private readonly fillListeners = new Set<FillListener>();
  private readonly orderListeners = new Set<OrderListener>();
  private readonly changeListeners = new Set<() => void>();

  constructor(opts: PaperEngineOptions) {
    this.markets = new MarketIndex(opts.markets);
    this.now = opts.now ?? Date.now;
    this.slippageBps = opts.slippageBps ?? 0;
    this.mmr = opts.maintenanceMarginRate ?? 0.005;
    this.defaultLeverage = opts.defaultLeverage ?? 10;
    this.historyLimit = opts.historyLimit ?? 1000;
    this.fillsLimit = opts.fillsLimit ?? 1000;
    this.restore(opts.state ?? emptyState(opts.startingBalance ?? 10_000, opts.currency ?? 'USDT'));
  }

  // ---------------------------------------------------------------- state

  /** Replace the whole state (e.g. loaded from a store). */
  restore(state: PaperState): void {
    const s = structuredClone(state);
    this.s = s;
    this.books = new Map();
    this.positions = new Map();
    this.byId = new Map();
    this.byClientId = new Map();
    this.last = new Map(Object.entries(s.lastPrices));
    for (const o of s.history) this.index(o);
    for (const o of s.openOrders) {
      this.index(o);
      this.bookOf(o.symbol).push(o);
    }
    for (const p of s.positions) this.positions.set(p.symbol, p);
    s.openOrders = [];
    s.positions = [];
  }

  /** A deep copy of the state, ready to persist. */
  snapshot(): PaperState {
    const openOrders: PaperOrder[] = [];
    for (const book of this.books.values()) openOrders.push(...book);
    openOrders.sort((a, b) => a.seq - b.seq);
    return structuredClone({
      ...this.s,
      openOrders,
      positions: [...this.positions.values()],
      lastPrices: Object.fromEntries(this.last),
    });
  }

  onFill(listener: FillListener): () => void {
    this.fillListeners.add(listener);
    return () => this.fillListeners.delete(listener);
  }

  onOrder(listener: OrderListener): () => void {
    this.orderListeners.add(listener);
    return () => this.orderListeners.delete(listener);
  }

  /** Called after every mutation of the account (not on price-only moves). */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  // ---------------------------------------------------------------- bookkeeping

  protected priceOf(symbol: string, operation: string): number {
    const p = this.last.get(symbol);
    if (p === undefined) throw new ExchangeUnavailable(`no price for ${symbol} yet`, errorOptions(operation, { symbol }));
    return p;
  }

  protected settingsOf(market: Market): SymbolSettings {
    return this.s.settings[market.symbol] ?? { leverage: Math.min(this.defaultLeverage, market.maxLeverage), marginMode: 'isolated' };
  }

  protected bookOf(symbol: string): PaperOrder[] {
    let book = this.books.get(symbol);
    if (!book) {
      book = [];
      this.books.set(symbol, book);
    }
    return book;
  }

  protected lookup(symbol: string, ref: { id?: string; clientOrderId?: string }): PaperOrder | null {
    const o = (ref.id !== undefined ? this.byId.get(ref.id) : undefined) ?? (ref.clientOrderId !== undefined ? this.byClientId.get(ref.clientOrderId) : undefined);
    return o && o.symbol === symbol ? o : null;
  }

  protected index(o: PaperOrder): void {
    this.byId.set(o.id, o);
    if (o.clientOrderId !== null) this.byClientId.set(o.clientOrderId, o);
  }

  protected newOrder(fields: {
    clientOrderId: string | null;
    symbol: string;
    side: Side;
    type: 'market' | 'limit';
    price: number | null;
    quantity: number;
    reduceOnly: boolean;
    postOnly: boolean;
    triggerPrice: number | null;
    triggerDirection: 'above' | 'below' | null;
    stopLoss: number | null;
    takeProfit: number | null;
    origin: PaperOrderOrigin;
  }): PaperOrder {
    const seq = ++this.s.seq;
    const t = this.now();
    return { id: `paper-${seq}`, seq, ...fields, status: 'open', filled: 0, averagePrice: null, triggered: false, reservedMargin: 0, fee: 0, timestamp: t, updatedAt: t, reason: null };
  }

  protected finishFilled(o: PaperOrder, quantity: number, price: number, fee: number): void {
    const filled = num(o.filled + quantity);
    o.averagePrice = o.averagePrice === null || o.filled === 0 ? price : num((o.averagePrice * o.filled + price * quantity) / filled);
    o.filled = filled;
    o.fee = money(o.fee + fee);
    this.finish(o, 'filled', null);
  }

  /** Move an order out of the book into the bounded history. */
  protected finish(o: PaperOrder, status: 'filled' | 'cancelled', reason: string | null): void {
    o.status = status;
    o.reason = reason;
    o.reservedMargin = 0;
    o.updatedAt = this.now();
    this.unbook(o);
    const h = this.s.history;
    h.push(o);
    if (h.length > this.historyLimit) {
      const old = h.splice(0, h.length - this.historyLimit);
      for (const x of old) {
        if (this.byId.get(x.id) === x) this.byId.delete(x.id);
        if (x.clientOrderId !== null && this.byClientId.get(x.clientOrderId) === x) this.byClientId.delete(x.clientOrderId);
      }
    }
    this.emitOrder(o);
  }

  protected unbook(o: PaperOrder): void {
    const book = this.books.get(o.symbol);
    if (!book) return;
    const i = book.indexOf(o);
    if (i >= 0) book.splice(i, 1);
  }

  protected recordFill(o: PaperOrder, quantity: number, price: number, fee: number, realized: number, liquidity: 'maker' | 'taker', reason: FillReason): void {
    const fill: PaperFill = {
      id: `paper-fill-${++this.s.seq}`,
      orderId: o.id,
      clientOrderId: o.clientOrderId,
      symbol: o.symbol,
      side: o.side,
      quantity,
      price,
      fee,
      liquidity,
      realizedPnl: realized,
      reason,
      reduceOnly: o.reduceOnly || reason !== 'order',
      timestamp: this.now(),
    };
    const fills = this.s.fills;
    fills.push(fill);
    if (fills.length > this.fillsLimit) fills.splice(0, fills.length - this.fillsLimit);
    for (const l of this.fillListeners) l({ ...fill });
  }

  protected emitOrder(o: PaperOrder): void {
    if (this.orderListeners.size === 0) return;
    const order = toOrder(o);
    for (const l of this.orderListeners) l(order);
  }

  protected changed(): void {
    for (const l of this.changeListeners) l();
  }
}
