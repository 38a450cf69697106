/**
 * Published request limits per exchange, and what each client operation costs.
 *
 * Bybit v5 (bybit-exchange.github.io/docs/v5/rate-limit, checked 2025):
 * - Per IP: 600 requests in any 5-second window for all traffic to one API
 *   host; over it: HTTP 403 "access too frequent" and a ban of ~10 minutes.
 *   Default budget 550/5 s (the docs advise not to run at the edge).
 * - Per UID, per endpoint, rolling 1-second window (linear, unified account):
 *   /v5/order/create 10/s, /v5/order/amend 10/s, /v5/order/cancel 10/s,
 *   /v5/order/create-batch 10/s (ccxt 4.5 prices /v5/order/cancel-all at
 *   1/s; we follow the stricter figure), position writes (set-leverage,
 *   trading-stop, switch-isolated) 10/s, private reads (order/realtime,
 *   order/history, position/list) 10/s. Over it: retCode 10006 with
 *   X-Bapi-Limit-Status / X-Bapi-Limit-Reset-Timestamp headers.
 * - Batch create holds up to 20 orders per request; its quota is consumed per
 *   order, so a batch costs its length in the account's create bucket (we
 *   share one bucket between create and create-batch: conservative).
 *
 * HyperLiquid (hyperliquid.gitbook.io/.../api/rate-limits):
 * - Per IP: 1,200 weight per minute for all REST; default budget 1,100/min.
 * - /exchange actions weigh 1 + floor(batchLength / 40).
 * - /info weighs 2 for l2Book, allMids, clearinghouseState, orderStatus,
 *   spotClearinghouseState, exchangeStatus; 60 for userRole; 20 for all other
 *   documented requests; candleSnapshot adds 1 per 60 items returned.
 * - Per address: a cumulative action budget (10,000 + 1 per USDC traded), not
 *   a per-second rate, so no per-account window here.
 *
 * Weights per client operation (what the adapter sends for it):
 * | op                    | Bybit host | Bybit account bucket   | HL host weight                     |
 * |-----------------------|-----------:|------------------------|------------------------------------|
 * | loadMarkets           | 6          | -                      | 40 (perp + spot meta, 20 each)     |
 * | market (cache miss)   | 6          | -                      | 40                                 |
 * | fetchTicker           | 1          | -                      | 20 (metaAndAssetCtxs)              |
 * | fetchCandles          | 1          | -                      | 20 + ceil(limit/60) (limit def 500)|
 * | fetchBalance          | 1          | account-read 1         | 2 (clearinghouseState)             |
 * | fetchPositions        | 1          | account-read 1         | 2 (clearinghouseState)             |
 * | fetchOpenOrders       | 1          | account-read 1         | 20 (frontendOpenOrders)            |
 * | fetchOrder            | 1          | account-read 1         | 2 (orderStatus)                    |
 * | placeOrder            | 1          | order-create 1         | 1                                  |
 * | placeOrders (n)       | ceil(n/20) | order-create n         | 1 + floor(n/40)                    |
 * | amendOrder            | 1          | order-amend 1          | 1                                  |
 * | cancelOrder           | 1          | order-cancel 1         | 1                                  |
 * | cancelAllOrders       | 1          | order-cancel-all 1     | 21 (open orders read + cancel)     |
 * | setLeverage           | 1          | position-write 1       | 1 (updateLeverage)                 |
 * | setMarginMode         | 2          | position-write 2       | 1                                  |
 * | setPositionProtection | 1          | position-write 1       | 3 (cancel old + place trigger(s))  |
 * | closePosition         | 2          | order-create 1         | 3 (position read + order)          |
 * | auditKey              | 1          | account-read 1         | 20                                 |
 * Paper has no limits. Every figure can be overridden per exchange.
 */
import type { ExchangeId } from '../models/index.js';
import type { WindowLimit } from './limiter.js';

export type OpClass =
  | 'market-read'
  | 'account-read'
  | 'order-create'
  | 'order-amend'
  | 'order-cancel'
  | 'order-cancel-all'
  | 'position-write';

export type ClientOp =
  | 'loadMarkets'
  | 'market'
  | 'fetchTicker'
  | 'fetchCandles'
  | 'fetchBalance'
  | 'fetchPositions'
  | 'fetchOpenOrders'
  | 'fetchOrder'
  | 'placeOrder'
  | 'placeOrders'
  | 'amendOrder'
  | 'cancelOrder'
  | 'cancelAllOrders'
  | 'setLeverage'
  | 'setMarginMode'
  | 'setPositionProtection'
  | 'closePosition'
  | 'auditKey';

export const OP_CLASS: Readonly<Record<ClientOp, OpClass>> = {
  loadMarkets: 'market-read',
  market: 'market-read',
  fetchTicker: 'market-read',
  fetchCandles: 'market-read',
  fetchBalance: 'account-read',
  fetchPositions: 'account-read',
  fetchOpenOrders: 'account-read',
  fetchOrder: 'account-read',
  auditKey: 'account-read',
  placeOrder: 'order-create',
  placeOrders: 'order-create',
  closePosition: 'order-create',
  amendOrder: 'order-amend',
  cancelOrder: 'order-cancel',
  cancelAllOrders: 'order-cancel-all',
  setLeverage: 'position-write',
  setMarginMode: 'position-write',
  setPositionProtection: 'position-write',
};

export interface CostContext {
  /** Orders in a batch (placeOrders). */
  batchSize?: number;
  /** Items asked for (fetchCandles). */
  limit?: number;
}

export interface OpCost {
  /** Against the host (per-IP) budget. */
  host: number;
  /** Against the account's bucket for the op's class. */
  account: number;
}

export interface ExchangeLimits {
  /** Per-IP budget shared by every account on one API host; null = unlimited. */
  host: WindowLimit | null;
  /** Per-account budget per op class; a missing class is unlimited. */
  account: Partial<Record<OpClass, WindowLimit>>;
  cost(op: ClientOp, ctx?: CostContext): OpCost;
  /**
   * How long the whole host is held after the exchange refuses for the IP
   * (a RateLimited whose details say scope 'ip'); Bybit bans ~10 minutes.
   */
  ipBanMs?: number;
}

export type LimitsOverrides = Partial<Record<ExchangeId, Partial<ExchangeLimits>>>;

const perSecond = (limit: number): WindowLimit => ({ limit, windowMs: 1_000 });

export const BYBIT_LIMITS: ExchangeLimits = {
  host: { limit: 550, windowMs: 5_000 },
  ipBanMs: 10 * 60_000,
  account: {
    'order-create': perSecond(10),
    'order-amend': perSecond(10),
    'order-cancel': perSecond(10),
    'order-cancel-all': perSecond(1),
    'position-write': perSecond(10),
    'account-read': perSecond(10),
  },
  cost(op, ctx = {}) {
    switch (op) {
      case 'loadMarkets':
      case 'market':
        return { host: 6, account: 0 };
      case 'placeOrders': {
        const n = Math.max(1, ctx.batchSize ?? 1);
        return { host: Math.ceil(n / 20), account: n };
      }
      case 'setMarginMode':
        return { host: 2, account: 2 };
      case 'closePosition':
        return { host: 2, account: 1 };
      case 'fetchTicker':
      case 'fetchCandles':
        return { host: 1, account: 0 };
      default:
        return { host: 1, account: 1 };
    }
  },
};

export const HYPERLIQUID_LIMITS: ExchangeLimits = {
  host: { limit: 1_100, windowMs: 60_000 },
  ipBanMs: 60_000,
  account: {},
  cost(op, ctx = {}) {
    const w = (host: number): OpCost => ({ host, account: 0 });
    switch (op) {
      case 'loadMarkets':
      case 'market':
        return w(40);
      case 'fetchTicker':
        return w(20);
      case 'fetchCandles':
        return w(20 + Math.ceil((ctx.limit ?? 500) / 60));
      case 'fetchBalance':
      case 'fetchPositions':
      case 'fetchOrder':
        return w(2);
      case 'fetchOpenOrders':
      case 'auditKey':
        return w(20);
      case 'placeOrders':
        return w(1 + Math.floor(Math.max(1, ctx.batchSize ?? 1) / 40));
      case 'cancelAllOrders':
        return w(21);
      case 'setPositionProtection':
      case 'closePosition':
        return w(3);
      default:
        return w(1);
    }
  },
};

export const PAPER_LIMITS: ExchangeLimits = {
  host: null,
  account: {},
  cost: () => ({ host: 0, account: 0 }),
};

export const DEFAULT_LIMITS: Readonly<Record<ExchangeId, ExchangeLimits>> = {
  bybit: BYBIT_LIMITS,
  hyperliquid: HYPERLIQUID_LIMITS,
  paper: PAPER_LIMITS,
};

/** The default table for `exchange` with `overrides` applied field by field. */
export function resolveLimits(exchange: ExchangeId, overrides?: LimitsOverrides): ExchangeLimits {
  const base = DEFAULT_LIMITS[exchange];
  const o = overrides?.[exchange];
  if (!o) return base;
  const ipBanMs = o.ipBanMs ?? base.ipBanMs;
  return {
    ...(ipBanMs === undefined ? {} : { ipBanMs }),
    host: o.host === undefined ? base.host : o.host,
    account: o.account === undefined ? base.account : { ...base.account, ...o.account },
    cost: o.cost ?? base.cost,
  };
}
