/**
 * The one interface every exchange adapter implements (Bybit and HyperLiquid
 * through ccxt, Paper in-process), and that the unified client exposes to
 * services. Symbols are the product's unified form ("BTC/USDT"); each adapter
 * maps them to its own markets and throws MarketNotFound when it has none.
 * Quantities are in base units. Errors are models/errors.ts classes only.
 */
import type {
  Balance,
  Candle,
  Environment,
  ExchangeId,
  Fill,
  MarginMode,
  Market,
  Order,
  OrderRequest,
  Position,
  PositionSide,
  Ticker,
} from '../models/index.js';

export interface Credentials {
  /** Bybit */
  apiKey?: string;
  secret?: string;
  /** HyperLiquid: the main wallet address and the API (agent) wallet's private key. */
  walletAddress?: string;
  privateKey?: string;
  /**
   * Bybit: whether the account is a unified trading account, when known (e.g.
   * `auditKey().unifiedAccount` recorded at connect time). Saves the
   * account-type probe (/v5/user/query-api) before the account's first order.
   */
  unifiedAccount?: boolean;
}

export interface AccountRef {
  /** Our account id (db row id); a stable key for per-account limits and breakers. */
  accountId: string;
  exchange: ExchangeId;
  environment: Environment;
}

export type BatchItemResult = { ok: true; order: Order } | { ok: false; error: Error; request: OrderRequest };

/** What an exchange says about an API key. Unknown fields are null. */
export interface KeyAudit {
  readOnly: boolean | null;
  canTrade: boolean | null;
  canWithdraw: boolean | null;
  ipBound: boolean | null;
  expiresAt: number | null;
  /** Bybit: unified trading account (worth storing and passing back as Credentials.unifiedAccount). */
  unifiedAccount?: boolean | null;
}

/** Requests an adapter makes on its own (market load, account-type probe), as the client prices them. */
export type AdapterInternalOp = 'loadMarkets' | 'detectAccount';

/**
 * Handed to adapter factories by the registry: lets an adapter run its own
 * start-up requests through the client's guarded path (breaker, rate
 * limiter, metrics) instead of around it.
 */
export interface AdapterContext {
  throttle<T>(op: AdapterInternalOp, fn: () => Promise<T>): Promise<T>;
}

export interface PositionProtection {
  /** New stop-loss trigger price; null removes it; undefined leaves it. */
  stopLoss?: number | null;
  takeProfit?: number | null;
  /** Base quantity the protection covers; default the whole position. */
  quantity?: number;
  /** Deterministic id for exchanges that implement protection as orders. */
  clientOrderId?: string;
}

export interface ExchangeAdapter {
  readonly id: ExchangeId;
  /** scheme://host[:port] of the REST API (per-host rate limits key on this). */
  readonly host: string;

  loadMarkets(reload?: boolean): Promise<Market[]>;
  /** Throws MarketNotFound with a clear message when the exchange has no such market. */
  market(symbol: string): Promise<Market>;
  fetchTicker(symbol: string): Promise<Ticker>;
  fetchCandles(symbol: string, timeframe: string, since?: number, limit?: number): Promise<Candle[]>;
  /** Balance of the settle currency (USDT on Bybit/Paper, USDC on HyperLiquid). */
  fetchBalance(): Promise<Balance>;
  fetchPositions(symbols?: string[]): Promise<Position[]>;
  fetchOpenOrders(symbol?: string): Promise<Order[]>;
  /** Looks an order up by exchange id or client order id; null when the exchange has no such order. */
  fetchOrder(symbol: string, ref: { id?: string; clientOrderId?: string }): Promise<Order | null>;

  placeOrder(request: OrderRequest): Promise<Order>;
  /** One batch request where the exchange allows it; one result per request, in order. */
  placeOrders(requests: OrderRequest[]): Promise<BatchItemResult[]>;
  amendOrder(symbol: string, id: string, changes: { price?: number; quantity?: number; triggerPrice?: number }): Promise<Order>;
  /** Cancelling an order that is already gone is success. */
  cancelOrder(symbol: string, ref: { id?: string; clientOrderId?: string }): Promise<void>;
  cancelAllOrders(symbol: string): Promise<void>;

  /** Setting the value it already has is success. */
  setLeverage(symbol: string, leverage: number): Promise<void>;
  setMarginMode(symbol: string, mode: MarginMode, leverage: number): Promise<void>;
  /** Set or move the position's stop-loss / take-profit on the exchange. */
  setPositionProtection(symbol: string, side: PositionSide, protection: PositionProtection): Promise<void>;
  /** Reduce-only market close of the whole position or `quantity` of it. */
  closePosition(symbol: string, side: PositionSide, options: { quantity?: number; clientOrderId: string }): Promise<Order>;

  /**
   * Our fills (executions) in `symbol` since `since` (epoch ms), oldest first:
   * the exchange's own word on what a stop, take-profit, liquidation or manual
   * close got (price, quantity, fee). Optional: services fall back to an
   * estimate where an adapter has none.
   */
  fetchFills?(symbol: string, since: number): Promise<Fill[]>;
  /** Key permissions, where the exchange reports them. */
  auditKey?(): Promise<KeyAudit>;
  /**
   * The exchange's own word on the remaining request quota after the last
   * call (Bybit's X-Bapi-Limit* headers), so the client can slow down early.
   */
  rateLimitStatus?(): RateLimitStatus | null;
  close?(): Promise<void>;
  /**
   * Get ready for `op` (a client operation name) before the client throttles
   * and times it: load this instance's markets, detect the account type. Does
   * nothing (no request) once done. Requests it makes go through the
   * AdapterContext the adapter was built with.
   */
  prepare?(op: string): Promise<void>;
}

export interface RateLimitStatus {
  limit: number;
  remaining: number;
  /** Epoch ms when the window resets. */
  resetAt: number;
}

/** Latency and outcome of every exchange call, for metrics. */
export interface CallEvent {
  exchange: ExchangeId;
  accountId: string;
  host: string;
  op: string;
  ms: number;
  ok: boolean;
  errorCode?: string;
  weight?: number;
}
export type CallObserver = (event: CallEvent) => void;
