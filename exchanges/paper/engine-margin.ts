/**
 * The Paper engine's margin layer: what a fill does to the wallet and the
 * position (fees, realized PnL, margin held and released), the free balance,
 * resting-order margin, and liquidation.
 *
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
 */
import { InsufficientFunds, entrySide, exitSide, pnl, roundToStep } from '../../models/index.js';
import { EngineState, errorOptions, money, num, sideOf } from './engine-state.js';
import { liquidationPrice } from './fill-rules.js';
import type { FillReason, PaperOrder, PaperPosition } from './state.js';

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

export abstract class EngineMargin extends EngineState {
  /** What filling the rest of `o` at `price` would do; null when a reduce-only order has nothing to reduce. */
  protected plan(o: PaperOrder, price: number, liquidity: 'maker' | 'taker'): FillPlan | null {
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
  protected execute(o: PaperOrder, price: number, liquidity: 'maker' | 'taker', reason: FillReason): void {
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

  protected refreshLiquidation(): void {
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

  protected liquidate(pos: PaperPosition, price: number): void {
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

  protected unrealized(p: PaperPosition): number {
    const mark = this.last.get(p.symbol);
    return mark === undefined ? 0 : pnl(p.side, p.entryPrice, mark, p.quantity);
  }

  protected usedMargin(): number {
    let used = 0;
    for (const p of this.positions.values()) used += p.margin;
    for (const book of this.books.values()) for (const o of book) used += o.reservedMargin;
    return used;
  }

  protected freeBalance(): number {
    let crossLoss = 0;
    for (const p of this.positions.values()) {
      if (p.marginMode !== 'cross') continue;
      const u = this.unrealized(p);
      if (u < 0) crossLoss += u;
    }
    return money(this.s.walletBalance - this.usedMargin() + crossLoss);
  }

  /** Margin a resting order holds: for the part that would open or increase a position. */
  protected reserveFor(o: Pick<PaperOrder, 'symbol' | 'side' | 'quantity' | 'reduceOnly'>, price: number): number {
    if (o.reduceOnly) return 0;
    const pos = this.positions.get(o.symbol);
    const opening = pos && entrySide(pos.side) !== o.side ? Math.max(0, o.quantity - pos.quantity) : o.quantity;
    return money((opening * price) / this.settingsOf(this.markets.get(o.symbol)).leverage);
  }

  protected insufficient(operation: string, symbol: string, needed: number, available: number): InsufficientFunds {
    const n = money(needed);
    const a = money(Math.max(0, available));
    return new InsufficientFunds(`insufficient balance on ${symbol}: needs ${n} ${this.s.currency}, ${a} available`, errorOptions(operation, { symbol, needed: n, available: a, currency: this.s.currency }));
  }
}
