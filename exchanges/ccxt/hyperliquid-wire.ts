/**
 * HyperLiquid order wires and signed actions.
 *
 * Every signed action
 * (order, cancel, cancelByCloid, batchModify, updateLeverage) is built here
 * from ccxt's own order-wire builder (`createOrderRequest`, which applies
 * HyperLiquid's price/size precision and the slippage bound), signed with
 * ccxt's `signL1Action` and sent with `privatePostExchange`. That keeps the
 * exact action JSON in our hands (grouping, one cloid per order, no builder
 * fee) and never runs ccxt's `initializeClient` (approveBuilderFee,
 * setReferrer): the tests assert that no such action is ever sent.
 */
import ccxt from 'ccxt';
import { ExchangeError, ValidationError, type Market, type Order, type OrderRequest, type OrderStatus, type Side } from '../../models/index.js';
import type { Fail } from './adapter-core.js';
import { amountString, mapCcxtError, priceString, responseBodyOf } from './base.js';
import { toHyperliquidCloid, triggerTpsl } from './hyperliquid-ids.js';

export type OrderWire = Record<string, unknown>;
export type Grouping = 'na' | 'normalTpsl' | 'positionTpsl';

/** What the parts of one HyperLiquid adapter share. */
export interface HyperliquidCore {
  /** The adapter's ccxt.hyperliquid. */
  ex: any;
  wallet: string;
  /** Slippage bound of market orders (fraction of the reference price). */
  slippage: number;
  /** Orders per `order` action. */
  batchSize: number;
  fail: Fail;
  loadMarkets(reload?: boolean): Promise<Market[]>;
  market(symbol: string): Promise<Market>;
  unifiedOf(ccxtSymbol: string | undefined): string;
}

export function hyperliquidWire({ ex, slippage, fail }: HyperliquidCore) {
  /** cloid -> our client order id, for orders this process placed or looked up. */
  const clientIds = new Map<string, string>();

  const coinOf = (m: Market): string => ex.market(m.exchangeSymbol).baseName ?? ex.market(m.exchangeSymbol).info?.name;

  function cloidFor(clientOrderId: string): string {
    const c = toHyperliquidCloid(clientOrderId);
    clientIds.set(c, clientOrderId);
    return c;
  }
  function withClientId(o: Order): Order {
    const known = o.clientOrderId ? clientIds.get(o.clientOrderId) : undefined;
    return known ? { ...o, clientOrderId: known } : o;
  }

  /** Reference price for a market order without one: the mid price (allMids, weight 2). */
  async function referencePrice(m: Market): Promise<number> {
    const mids = await ex.publicPostInfo({ type: 'allMids' }).catch(fail('referencePrice', m));
    const px = Number(mids?.[coinOf(m)]);
    if (!(px > 0)) throw new ExchangeError(`hyperliquid has no mid price for ${m.symbol}`, { exchange: 'hyperliquid', operation: 'referencePrice' });
    return px;
  }

  function checkedQty(m: Market, qty: number, op: string): number {
    return Number(amountString(ex, 'hyperliquid', m, qty, op));
  }
  function checkedPrice(m: Market, px: number, op: string): number {
    return Number(priceString(ex, 'hyperliquid', m, px, op));
  }

  /** One order wire (ccxt's builder: precision, slippage-bounded px for market orders, tif). */
  function wire(m: Market, args: { type: 'market' | 'limit'; side: Side; qty: number; price: number; cloid?: string; reduceOnly?: boolean; postOnly?: boolean; sl?: number; tp?: number }): OrderWire {
    const params: Record<string, unknown> = { slippage: String(slippage), reduceOnly: !!args.reduceOnly };
    if (args.cloid) params.clientOrderId = args.cloid;
    if (args.postOnly) params.postOnly = true;
    if (args.sl !== undefined) params.stopLossPrice = ex.numberToString(args.sl);
    if (args.tp !== undefined) params.takeProfitPrice = ex.numberToString(args.tp);
    try {
      // ccxt's builder does string arithmetic (Precise): numbers go in as decimal strings.
      return ex.createOrderRequest(m.exchangeSymbol, args.type, args.side, ex.numberToString(args.qty), ex.numberToString(args.price), params);
    } catch (e) {
      throw mapCcxtError(e, { exchange: 'hyperliquid', operation: 'buildOrder', market: m });
    }
  }

  /** Sign and send one L1 action; returns the response or throws the mapped error. */
  async function sendAction(action: Record<string, unknown>, operation: string, m?: Market): Promise<any> {
    const nonce = ex.incrementingNonce();
    const signature = ex.signL1Action(action, nonce);
    return ex.privatePostExchange({ action, nonce, signature }).catch(fail(operation, m));
  }

  /**
   * Send an `order` action and return one status per wire. A failed order
   * makes ccxt throw although the others were placed: the statuses are read
   * back from the error's response body so each item gets its own result.
   */
  async function sendOrders(wires: OrderWire[], grouping: Grouping, operation: string, m: Market): Promise<(any | Error)[]> {
    const action = { type: 'order', orders: wires, grouping };
    const nonce = ex.incrementingNonce();
    const signature = ex.signL1Action(action, nonce);
    let response: any;
    try {
      response = await ex.privatePostExchange({ action, nonce, signature });
    } catch (e) {
      const body = responseBodyOf(e) as any;
      const statuses = body?.response?.data?.statuses;
      if (!Array.isArray(statuses) || statuses.length !== wires.length) throw mapCcxtError(e, { exchange: 'hyperliquid', operation, market: m });
      response = body;
    }
    const statuses: any[] = response?.response?.data?.statuses ?? [];
    return wires.map((_, i) => {
      const s = statuses[i];
      if (s && typeof s === 'object' && typeof s.error === 'string') {
        const err = new (ccxt as any).ExchangeError(`hyperliquid ${JSON.stringify({ status: 'ok', response: { type: 'order', data: { statuses: [s] } } })}`);
        return mapCcxtError(err, { exchange: 'hyperliquid', operation, market: m });
      }
      return s ?? 'unknown';
    });
  }

  function orderFromStatus(s: any, r: OrderRequest, m: Market): Order {
    const now = Date.now();
    let id = '';
    let status: OrderStatus = 'open';
    let filled = 0;
    let avg: number | null = null;
    if (s && typeof s === 'object' && s.resting) {
      id = String(s.resting.oid);
    } else if (s && typeof s === 'object' && s.filled) {
      id = String(s.filled.oid);
      filled = Number(s.filled.totalSz) || 0;
      avg = Number(s.filled.avgPx) || null;
      // An IOC that filled part of its size had the rest cancelled.
      status = filled + 1e-12 >= r.quantity ? 'filled' : 'cancelled';
    } else if (s === 'waitingForTrigger' || s === 'waitingForFill') {
      status = 'open';
    } else {
      status = 'unknown';
    }
    return {
      id,
      clientOrderId: r.clientOrderId,
      symbol: m.symbol,
      side: r.side,
      type: r.type,
      status,
      price: r.type === 'limit' ? (r.price ?? null) : null,
      quantity: r.quantity,
      filled,
      averagePrice: avg,
      reduceOnly: !!r.reduceOnly,
      triggerPrice: r.triggerPrice ?? null,
      fee: 0,
      timestamp: now,
    };
  }

  /**
   * A reduce-only trigger order (a standalone stop-loss or take-profit of a
   * given size, e.g. a grid's stop): HyperLiquid `trigger` order type, `tpsl`
   * from the side and the trigger direction, market (IOC bounded by the
   * slippage setting from the trigger price) or limit at `price`. Sent with
   * grouping `na` (explicit size). Conditional entries are refused.
   */
  function triggerWire(m: Market, r: OrderRequest, qty: number, op: string): OrderWire {
    if (!r.reduceOnly) {
      throw new ValidationError(
        `hyperliquid adapter: conditional entries (triggerPrice without reduceOnly) are not supported; only reduce-only stop-loss/take-profit triggers (order ${r.clientOrderId} on ${m.symbol})`,
        { details: { field: 'triggerPrice', reason: 'conditional-entry-unsupported', clientOrderId: r.clientOrderId } },
      );
    }
    if (r.stopLoss !== undefined || r.takeProfit !== undefined) {
      throw new ValidationError(`hyperliquid adapter: a trigger order cannot carry its own stopLoss/takeProfit (order ${r.clientOrderId})`, { details: { field: 'stopLoss', clientOrderId: r.clientOrderId } });
    }
    if (r.triggerDirection !== 'above' && r.triggerDirection !== 'below') {
      throw new ValidationError(`hyperliquid adapter: trigger order ${r.clientOrderId} needs triggerDirection 'above' or 'below' (it decides stop-loss vs take-profit)`, {
        details: { field: 'triggerDirection', clientOrderId: r.clientOrderId },
      });
    }
    const kind = triggerTpsl(r.side, r.triggerDirection);
    const trigger = checkedPrice(m, r.triggerPrice!, op);
    const cloid = cloidFor(r.clientOrderId!);
    if (r.type === 'limit') {
      if (r.price === undefined) throw new ValidationError(`limit trigger order ${r.clientOrderId} needs a price`);
      return wire(m, { type: 'limit', side: r.side, qty, price: checkedPrice(m, r.price, op), [kind]: trigger, reduceOnly: true, cloid });
    }
    return wire(m, { type: 'market', side: r.side, qty, price: trigger, [kind]: trigger, reduceOnly: true, cloid });
  }

  async function requestWire(m: Market, r: OrderRequest, op: string): Promise<OrderWire> {
    if (!r.clientOrderId) throw new ValidationError('hyperliquid orders need a clientOrderId');
    const qty = checkedQty(m, r.quantity, op);
    if (r.triggerPrice !== undefined) return triggerWire(m, r, qty, op);
    let price: number;
    if (r.type === 'limit') {
      if (r.price === undefined) throw new ValidationError(`limit order ${r.clientOrderId} needs a price`);
      price = checkedPrice(m, r.price, op);
    } else {
      price = r.price ?? (await referencePrice(m));
    }
    return wire(m, { type: r.type, side: r.side, qty, price, cloid: cloidFor(r.clientOrderId), reduceOnly: !!r.reduceOnly, postOnly: !!r.postOnly });
  }

  async function cancelByRefs(m: Market, refs: { id?: string; clientOrderId?: string }[], operation: string): Promise<void> {
    const asset = Number(ex.market(m.exchangeSymbol).baseId);
    const byCloid = refs.filter((r) => !r.id && r.clientOrderId);
    const byId = refs.filter((r) => r.id);
    const actions: Record<string, unknown>[] = [];
    if (byId.length) actions.push({ type: 'cancel', cancels: byId.map((r) => ({ a: asset, o: Number(r.id) })) });
    if (byCloid.length) actions.push({ type: 'cancelByCloid', cancels: byCloid.map((r) => ({ asset, cloid: toHyperliquidCloid(r.clientOrderId!) })) });
    for (const action of actions) {
      try {
        await sendAction(action, operation, m);
      } catch (e) {
        // "Order was never placed, already canceled, or filled": already gone is success.
        if ((e as { code?: string }).code !== 'order-not-found') throw e;
      }
    }
  }

  return { coinOf, cloidFor, withClientId, checkedQty, checkedPrice, wire, sendAction, sendOrders, orderFromStatus, requestWire, cancelByRefs };
}

export type HyperliquidWire = ReturnType<typeof hyperliquidWire>;
