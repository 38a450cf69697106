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
 *   call is disabled. The account type (unified or classic): see
 *   bybit-account.ts. `prepare(op)` does both through the AdapterContext (the
 *   client's limiter) before the client times the operation itself.
 * - The order path (createOrder arguments, batches, amend, cancel, lookup):
 *   bybit-orders.ts.
 */
import { createHmac } from 'node:crypto';
import {
  OrderRejected,
  type Balance,
  type Environment,
  type MarginMode,
  type Fill,
  type Order,
  type Position,
  type PositionSide,
} from '../../models/index.js';
import type { AdapterContext, ExchangeAdapter, KeyAudit, PositionProtection, RateLimitStatus } from '../types.js';
import { adapterMarkets, closePositionWith, failFor, marketReads, newCcxtInstance, throttleVia, type CcxtInstanceOptions } from './adapter-core.js';
import { headerValue, isBenignNoChange, mapCcxtError, originOf, type AdapterLog, type FetchLike } from './base.js';
import { accountTypeOf, bybitAccountType, bybitAccountTypeKey, parseKeyAudit, type BybitAccountTypeCache } from './bybit-account.js';
import { BYBIT_DEFAULT_BATCH, BYBIT_MAX_BATCH, bybitOrders } from './bybit-orders.js';
import { toBalance, toMarket, toOrder, toPosition, type CcxtMarketLike } from './map.js';
import { createSharedMarkets, type CcxtMarketSource, type SharedMarkets } from './market-store.js';

export { accountTypeOf, bybitAccountTypeKey, parseKeyAudit, type BybitAccountType, type BybitAccountTypeCache } from './bybit-account.js';
export { BYBIT_DEFAULT_BATCH, BYBIT_MAX_BATCH, BYBIT_MAX_ORDER_LINK_ID } from './bybit-orders.js';

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

/** Operations whose ccxt path asks the account type (ccxt's isUnifiedEnabled). */
const NEEDS_ACCOUNT_TYPE = new Set(['fetchBalance', 'placeOrder', 'placeOrders', 'closePosition', 'cancelAllOrders', 'setMarginMode']);

/** Bybit's signature: hex HMAC-SHA256(secret, timestamp + apiKey + recvWindow + payload). */
export function bybitSignature(secret: string, timestamp: string, apiKey: string, recvWindow: string, payload: string): string {
  return createHmac('sha256', secret).update(timestamp + apiKey + recvWindow + payload).digest('hex');
}

interface BybitInstanceOptions extends CcxtInstanceOptions {
  environment: Environment;
  recvWindowMs?: number | undefined;
}

/** A ccxt.bybit configured for linear USDT perps in `environment` (credentials optional: the market loader has none). */
function newBybit(o: BybitInstanceOptions, credentials?: { apiKey: string; secret: string }): any {
  return newCcxtInstance('bybit', o, credentials ? { apiKey: credentials.apiKey, secret: credentials.secret } : {}, {
    defaultType: 'swap',
    defaultSubType: 'linear',
    defaultSettle: 'USDT',
    recvWindow: o.recvWindowMs ?? 5_000,
    fetchMarkets: { types: ['linear'] },
  });
}

/** The credential-less ccxt.bybit that loads markets for a SharedMarkets store. */
export function createBybitMarketSource(o: BybitInstanceOptions): CcxtMarketSource {
  return newBybit(o) as CcxtMarketSource;
}

export function createBybitAdapter(opts: BybitAdapterOptions): ExchangeAdapter & {
  auditKey(): Promise<KeyAudit>;
  rateLimitStatus(): RateLimitStatus | null;
  prepare(op: string): Promise<void>;
} {
  const ex: any = newBybit(opts, opts.credentials);
  const shared = opts.sharedMarkets ?? createSharedMarkets(`bybit|${opts.environment}|${opts.apiUrl ?? ''}|own`, ex as CcxtMarketSource);
  const throttle = throttleVia(opts.context);
  const accountTypeKey = bybitAccountTypeKey({ environment: opts.environment, apiUrl: opts.apiUrl, accountId: opts.accountId, apiKey: opts.credentials.apiKey });
  const host = originOf(opts.apiUrl ?? ex.implodeHostname(ex.urls.api.private));
  const batchSize = Math.min(Math.max(1, opts.batchSize ?? BYBIT_DEFAULT_BATCH), BYBIT_MAX_BATCH);
  const fail = failFor('bybit');
  const accountType = bybitAccountType({
    ex,
    environment: opts.environment,
    key: accountTypeKey,
    unifiedAccount: opts.unifiedAccount,
    cache: opts.accountTypes,
    throttle,
    fail,
  });

  const { loadMarkets, market, unifiedOf, refreshFor } = adapterMarkets<CcxtMarketLike & { swap?: boolean; linear?: boolean }>({
    exchange: 'bybit',
    ex,
    shared,
    viewKey: 'bybit-linear-usdt',
    select: (all) => all.filter((m) => m.swap && m.linear && m.settle === 'USDT' && m.quote === 'USDT'),
    entry: (m) => ({ symbol: m.symbol, base: m.base, quote: m.quote, settle: m.settle ?? m.quote }),
    toMarket: (m, unified) => toMarket(m, unified),
    kind: 'USDT perpetual',
    fail,
    throttle,
    log: opts.log,
  });

  /**
   * Before the client throttles `op`: markets in this instance (loaded once
   * for every instance, through the limiter, refreshed when stale) and the
   * account type when ccxt would ask for it. No request once done.
   */
  async function prepare(op: string): Promise<void> {
    await refreshFor(op);
    if (NEEDS_ACCOUNT_TYPE.has(op)) await accountType.ensure();
  }

  const { qtyString, priceString, fetchOrder, placeOrder, placeOrders, amendOrder, cancelOrder, cancelAllOrders } = bybitOrders({ ex, market, fail, batchSize });

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

  const closePosition = closePositionWith({ exchange: 'bybit', market, fetchPositions, placeOrder });

  /**
   * GET /v5/execution/list (category linear, the symbol, startTime; 100 per
   * page, Bybit's maximum; at most 7 days from startTime), oldest first. A
   * fill that closed part of a position has closedSize > 0.
   */
  async function fetchFills(symbol: string, since: number): Promise<Fill[]> {
    const m = await market(symbol);
    const raw: any[] = await ex.fetchMyTrades(m.exchangeSymbol, Math.max(0, Math.floor(since)), 100, { category: 'linear' }).catch(fail('fetchFills', m));
    return raw
      .map((t): Fill => ({
        orderId: String(t.order ?? t.info?.orderId ?? ''),
        clientOrderId: t.info?.orderLinkId ? String(t.info.orderLinkId) : null,
        symbol: m.symbol,
        side: t.side === 'sell' ? 'sell' : 'buy',
        price: Number(t.price),
        quantity: Number(t.amount),
        fee: Number(t.fee?.cost ?? t.info?.execFee ?? 0),
        reduceOnly: Number(t.info?.closedSize ?? 0) > 0,
        timestamp: Number(t.timestamp),
      }))
      .filter((f) => f.quantity > 0 && f.price > 0)
      .sort((a, b) => a.timestamp - b.timestamp);
  }

  return {
    id: 'bybit',
    host,
    loadMarkets,
    market,
    ...marketReads(ex, market, fail),
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
    fetchFills,
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
      if (t) accountType.remember(t);
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
