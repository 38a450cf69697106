/**
 * The Paper exchange's matching engine: a synchronous, in-memory simulation of
 * a USDT-margined perpetual-futures account. No I/O; the adapter persists its
 * state and feeds it prices. Semantics (modelled on Bybit linear perpetuals):
 *
 * - One-way mode: one net position per symbol. An order against the position
 *   first reduces it (realizing PnL), and any excess opens the other side.
 *
 * The rules live with the code that applies them, one layer a file, each
 * extending the one before:
 * - engine-state.ts: state, order books and id indexes, snapshot/restore,
 *   listeners, order/fill bookkeeping;
 * - engine-margin.ts: fills' effect on wallet and position, margin, free
 *   balance, liquidation (margin, liquidation and balance rules);
 * - engine-matching.ts: price moves (segments, candles), resting and
 *   conditional orders touched, position protection firing, liquidation;
 * - engine-orders.ts: placing, cancelling, amending, closing (market, limit,
 *   conditional and reduce-only orders, client order ids);
 * - this file: the public engine: reads, leverage, margin mode, position
 *   protection.
 */
import {
  OrderRejected,
  type Balance,
  type MarginMode,
  type Order,
  type Position,
  type PositionSide,
} from '../../models/index.js';
import { EngineOrders } from './engine-orders.js';
import { errorOptions, money } from './engine-state.js';
import { toOrder, toPosition, type PaperFill, type PaperOrder, type SymbolSettings } from './state.js';
import { checkLeverage, checkPrice, checkQuantity } from './validate.js';

export type { FillListener, OrderListener, PaperEngineOptions } from './engine-state.js';

export interface ProtectionChange {
  stopLoss?: number | null;
  takeProfit?: number | null;
  quantity?: number;
}

export class PaperEngine extends EngineOrders {
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
    if (mode !== 'isolated' && mode !== 'cross') throw new OrderRejected(`unknown margin mode ${JSON.stringify(mode)}`, errorOptions(op));
    checkLeverage(market, leverage, op);
    const settings = this.settingsOf(market);
    if (settings.marginMode !== mode) {
      if (this.positions.has(market.symbol) || (this.books.get(market.symbol)?.length ?? 0) > 0) {
        throw new OrderRejected(`cannot switch ${market.symbol} to ${mode} margin with an open position or open orders`, errorOptions(op, { symbol: market.symbol, mode }));
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
      throw new OrderRejected(`no ${side} position on ${market.symbol} to protect`, errorOptions(op, { symbol: market.symbol, side }));
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
          errorOptions(op, { stopLoss: change.stopLoss, price: mark }),
        );
      }
      const liq = pos.liquidationPrice;
      if (liq !== null && (long ? change.stopLoss <= liq : change.stopLoss >= liq)) {
        throw new OrderRejected(
          `stop-loss ${change.stopLoss} for a ${side} position must be ${long ? 'above' : 'below'} the liquidation price ${liq}`,
          errorOptions(op, { stopLoss: change.stopLoss, liquidationPrice: liq }),
        );
      }
    }
    if (change.takeProfit != null) {
      checkPrice(market, change.takeProfit, 'takeProfit', op);
      if (long ? change.takeProfit <= mark : change.takeProfit >= mark) {
        throw new OrderRejected(
          `take-profit ${change.takeProfit} for a ${side} position must be ${long ? 'above' : 'below'} the current price ${mark}`,
          errorOptions(op, { takeProfit: change.takeProfit, price: mark }),
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
}
