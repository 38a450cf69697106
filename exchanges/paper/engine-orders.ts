/**
 * The Paper engine's order layer: placing (validation, margin checks,
 * immediate fills), cancelling, amending, and closing a position.
 *
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
 * - Client order ids are unique among the open orders and the retained history
 *   (a duplicate is rejected). Ids are deterministic ("paper-<n>").
 */
import {
  OrderNotFound,
  OrderRejected,
  entrySide,
  exitSide,
  roundToStep,
  type Market,
  type Order,
  type OrderRequest,
  type PositionSide,
  type Side,
} from '../../models/index.js';
import { EngineMatching } from './engine-matching.js';
import { errorOptions } from './engine-state.js';
import { toOrder } from './state.js';
import { checkClientOrderId, checkNotional, checkPrice, checkQuantity } from './validate.js';

export abstract class EngineOrders extends EngineMatching {
  // ---------------------------------------------------------------- orders

  placeOrder(req: OrderRequest): Order {
    const op = 'placeOrder';
    const market = this.markets.get(req.symbol);
    const symbol = market.symbol;
    checkClientOrderId(req.clientOrderId, op);
    const dup = this.byClientId.get(req.clientOrderId);
    if (dup) {
      throw new OrderRejected(`duplicate clientOrderId ${JSON.stringify(req.clientOrderId)} (order ${dup.id})`, errorOptions(op, { clientOrderId: req.clientOrderId, orderId: dup.id }));
    }
    if (req.side !== 'buy' && req.side !== 'sell') throw new OrderRejected(`unknown order side ${JSON.stringify(req.side)}`, errorOptions(op));
    if (req.type !== 'market' && req.type !== 'limit') throw new OrderRejected(`unknown order type ${JSON.stringify(req.type)}`, errorOptions(op));
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
          errorOptions(op, { symbol, side: req.side }),
        );
      }
      if (req.stopLoss != null || req.takeProfit != null) {
        throw new OrderRejected('stopLoss/takeProfit cannot be attached to a reduce-only order', errorOptions(op));
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
          errorOptions(op, { triggerPrice: trigger, triggerDirection: direction, price: mark }),
        );
      }
    }
    const marketable = limitPrice !== null && (req.side === 'buy' ? limitPrice >= mark : limitPrice <= mark);
    if (trigger === null && marketable && req.postOnly === true) {
      throw new OrderRejected(`post-only ${req.side} limit at ${limitPrice} would take liquidity (current price ${mark})`, errorOptions(op, { price: limitPrice, current: mark }));
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
      throw new OrderRejected('cancelOrder needs an id or a clientOrderId', errorOptions('cancelOrder'));
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
      throw new OrderNotFound(`no open order ${JSON.stringify(id)} on ${market.symbol}`, errorOptions(op, { id }));
    }
    const quantity = changes.quantity ?? o.quantity;
    if (changes.quantity !== undefined) checkQuantity(market, quantity, op);
    let price = o.price;
    if (changes.price !== undefined) {
      if (o.type !== 'limit') throw new OrderRejected('only a limit order has a price to amend', errorOptions(op, { id }));
      checkPrice(market, changes.price, 'price', op);
      price = changes.price;
    }
    let trigger = o.triggerPrice;
    if (changes.triggerPrice !== undefined) {
      if (o.triggerPrice === null || o.triggered) throw new OrderRejected('the order has no pending trigger to amend', errorOptions(op, { id }));
      checkPrice(market, changes.triggerPrice, 'triggerPrice', op);
      trigger = changes.triggerPrice;
    }
    const mark = this.priceOf(market.symbol, op);
    if (!o.reduceOnly) checkNotional(market, quantity, price ?? trigger ?? mark, op);
    const pendingTrigger = trigger !== null && !o.triggered;
    if (pendingTrigger && (o.triggerDirection === 'above' ? mark >= trigger! : mark <= trigger!)) {
      throw new OrderRejected(`trigger price ${trigger} (${o.triggerDirection}) is already crossed: the current price is ${mark}`, errorOptions(op));
    }
    const marketable = !pendingTrigger && price !== null && (o.side === 'buy' ? price >= mark : price <= mark);
    if (marketable && o.postOnly) {
      throw new OrderRejected(`post-only ${o.side} limit at ${price} would take liquidity (current price ${mark})`, errorOptions(op));
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
      throw new OrderRejected(`no ${side} position on ${market.symbol} to close`, errorOptions('closePosition', { symbol: market.symbol, side }));
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

  // ---------------------------------------------------------------- helpers

  private slipped(market: Market, side: Side, price: number): number {
    if (this.slippageBps === 0) return price;
    const raw = price * (1 + ((side === 'buy' ? 1 : -1) * this.slippageBps) / 10_000);
    return roundToStep(raw, market.tickSize, side === 'buy' ? 'up' : 'down');
  }

  private checkAttached(symbol: string, side: Side, stopLoss: number | null, takeProfit: number | null, reference: number, op: string): void {
    const buy = side === 'buy';
    if (stopLoss !== null && (buy ? stopLoss >= reference : stopLoss <= reference)) {
      throw new OrderRejected(`stop-loss ${stopLoss} of a ${side} entry on ${symbol} must be ${buy ? 'below' : 'above'} ${reference}`, errorOptions(op, { stopLoss, reference }));
    }
    if (takeProfit !== null && (buy ? takeProfit <= reference : takeProfit >= reference)) {
      throw new OrderRejected(`take-profit ${takeProfit} of a ${side} entry on ${symbol} must be ${buy ? 'above' : 'below'} ${reference}`, errorOptions(op, { takeProfit, reference }));
    }
  }
}
