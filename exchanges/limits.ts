/**
 * Published request limits per exchange, and what each client operation costs.
 *
 * Bybit v5 (bybit-exchange.github.io/docs/v5/rate-limit and
 * /docs/v5/order/batch-place, checked 2026-11):
 * - Per IP: 600 requests in any 5-second window for all traffic to one API
 *   host; over it: HTTP 403 "access too frequent" and a ban of >= 10 minutes
 *   (ipBanMs). Default budget 550/5 s (the docs advise not to run at the edge).
 * - Per UID, per endpoint, rolling 1-second window (linear, unified account):
 *   /v5/order/create 10/s, /v5/order/amend 10/s, /v5/order/cancel 10/s,
 *   /v5/order/cancel-all 10/s on linear (1/s on options; ccxt 4.5 prices it at
 *   1/s: we follow the stricter figure), position writes (set-leverage,
 *   trading-stop, switch-isolated) 10/s, private reads (order/realtime,
 *   order/history, position/list) 10/s (50/s on UTA Pro), /v5/user/query-api
 *   10/s. Over it: retCode 10006 with X-Bapi-Limit-Status /
 *   X-Bapi-Limit-Reset-Timestamp headers.
 * - Batch create (/v5/order/create-batch, linear 10/s): "has its own rate
 *   limit and does not share it with single requests", and for linear "the
 *   counting consumption will be consumed according to the actual number of
 *   orders" (a request of 5 orders consumes 5); the orders of a request past
 *   the remaining quota fail with a rate-limit error while the rest succeed.
 *   A request holds at most 20 orders (10 in older doc versions). So: a
 *   separate 'order-batch' bucket of 10 per second, a batch costs its length
 *   there, and the client never sends more than `maxBatch` = 10 orders per
 *   request (the adapter's default batch size is 10 as well): a 20-order
 *   batch could never fully pass inside one second's quota.
 *
 * HyperLiquid (hyperliquid.gitbook.io/.../api/rate-limits):
 * - Per IP: 1,200 weight per minute for all REST; default budget 1,100/min;
 *   HTTP 429 over it.
 * - /exchange actions weigh 1 + floor(batchLength / 40).
 * - /info weighs 2 for l2Book, allMids, clearinghouseState, orderStatus,
 *   spotClearinghouseState, exchangeStatus; 60 for userRole; 20 for all other
 *   documented requests; candleSnapshot adds 1 per 60 items returned.
 * - Per address: a cumulative action budget (10,000 + 1 per USDC traded), not
 *   a per-second rate, so no per-account window here.
 *
 * Weights per client operation (what the adapter sends for it, warm: markets
 * loaded, account type known):
 * | op                    | Bybit host | Bybit account bucket   | HL host weight                     |
 * |-----------------------|-----------:|------------------------|------------------------------------|
 * | loadMarkets           | 2          | -                      | 20 (metaAndAssetCtxs)              |
 * | market                | 0 / 2 (*)  | -                      | 0 / 20 (*)                         |
 * | detectAccount         | 1          | account-read 1         | 20 (userAbstraction, fetchBalance)  |
 * | fetchTicker           | 1          | -                      | 20 (metaAndAssetCtxs)              |
 * | fetchCandles          | 1          | -                      | 20 + ceil(limit/60) (limit def 500)|
 * | fetchBalance          | 1          | account-read 1         | 2 (clearinghouseState)             |
 * | fetchPositions        | 1          | account-read 1         | 22 (+ frontendOpenOrders)          |
 * | fetchOpenOrders       | 1          | account-read 1         | 20 (frontendOpenOrders)            |
 * | fetchOrder            | 2 (+history)| account-read 2        | 2 (orderStatus)                    |
 * | fetchFills            | 1          | account-read 1         | 20 (userFillsByTime)               |
 * | placeOrder            | 1          | order-create 1         | 1 (+2 allMids without a price)     |
 * | placeOrders (n <= max)| 1          | order-batch n          | 1 + floor(n/40) (+2 per no-price)  |
 * | amendOrder            | 2 (+read)  | order-amend 1          | 3 (orderStatus + batchModify)      |
 * | cancelOrder           | 1          | order-cancel 1         | 1                                  |
 * | cancelAllOrders       | 1          | order-cancel-all 1     | 21 (open orders read + cancel)     |
 * | setLeverage           | 1          | position-write 1       | 1 (updateLeverage)                 |
 * | setMarginMode         | 3          | position-write 3       | 1                                  |
 * | setPositionProtection | 1          | position-write 1       | 22 (open orders + trigger + cancel)|
 * | closePosition         | 2 (1 part.)| order-create 1         | 25 (3 partial: allMids + order)    |
 * | auditKey              | 1          | account-read 1         | 80 (userRole 60 + extraAgents 20)  |
 * (*) 0 for adapters with `prepare` (the ccxt ones: the market is read from
 * markets prepare loaded); the load's cost for adapters without it.
 * `loadMarkets` and `detectAccount` are also what adapters' `prepare` sends
 * through the client before an operation on a cold instance (markets once per
 * process and environment; the account type once per account).
 * Paper has no limits. Every figure can be overridden per exchange.
 */
import type { ExchangeId } from '../models/index.js';
import type { WindowLimit } from './limiter.js';

export type OpClass =
  | 'market-read'
  | 'account-read'
  | 'order-create'
  | 'order-batch'
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
  | 'fetchFills'
  | 'placeOrder'
  | 'placeOrders'
  | 'amendOrder'
  | 'cancelOrder'
  | 'cancelAllOrders'
  | 'setLeverage'
  | 'setMarginMode'
  | 'setPositionProtection'
  | 'closePosition'
  | 'auditKey'
  | 'detectAccount';

export const OP_CLASS: Readonly<Record<ClientOp, OpClass>> = {
  loadMarkets: 'market-read',
  market: 'market-read',
  fetchTicker: 'market-read',
  fetchCandles: 'market-read',
  fetchBalance: 'account-read',
  fetchPositions: 'account-read',
  fetchOpenOrders: 'account-read',
  fetchOrder: 'account-read',
  fetchFills: 'account-read',
  auditKey: 'account-read',
  detectAccount: 'account-read',
  placeOrder: 'order-create',
  placeOrders: 'order-batch',
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
  /** Market orders sent without a reference price (HyperLiquid reads allMids for each). */
  withoutPrice?: number;
  /** closePosition of the whole position (the adapter reads the position size first). */
  fullClose?: boolean;
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
  /** Most orders the client puts in one batch request (larger batches are split); unlimited when absent. */
  maxBatch?: number;
}

export type LimitsOverrides = Partial<Record<ExchangeId, Partial<ExchangeLimits>>>;

const perSecond = (limit: number): WindowLimit => ({ limit, windowMs: 1_000 });

export const BYBIT_LIMITS: ExchangeLimits = {
  // guardMs: a grant keeps counting 250 ms past the window, so event-loop lag or
  // network jitter between our stamp and the exchange's never puts > 600 in its window.
  host: { limit: 550, windowMs: 5_000, guardMs: 250 },
  ipBanMs: 10 * 60_000,
  maxBatch: 10,
  account: {
    'order-create': perSecond(10),
    'order-batch': perSecond(10),
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
        return { host: 2, account: 0 };
      case 'placeOrders': {
        const n = Math.max(1, ctx.batchSize ?? 1);
        return { host: Math.ceil(n / 10), account: n };
      }
      case 'setMarginMode':
        // unified: account/info + set-margin-mode (when different) + set-leverage; classic: switch-isolated + set-leverage
        return { host: 3, account: 3 };
      case 'closePosition':
        return { host: ctx.fullClose === false ? 1 : 2, account: 1 };
      case 'amendOrder':
        // amend, then the order is read back
        return { host: 2, account: 1 };
      case 'fetchOrder':
        // open orders, then the history when not there
        return { host: 2, account: 2 };
      case 'fetchTicker':
      case 'fetchCandles':
        return { host: 1, account: 0 };
      default:
        return { host: 1, account: 1 };
    }
  },
};

export const HYPERLIQUID_LIMITS: ExchangeLimits = {
  host: { limit: 1_100, windowMs: 60_000, guardMs: 1_000 },
  ipBanMs: 60_000,
  maxBatch: 40,
  account: {},
  cost(op, ctx = {}) {
    const w = (host: number): OpCost => ({ host, account: 0 });
    switch (op) {
      case 'loadMarkets':
      case 'market':
        return w(20);
      case 'fetchTicker':
        return w(20);
      case 'fetchCandles':
        return w(20 + Math.ceil((ctx.limit ?? 500) / 60));
      case 'fetchBalance':
      case 'fetchOrder':
        return w(2);
      case 'fetchPositions':
        // clearinghouseState + frontendOpenOrders (the resting stop-loss / take-profit)
        return w(22);
      case 'fetchOpenOrders':
      case 'detectAccount':
      case 'fetchFills':
        // userFillsByTime: 20 (+1 per 20 fills returned, not known before the call)
        return w(20);
      case 'auditKey':
        // userRole (60) + extraAgents (20)
        return w(80);
      case 'placeOrder':
        return w(1 + 2 * (ctx.withoutPrice ?? 0));
      case 'placeOrders':
        return w(1 + Math.floor(Math.max(1, ctx.batchSize ?? 1) / 40) + 2 * (ctx.withoutPrice ?? 0));
      case 'amendOrder':
        // orderStatus + batchModify
        return w(3);
      case 'cancelAllOrders':
        return w(21);
      case 'setPositionProtection':
        // frontendOpenOrders + new trigger(s) + cancel of the old ones
        return w(22);
      case 'closePosition':
        // allMids + order, plus fetchPositions (22) for the whole position
        return w(ctx.fullClose === false ? 3 : 25);
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
  const maxBatch = o.maxBatch ?? base.maxBatch;
  return {
    ...(ipBanMs === undefined ? {} : { ipBanMs }),
    ...(maxBatch === undefined ? {} : { maxBatch }),
    host: o.host === undefined ? base.host : o.host,
    account: o.account === undefined ? base.account : { ...base.account, ...o.account },
    cost: o.cost ?? base.cost,
  };
}
