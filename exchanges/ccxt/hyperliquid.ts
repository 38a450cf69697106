/**
 * HyperLiquid perpetuals (USDC-margined) through ccxt.hyperliquid.
 *
 * Reads go through ccxt's methods (POST /info). Every signed action
 * (order, cancel, cancelByCloid, batchModify, updateLeverage) is built here
 * from ccxt's own order-wire builder (`createOrderRequest`, which applies
 * HyperLiquid's price/size precision and the slippage bound), signed with
 * ccxt's `signL1Action` and sent with `privatePostExchange`. That keeps the
 * exact action JSON in our hands (grouping, one cloid per order, no builder
 * fee) and never runs ccxt's `initializeClient` (approveBuilderFee,
 * setReferrer): the tests assert that no such action is ever sent.
 *
 * Client order ids: `cloid` = "0x" + md5(clientOrderId) (32 hex chars).
 * Position protection (attached children and setPositionProtection orders)
 * uses the ids `${clientOrderId}:sl` / `:tp` (`#n` appended for a re-used
 * id), whose cloids carry PROTECTION_CLOID_TAG in their first four bytes: so
 * the adapter can tell "the position's stop" from any other reduce-only
 * trigger on the coin (a grid's own stop, a user's manual order) without
 * storing anything, and services can cancel an attached child by its derived
 * id (`cancelOrder(symbol, { clientOrderId: `${entryId}:sl` })`).
 */
import { createHash } from 'node:crypto';
import ccxt from 'ccxt';
import {
  AuthFailed,
  ExchangeError,
  MarketNotFound,
  OrderRejected,
  ValidationError,
  exitSide,
  type Balance,
  type Candle,
  type MarginMode,
  type Market,
  type Order,
  type OrderRequest,
  type OrderStatus,
  type Position,
  type PositionSide,
  type Side,
  type Ticker,
} from '../../models/index.js';
import { isDuplicateClientOrderId } from '../placement.js';
import type { AdapterContext, BatchItemResult, ExchangeAdapter, KeyAudit, PositionProtection } from '../types.js';
import {
  guardPrecision,
  mapCcxtError,
  originOf,
  overrideApiUrls,
  responseBodyOf,
  type AdapterLog,
  type FetchLike,
} from './base.js';
import { toBalance, toCandle, toMarket, toOrder, toPosition, toTicker, type CcxtMarketLike } from './map.js';
import { createSharedMarkets, type CcxtMarketSource, type SharedMarkets } from './market-store.js';
import { SymbolMap } from './symbols.js';

export interface HyperliquidAdapterOptions {
  accountId: string;
  environment: 'mainnet' | 'testnet';
  credentials: { walletAddress: string; privateKey: string };
  /** HYPERLIQUID_API_URL: replaces the base of every REST endpoint. */
  apiUrl?: string;
  /** Slippage bound of market orders (fraction of the reference price). Default 0.05. */
  slippage?: number;
  /** Orders per `order` action (one action costs ~1 weight per 40 orders). */
  batchSize?: number;
  fetchImpl?: FetchLike;
  timeoutMs?: number;
  /** Markets shared with other instances (ccxtAdapterFactories passes one per environment + URL); default: this instance's own. */
  sharedMarkets?: SharedMarkets;
  /** Runs the adapter's own start-up requests (the market load) through the client's limiter. */
  context?: AdapterContext;
  log?: AdapterLog;
}

export const HYPERLIQUID_DEFAULT_SLIPPAGE = 0.05;
export const HYPERLIQUID_MIN_ORDER_VALUE = 10;

/** HyperLiquid's orderType of a trigger order -> which wire field carries it; null for plain orders. */
export function triggerKind(orderType: unknown): 'tp' | 'sl' | null {
  const t = String(orderType ?? '').toLowerCase();
  if (t.startsWith('take profit')) return 'tp';
  if (t.startsWith('stop')) return 'sl';
  return null;
}

/** First four bytes of every position-protection cloid (never the start of any other cloid of ours). */
export const PROTECTION_CLOID_TAG = 'feedc0de';
const PROTECTION_ID = /:(sl|tp)(#\d+)?$/;

/** Our client order id of an entry's attached stop-loss / take-profit child (also what setPositionProtection derives from its clientOrderId). */
export function protectionClientOrderId(clientOrderId: string, kind: 'sl' | 'tp'): string {
  return `${clientOrderId}:${kind}`;
}

/** Is this a position-protection id (`...:sl`, `...:tp`, optionally `#n`)? */
export function isProtectionClientOrderId(clientOrderId: string): boolean {
  return PROTECTION_ID.test(clientOrderId);
}

/**
 * Deterministic HyperLiquid cloid for one of our client order ids:
 * "0x" + md5 (32 hex chars). Protection ids get PROTECTION_CLOID_TAG in
 * their first 8 hex chars; any other id whose md5 happens to start with the
 * tag has its first hex digit changed, so the two sets never meet.
 */
export function toHyperliquidCloid(clientOrderId: string): string {
  const h = createHash('md5').update(clientOrderId).digest('hex');
  if (isProtectionClientOrderId(clientOrderId)) return '0x' + PROTECTION_CLOID_TAG + h.slice(PROTECTION_CLOID_TAG.length);
  if (h.startsWith(PROTECTION_CLOID_TAG)) return '0x' + (parseInt(h[0]!, 16) ^ 1).toString(16) + h.slice(1);
  return '0x' + h;
}

/** A cloid read back from HyperLiquid belongs to position protection placed by this adapter. */
export function isProtectionCloid(cloid: unknown): boolean {
  return typeof cloid === 'string' && cloid.toLowerCase().startsWith('0x' + PROTECTION_CLOID_TAG);
}

/**
 * HyperLiquid trigger kind of a reduce-only trigger order: a sell closes a
 * long, so a sell triggered below is its stop-loss and above its
 * take-profit; a buy closes a short, the other way round.
 */
export function triggerTpsl(side: Side, direction: 'above' | 'below'): 'sl' | 'tp' {
  return (side === 'sell') === (direction === 'below') ? 'sl' : 'tp';
}

type OrderWire = Record<string, unknown>;

interface HyperliquidInstanceOptions {
  environment: 'mainnet' | 'testnet';
  apiUrl?: string | undefined;
  fetchImpl?: FetchLike | undefined;
  timeoutMs?: number | undefined;
  slippage?: number | undefined;
}

/** A ccxt.hyperliquid for USDC perps (credentials optional: the market loader has none). */
function newHyperliquid(o: HyperliquidInstanceOptions, credentials?: { walletAddress: string; privateKey: string }): any {
  const ex: any = new (ccxt as any).hyperliquid({
    ...(credentials ? { walletAddress: credentials.walletAddress, privateKey: credentials.privateKey } : {}),
    enableRateLimit: false,
    timeout: o.timeoutMs ?? 10_000,
    verbose: false,
    options: {
      defaultType: 'swap',
      defaultSlippage: o.slippage ?? HYPERLIQUID_DEFAULT_SLIPPAGE,
      // Never approve a builder fee or set a referrer on the user's account.
      builderFee: false,
      approvedBuilderFee: false,
      refSet: true,
      fetchMarkets: { types: ['swap'] },
    },
  });
  ex.has = { ...ex.has, fetchCurrencies: false };
  if (o.environment === 'testnet') ex.setSandboxMode(true);
  if (o.apiUrl) overrideApiUrls(ex.urls, o.apiUrl);
  if (o.fetchImpl) ex.fetchImplementation = o.fetchImpl;
  return ex;
}

/** The credential-less ccxt.hyperliquid that loads markets for a SharedMarkets store (one info metaAndAssetCtxs, weight 20). */
export function createHyperliquidMarketSource(o: HyperliquidInstanceOptions): CcxtMarketSource {
  return newHyperliquid(o) as CcxtMarketSource;
}
type Grouping = 'na' | 'normalTpsl' | 'positionTpsl';

export function createHyperliquidAdapter(opts: HyperliquidAdapterOptions): ExchangeAdapter & {
  auditKey(): Promise<KeyAudit>;
  verifyCredentials(): Promise<KeyAudit>;
  prepare(op: string): Promise<void>;
} {
  const slippage = opts.slippage ?? HYPERLIQUID_DEFAULT_SLIPPAGE;
  if (!(slippage > 0 && slippage < 0.5)) throw new ValidationError(`hyperliquid slippage must be in (0, 0.5), got ${slippage}`);
  const wallet = opts.credentials.walletAddress;
  const ex: any = newHyperliquid(opts, opts.credentials);
  const shared = opts.sharedMarkets ?? createSharedMarkets(`hyperliquid|${opts.environment}|${opts.apiUrl ?? ''}|own`, ex as CcxtMarketSource);
  const throttle = <T>(op: 'loadMarkets' | 'detectAccount', fn: () => Promise<T>): Promise<T> => (opts.context ? opts.context.throttle(op, fn) : fn());
  const host = originOf(opts.apiUrl ?? ex.implodeHostname(ex.urls.api.private));
  const batchSize = Math.min(Math.max(1, opts.batchSize ?? 40), 200);

  /** Margin mode last set per market (updateLeverage carries both); default cross. */
  const marginModes = new Map<string, MarginMode>();
  /** cloid -> our client order id, for orders this process placed or looked up. */
  const clientIds = new Map<string, string>();

  const fail = (operation: string, market?: Market) => (e: unknown) => {
    throw mapCcxtError(e, { exchange: 'hyperliquid', operation, ...(market ? { market } : {}) });
  };

  interface View {
    symbols: SymbolMap;
    byUnified: Map<string, Market>;
  }
  /** This instance's ccxt markets follow the shared store; the unified view is computed once per load for all instances. */
  let appliedVersion = 0;
  function view(): View | null {
    if (shared.version === 0) return null;
    if (shared.applyTo(ex, appliedVersion)) appliedVersion = shared.version;
    return shared.derived('hyperliquid-perps', () => {
      const all = Object.values(ex.markets as Record<string, CcxtMarketLike & { swap?: boolean }>);
      const perps = all.filter((m) => m.swap && m.settle === 'USDC' && !m.info?.hip3);
      const symbols = new SymbolMap(
        'hyperliquid',
        perps.map((m) => ({ symbol: m.symbol, base: m.base, quote: m.quote, settle: m.settle ?? 'USDC', baseName: m.info?.name })),
      );
      const byUnified = new Map<string, Market>();
      for (const m of perps) {
        const unified = symbols.toUnified(m.symbol);
        byUnified.set(unified, toMarket(m, unified, { minNotional: HYPERLIQUID_MIN_ORDER_VALUE, minQty: m.precision.amount ?? 0 }));
      }
      return { symbols, byUnified };
    });
  }

  async function loadMarkets(reload = false): Promise<Market[]> {
    if (reload || shared.version === 0) await shared.load(reload).catch(fail('loadMarkets'));
    return [...view()!.byUnified.values()];
  }

  async function market(symbol: string): Promise<Market> {
    await loadMarkets();
    const v = view()!;
    const ccxtSymbol = v.symbols.toExchange(symbol);
    const m = ccxtSymbol ? v.byUnified.get(v.symbols.toUnified(ccxtSymbol)) : undefined;
    if (!m) throw new MarketNotFound(`hyperliquid has no perpetual for ${symbol}`, { exchange: 'hyperliquid', operation: 'market', details: { symbol } });
    return m;
  }
  const unifiedOf = (s: string | undefined) => {
    const v = view();
    return s && v ? v.symbols.toUnified(s) : (s ?? '');
  };

  let detecting: Promise<void> | null = null;

  /**
   * Before the client throttles `op`: this instance's markets (loaded once
   * for every instance, through the limiter) and, before the first balance
   * read, the account's abstraction state (ccxt's `userAbstraction` probe,
   * weight 20, once per instance) — also through the limiter.
   */
  async function prepare(op: string): Promise<void> {
    if (op !== 'loadMarkets' && op !== 'auditKey' && op !== 'detectAccount' && shared.due()) {
      const hadMarkets = shared.version > 0;
      try {
        await shared.load(true, (fn) => throttle('loadMarkets', () => fn().catch(fail('loadMarkets'))));
      } catch (e) {
        if (!hadMarkets) throw e;
        opts.log?.warn({ exchange: 'hyperliquid', op: 'loadMarkets', error: (e as Error).message }, 'market refresh failed; using the markets loaded before');
      }
    }
    view();
    if (op === 'fetchBalance' && ex.options.enableUnifiedMargin === undefined) {
      detecting ??= throttle('detectAccount', () => ex.isUnifiedEnabled('fetchBalance', wallet, false, {}).catch(fail('detectAccount')))
        .then(() => undefined)
        .finally(() => {
          detecting = null;
        });
      await detecting;
    }
  }
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
    let s: string;
    try {
      s = ex.amountToPrecision(m.exchangeSymbol, qty);
    } catch (e) {
      throw mapCcxtError(e, { exchange: 'hyperliquid', operation: op, market: m });
    }
    return Number(guardPrecision('amount', qty, s, { exchange: 'hyperliquid', operation: op, market: m }));
  }
  function checkedPrice(m: Market, px: number, op: string): number {
    const s: string = ex.priceToPrecision(m.exchangeSymbol, px);
    return Number(guardPrecision('price', px, s, { exchange: 'hyperliquid', operation: op, market: m }));
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

  async function placeOrder(r: OrderRequest): Promise<Order> {
    const m = await market(r.symbol);
    const entry = await requestWire(m, r, 'placeOrder');
    const wires = [entry];
    let grouping: Grouping = 'na';
    if (r.stopLoss !== undefined || r.takeProfit !== undefined) {
      // normalTpsl: [entry, tp?, sl?], each child a reduce-only trigger market order with its own cloid.
      grouping = 'normalTpsl';
      const out = exitSide(r.side === 'buy' ? 'long' : 'short');
      if (r.takeProfit !== undefined) {
        const tp = checkedPrice(m, r.takeProfit, 'placeOrder');
        wires.push(wire(m, { type: 'market', side: out, qty: r.quantity, price: tp, tp, reduceOnly: true, cloid: cloidFor(`${r.clientOrderId}:tp`) }));
      }
      if (r.stopLoss !== undefined) {
        const sl = checkedPrice(m, r.stopLoss, 'placeOrder');
        wires.push(wire(m, { type: 'market', side: out, qty: r.quantity, price: sl, sl, reduceOnly: true, cloid: cloidFor(`${r.clientOrderId}:sl`) }));
      }
    }
    const results = await sendOrders(wires, grouping, 'placeOrder', m);
    const first = results[0];
    if (first instanceof Error) throw first;
    const order = orderFromStatus(first, r, m);
    const childError = results.slice(1).find((x): x is Error => x instanceof Error);
    if (childError) {
      // The entry is on the exchange but a protective child is not: never hide that.
      throw new OrderRejected(`hyperliquid placeOrder on ${m.symbol}: entry ${order.id} placed but an attached stop-loss/take-profit was rejected: ${childError.message}`, {
        exchange: 'hyperliquid',
        operation: 'placeOrder',
        cause: childError,
        details: { entryPlaced: true, entryOrderId: order.id, clientOrderId: r.clientOrderId },
      });
    }
    return order;
  }

  async function placeOrders(requests: OrderRequest[]): Promise<BatchItemResult[]> {
    const results: BatchItemResult[] = new Array(requests.length);
    const plain: { index: number; market: Market; wire: OrderWire }[] = [];
    for (const [index, r] of requests.entries()) {
      try {
        if (r.stopLoss !== undefined || r.takeProfit !== undefined) {
          // Attached TP/SL need their own normalTpsl action.
          results[index] = { ok: true, order: await placeOrder(r) };
          continue;
        }
        const m = await market(r.symbol);
        plain.push({ index, market: m, wire: await requestWire(m, r, 'placeOrders') });
      } catch (error) {
        results[index] = { ok: false, error: error as Error, request: r };
      }
    }
    for (let i = 0; i < plain.length; i += batchSize) {
      const chunk = plain.slice(i, i + batchSize);
      try {
        const statuses = await sendOrders(chunk.map((c) => c.wire), 'na', 'placeOrders', chunk[0]!.market);
        chunk.forEach((c, j) => {
          const s = statuses[j];
          const request = requests[c.index]!;
          results[c.index] = s instanceof Error ? { ok: false, error: s, request } : { ok: true, order: orderFromStatus(s, request, c.market) };
        });
      } catch (error) {
        for (const c of chunk) results[c.index] = { ok: false, error: error as Error, request: requests[c.index]! };
      }
    }
    return results;
  }

  /** The ccxt order (with HyperLiquid's raw entry in `info`), or null when the exchange has no such order. */
  async function fetchCcxtOrder(m: Market, ref: { id?: string; clientOrderId?: string }, operation: string): Promise<any | null> {
    if (!ref.id && !ref.clientOrderId) throw new ValidationError(`${operation} needs an id or a clientOrderId`);
    const params = ref.clientOrderId ? { clientOrderId: cloidFor(ref.clientOrderId) } : {};
    try {
      return await ex.fetchOrder(ref.id, m.exchangeSymbol, params);
    } catch (e) {
      const mapped = mapCcxtError(e, { exchange: 'hyperliquid', operation, market: m });
      if (mapped.code === 'order-not-found') return null;
      throw mapped;
    }
  }

  async function fetchOrder(symbol: string, ref: { id?: string; clientOrderId?: string }): Promise<Order | null> {
    const m = await market(symbol);
    const o = await fetchCcxtOrder(m, ref, 'fetchOrder');
    return o ? withClientId(toOrder(o, m.symbol)) : null;
  }

  async function rawOpenOrders(): Promise<any[]> {
    return ex.publicPostInfo({ type: 'frontendOpenOrders', user: wallet }).catch(fail('fetchOpenOrders'));
  }

  async function fetchOpenOrders(symbol?: string): Promise<Order[]> {
    const m = symbol ? await market(symbol) : undefined;
    await loadMarkets();
    const raw: any[] = await ex.fetchOpenOrders(m?.exchangeSymbol).catch(fail('fetchOpenOrders', m));
    return raw.filter((o) => !m || o.symbol === m.exchangeSymbol).map((o) => withClientId(toOrder(o, unifiedOf(o.symbol))));
  }

  /**
   * batchModify re-sends the whole order wire: a trigger order keeps its kind
   * (take-profit stays `tpsl: tp`, stop-loss `tpsl: sl`), read from the
   * order's own `orderType` ("Take Profit Market", "Stop Limit", ...).
   */
  async function amendOrder(symbol: string, id: string, changes: { price?: number; quantity?: number; triggerPrice?: number }): Promise<Order> {
    const m = await market(symbol);
    const raw = await fetchCcxtOrder(m, { id }, 'amendOrder');
    if (!raw) throw mapCcxtError(new (ccxt as any).OrderNotFound(`hyperliquid order ${id} not found`), { exchange: 'hyperliquid', operation: 'amendOrder', market: m });
    const current = withClientId(toOrder(raw, m.symbol));
    const entry = raw.info?.order ?? raw.info ?? {};
    const kind = triggerKind(entry.orderType);
    const trigger = changes.triggerPrice ?? current.triggerPrice ?? undefined;
    if (changes.triggerPrice !== undefined && kind === null) {
      throw new ValidationError(`hyperliquid amendOrder: order ${id} on ${m.symbol} is not a trigger order (${String(entry.orderType ?? 'unknown type')}); it has no trigger price to move`);
    }
    const qty = checkedQty(m, changes.quantity ?? current.quantity - current.filled, 'amendOrder');
    const isTrigger = kind !== null && trigger !== undefined && trigger !== null;
    // "Take Profit Market" / "Stop Market": a market trigger, priced like placeOrder's
    // children (the slippage bound is taken from the trigger price).
    const marketTrigger = isTrigger && /market/i.test(String(entry.orderType ?? ''));
    const type = marketTrigger ? 'market' : current.type;
    const price =
      changes.price !== undefined ? checkedPrice(m, changes.price, 'amendOrder') : marketTrigger ? trigger : (current.price ?? trigger ?? 0);
    const w = wire(m, {
      type,
      side: current.side,
      qty,
      price,
      reduceOnly: current.reduceOnly,
      ...(current.clientOrderId?.startsWith('0x') ? { cloid: current.clientOrderId } : current.clientOrderId ? { cloid: toHyperliquidCloid(current.clientOrderId) } : {}),
      ...(isTrigger ? { [kind]: trigger } : {}),
    });
    const res = await sendAction({ type: 'batchModify', modifies: [{ oid: Number(id), order: w }] }, 'amendOrder', m);
    const s = res?.response?.data?.statuses?.[0];
    const newId = s?.resting?.oid ?? s?.filled?.oid ?? id;
    return { ...current, id: String(newId), type, quantity: qty, price: type === 'limit' ? price : current.price, triggerPrice: trigger ?? null };
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

  async function setLeverageWithMode(symbol: string, mode: MarginMode, leverage: number, operation: string): Promise<void> {
    const m = await market(symbol);
    if (!Number.isInteger(leverage) || leverage < 1 || leverage > m.maxLeverage) {
      throw new ValidationError(`hyperliquid leverage for ${m.symbol} must be an integer 1..${m.maxLeverage} (got ${leverage})`);
    }
    const asset = Number(ex.market(m.exchangeSymbol).baseId);
    // Same value again is simply "ok" on HyperLiquid.
    await sendAction({ type: 'updateLeverage', asset, isCross: mode === 'cross', leverage }, operation, m);
    marginModes.set(m.symbol, mode);
  }

  /** HyperLiquid side letter of the orders that close a `side` position ("A" sells, "B" buys). */
  const exitLetter = (side: PositionSide): 'A' | 'B' => (side === 'long' ? 'A' : 'B');

  /**
   * The position's own protection among the coin's resting orders: reduce-only
   * trigger orders on the closing side that are position TP/SL
   * (`isPositionTpsl`) or carry our protection cloid (setPositionProtection,
   * attached children). Any other trigger on the coin — a grid's sized stop,
   * a user's manual order — is not the position's and is left alone.
   */
  function positionProtection(open: any[], coin: string, side: PositionSide): any[] {
    return open.filter(
      (o) => o.coin === coin && o.isTrigger && o.reduceOnly !== false && o.side === exitLetter(side) && (o.isPositionTpsl === true || isProtectionCloid(o.cloid)),
    );
  }

  const sameCloid = (a: unknown, b: string): boolean => typeof a === 'string' && a.toLowerCase() === b.toLowerCase();

  /** A resting protection order that already says what we want (kind, trigger price, size). */
  function sameProtection(o: any, kind: 'sl' | 'tp', trigger: number, qty: number): boolean {
    if (triggerKind(o.orderType) !== kind) return false;
    const px = Number(o.triggerPx);
    if (!(Math.abs(px - trigger) <= Math.abs(trigger) * 1e-9)) return false;
    const size = Number(o.origSz ?? o.sz);
    return qty === 0 ? o.isPositionTpsl === true || size === 0 : Math.abs(size - qty) <= qty * 1e-9;
  }

  /**
   * Places one protection leg, idempotently: an order with the same cloid
   * already resting with the same kind, price and size is success (an earlier
   * attempt landed) and nothing is sent. HyperLiquid does not document whether
   * a cloid of a finished (cancelled/filled) order may be used again, so a
   * refusal that names the client order id (duplicate) is answered by looking
   * again (still resting and the same → success) and otherwise by the next
   * derived id (`:sl#1`, `:sl#2`, ...), still a protection id. Returns the
   * oid of the order that now protects the position, or null when unknown.
   */
  async function placeProtectionLeg(
    m: Market,
    leg: { kind: 'sl' | 'tp'; trigger: number },
    ctx: { side: Side; qty: number; grouping: Grouping; clientOrderId?: string; open: any[] },
  ): Promise<{ keptOid: number | null }> {
    const ids = ctx.clientOrderId ? [0, 1, 2, 3].map((n) => protectionClientOrderId(ctx.clientOrderId!, leg.kind) + (n ? `#${n}` : '')) : [undefined];
    let open = ctx.open;
    let last: Error | null = null;
    for (const id of ids) {
      const cloid = id ? toHyperliquidCloid(id) : undefined;
      const resting = cloid ? open.find((o) => sameCloid(o.cloid, cloid)) : undefined;
      if (resting) {
        if (sameProtection(resting, leg.kind, leg.trigger, ctx.qty)) return { keptOid: Number(resting.oid) };
        continue; // that id is taken by a live order saying something else: use the next one
      }
      const w = wire(m, { type: 'market', side: ctx.side, qty: ctx.qty, price: leg.trigger, [leg.kind]: leg.trigger, reduceOnly: true, ...(id ? { cloid: cloidFor(id) } : {}) });
      const [res] = await sendOrders([w], ctx.grouping, 'setPositionProtection', m);
      if (!(res instanceof Error)) return { keptOid: null };
      last = res;
      if (!id || !isDuplicateClientOrderId(res)) throw res;
      // The id was refused as a duplicate: an order we cannot see yet, or a finished one.
      open = await rawOpenOrders();
      const again = open.find((o) => sameCloid(o.cloid, cloid!));
      if (again && sameProtection(again, leg.kind, leg.trigger, ctx.qty)) return { keptOid: Number(again.oid) };
    }
    throw last ?? new OrderRejected(`hyperliquid setPositionProtection on ${m.symbol}: every derived client order id is taken`, { exchange: 'hyperliquid', operation: 'setPositionProtection' });
  }

  /**
   * Sets, moves or removes the position's stop-loss / take-profit. The new
   * order goes first, then the position's previous protection of that kind
   * is cancelled (never the coin's other triggers): the position is never
   * left without a stop. Whole position: `positionTpsl` with size 0 (follows
   * the position); with `quantity`: grouping `na` and that size.
   */
  async function setPositionProtection(symbol: string, side: PositionSide, p: PositionProtection): Promise<void> {
    const m = await market(symbol);
    const open: any[] = await rawOpenOrders();
    const existing = positionProtection(open, coinOf(m), side);
    const grouping: Grouping = p.quantity === undefined ? 'positionTpsl' : 'na';
    const qty = p.quantity === undefined ? 0 : checkedQty(m, p.quantity, 'setPositionProtection');
    const legs: { kind: 'sl' | 'tp'; trigger: number }[] = [];
    if (typeof p.stopLoss === 'number') legs.push({ kind: 'sl', trigger: checkedPrice(m, p.stopLoss, 'setPositionProtection') });
    if (typeof p.takeProfit === 'number') legs.push({ kind: 'tp', trigger: checkedPrice(m, p.takeProfit, 'setPositionProtection') });
    const kinds: ('sl' | 'tp')[] = [];
    if (p.stopLoss !== undefined) kinds.push('sl');
    if (p.takeProfit !== undefined) kinds.push('tp');
    const kept = new Set<number>();
    const done = new Set<'sl' | 'tp'>(kinds.filter((k) => !legs.some((l) => l.kind === k))); // removals
    let failure: Error | null = null;
    for (const leg of legs) {
      try {
        const { keptOid } = await placeProtectionLeg(m, leg, { side: exitSide(side), qty, grouping, open, ...(p.clientOrderId ? { clientOrderId: p.clientOrderId } : {}) });
        if (keptOid !== null) kept.add(keptOid);
        done.add(leg.kind);
      } catch (e) {
        failure ??= e as Error;
      }
    }
    // The old protection goes only where the new one is in place (or was to be removed).
    const replace = existing.filter((o) => done.has(triggerKind(o.orderType) as 'sl' | 'tp') && !kept.has(Number(o.oid)));
    if (replace.length) await cancelByRefs(m, replace.map((o) => ({ id: String(o.oid) })), 'setPositionProtection');
    if (failure) throw failure;
  }

  async function fetchPositions(syms?: string[]): Promise<Position[]> {
    await loadMarkets();
    const wanted = syms?.length ? new Set(await Promise.all(syms.map(async (s) => (await market(s)).exchangeSymbol))) : null;
    const [raw, open] = await Promise.all([ex.fetchPositions().catch(fail('fetchPositions')) as Promise<any[]>, rawOpenOrders()]);
    const out: Position[] = [];
    for (const p of raw) {
      if (wanted && !wanted.has(p.symbol)) continue;
      const coin = ex.market(p.symbol).baseName;
      const side: PositionSide = p.side === 'short' ? 'short' : 'long';
      const triggers = positionProtection(open, coin, side);
      // Several of a kind (a move in progress): the one closest to the price protects first.
      const find = (kind: 'sl' | 'tp') => {
        const px = triggers.filter((x) => triggerKind(x.orderType) === kind).map((x) => Number(x.triggerPx));
        if (!px.length) return undefined;
        return (kind === 'sl') === (side === 'long') ? Math.max(...px) : Math.min(...px);
      };
      const pos = toPosition({ ...p, stopLossPrice: find('sl'), takeProfitPrice: find('tp') }, unifiedOf(p.symbol), 'cross');
      if (pos) out.push(pos);
    }
    return out;
  }

  async function closePosition(symbol: string, side: PositionSide, o: { quantity?: number; clientOrderId: string }): Promise<Order> {
    const m = await market(symbol);
    let qty = o.quantity;
    if (qty === undefined) {
      const pos = (await fetchPositions([symbol])).find((p) => p.side === side);
      if (!pos) {
        throw new OrderRejected(`hyperliquid closePosition: no open ${side} position on ${m.symbol}`, {
          exchange: 'hyperliquid',
          operation: 'closePosition',
          details: { reason: 'no-position', symbol: m.symbol, side },
        });
      }
      qty = pos.quantity;
    }
    return placeOrder({ symbol, side: exitSide(side), type: 'market', quantity: qty, reduceOnly: true, clientOrderId: o.clientOrderId });
  }

  /**
   * The private key must belong to an API (agent) wallet approved for the
   * wallet address: a wrong address otherwise reads as an empty account. The
   * main wallet's own key is reported as canWithdraw (the bot refuses it).
   */
  async function verifyCredentials(): Promise<KeyAudit> {
    let agent: string;
    try {
      agent = String(ex.ethGetAddressFromPrivateKey(opts.credentials.privateKey)).toLowerCase();
    } catch (e) {
      throw new AuthFailed('hyperliquid: the private key is not a valid secp256k1 key', { exchange: 'hyperliquid', operation: 'verifyCredentials', cause: e });
    }
    const user = wallet.toLowerCase();
    if (agent === user) return { readOnly: false, canTrade: true, canWithdraw: true, ipBound: null, expiresAt: null };
    const role = await ex.publicPostInfo({ type: 'userRole', user: agent }).catch(fail('verifyCredentials'));
    if (role?.role !== 'agent' || String(role?.data?.user ?? '').toLowerCase() !== user) {
      throw new AuthFailed(`hyperliquid: API wallet ${agent} is not approved for ${wallet} (role: ${role?.role ?? 'unknown'})`, {
        exchange: 'hyperliquid',
        operation: 'verifyCredentials',
        details: { agent, role: role?.role ?? null },
      });
    }
    const agents: any[] = await ex.publicPostInfo({ type: 'extraAgents', user: wallet }).catch(fail('verifyCredentials'));
    const mine = Array.isArray(agents) ? agents.find((a) => String(a.address).toLowerCase() === agent) : undefined;
    const until = Number(mine?.validUntil);
    return { readOnly: false, canTrade: true, canWithdraw: false, ipBound: null, expiresAt: Number.isFinite(until) && until > 0 ? until : null };
  }

  return {
    id: 'hyperliquid',
    host,
    loadMarkets,
    market,
    async fetchTicker(symbol: string): Promise<Ticker> {
      const m = await market(symbol);
      const t = await ex.fetchTicker(m.exchangeSymbol).catch(fail('fetchTicker', m));
      return toTicker(t, m.symbol);
    },
    async fetchCandles(symbol: string, timeframe: string, since?: number, limit?: number): Promise<Candle[]> {
      const m = await market(symbol);
      const rows: number[][] = await ex.fetchOHLCV(m.exchangeSymbol, timeframe, since, limit).catch(fail('fetchCandles', m));
      return rows.map(toCandle);
    },
    async fetchBalance(): Promise<Balance> {
      await loadMarkets();
      const b = await ex.fetchBalance().catch(fail('fetchBalance'));
      return toBalance(b, 'USDC');
    },
    fetchPositions,
    fetchOpenOrders,
    fetchOrder,
    placeOrder,
    placeOrders,
    amendOrder,
    async cancelOrder(symbol, ref) {
      const m = await market(symbol);
      if (!ref.id && !ref.clientOrderId) throw new ValidationError('cancelOrder needs an id or a clientOrderId');
      await cancelByRefs(m, [ref], 'cancelOrder');
    },
    async cancelAllOrders(symbol) {
      const m = await market(symbol);
      const coin = coinOf(m);
      const open = (await rawOpenOrders()).filter((o) => o.coin === coin);
      if (open.length) await cancelByRefs(m, open.map((o) => ({ id: String(o.oid) })), 'cancelAllOrders');
    },
    async setLeverage(symbol, leverage) {
      const m = await market(symbol);
      await setLeverageWithMode(symbol, marginModes.get(m.symbol) ?? 'cross', leverage, 'setLeverage');
    },
    async setMarginMode(symbol, mode, leverage) {
      await setLeverageWithMode(symbol, mode, leverage, 'setMarginMode');
    },
    setPositionProtection,
    closePosition,
    auditKey: verifyCredentials,
    verifyCredentials,
    prepare,
    async close(): Promise<void> {
      /* REST only */
    },
  };
}
