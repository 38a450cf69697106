/**
 * The Paper exchange's matching engine: a synchronous, in-memory simulation of
 * a USDT-margined perpetual-futures account. No I/O; the adapter persists its
 * state and feeds it prices. Semantics (modelled on Bybit linear perpetuals):
 *
 * - One-way mode: one net position per symbol. An order against the position
 *   first reduces it (realizing PnL), and any excess opens the other side.
 * - Prices move along segments. `applyPrice` is a continuous move from the
 *   last price; `applyCandle` jumps to the open (a gap) and then walks the
 *   candle's path (fill-rules.ts `candlePath`). Within a segment, events fire
 *   in the order the price reaches them; ties go stop-loss, take-profit,
 *   orders (oldest first), liquidation.
 * - Market orders fill at once, in full, at the current price moved against
 *   the taker by `slippageBps` (default 0), paying the taker fee.
 * - A limit order marketable on arrival fills at once as taker at the current
 *   price (a postOnly one is rejected); otherwise it rests and fills in full as
 *   maker at its price when touched (or at the gap price when better).
 * - Conditional orders (`triggerPrice` + `triggerDirection`, inferred from the
 *   current price when missing) are rejected when already crossed, hold no
 *   margin while waiting, and on the cross become a market order (filled at
 *   the trigger price, taker) or a limit order (taker if marketable at that
 *   moment, else resting as maker).
 * - Reduce-only orders never open or increase a position: rejected without an
 *   opposite position, trimmed to the position's size when placed and again
 *   when filled, cancelled when the position is gone.
 * - Attached stopLoss/takeProfit of an entry become the position's protection
 *   when it fills (replacing any there). Position stop-loss / take-profit fire
 *   at their trigger price (the gap price when the move starts beyond it) as
 *   reduce-only market orders paying the taker fee. Protection goes away with
 *   the position; a partial one is consumed when it fires.
 * - Margin: isolated holds notional / leverage per position; resting entry
 *   orders hold margin for the part that would open or increase a position.
 *   Not enough free balance: InsufficientFunds (with needed and available).
 *   Cross mode holds the same initial margin from the shared balance.
 * - Liquidation: an isolated position is liquidated when the price reaches the
 *   price where its margin plus unrealized PnL equals the maintenance margin
 *   (`maintenanceMarginRate`, default 0.5%); the whole isolated margin is lost
 *   (PnL at the liquidation price, the remaining maintenance margin booked as
 *   the liquidation fee). A cross position's liquidation price counts the free
 *   balance as extra margin (an approximation recomputed after every fill).
 * - Balance: `total` is equity (wallet balance + unrealized PnL), `used` the
 *   position margin plus resting-order margin, `free` the wallet balance minus
 *   `used` minus the unrealized loss of cross positions (never below 0).
 * - Client order ids are unique among the open orders and the retained history
 *   (a duplicate is rejected). Ids are deterministic ("paper-<n>").
 * - No partial fills and no order book: an order fills in full when touched.
 */
import {
  ExchangeUnavailable,
  InsufficientFunds,
  OrderNotFound,
  OrderRejected,
  clean,
  entrySide,
  exitSide,
  pnl,
  roundToStep,
  type Balance,
  type Candle,
  type MarginMode,
  type Market,
  type Order,
  type OrderRequest,
  type Position,
  type PositionSide,
  type Side,
} from '../../models/index.js';
import { limitFillPrice, limitTouched, liquidationPrice, triggerCrossed, triggerFillPrice } from './fill-rules.js';
import { MarketIndex } from './markets.js';
import {
  emptyState,
  toOrder,
  toPosition,
  type FillReason,
  type PaperFill,
  type PaperOrder,
  type PaperOrderOrigin,
  type PaperPosition,
  type PaperState,
  type SymbolSettings,
} from './state.js';
import { checkClientOrderId, checkLeverage, checkNotional, checkPrice, checkQuantity } from './validate.js';

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

export interface ProtectionChange {
  stopLoss?: number | null;
  takeProfit?: number | null;
  quantity?: number;
}

export type FillListener = (fill: PaperFill) => void;
export type OrderListener = (order: Order) => void;

interface FillPlan {
  quantity: number;
  reducing: number;
  opening: number;
  fee: number;
  openMargin: number;
  released: number;
  realized: number;
  available: number;
}

/**
 * Binary noise is stripped from money (10 decimals) and from quantities and
 * prices (12 decimals), both also capped at 13 significant digits.
 */
const money = (v: number): number => Number(clean(v, 10).toPrecision(13));
const num = (v: number): number => Number(clean(v, 12).toPrecision(13));
const sideOf = (side: Side): PositionSide => (side === 'buy' ? 'long' : 'short');

function options(operation: string, details?: Record<string, unknown>) {
  return details ? { exchange: EXCHANGE, operation, details } : { exchange: EXCHANGE, operation };
}

export class PaperEngine {
  readonly markets: MarketIndex;
  private readonly now: () => number;
  private readonly slippageBps: number;
  private readonly mmr: number;
  private readonly defaultLeverage: number;
  private readonly historyLimit: number;
  private readonly fillsLimit: number;

  private s!: PaperState;
  /** Open orders by symbol, oldest first. */
  private books = new Map<string, PaperOrder[]>();
  private positions = new Map<string, PaperPosition>();
  private byId = new Map<string, PaperOrder>();
  private byClientId = new Map<string, PaperOrder>();
  private last = new Map<string, number>();

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

  // ---------------------------------------------------------------- reads

  lastPrice(symbol: string): number | null {
    return this.last.get(this.markets.get(symbol).symbol) ?? null;
  }

  balance(): Balance {
    let unrealized = 0;
    for (const p of this.positions.values()) unrealized += this.unrealized(p);
    const used = this.usedMargin();
    return {
      currency: this.s.currency,
      total: money(this.s.walletBalance + unrealized),
      free: money(Math.max(0, this.freeBalance())),
      used: money(used),
    };
  }

  /** Wallet balance (deposits + realized PnL - fees), lifetime realized PnL and fees. */
  account(): { walletBalance: number; realizedPnl: number; feesPaid: number } {
    return { walletBalance: this.s.walletBalance, realizedPnl: this.s.realizedPnl, feesPaid: this.s.feesPaid };
  }

  positionsList(symbols?: string[]): Position[] {
    const wanted = symbols ? new Set(symbols.map((s) => this.markets.get(s).symbol)) : null;
    const out: Position[] = [];
    for (const p of this.positions.values()) {
      if (wanted && !wanted.has(p.symbol)) continue;
      out.push(toPosition(p, this.last.get(p.symbol) ?? null, money(this.unrealized(p))));
    }
    return out;
  }

  openOrders(symbol?: string): Order[] {
    const out: PaperOrder[] = [];
    if (symbol !== undefined) out.push(...(this.books.get(this.markets.get(symbol).symbol) ?? []));
    else for (const book of this.books.values()) out.push(...book);
    return out.sort((a, b) => a.seq - b.seq).map(toOrder);
  }

  findOrder(symbol: string, ref: { id?: string; clientOrderId?: string }): Order | null {
    const o = this.lookup(this.markets.get(symbol).symbol, ref);
    return o ? toOrder(o) : null;
  }

  fills(): PaperFill[] {
    return this.s.fills.map((f) => ({ ...f }));
  }

  settings(symbol: string): SymbolSettings {
    return { ...this.settingsOf(this.markets.get(symbol)) };
  }

  // ---------------------------------------------------------------- orders

  placeOrder(req: OrderRequest): Order {
    const op = 'placeOrder';
    const market = this.markets.get(req.symbol);
    const symbol = market.symbol;
    checkClientOrderId(req.clientOrderId, op);
    const dup = this.byClientId.get(req.clientOrderId);
    if (dup) {
      throw new OrderRejected(`duplicate clientOrderId ${JSON.stringify(req.clientOrderId)} (order ${dup.id})`, options(op, { clientOrderId: req.clientOrderId, orderId: dup.id }));
    }
    if (req.side !== 'buy' && req.side !== 'sell') throw new OrderRejected(`unknown order side ${JSON.stringify(req.side)}`, options(op));
    if (req.type !== 'market' && req.type !== 'limit') throw new OrderRejected(`unknown order type ${JSON.stringify(req.type)}`, options(op));
    checkQuantity(market, req.quantity, op);
    let limitPrice: number | null = null;
    if (req.type === 'limit') {
      checkPrice(market, req.price, 'price', op);
      limitPrice = req.price;
    }
    const trigger = req.triggerPrice ?? null;
    if (trigger !== null) checkPrice(market, trigger, 'triggerPrice', op);
    if (req.stopLoss != null) checkPrice(market, req.stopLoss, 'stopLoss', op);
    if (req.takeProfit != null) checkPrice(market, req.takeProfit, 'takeProfit', op);

    const mark = this.priceOf(symbol, op);
    const pos = this.positions.get(symbol);
    const reduceOnly = req.reduceOnly === true;
    let quantity = req.quantity;
    if (reduceOnly) {
      if (!pos || entrySide(pos.side) === req.side) {
        throw new OrderRejected(
          `reduce-only ${req.side} order on ${symbol} would open or increase a position (${pos ? `the position is ${pos.side}` : 'there is no position'})`,
          options(op, { symbol, side: req.side }),
        );
      }
      if (req.stopLoss != null || req.takeProfit != null) {
        throw new OrderRejected('stopLoss/takeProfit cannot be attached to a reduce-only order', options(op));
      }
      if (quantity > pos.quantity) quantity = pos.quantity;
    } else {
      checkNotional(market, quantity, limitPrice ?? trigger ?? mark, op);
    }

    let direction: 'above' | 'below' | null = null;
    if (trigger !== null) {
      direction = req.triggerDirection ?? (trigger > mark ? 'above' : 'below');
      if (direction === 'above' ? mark >= trigger : mark <= trigger) {
        throw new OrderRejected(
          `trigger price ${trigger} (${direction}) is already crossed: the current price is ${mark}`,
          options(op, { triggerPrice: trigger, triggerDirection: direction, price: mark }),
        );
      }
    }
    const marketable = limitPrice !== null && (req.side === 'buy' ? limitPrice >= mark : limitPrice <= mark);
    if (trigger === null && marketable && req.postOnly === true) {
      throw new OrderRejected(`post-only ${req.side} limit at ${limitPrice} would take liquidity (current price ${mark})`, options(op, { price: limitPrice, current: mark }));
    }
    const reference = trigger !== null ? (limitPrice ?? trigger) : req.type === 'market' || marketable ? mark : (limitPrice as number);
    this.checkAttached(symbol, req.side, req.stopLoss ?? null, req.takeProfit ?? null, reference, op);

    const order = this.newOrder({
      clientOrderId: req.clientOrderId,
      symbol,
      side: req.side,
      type: req.type,
      price: limitPrice,
      quantity,
      reduceOnly,
      postOnly: req.postOnly === true,
      triggerPrice: trigger,
      triggerDirection: direction,
      stopLoss: req.stopLoss ?? null,
      takeProfit: req.takeProfit ?? null,
      origin: 'client',
    });

    if (trigger === null && (req.type === 'market' || marketable)) {
      const price = req.type === 'market' ? this.slipped(market, req.side, mark) : mark;
      const plan = this.plan(order, price, 'taker');
      if (plan && plan.opening > 0 && plan.openMargin + plan.fee > plan.available + 1e-9) {
        throw this.insufficient(op, symbol, plan.openMargin + plan.fee, plan.available);
      }
      this.index(order);
      this.emitOrder(order);
      this.execute(order, price, 'taker', 'order');
      this.runSegment(symbol, mark, mark);
    } else {
      if (trigger === null) {
        const reserve = this.reserveFor(order, limitPrice as number);
        const available = this.freeBalance();
        if (reserve > available + 1e-9) throw this.insufficient(op, symbol, reserve, available);
        order.reservedMargin = reserve;
      }
      this.index(order);
      this.bookOf(symbol).push(order);
      this.emitOrder(order);
    }
    this.changed();
    return toOrder(order);
  }

  cancelOrder(symbol: string, ref: { id?: string; clientOrderId?: string }): void {
    if (ref.id === undefined && ref.clientOrderId === undefined) {
      throw new OrderRejected('cancelOrder needs an id or a clientOrderId', options('cancelOrder'));
    }
    const o = this.lookup(this.markets.get(symbol).symbol, ref);
    if (!o || o.status !== 'open') return; // already gone: success
    this.finish(o, 'cancelled', 'cancelled by the client');
    this.changed();
  }

  cancelAllOrders(symbol: string): void {
    const book = this.books.get(this.markets.get(symbol).symbol);
    if (!book || book.length === 0) return;
    for (const o of [...book]) this.finish(o, 'cancelled', 'cancelled by the client');
    this.changed();
  }

  amendOrder(symbol: string, id: string, changes: { price?: number; quantity?: number; triggerPrice?: number }): Order {
    const op = 'amendOrder';
    const market = this.markets.get(symbol);
    const o = this.byId.get(id);
    if (!o || o.symbol !== market.symbol || o.status !== 'open') {
      throw new OrderNotFound(`no open order ${JSON.stringify(id)} on ${market.symbol}`, options(op, { id }));
    }
    const quantity = changes.quantity ?? o.quantity;
    if (changes.quantity !== undefined) checkQuantity(market, quantity, op);
    let price = o.price;
    if (changes.price !== undefined) {
      if (o.type !== 'limit') throw new OrderRejected('only a limit order has a price to amend', options(op, { id }));
      checkPrice(market, changes.price, 'price', op);
      price = changes.price;
    }
    let trigger = o.triggerPrice;
    if (changes.triggerPrice !== undefined) {
      if (o.triggerPrice === null || o.triggered) throw new OrderRejected('the order has no pending trigger to amend', options(op, { id }));
      checkPrice(market, changes.triggerPrice, 'triggerPrice', op);
      trigger = changes.triggerPrice;
    }
    const mark = this.priceOf(market.symbol, op);
    if (!o.reduceOnly) checkNotional(market, quantity, price ?? trigger ?? mark, op);
    const pendingTrigger = trigger !== null && !o.triggered;
    if (pendingTrigger && (o.triggerDirection === 'above' ? mark >= trigger! : mark <= trigger!)) {
      throw new OrderRejected(`trigger price ${trigger} (${o.triggerDirection}) is already crossed: the current price is ${mark}`, options(op));
    }
    const marketable = !pendingTrigger && price !== null && (o.side === 'buy' ? price >= mark : price <= mark);
    if (marketable && o.postOnly) {
      throw new OrderRejected(`post-only ${o.side} limit at ${price} would take liquidity (current price ${mark})`, options(op));
    }
    let reserve = 0;
    if (!pendingTrigger && !marketable) {
      const was = o.reservedMargin;
      o.reservedMargin = 0;
      reserve = this.reserveFor({ ...o, quantity }, price as number);
      const available = this.freeBalance();
      o.reservedMargin = was;
      if (reserve > available + 1e-9) throw this.insufficient(op, market.symbol, reserve, available);
    }
    o.quantity = quantity;
    o.price = price;
    o.triggerPrice = trigger;
    o.reservedMargin = reserve;
    o.updatedAt = this.now();
    this.emitOrder(o);
    if (marketable) {
      this.execute(o, mark, 'taker', 'order');
      this.runSegment(market.symbol, mark, mark);
    }
    this.changed();
    return toOrder(o);
  }

  closePosition(symbol: string, side: PositionSide, opts: { quantity?: number; clientOrderId: string }): Order {
    const market = this.markets.get(symbol);
    const pos = this.positions.get(market.symbol);
    if (!pos || pos.side !== side) {
      throw new OrderRejected(`no ${side} position on ${market.symbol} to close`, options('closePosition', { symbol: market.symbol, side }));
    }
    return this.placeOrder({
      symbol: market.symbol,
      side: exitSide(side),
      type: 'market',
      quantity: opts.quantity ?? pos.quantity,
      reduceOnly: true,
      clientOrderId: opts.clientOrderId,
    });
  }

  // ---------------------------------------------------------------- settings

  setLeverage(symbol: string, leverage: number): void {
    const op = 'setLeverage';
    const market = this.markets.get(symbol);
    checkLeverage(market, leverage, op);
    const settings = this.settingsOf(market);
    if (settings.leverage === leverage) return;
    const pos = this.positions.get(market.symbol);
    if (pos) {
      const margin = money((pos.quantity * pos.entryPrice) / leverage);
      const extra = margin - pos.margin;
      const available = this.freeBalance();
      if (extra > available + 1e-9) throw this.insufficient(op, market.symbol, extra, available);
      pos.margin = margin;
      pos.leverage = leverage;
      pos.updatedAt = this.now();
    }
    this.s.settings[market.symbol] = { ...settings, leverage };
    this.refreshLiquidation();
    this.changed();
  }

  setMarginMode(symbol: string, mode: MarginMode, leverage: number): void {
    const op = 'setMarginMode';
    const market = this.markets.get(symbol);
    if (mode !== 'isolated' && mode !== 'cross') throw new OrderRejected(`unknown margin mode ${JSON.stringify(mode)}`, options(op));
    checkLeverage(market, leverage, op);
    const settings = this.settingsOf(market);
    if (settings.marginMode !== mode) {
      if (this.positions.has(market.symbol) || (this.books.get(market.symbol)?.length ?? 0) > 0) {
        throw new OrderRejected(`cannot switch ${market.symbol} to ${mode} margin with an open position or open orders`, options(op, { symbol: market.symbol, mode }));
      }
      this.s.settings[market.symbol] = { ...settings, marginMode: mode };
      this.changed();
    }
    this.setLeverage(market.symbol, leverage);
  }

  setPositionProtection(symbol: string, side: PositionSide, change: ProtectionChange): void {
    const op = 'setPositionProtection';
    const market = this.markets.get(symbol);
    const pos = this.positions.get(market.symbol);
    if (!pos || pos.side !== side) {
      throw new OrderRejected(`no ${side} position on ${market.symbol} to protect`, options(op, { symbol: market.symbol, side }));
    }
    let qty: number | null = null;
    if (change.quantity !== undefined) {
      checkQuantity(market, change.quantity, op);
      qty = change.quantity >= pos.quantity ? null : change.quantity;
    }
    const mark = this.priceOf(market.symbol, op);
    const long = side === 'long';
    if (change.stopLoss != null) {
      checkPrice(market, change.stopLoss, 'stopLoss', op);
      if (long ? change.stopLoss >= mark : change.stopLoss <= mark) {
        throw new OrderRejected(
          `stop-loss ${change.stopLoss} for a ${side} position must be ${long ? 'below' : 'above'} the current price ${mark}`,
          options(op, { stopLoss: change.stopLoss, price: mark }),
        );
      }
      const liq = pos.liquidationPrice;
      if (liq !== null && (long ? change.stopLoss <= liq : change.stopLoss >= liq)) {
        throw new OrderRejected(
          `stop-loss ${change.stopLoss} for a ${side} position must be ${long ? 'above' : 'below'} the liquidation price ${liq}`,
          options(op, { stopLoss: change.stopLoss, liquidationPrice: liq }),
        );
      }
    }
    if (change.takeProfit != null) {
      checkPrice(market, change.takeProfit, 'takeProfit', op);
      if (long ? change.takeProfit <= mark : change.takeProfit >= mark) {
        throw new OrderRejected(
          `take-profit ${change.takeProfit} for a ${side} position must be ${long ? 'above' : 'below'} the current price ${mark}`,
          options(op, { takeProfit: change.takeProfit, price: mark }),
        );
      }
    }
    if (change.stopLoss !== undefined) {
      pos.stopLoss = change.stopLoss;
      pos.stopLossQty = change.stopLoss === null ? null : qty;
    }
    if (change.takeProfit !== undefined) {
      pos.takeProfit = change.takeProfit;
      pos.takeProfitQty = change.takeProfit === null ? null : qty;
    }
    pos.updatedAt = this.now();
    this.changed();
  }

  // ---------------------------------------------------------------- prices

  /**
   * A continuous price move from the last price to `price`. Fills, triggers and
   * liquidations it causes run synchronously. Invalid prices are ignored.
   */
  applyPrice(symbol: string, price: number): void {
    if (!(price > 0) || !Number.isFinite(price)) return;
    const sym = this.markets.get(symbol).symbol;
    const from = this.last.get(sym) ?? price;
    this.runSegment(sym, from, price);
  }

  /** A candle: a jump to its open, then its intra-candle path (candlePath). */
  applyCandle(symbol: string, c: Pick<Candle, 'open' | 'high' | 'low' | 'close'>): void {
    if (!(c.open > 0 && c.high > 0 && c.low > 0 && c.close > 0)) return;
    const sym = this.markets.get(symbol).symbol;
    const up = c.close >= c.open;
    const first = up ? c.low : c.high;
    const second = up ? c.high : c.low;
    this.runSegment(sym, c.open, c.open);
    this.runSegment(sym, c.open, first);
    this.runSegment(sym, first, second);
    this.runSegment(sym, second, c.close);
  }

  // ---------------------------------------------------------------- matching

  private runSegment(symbol: string, from: number, to: number): void {
    const book = this.books.get(symbol);
    let pos = this.positions.get(symbol);
    if ((!book || book.length === 0) && !pos) {
      this.last.set(symbol, to);
      return;
    }
    let cur = from;
    let mutated = false;
    for (let guard = 0; guard < 100_000; guard++) {
      // kind: 1 stop-loss, 2 take-profit, 3 order, 4 liquidation
      let kind = 0;
      let best: PaperOrder | null = null;
      let bestPrice = 0;
      let bestDist = Infinity;
      if (pos) {
        const long = pos.side === 'long';
        if (pos.stopLoss !== null) {
          const dir = long ? 'below' : 'above';
          if (triggerCrossed(dir, pos.stopLoss, cur, to)) {
            bestPrice = triggerFillPrice(dir, pos.stopLoss, cur);
            bestDist = Math.abs(bestPrice - cur);
            kind = 1;
          }
        }
        if (pos.takeProfit !== null) {
          const dir = long ? 'above' : 'below';
          if (triggerCrossed(dir, pos.takeProfit, cur, to)) {
            const p = triggerFillPrice(dir, pos.takeProfit, cur);
            const d = Math.abs(p - cur);
            if (d < bestDist) {
              bestPrice = p;
              bestDist = d;
              kind = 2;
            }
          }
        }
      }
      if (book) {
        for (let i = 0; i < book.length; i++) {
          const o = book[i] as PaperOrder;
          let p: number;
          if (o.triggerPrice !== null && !o.triggered) {
            const dir = o.triggerDirection as 'above' | 'below';
            if (!triggerCrossed(dir, o.triggerPrice, cur, to)) continue;
            p = triggerFillPrice(dir, o.triggerPrice, cur);
          } else if (o.price !== null) {
            if (!limitTouched(o.side, o.price, cur, to)) continue;
            p = limitFillPrice(o.side, o.price, cur);
          } else continue;
          const d = Math.abs(p - cur);
          if (d < bestDist || (d === bestDist && kind === 3 && best !== null && o.seq < best.seq)) {
            best = o;
            bestPrice = p;
            bestDist = d;
            kind = 3;
          }
        }
      }
      if (pos && pos.liquidationPrice !== null) {
        const dir = pos.side === 'long' ? 'below' : 'above';
        if (triggerCrossed(dir, pos.liquidationPrice, cur, to)) {
          const p = triggerFillPrice(dir, pos.liquidationPrice, cur);
          const d = Math.abs(p - cur);
          if (d < bestDist) {
            bestPrice = p;
            kind = 4;
          }
        }
      }
      if (kind === 0) break;
      mutated = true;
      this.last.set(symbol, bestPrice);
      if (kind === 1 || kind === 2) this.fireProtection(pos as PaperPosition, kind === 1 ? 'stop-loss' : 'take-profit', bestPrice);
      else if (kind === 3) this.fireOrder(best as PaperOrder, bestPrice);
      else this.liquidate(pos as PaperPosition, bestPrice);
      cur = bestPrice;
      pos = this.positions.get(symbol);
    }
    this.last.set(symbol, to);
    if (mutated) this.changed();
  }

  private fireOrder(o: PaperOrder, price: number): void {
    if (o.triggerPrice !== null && !o.triggered) {
      o.triggered = true;
      o.updatedAt = this.now();
      if (o.type === 'market') {
        this.execute(o, price, 'taker', 'order');
        return;
      }
      const limit = o.price as number;
      const marketable = o.side === 'buy' ? limit >= price : limit <= price;
      if (marketable) {
        if (o.postOnly) this.finish(o, 'cancelled', 'post-only order would take liquidity when triggered');
        else this.execute(o, price, 'taker', 'order');
        return;
      }
      const reserve = this.reserveFor(o, limit);
      if (reserve > this.freeBalance() + 1e-9) {
        this.finish(o, 'cancelled', 'insufficient balance when triggered');
        return;
      }
      o.reservedMargin = reserve;
      this.emitOrder(o);
      return;
    }
    this.execute(o, price, 'maker', 'order');
  }

  private fireProtection(pos: PaperPosition, which: 'stop-loss' | 'take-profit', price: number): void {
    const isStop = which === 'stop-loss';
    const trigger = (isStop ? pos.stopLoss : pos.takeProfit) as number;
    const part = isStop ? pos.stopLossQty : pos.takeProfitQty;
    const quantity = part !== null ? Math.min(part, pos.quantity) : pos.quantity;
    if (isStop) {
      pos.stopLoss = null;
      pos.stopLossQty = null;
    } else {
      pos.takeProfit = null;
      pos.takeProfitQty = null;
    }
    const o = this.newOrder({
      clientOrderId: null,
      symbol: pos.symbol,
      side: exitSide(pos.side),
      type: 'market',
      price: null,
      quantity,
      reduceOnly: true,
      postOnly: false,
      triggerPrice: trigger,
      triggerDirection: (pos.side === 'long') === isStop ? 'below' : 'above',
      stopLoss: null,
      takeProfit: null,
      origin: which,
    });
    o.triggered = true;
    this.index(o);
    this.execute(o, price, 'taker', which);
  }

  private liquidate(pos: PaperPosition, price: number): void {
    const o = this.newOrder({
      clientOrderId: null,
      symbol: pos.symbol,
      side: exitSide(pos.side),
      type: 'market',
      price: null,
      quantity: pos.quantity,
      reduceOnly: true,
      postOnly: false,
      triggerPrice: pos.liquidationPrice,
      triggerDirection: pos.side === 'long' ? 'below' : 'above',
      stopLoss: null,
      takeProfit: null,
      origin: 'liquidation',
    });
    o.triggered = true;
    this.index(o);
    let realized = money(pnl(pos.side, pos.entryPrice, price, pos.quantity));
    let fee: number;
    if (pos.marginMode === 'isolated') {
      // The whole isolated margin is lost; the insurance fund covers anything beyond it.
      if (realized < -pos.margin) realized = -pos.margin;
      fee = money(pos.margin + realized);
    } else {
      fee = money(pos.quantity * price * this.mmr);
    }
    const quantity = pos.quantity;
    this.bookToWallet(fee, realized);
    this.dropPosition(pos);
    this.finishFilled(o, quantity, price, fee);
    this.recordFill(o, quantity, price, fee, realized, 'taker', 'liquidation');
    this.refreshLiquidation();
  }

  /** What filling the rest of `o` at `price` would do; null when a reduce-only order has nothing to reduce. */
  private plan(o: PaperOrder, price: number, liquidity: 'maker' | 'taker'): FillPlan | null {
    const market = this.markets.get(o.symbol);
    const pos = this.positions.get(o.symbol);
    let quantity = num(o.quantity - o.filled);
    if (o.reduceOnly) {
      if (!pos || entrySide(pos.side) === o.side) return null;
      if (quantity > pos.quantity) quantity = pos.quantity;
    }
    const leverage = this.settingsOf(market).leverage;
    const reducing = pos && entrySide(pos.side) !== o.side ? Math.min(quantity, pos.quantity) : 0;
    const opening = num(quantity - reducing);
    const fee = money(quantity * price * (liquidity === 'maker' ? market.makerFee : market.takerFee));
    const openMargin = money((opening * price) / leverage);
    const released = pos && reducing > 0 ? money((pos.margin * reducing) / pos.quantity) : 0;
    const realized = pos && reducing > 0 ? money(pnl(pos.side, pos.entryPrice, price, reducing)) : 0;
    const available = this.freeBalance() + o.reservedMargin + released + realized;
    return { quantity, reducing, opening, fee, openMargin, released, realized, available };
  }

  /** Fill the rest of `o` at `price`; cancels it instead when it cannot fill. */
  private execute(o: PaperOrder, price: number, liquidity: 'maker' | 'taker', reason: FillReason): void {
    const plan = this.plan(o, price, liquidity);
    if (!plan) {
      this.finish(o, 'cancelled', 'reduce-only order has no position to reduce');
      return;
    }
    if (plan.opening > 0 && plan.openMargin + plan.fee > plan.available + 1e-9) {
      this.finish(o, 'cancelled', 'insufficient balance to fill');
      return;
    }
    if (plan.quantity < o.quantity - o.filled) o.quantity = num(o.filled + plan.quantity);
    o.reservedMargin = 0;
    this.unbook(o);
    let pos = this.positions.get(o.symbol);
    this.bookToWallet(plan.fee, plan.realized);
    if (pos && plan.reducing > 0) {
      pos.margin = money(pos.margin - plan.released);
      pos.quantity = num(pos.quantity - plan.reducing);
      pos.realizedPnl = money(pos.realizedPnl + plan.realized);
      pos.updatedAt = this.now();
      if (pos.quantity <= 0) {
        this.dropPosition(pos);
        pos = undefined;
      }
    }
    if (plan.opening > 0) {
      const market = this.markets.get(o.symbol);
      const settings = this.settingsOf(market);
      if (pos) {
        pos.entryPrice = num((pos.entryPrice * pos.quantity + price * plan.opening) / (pos.quantity + plan.opening));
        pos.quantity = num(pos.quantity + plan.opening);
        pos.margin = money(pos.margin + plan.openMargin);
        pos.updatedAt = this.now();
      } else {
        pos = {
          symbol: o.symbol,
          side: sideOf(o.side),
          quantity: plan.opening,
          entryPrice: price,
          leverage: settings.leverage,
          marginMode: settings.marginMode,
          margin: plan.openMargin,
          stopLoss: null,
          takeProfit: null,
          stopLossQty: null,
          takeProfitQty: null,
          liquidationPrice: null,
          realizedPnl: 0,
          openedAt: this.now(),
          updatedAt: this.now(),
        };
        this.positions.set(o.symbol, pos);
      }
      if (o.stopLoss !== null) {
        pos.stopLoss = o.stopLoss;
        pos.stopLossQty = null;
      }
      if (o.takeProfit !== null) {
        pos.takeProfit = o.takeProfit;
        pos.takeProfitQty = null;
      }
    }
    this.finishFilled(o, plan.quantity, price, plan.fee);
    this.refreshLiquidation();
    this.recordFill(o, plan.quantity, price, plan.fee, plan.realized, liquidity, reason);
  }

  /** Book a fill's fee and realized PnL to the wallet. */
  private bookToWallet(fee: number, realized: number): void {
    this.s.walletBalance = money(this.s.walletBalance - fee + realized);
    this.s.feesPaid = money(this.s.feesPaid + fee);
    this.s.realizedPnl = money(this.s.realizedPnl + realized);
  }

  private dropPosition(pos: PaperPosition): void {
    this.positions.delete(pos.symbol);
    const book = this.books.get(pos.symbol);
    if (!book) return;
    for (const o of [...book]) if (o.reduceOnly) this.finish(o, 'cancelled', 'position closed');
  }

  private refreshLiquidation(): void {
    if (this.positions.size === 0) return;
    let freeForCross: number | null = null;
    for (const p of this.positions.values()) {
      let margin = p.margin;
      if (p.marginMode === 'cross') {
        freeForCross ??= Math.max(0, this.s.walletBalance - this.usedMargin());
        margin += freeForCross;
      }
      const raw = liquidationPrice(p.side, p.entryPrice, p.quantity, margin, this.mmr);
      if (raw === null || raw <= 0) {
        p.liquidationPrice = null;
        continue;
      }
      const tick = this.markets.get(p.symbol).tickSize;
      const rounded = roundToStep(raw, tick, p.side === 'long' ? 'up' : 'down');
      p.liquidationPrice = rounded > 0 ? rounded : null;
    }
  }

  // ---------------------------------------------------------------- helpers

  private priceOf(symbol: string, operation: string): number {
    const p = this.last.get(symbol);
    if (p === undefined) throw new ExchangeUnavailable(`no price for ${symbol} yet`, options(operation, { symbol }));
    return p;
  }

  private slipped(market: Market, side: Side, price: number): number {
    if (this.slippageBps === 0) return price;
    const raw = price * (1 + ((side === 'buy' ? 1 : -1) * this.slippageBps) / 10_000);
    return roundToStep(raw, market.tickSize, side === 'buy' ? 'up' : 'down');
  }

  private settingsOf(market: Market): SymbolSettings {
    return this.s.settings[market.symbol] ?? { leverage: Math.min(this.defaultLeverage, market.maxLeverage), marginMode: 'isolated' };
  }

  private bookOf(symbol: string): PaperOrder[] {
    let book = this.books.get(symbol);
    if (!book) {
      book = [];
      this.books.set(symbol, book);
    }
    return book;
  }

  private lookup(symbol: string, ref: { id?: string; clientOrderId?: string }): PaperOrder | null {
    const o = (ref.id !== undefined ? this.byId.get(ref.id) : undefined) ?? (ref.clientOrderId !== undefined ? this.byClientId.get(ref.clientOrderId) : undefined);
    return o && o.symbol === symbol ? o : null;
  }

  private index(o: PaperOrder): void {
    this.byId.set(o.id, o);
    if (o.clientOrderId !== null) this.byClientId.set(o.clientOrderId, o);
  }

  private unrealized(p: PaperPosition): number {
    const mark = this.last.get(p.symbol);
    return mark === undefined ? 0 : pnl(p.side, p.entryPrice, mark, p.quantity);
  }

  private usedMargin(): number {
    let used = 0;
    for (const p of this.positions.values()) used += p.margin;
    for (const book of this.books.values()) for (const o of book) used += o.reservedMargin;
    return used;
  }

  private freeBalance(): number {
    let crossLoss = 0;
    for (const p of this.positions.values()) {
      if (p.marginMode !== 'cross') continue;
      const u = this.unrealized(p);
      if (u < 0) crossLoss += u;
    }
    return money(this.s.walletBalance - this.usedMargin() + crossLoss);
  }

  /** Margin a resting order holds: for the part that would open or increase a position. */
  private reserveFor(o: Pick<PaperOrder, 'symbol' | 'side' | 'quantity' | 'reduceOnly'>, price: number): number {
    if (o.reduceOnly) return 0;
    const pos = this.positions.get(o.symbol);
    const opening = pos && entrySide(pos.side) !== o.side ? Math.max(0, o.quantity - pos.quantity) : o.quantity;
    return money((opening * price) / this.settingsOf(this.markets.get(o.symbol)).leverage);
  }

  private checkAttached(symbol: string, side: Side, stopLoss: number | null, takeProfit: number | null, reference: number, op: string): void {
    const buy = side === 'buy';
    if (stopLoss !== null && (buy ? stopLoss >= reference : stopLoss <= reference)) {
      throw new OrderRejected(`stop-loss ${stopLoss} of a ${side} entry on ${symbol} must be ${buy ? 'below' : 'above'} ${reference}`, options(op, { stopLoss, reference }));
    }
    if (takeProfit !== null && (buy ? takeProfit <= reference : takeProfit >= reference)) {
      throw new OrderRejected(`take-profit ${takeProfit} of a ${side} entry on ${symbol} must be ${buy ? 'above' : 'below'} ${reference}`, options(op, { takeProfit, reference }));
    }
  }

  private insufficient(operation: string, symbol: string, needed: number, available: number): InsufficientFunds {
    const n = money(needed);
    const a = money(Math.max(0, available));
    return new InsufficientFunds(`insufficient balance on ${symbol}: needs ${n} ${this.s.currency}, ${a} available`, options(operation, { symbol, needed: n, available: a, currency: this.s.currency }));
  }

  private newOrder(fields: {
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

  private finishFilled(o: PaperOrder, quantity: number, price: number, fee: number): void {
    const filled = num(o.filled + quantity);
    o.averagePrice = o.averagePrice === null || o.filled === 0 ? price : num((o.averagePrice * o.filled + price * quantity) / filled);
    o.filled = filled;
    o.fee = money(o.fee + fee);
    this.finish(o, 'filled', null);
  }

  /** Move an order out of the book into the bounded history. */
  private finish(o: PaperOrder, status: 'filled' | 'cancelled', reason: string | null): void {
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

  private unbook(o: PaperOrder): void {
    const book = this.books.get(o.symbol);
    if (!book) return;
    const i = book.indexOf(o);
    if (i >= 0) book.splice(i, 1);
  }

  private recordFill(o: PaperOrder, quantity: number, price: number, fee: number, realized: number, liquidity: 'maker' | 'taker', reason: FillReason): void {
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
      timestamp: this.now(),
    };
    const fills = this.s.fills;
    fills.push(fill);
    if (fills.length > this.fillsLimit) fills.splice(0, fills.length - this.fillsLimit);
    for (const l of this.fillListeners) l({ ...fill });
  }

  private emitOrder(o: PaperOrder): void {
    if (this.orderListeners.size === 0) return;
    const order = toOrder(o);
    for (const l of this.orderListeners) l(order);
  }

  private changed(): void {
    for (const l of this.changeListeners) l();
  }
}

