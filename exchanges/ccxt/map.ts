/**
 * Pure mappers from ccxt structures to models/ types. No I/O, no ccxt
 * instance: table-tested in test/exchanges/ccxt/map.test.ts.
 */
import type {
  Balance,
  Candle,
  MarginMode,
  Market,
  Order,
  OrderRequest,
  OrderStatus,
  OrderType,
  Position,
  Side,
  Ticker,
} from '../../models/index.js';

/** The subset of a ccxt market we read. */
export interface CcxtMarketLike {
  symbol: string;
  base: string;
  quote: string;
  settle?: string | undefined;
  active?: boolean | undefined;
  contractSize?: number | undefined;
  taker?: number | undefined;
  maker?: number | undefined;
  precision: { amount?: number | undefined; price?: number | undefined };
  limits: {
    amount?: { min?: number | undefined; max?: number | undefined };
    cost?: { min?: number | undefined; max?: number | undefined };
    leverage?: { min?: number | undefined; max?: number | undefined };
  };
  info?: any;
}

function num(v: unknown): number | null {
  if (v === undefined || v === null || v === '') return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

/** Zero means "none" in Bybit's TP/SL and liquidation fields. */
function positiveOrNull(v: unknown): number | null {
  const n = num(v);
  return n !== null && n > 0 ? n : null;
}

export function toMarket(m: CcxtMarketLike, unifiedSymbol: string, overrides: Partial<Market> = {}): Market {
  const step = num(m.precision.amount) ?? 0;
  const tick = num(m.precision.price) ?? 0;
  return {
    symbol: unifiedSymbol,
    exchangeSymbol: m.symbol,
    base: m.base,
    quote: m.quote,
    settle: m.settle ?? m.quote,
    tickSize: tick,
    stepSize: step,
    minQty: num(m.limits.amount?.min) ?? step,
    maxQty: num(m.limits.amount?.max),
    minNotional: num(m.limits.cost?.min) ?? 0,
    maxLeverage: num(m.limits.leverage?.max) ?? 1,
    contractSize: num(m.contractSize) ?? 1,
    takerFee: num(m.taker) ?? 0,
    makerFee: num(m.maker) ?? 0,
    active: m.active !== false,
    ...overrides,
  };
}

/** The subset of a ccxt order we read. */
export interface CcxtOrderLike {
  id?: string | undefined;
  clientOrderId?: string | undefined;
  timestamp?: number | undefined;
  symbol?: string | undefined;
  type?: string | undefined;
  side?: string | undefined;
  price?: number | undefined;
  average?: number | undefined;
  amount?: number | undefined;
  filled?: number | undefined;
  remaining?: number | undefined;
  status?: string | undefined;
  reduceOnly?: boolean | undefined;
  triggerPrice?: number | undefined;
  stopLossPrice?: number | undefined;
  takeProfitPrice?: number | undefined;
  fee?: { cost?: number | undefined; currency?: string | undefined } | undefined;
  info?: any;
}

export function toOrderStatus(status: string | undefined, filled: number, amount: number): OrderStatus {
  switch (status) {
    case 'open':
      return filled > 0 && filled < amount ? 'partially_filled' : 'open';
    case 'closed':
      return 'filled';
    case 'canceled':
    case 'cancelled':
      return 'cancelled';
    case 'rejected':
      return 'rejected';
    case 'expired':
      return 'expired';
    default:
      return 'unknown';
  }
}

/**
 * Order from a ccxt order. `request` fills what an acknowledgement leaves out
 * (Bybit's create answer is only ids; its status is then 'open': accepted).
 */
export function toOrder(o: CcxtOrderLike, unifiedSymbol: string, request?: OrderRequest, now = Date.now()): Order {
  const quantity = num(o.amount) ?? request?.quantity ?? 0;
  const filled = num(o.filled) ?? 0;
  let status = toOrderStatus(o.status, filled, quantity);
  if (status === 'unknown' && request && o.id) status = 'open';
  const type: OrderType = o.type === 'market' || o.type === 'limit' ? o.type : (request?.type ?? 'limit');
  const side: Side = o.side === 'buy' || o.side === 'sell' ? o.side : (request?.side ?? 'buy');
  const price = positiveOrNull(o.price) ?? (request?.type === 'limit' ? (request.price ?? null) : null);
  const trigger = positiveOrNull(o.triggerPrice) ?? positiveOrNull(o.stopLossPrice) ?? positiveOrNull(o.takeProfitPrice) ?? request?.triggerPrice ?? null;
  return {
    id: o.id ?? '',
    clientOrderId: o.clientOrderId ?? request?.clientOrderId ?? null,
    symbol: unifiedSymbol,
    side,
    type,
    status,
    price,
    quantity,
    filled,
    averagePrice: positiveOrNull(o.average),
    reduceOnly: o.reduceOnly ?? request?.reduceOnly ?? false,
    triggerPrice: trigger,
    fee: num(o.fee?.cost) ?? 0,
    timestamp: num(o.timestamp) ?? now,
  };
}

/** The subset of a ccxt position we read. */
export interface CcxtPositionLike {
  symbol: string;
  side?: string | undefined;
  contracts?: number | undefined;
  contractSize?: number | undefined;
  entryPrice?: number | undefined;
  markPrice?: number | undefined;
  leverage?: number | undefined;
  marginMode?: string | undefined;
  initialMargin?: number | undefined;
  collateral?: number | undefined;
  unrealizedPnl?: number | undefined;
  liquidationPrice?: number | undefined;
  stopLossPrice?: number | undefined;
  takeProfitPrice?: number | undefined;
  timestamp?: number | undefined;
  lastUpdateTimestamp?: number | undefined;
  info?: any;
}

/** Position, or null for an empty (size 0) entry. */
export function toPosition(p: CcxtPositionLike, unifiedSymbol: string, defaultMarginMode: MarginMode = 'cross', now = Date.now()): Position | null {
  const contracts = num(p.contracts) ?? 0;
  const quantity = contracts * (num(p.contractSize) ?? 1);
  if (!(quantity > 0)) return null;
  const side = p.side === 'short' ? 'short' : p.side === 'long' ? 'long' : null;
  if (!side) return null;
  let marginMode: MarginMode = defaultMarginMode;
  if (p.marginMode === 'isolated' || p.marginMode === 'cross') marginMode = p.marginMode;
  else if (p.info && (p.info.tradeMode === 1 || p.info.tradeMode === '1')) marginMode = 'isolated';
  return {
    symbol: unifiedSymbol,
    side,
    quantity: Number(quantity.toPrecision(12)),
    entryPrice: num(p.entryPrice) ?? 0,
    markPrice: positiveOrNull(p.markPrice),
    leverage: num(p.leverage) ?? 1,
    marginMode,
    margin: num(p.initialMargin) ?? num(p.collateral),
    unrealizedPnl: num(p.unrealizedPnl) ?? 0,
    liquidationPrice: positiveOrNull(p.liquidationPrice),
    stopLoss: positiveOrNull(p.stopLossPrice),
    takeProfit: positiveOrNull(p.takeProfitPrice),
    timestamp: num(p.lastUpdateTimestamp) ?? num(p.timestamp) ?? now,
  };
}

export function toBalance(b: Record<string, any>, currency: string): Balance {
  const acc = (b[currency] ?? {}) as { total?: number; free?: number; used?: number };
  const total = num(acc.total) ?? 0;
  const used = num(acc.used) ?? (num(acc.free) !== null ? total - (num(acc.free) as number) : 0);
  const free = num(acc.free) ?? total - used;
  return { currency, total, free, used };
}

export function toTicker(
  t: { last?: number | undefined; close?: number | undefined; bid?: number | undefined; ask?: number | undefined; markPrice?: number | undefined; timestamp?: number | undefined; info?: any },
  unifiedSymbol: string,
  now = Date.now(),
): Ticker {
  const mark = num(t.markPrice) ?? num(t.info?.markPrice) ?? num(t.info?.markPx);
  const last = num(t.last) ?? num(t.close) ?? mark ?? 0;
  return {
    symbol: unifiedSymbol,
    last,
    bid: positiveOrNull(t.bid),
    ask: positiveOrNull(t.ask),
    mark,
    timestamp: num(t.timestamp) ?? now,
  };
}

export function toCandle(row: (number | undefined)[]): Candle {
  return {
    time: row[0] ?? 0,
    open: row[1] ?? 0,
    high: row[2] ?? 0,
    low: row[3] ?? 0,
    close: row[4] ?? 0,
    volume: row[5] ?? 0,
  };
}
