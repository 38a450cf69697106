/**
 * Bybit v5 linear USDT perpetuals through ccxt.bybit.
 *
 * - One ccxt instance per adapter (per account); `enableRateLimit: false`: the
 *   unified client throttles, this adapter never waits.
 * - Environments: mainnet, testnet (`setSandboxMode`), demo (`enableDemoTrading`).
 *   `apiUrl` (BYBIT_API_URL) replaces every entry of the active url table.
 * - Start-up requests: markets come from a SharedMarkets store (one per
 *   environment + API URL, see market-store.ts): /v5/market/instruments-info
 *   (category=linear, Trading and PreLaunch: 2 public requests) once per
 *   process, not per account; the signed /v5/asset/coin/query-info currencies
 *   call is disabled. The account type (unified or classic) is taken from
 *   `unifiedAccount` (credentials), else from a per-account cache shared by
 *   the factory, else probed once with /v5/user/query-api (1 signed request;
 *   ccxt's own detection would send /v5/user/query-api + /v5/account/info).
 *   `prepare(op)` does both through the AdapterContext (the client's limiter)
 *   before the client times the operation itself.
 */
import { createHash, createHmac } from 'node:crypto';
import ccxt from 'ccxt';
import {
  MarketNotFound,
  OrderRejected,
  ValidationError,
  exitSide,
  type Balance,
  type Candle,
  type Environment,
  type MarginMode,
  type Market,
  type Order,
  type OrderRequest,
  type Position,
  type PositionSide,
  type Ticker,
} from '../../models/index.js';
import type { AdapterContext, BatchItemResult, ExchangeAdapter, KeyAudit, PositionProtection, RateLimitStatus } from '../types.js';
import {
  guardPrecision,
  headerValue,
  isBenignNoChange,
  mapCcxtError,
  originOf,
  overrideApiUrls,
  type AdapterLog,
  type FetchLike,
} from './base.js';
import { toBalance, toCandle, toMarket, toOrder, toPosition, toTicker, type CcxtMarketLike } from './map.js';
import { createSharedMarkets, type CcxtMarketSource, type SharedMarkets } from './market-store.js';
import { SymbolMap } from './symbols.js';

/** What the account-type probe found (ccxt's enableUnifiedMargin / enableUnifiedAccount). */
export interface BybitAccountType {
  unifiedMargin: boolean;
  unifiedAccount: boolean;
}

/** Per-account account types, shared across instances by the factory (key: environment, URL, account, key fingerprint). */
export type BybitAccountTypeCache = Map<string, BybitAccountType>;

export interface BybitAdapterOptions {
  accountId: string;
  environment: Environment;
  credentials: { apiKey: string; secret: string };
  /** BYBIT_API_URL: replaces the base of every REST endpoint. */
  apiUrl?: string;
  /** HTTP seam (tests, proxies): a WHATWG fetch used instead of ccxt's own client. */
  fetchImpl?: FetchLike;
  timeoutMs?: number;
  recvWindowMs?: number;
  /** Skip the account-type probe (true: unified trading account). */
  unifiedAccount?: boolean;
  /**
   * Orders per /v5/order/create-batch request. Default 10: Bybit counts a
   * batch by its orders against a 10/s per-UID batch quota and fails the
   * orders past the quota, so a larger batch can never fully pass (limits.ts).
   */
  batchSize?: number;
  /** Markets shared with other instances (ccxtAdapterFactories passes one per environment + URL); default: this instance's own. */
  sharedMarkets?: SharedMarkets;
  /** Account types shared with other instances of the same account (the factory passes one). */
  accountTypes?: BybitAccountTypeCache;
  /** Runs the adapter's own start-up requests through the client's limiter (the registry passes it). */
  context?: AdapterContext;
  log?: AdapterLog;
}

/** Bybit's per-request maximum for linear batch orders (some doc versions say 10: we never send more than BYBIT_DEFAULT_BATCH). */
export const BYBIT_MAX_BATCH = 20;
/** Default orders per batch request: the per-UID create-batch quota is 10 orders per second. */
export const BYBIT_DEFAULT_BATCH = 10;
export const BYBIT_MAX_ORDER_LINK_ID = 36;

/** Operations whose ccxt path asks the account type (ccxt's isUnifiedEnabled). */
const NEEDS_ACCOUNT_TYPE = new Set(['fetchBalance', 'placeOrder', 'placeOrders', 'closePosition', 'cancelAllOrders', 'setMarginMode']);
/** Operations that need no markets in this instance. */
const NO_MARKETS = new Set(['loadMarkets', 'auditKey', 'detectAccount']);

/** Bybit's signature: hex HMAC-SHA256(secret, timestamp + apiKey + recvWindow + payload). */
export function bybitSignature(secret: string, timestamp: string, apiKey: string, recvWindow: string, payload: string): string {
  return createHmac('sha256', secret).update(timestamp + apiKey + recvWindow + payload).digest('hex');
}

interface BybitInstanceOptions {
  environment: Environment;
  apiUrl?: string | undefined;
  fetchImpl?: FetchLike | undefined;
  timeoutMs?: number | undefined;
  recvWindowMs?: number | undefined;
}

/** A ccxt.bybit configured for linear USDT perps in `environment` (credentials optional: the market loader has none). */
function newBybit(o: BybitInstanceOptions, credentials?: { apiKey: string; secret: string }): any {
  const ex: any = new (ccxt as any).bybit({
    ...(credentials ? { apiKey: credentials.apiKey, secret: credentials.secret } : {}),
    enableRateLimit: false,
    timeout: o.timeoutMs ?? 10_000,
    verbose: false,
    options: {
      defaultType: 'swap',
      defaultSubType: 'linear',
      defaultSettle: 'USDT',
      recvWindow: o.recvWindowMs ?? 5_000,
      fetchMarkets: { types: ['linear'] },
    },
  });
  ex.has = { ...ex.has, fetchCurrencies: false };
  if (o.environment === 'testnet') ex.setSandboxMode(true);
  else if (o.environment === 'demo') ex.enableDemoTrading(true);
  if (o.apiUrl) overrideApiUrls(ex.urls, o.apiUrl);
  if (o.fetchImpl) ex.fetchImplementation = o.fetchImpl;
  return ex;
}

/** The credential-less ccxt.bybit that loads markets for a SharedMarkets store. */
export function createBybitMarketSource(o: BybitInstanceOptions): CcxtMarketSource {
  return newBybit(o) as CcxtMarketSource;
}

/** Cache key of an account's type: never the key itself, a fingerprint of it (new keys are probed again). */
export function bybitAccountTypeKey(o: { environment: Environment; apiUrl?: string | undefined; accountId: string; apiKey: string }): string {
  const fp = createHash('sha256').update(o.apiKey).digest('hex').slice(0, 16);
  return `${o.environment}|${o.apiUrl ?? ''}|${o.accountId}|${fp}`;
}

/** /v5/user/query-api result -> account type (uta: unified trading account; unified: the old unified margin account). */
export function accountTypeOf(r: Record<string, any>): BybitAccountType | null {
  if (r.uta === undefined && r.unified === undefined) return null;
  return { unifiedMargin: Number(r.unified) === 1, unifiedAccount: Number(r.uta) === 1 };
}

export function createBybitAdapter(opts: BybitAdapterOptions): ExchangeAdapter & {
  auditKey(): Promise<KeyAudit>;
  rateLimitStatus(): RateLimitStatus | null;
  prepare(op: string): Promise<void>;
} {
  const ex: any = newBybit(opts, opts.credentials);
  const shared = opts.sharedMarkets ?? createSharedMarkets(`bybit|${opts.environment}|${opts.apiUrl ?? ''}|own`, ex as CcxtMarketSource);
  const throttle = <T>(op: 'loadMarkets' | 'detectAccount', fn: () => Promise<T>): Promise<T> => (opts.context ? opts.context.throttle(op, fn) : fn());
  const accountTypeKey = bybitAccountTypeKey({ environment: opts.environment, apiUrl: opts.apiUrl, accountId: opts.accountId, apiKey: opts.credentials.apiKey });
  const host = originOf(opts.apiUrl ?? ex.implodeHostname(ex.urls.api.private));
  const batchSize = Math.min(Math.max(1, opts.batchSize ?? BYBIT_DEFAULT_BATCH), BYBIT_MAX_BATCH);

  function applyAccountType(t: BybitAccountType): void {
    ex.options.enableUnifiedMargin = t.unifiedMargin;
    ex.options.enableUnifiedAccount = t.unifiedAccount;
    // Only inverse markets depend on the UTA version; we trade linear.
    ex.options.unifiedMarginStatus = t.unifiedAccount || t.unifiedMargin ? 6 : 1;
  }
  function rememberAccountType(t: BybitAccountType): void {
    applyAccountType(t);
    opts.accountTypes?.set(accountTypeKey, t);
  }
  if (opts.unifiedAccount !== undefined) rememberAccountType({ unifiedMargin: false, unifiedAccount: opts.unifiedAccount });
  else {
    const known = opts.accountTypes?.get(accountTypeKey);
    if (known) applyAccountType(known);
  }
  const accountTypeKnown = () => typeof ex.options.enableUnifiedAccount === 'boolean' && typeof ex.options.enableUnifiedMargin === 'boolean';
  let detecting: Promise<void> | null = null;

  /** The account type, probed once per account (one signed /v5/user/query-api, through the limiter). */
  async function ensureAccountType(): Promise<void> {
    if (accountTypeKnown() || opts.environment === 'demo') return; // demo: ccxt assumes a unified account, no request
    const known = opts.accountTypes?.get(accountTypeKey);
    if (known) return applyAccountType(known);
    detecting ??= throttle('detectAccount', () => ex.privateGetV5UserQueryApi().catch(fail('detectAccount')))
      .then((res: any) => {
        const t = accountTypeOf(res?.result ?? {});
        // Unknown answer: leave it to ccxt's own detection.
        if (t) rememberAccountType(t);
      })
      .finally(() => {
        detecting = null;
      });
    await detecting;
  }

  const fail = (operation: string, market?: Market) => (e: unknown) => {
    throw mapCcxtError(e, { exchange: 'bybit', operation, ...(market ? { market } : {}) });
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
    return shared.derived('bybit-linear-usdt', () => {
      const all = Object.values(ex.markets as Record<string, CcxtMarketLike>);
      const linear = all.filter((m: any) => m.swap && m.linear && m.settle === 'USDT' && m.quote === 'USDT');
      const symbols = new SymbolMap('bybit', linear.map((m) => ({ symbol: m.symbol, base: m.base, quote: m.quote, settle: m.settle ?? m.quote })));
      const byUnified = new Map<string, Market>();
      for (const m of linear) {
        const unified = symbols.toUnified(m.symbol);
        byUnified.set(unified, toMarket(m, unified));
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
    if (!m) {
      throw new MarketNotFound(`bybit has no USDT perpetual for ${symbol}`, { exchange: 'bybit', operation: 'market', details: { symbol } });
    }
    return m;
  }

  function unifiedOf(ccxtSymbol: string | undefined): string {
    const v = view();
    return ccxtSymbol && v ? v.symbols.toUnified(ccxtSymbol) : (ccxtSymbol ?? '');
  }

  /**
   * Before the client throttles `op`: markets in this instance (loaded once
   * for every instance, through the limiter, refreshed when stale) and the
   * account type when ccxt would ask for it. No request once done.
   */
  async function prepare(op: string): Promise<void> {
    if (!NO_MARKETS.has(op) && shared.due()) {
      const hadMarkets = shared.version > 0;
      try {
        await shared.load(true, (fn) => throttle('loadMarkets', () => fn().catch(fail('loadMarkets'))));
      } catch (e) {
        // A failed refresh keeps the markets we have; without any, the operation cannot go on.
        if (!hadMarkets) throw e;
        opts.log?.warn({ exchange: 'bybit', op: 'loadMarkets', error: (e as Error).message }, 'market refresh failed; using the markets loaded before');
      }
    }
    view();
    if (NEEDS_ACCOUNT_TYPE.has(op)) await ensureAccountType();
  }

  function qtyString(m: Market, qty: number, operation: string): string {
    let s: string;
    try {
      s = ex.amountToPrecision(m.exchangeSymbol, qty);
    } catch (e) {
      throw mapCcxtError(e, { exchange: 'bybit', operation, market: m });
    }
    return guardPrecision('amount', qty, s, { exchange: 'bybit', operation, market: m });
  }
  function priceString(m: Market, price: number, operation: string): string {
    const s: string = ex.priceToPrecision(m.exchangeSymbol, price);
    return guardPrecision('price', price, s, { exchange: 'bybit', operation, market: m });
  }

  function checkClientOrderId(id: string): void {
    if (!id || id.length > BYBIT_MAX_ORDER_LINK_ID || !/^[A-Za-z0-9_-]+$/.test(id)) {
      throw new ValidationError(
        `bybit orderLinkId must be 1-${BYBIT_MAX_ORDER_LINK_ID} characters of [A-Za-z0-9_-] (got ${JSON.stringify(id)}, ${id.length} chars)`,
        { details: { clientOrderId: id } },
      );
    }
  }

  /** createOrder arguments for one request; validates precision and the client order id. */
  function orderArgs(m: Market, r: OrderRequest, operation: string) {
    checkClientOrderId(r.clientOrderId);
    const amount = Number(qtyString(m, r.quantity, operation));
    let price: number | undefined;
    if (r.type === 'limit') {
      if (r.price === undefined) throw new ValidationError(`limit order ${r.clientOrderId} needs a price`);
      price = Number(priceString(m, r.price, operation));
    }
    const params: Record<string, unknown> = { clientOrderId: r.clientOrderId, positionIdx: 0 };
    if (r.reduceOnly) params.reduceOnly = true;
    if (r.postOnly) params.postOnly = true;
    if (r.stopLoss !== undefined || r.takeProfit !== undefined) {
      params.tpslMode = 'Full';
      if (r.stopLoss !== undefined) params.stopLoss = { triggerPrice: Number(priceString(m, r.stopLoss, operation)) };
      if (r.takeProfit !== undefined) params.takeProfit = { triggerPrice: Number(priceString(m, r.takeProfit, operation)) };
    }
    if (r.triggerPrice !== undefined) {
      if (!r.triggerDirection) throw new ValidationError(`trigger order ${r.clientOrderId} needs triggerDirection`);
      params.triggerPrice = Number(priceString(m, r.triggerPrice, operation));
      params.triggerDirection = r.triggerDirection === 'above' ? 'ascending' : 'descending';
    }
    return { symbol: m.exchangeSymbol, type: r.type, side: r.side, amount, price, params };
  }

  async function fetchRawOrder(m: Market, ref: { id?: string; clientOrderId?: string }): Promise<any | null> {
    const req: Record<string, string> = { category: 'linear', symbol: ex.market(m.exchangeSymbol).id };
    if (ref.id) req.orderId = ref.id;
    else if (ref.clientOrderId) req.orderLinkId = ref.clientOrderId;
    else throw new ValidationError('fetchOrder needs an id or a clientOrderId');
    // Open and recent (last 500) closed orders, then the order history.
    for (const endpoint of ['privateGetV5OrderRealtime', 'privateGetV5OrderHistory']) {
      const res = await ex[endpoint](req);
      const row = res?.result?.list?.[0];
      if (row) return row;
    }
    return null;
  }

  async function fetchOrder(symbol: string, ref: { id?: string; clientOrderId?: string }): Promise<Order | null> {
    const m = await market(symbol);
    const raw = await fetchRawOrder(m, ref).catch(fail('fetchOrder', m));
    return raw ? toOrder(ex.parseOrder(raw, ex.market(m.exchangeSymbol)), m.symbol) : null;
  }

  async function placeOrder(r: OrderRequest): Promise<Order> {
    const m = await market(r.symbol);
    const a = orderArgs(m, r, 'placeOrder');
    const o = await ex.createOrder(a.symbol, a.type, a.side, a.amount, a.price, a.params).catch(fail('placeOrder', m));
    return toOrder(o, m.symbol, r);
  }

  async function placeOrders(requests: OrderRequest[]): Promise<BatchItemResult[]> {
    const results: BatchItemResult[] = new Array(requests.length);
    const ready: { index: number; market: Market; args: ReturnType<typeof orderArgs> }[] = [];
    for (const [index, r] of requests.entries()) {
      try {
        const m = await market(r.symbol);
        ready.push({ index, market: m, args: orderArgs(m, r, 'placeOrders') });
      } catch (error) {
        results[index] = { ok: false, error: error as Error, request: r };
      }
    }
    for (let i = 0; i < ready.length; i += batchSize) {
      const chunk = ready.slice(i, i + batchSize);
      try {
        const orders: any[] = await ex.createOrders(
          chunk.map((c) => ({ symbol: c.args.symbol, type: c.args.type, side: c.args.side, amount: c.args.amount, price: c.args.price, params: c.args.params })),
        );
        chunk.forEach((c, j) => {
          const request = requests[c.index]!;
          const o = orders[j];
          const code = o?.info?.code;
          if (o && o.status !== 'rejected' && (code === undefined || String(code) === '0')) {
            results[c.index] = { ok: true, order: toOrder(o, c.market.symbol, request) };
          } else {
            results[c.index] = { ok: false, error: batchItemError(o?.info, c.market), request };
          }
        });
      } catch (e) {
        const error = mapCcxtError(e, { exchange: 'bybit', operation: 'placeOrders', market: chunk[0]!.market });
        for (const c of chunk) results[c.index] = { ok: false, error, request: requests[c.index]! };
      }
    }
    return results;
  }

  /** A failed item of a batch answer ({code, msg}) as the typed error a single call would give. */
  function batchItemError(info: any, m: Market): Error {
    const body = JSON.stringify({ retCode: Number(info?.code ?? -1), retMsg: String(info?.msg ?? 'rejected'), result: {}, retExtInfo: {} });
    try {
      ex.throwExactlyMatchedException(ex.exceptions.exact, String(info?.code), `bybit ${body}`);
      ex.throwBroadlyMatchedException(ex.exceptions.broad, String(info?.msg ?? ''), `bybit ${body}`);
      throw new (ccxt as any).ExchangeError(`bybit ${body}`);
    } catch (e) {
      return mapCcxtError(e, { exchange: 'bybit', operation: 'placeOrders', market: m });
    }
  }

  async function amendOrder(symbol: string, id: string, changes: { price?: number; quantity?: number; triggerPrice?: number }): Promise<Order> {
    const m = await market(symbol);
    const req: Record<string, string> = { category: 'linear', symbol: ex.market(m.exchangeSymbol).id, orderId: id };
    if (changes.quantity !== undefined) req.qty = qtyString(m, changes.quantity, 'amendOrder');
    if (changes.price !== undefined) req.price = priceString(m, changes.price, 'amendOrder');
    if (changes.triggerPrice !== undefined) req.triggerPrice = priceString(m, changes.triggerPrice, 'amendOrder');
    await ex.privatePostV5OrderAmend(req).catch(fail('amendOrder', m));
    const order = await fetchOrder(symbol, { id });
    if (!order) throw mapCcxtError(new (ccxt as any).OrderNotFound(`bybit order ${id} not found after amend`), { exchange: 'bybit', operation: 'amendOrder', market: m });
    return order;
  }

  async function cancelOrder(symbol: string, ref: { id?: string; clientOrderId?: string }): Promise<void> {
    const m = await market(symbol);
    const params = ref.id ? {} : { orderLinkId: ref.clientOrderId };
    if (!ref.id && !ref.clientOrderId) throw new ValidationError('cancelOrder needs an id or a clientOrderId');
    try {
      await ex.cancelOrder(ref.id, m.exchangeSymbol, params);
    } catch (e) {
      const mapped = mapCcxtError(e, { exchange: 'bybit', operation: 'cancelOrder', market: m });
      if (mapped.code === 'order-not-found') return; // already gone: success
      throw mapped;
    }
  }

  async function cancelAllOrders(symbol: string): Promise<void> {
    const m = await market(symbol);
    await ex.cancelAllOrders(m.exchangeSymbol).catch(fail('cancelAllOrders', m));
  }

  async function setLeverage(symbol: string, leverage: number): Promise<void> {
    const m = await market(symbol);
    try {
      await ex.setLeverage(leverage, m.exchangeSymbol);
    } catch (e) {
      if (isBenignNoChange(e)) return; // 110043 leverage not modified
      throw mapCcxtError(e, { exchange: 'bybit', operation: 'setLeverage', market: m });
    }
  }

  /**
   * Unified accounts: margin mode is account-wide (/v5/account/set-margin-mode);
   * read it first (/v5/account/info) and only switch when it differs.
   * Classic accounts: per symbol (/v5/position/switch-isolated, 110026 = already set).
   * Then the leverage.
   */
  async function setMarginMode(symbol: string, mode: MarginMode, leverage: number): Promise<void> {
    const m = await market(symbol);
    try {
      const [uma, uta] = await ex.isUnifiedEnabled();
      if (uma || uta) {
        const info = await ex.privateGetV5AccountInfo();
        const current = info?.result?.marginMode;
        const wanted = mode === 'isolated' ? 'ISOLATED_MARGIN' : 'REGULAR_MARGIN';
        if (current !== wanted) {
          const res = await ex.privatePostV5AccountSetMarginMode({ setMarginMode: wanted });
          const reasons: any[] = res?.result?.reasons ?? [];
          if (reasons.length > 0) {
            throw new OrderRejected(`bybit setMarginMode: ${reasons.map((x) => `${x.reasonMsg} (${x.reasonCode})`).join('; ')}`, {
              exchange: 'bybit',
              operation: 'setMarginMode',
              details: { reasons },
            });
          }
        }
      } else {
        try {
          await ex.privatePostV5PositionSwitchIsolated({
            category: 'linear',
            symbol: ex.market(m.exchangeSymbol).id,
            tradeMode: mode === 'isolated' ? 1 : 0,
            buyLeverage: String(leverage),
            sellLeverage: String(leverage),
          });
        } catch (e) {
          if (!isBenignNoChange(e)) throw e; // 110026 margin mode not modified
        }
      }
    } catch (e) {
      throw mapCcxtError(e, { exchange: 'bybit', operation: 'setMarginMode', market: m });
    }
    await setLeverage(symbol, leverage);
  }

  /** /v5/position/trading-stop: Full (whole position) or Partial (with sizes). "0" removes. */
  async function setPositionProtection(symbol: string, _side: PositionSide, p: PositionProtection): Promise<void> {
    const m = await market(symbol);
    const req: Record<string, string | number> = { category: 'linear', symbol: ex.market(m.exchangeSymbol).id, positionIdx: 0 };
    req.tpslMode = p.quantity !== undefined ? 'Partial' : 'Full';
    if (p.stopLoss !== undefined) {
      req.stopLoss = p.stopLoss === null ? '0' : priceString(m, p.stopLoss, 'setPositionProtection');
      req.slTriggerBy = 'LastPrice';
      if (p.quantity !== undefined && p.stopLoss !== null) {
        req.slSize = qtyString(m, p.quantity, 'setPositionProtection');
        req.slOrderType = 'Market';
      }
    }
    if (p.takeProfit !== undefined) {
      req.takeProfit = p.takeProfit === null ? '0' : priceString(m, p.takeProfit, 'setPositionProtection');
      req.tpTriggerBy = 'LastPrice';
      if (p.quantity !== undefined && p.takeProfit !== null) {
        req.tpSize = qtyString(m, p.quantity, 'setPositionProtection');
        req.tpOrderType = 'Market';
      }
    }
    if (req.stopLoss === undefined && req.takeProfit === undefined) return;
    try {
      await ex.privatePostV5PositionTradingStop(req);
    } catch (e) {
      if (isBenignNoChange(e)) return; // 34040 not modified
      throw mapCcxtError(e, { exchange: 'bybit', operation: 'setPositionProtection', market: m });
    }
  }

  async function fetchPositions(syms?: string[]): Promise<Position[]> {
    await loadMarkets();
    let ccxtSymbols: string[] | undefined;
    if (syms && syms.length > 0) ccxtSymbols = await Promise.all(syms.map(async (s) => (await market(s)).exchangeSymbol));
    // One request for all USDT positions (ccxt accepts at most one symbol per call).
    const single = ccxtSymbols && ccxtSymbols.length === 1 ? ccxtSymbols : undefined;
    const raw: any[] = await ex.fetchPositions(single, single ? {} : { settleCoin: 'USDT' }).catch(fail('fetchPositions'));
    const out: Position[] = [];
    for (const p of raw) {
      if (ccxtSymbols && !ccxtSymbols.includes(p.symbol)) continue;
      const pos = toPosition(p, unifiedOf(p.symbol));
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
        throw new OrderRejected(`bybit closePosition: no open ${side} position on ${m.symbol}`, {
          exchange: 'bybit',
          operation: 'closePosition',
          details: { reason: 'no-position', symbol: m.symbol, side },
        });
      }
      qty = pos.quantity;
    }
    return placeOrder({ symbol, side: exitSide(side), type: 'market', quantity: qty, reduceOnly: true, clientOrderId: o.clientOrderId });
  }

  return {
    id: 'bybit',
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
      const b = await ex.fetchBalance({ type: 'swap' }).catch(fail('fetchBalance'));
      return toBalance(b, 'USDT');
    },
    fetchPositions,
    async fetchOpenOrders(symbol?: string): Promise<Order[]> {
      await loadMarkets();
      const m = symbol ? await market(symbol) : undefined;
      const raw: any[] = await ex.fetchOpenOrders(m?.exchangeSymbol, undefined, undefined, m ? {} : { settleCoin: 'USDT' }).catch(fail('fetchOpenOrders', m));
      return raw.map((o) => toOrder(o, unifiedOf(o.symbol)));
    },
    fetchOrder,
    placeOrder,
    placeOrders,
    amendOrder,
    cancelOrder,
    cancelAllOrders,
    setLeverage,
    setMarginMode,
    setPositionProtection,
    closePosition,
    async auditKey(): Promise<KeyAudit> {
      const res = await ex.privateGetV5UserQueryApi().catch(fail('auditKey'));
      // The same answer tells the account type: no separate probe before the first order.
      const t = accountTypeOf(res?.result ?? {});
      if (t) rememberAccountType(t);
      return parseKeyAudit(res?.result ?? {});
    },
    prepare,
    rateLimitStatus(): RateLimitStatus | null {
      const h = ex.last_response_headers as Record<string, unknown> | undefined;
      const limit = Number(headerValue(h, 'X-Bapi-Limit'));
      const remaining = Number(headerValue(h, 'X-Bapi-Limit-Status'));
      const resetAt = Number(headerValue(h, 'X-Bapi-Limit-Reset-Timestamp'));
      if (!Number.isFinite(limit) || !Number.isFinite(remaining) || headerValue(h, 'X-Bapi-Limit') === undefined) return null;
      return { limit, remaining, resetAt: Number.isFinite(resetAt) ? resetAt : Date.now() };
    },
    async close(): Promise<void> {
      /* REST only: nothing to close */
    },
  };
}

/** /v5/user/query-api result -> KeyAudit. */
export function parseKeyAudit(r: Record<string, any>): KeyAudit {
  const perms: Record<string, string[]> = r.permissions ?? {};
  const has = (group: string, p?: string) => Array.isArray(perms[group]) && (p ? perms[group].includes(p) : perms[group].length > 0);
  const readOnly = r.readOnly === undefined ? null : Number(r.readOnly) === 1;
  const canTrade = readOnly === null ? null : !readOnly && (has('ContractTrade', 'Order') || has('ContractTrade', 'Position') || has('Derivatives'));
  const canWithdraw = r.permissions ? has('Wallet', 'Withdraw') : null;
  const ips: string[] | undefined = Array.isArray(r.ips) ? r.ips : undefined;
  const ipBound = ips === undefined ? null : ips.length > 0 && !ips.includes('*');
  const expiry = typeof r.expiredAt === 'string' && r.expiredAt ? Date.parse(r.expiredAt) : NaN;
  const audit: KeyAudit = { readOnly, canTrade, canWithdraw, ipBound, expiresAt: Number.isFinite(expiry) && expiry > 0 ? expiry : null };
  const type = accountTypeOf(r);
  if (type) audit.unifiedAccount = type.unifiedAccount || type.unifiedMargin;
  return audit;
}
