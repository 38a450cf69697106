/**
 * The Paper engine's matching layer: price moves, and the fills, triggers,
 * position protection and liquidations they cause.
 *
 * - Prices move along segments. `applyPrice` is a continuous move from the
 *   last price; `applyCandle` jumps to the open (a gap) and then walks the
 *   candle's path (fill-rules.ts `candlePath`). Within a segment, events fire
 *   in the order the price reaches them; ties go stop-loss, take-profit,
 *   orders (oldest first), liquidation.
 * - Conditional orders (placed by engine-orders.ts) on the cross become a
 *   market order (filled at the trigger price, taker) or a limit order (taker
 *   if marketable at that moment, else resting as maker).
 * - Attached stopLoss/takeProfit of an entry become the position's protection
 *   when it fills (replacing any there). Position stop-loss / take-profit fire
 *   at their trigger price (the gap price when the move starts beyond it) as
 *   reduce-only market orders paying the taker fee. Protection goes away with
 *   the position; a partial one is consumed when it fires.
 * - No partial fills and no order book: an order fills in full when touched.
 */
import { exitSide, type Candle } from '../../models/index.js';
import { EngineMargin } from './engine-margin.js';
import { limitFillPrice, limitTouched, triggerCrossed, triggerFillPrice } from './fill-rules.js';
import type { PaperOrder, PaperPosition } from './state.js';

export abstract class EngineMatching extends EngineMargin {
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

  protected runSegment(symbol: string, from: number, to: number): void {
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
}
