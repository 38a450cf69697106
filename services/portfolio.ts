/**
 * What a trader sees and does with their positions from Telegram: positions,
 * open orders and balances read through the exchange registry, and the
 * mutating actions (close, stop to breakeven, manual trades) delegated to the
 * trading services through `TradingPort`, under the user's lock there.
 */
import type { ExchangeClient, ExchangeRegistry } from '../exchanges/index.js';
import { UserError } from '../models/errors.js';
import type { Balance, ExchangeId } from '../models/market.js';
import type { Order, PositionSide } from '../models/order.js';
import type { Position } from '../models/position.js';
import { isAppError } from '../models/errors.js';
import type { AccountsService, AccountView } from './accounts.js';
import type { Logger } from './logger.js';
import type { PlanSummary } from './notifications.js';

export class NoPosition extends UserError {
  override readonly code = 'no-position';
}

export interface PositionView {
  accountId: number;
  accountLabel: string;
  exchange: ExchangeId;
  position: Position;
  /**
   * The protection really resting on the exchange: the position's own stop / take-profit,
   * or reduce-only trigger / limit orders on the closing side (a stop order, a TP ladder).
   * Take-profits from the nearest to the farthest.
   */
  protection: Protection;
}

export interface Protection {
  stopLoss: number | null;
  takeProfits: number[];
}

/** A market and its current price on one account (the wizards check a coin at its step). */
export interface MarketQuote {
  symbol: string;
  base: string;
  price: number;
  minQty: number;
  stepSize: number;
  minNotional: number;
  maxLeverage: number;
}

/**
 * The stop-loss and take-profits protecting a position: the position's own fields first,
 * then reduce-only orders on the closing side of the same symbol — below the reference
 * price (mark, else entry) a long's stop, above it its targets (the other way for a short).
 */
export function protectionOf(position: Position, orders: Order[]): Protection {
  const closing = position.side === 'long' ? 'sell' : 'buy';
  const ref = position.markPrice ?? position.entryPrice;
  const stops: number[] = [];
  const tps: number[] = position.takeProfit !== null ? [position.takeProfit] : [];
  for (const o of orders) {
    if (o.symbol !== position.symbol || o.side !== closing || !o.reduceOnly) continue;
    const price = o.triggerPrice ?? o.price;
    if (price === null || !(price > 0)) continue;
    const adverse = position.side === 'long' ? price < ref : price > ref;
    if (adverse) stops.push(price);
    else tps.push(price);
  }
  // Several stops: the nearest to the price is the one that triggers first.
  const nearestStop = stops.length === 0 ? null : position.side === 'long' ? Math.max(...stops) : Math.min(...stops);
  const stopLoss = position.stopLoss ?? nearestStop;
  const unique = [...new Set(tps)].sort((a, b) => (position.side === 'long' ? a - b : b - a));
  return { stopLoss, takeProfits: unique };
}

export interface OrderView {
  accountId: number;
  accountLabel: string;
  order: Order;
}

export interface BalanceView {
  account: AccountView;
  balance: Balance | null;
  /** Error code when the balance could not be read. */
  errorCode: string | null;
}

export interface CloseResult {
  accountId: number;
  symbol: string;
  side: PositionSide;
  /** Quantity closed (base units). */
  quantity: number;
  exitPrice: number | null;
  /** Realized PnL of the closed part, when known. */
  realizedPnl: number | null;
  /** The tracked trade was finalized: its "trade closed" notification carries this result. */
  notified?: boolean;
}

export interface ManualDraft {
  accountId: number;
  symbol: string;
  side: PositionSide;
  /** Margin in the settle currency; the user's size settings when absent. */
  margin?: number;
  leverage?: number;
  stopLoss?: number | null;
  /** Take-profit prices (nearest first); the user's target settings when absent. */
  takeProfits?: number[];
  /** Idempotency key of one confirmation (e.g. the confirmation message): a repeated request opens no second trade. */
  requestId?: string;
}

/** What the trading services provide (services/trading/*, wired in services/app.ts). */
export interface TradingPort {
  closePosition(input: { userId: number; accountId: number; symbol: string; fraction: number; requestId?: string }): Promise<Omit<CloseResult, 'accountId'>>;
  /** `already`: the stop was at breakeven before (nothing sent). */
  moveStopToBreakeven(input: { userId: number; accountId: number; symbol: string }): Promise<{ stopLoss: number; already?: boolean }>;
  previewManual(input: ManualDraft & { userId: number }): Promise<PlanSummary>;
  openManual(input: ManualDraft & { userId: number }): Promise<{ tradeId: number }>;
}

export interface PortfolioService {
  positions(userId: number): Promise<PositionView[]>;
  orders(userId: number): Promise<OrderView[]>;
  balances(userId: number): Promise<BalanceView[]>;
  /** Closes `percent` (1..100) of the position on an account. */
  /** `requestId` (e.g. the pressed message + button) makes a repeated request close once. */
  close(userId: number, accountId: number, symbol: string, percent: number, requestId?: string): Promise<CloseResult>;
  /** Closes the whole position of `symbol` on every active account that has one. */
  closeSymbol(userId: number, symbol: string): Promise<CloseResult[]>;
  breakeven(userId: number, accountId: number, symbol: string): Promise<{ symbol: string; stopLoss: number; already: boolean }>;
  /** One position (with its protection) on an account, or null when flat. */
  position(userId: number, accountId: number, symbol: string): Promise<PositionView | null>;
  /** The market and its price on an account; throws MarketNotFound for an unknown coin. */
  quote(userId: number, accountId: number, symbol: string): Promise<MarketQuote>;
  /** The account's balance, or null when it cannot be read. */
  balance(userId: number, accountId: number): Promise<Balance | null>;
  previewManual(userId: number, draft: ManualDraft): Promise<PlanSummary>;
  openManual(userId: number, draft: ManualDraft): Promise<{ tradeId: number }>;
}

/** "btc", "BTCUSDT", "btc/usdt" → "BTC/USDT" (quote USDT by default). */
export function normalizeUserSymbol(input: string): string | null {
  const s = input.trim().toUpperCase().replace(/^#|^\$/, '').replace(/[-_ ]/g, '/');
  if (!/^[A-Z0-9/.:]{2,30}$/.test(s)) return null;
  if (s.includes('/')) {
    const [base, quote] = s.split(/[/:]/);
    return base && quote ? `${base}/${quote}` : null;
  }
  for (const q of ['USDT', 'USDC']) if (s.endsWith(q) && s.length > q.length) return `${s.slice(0, -q.length)}/${q}`;
  return `${s}/USDT`;
}

export function createPortfolioService(deps: {
  accounts: AccountsService;
  registry: Pick<ExchangeRegistry, 'client'>;
  trading: TradingPort;
  log?: Logger;
}): PortfolioService {
  const { accounts, registry, trading } = deps;

  async function active(userId: number): Promise<AccountView[]> {
    return (await accounts.list(userId)).filter((a) => a.status === 'active');
  }

  async function clientOf(a: AccountView): Promise<ExchangeClient> {
    return registry.client(accounts.refOf(a));
  }

  /** Reads every account; one failing account does not hide the others. */
  async function eachAccount<T>(userId: number, read: (c: ExchangeClient, a: AccountView) => Promise<T[]>): Promise<T[]> {
    const list = await active(userId);
    const results = await Promise.all(
      list.map(async (a) => {
        try {
          return await read(await clientOf(a), a);
        } catch (e) {
          deps.log?.warn({ userId, accountId: a.id, code: isAppError(e) ? e.code : 'unknown' }, 'account read failed');
          if (list.length === 1) throw e;
          return [];
        }
      }),
    );
    return results.flat();
  }

  /** Open positions of one account with their protection (one open-orders read per account). */
  async function positionsOf(c: ExchangeClient, a: AccountView, symbol?: string): Promise<PositionView[]> {
    const [positions, orders] = await Promise.all([
      c.fetchPositions(symbol ? [symbol] : undefined),
      // Without the orders the card still shows the position's own protection.
      c.fetchOpenOrders(symbol).catch((e: unknown) => {
        deps.log?.warn({ accountId: a.id, code: isAppError(e) ? e.code : 'unknown' }, 'open orders read failed');
        return [] as Order[];
      }),
    ]);
    return positions
      .filter((p) => p.quantity > 0)
      .map((position) => ({ accountId: a.id, accountLabel: a.label, exchange: a.exchange, position, protection: protectionOf(position, orders) }));
  }

  const service: PortfolioService = {
    positions: (userId) => eachAccount(userId, (c, a) => positionsOf(c, a)),
    async position(userId, accountId, symbol) {
      const a = await accounts.get(userId, accountId);
      return (await positionsOf(await clientOf(a), a, symbol)).find((v) => v.position.symbol === symbol) ?? null;
    },
    async quote(userId, accountId, symbol) {
      const a = await accounts.get(userId, accountId);
      const c = await clientOf(a);
      const m = await c.market(symbol);
      const t = await c.fetchTicker(m.symbol);
      return { symbol: m.symbol, base: m.base, price: t.mark ?? t.last, minQty: m.minQty, stepSize: m.stepSize, minNotional: m.minNotional, maxLeverage: m.maxLeverage };
    },
    async balance(userId, accountId) {
      const a = await accounts.get(userId, accountId);
      try {
        return await (await clientOf(a)).fetchBalance();
      } catch (e) {
        deps.log?.warn({ userId, accountId, code: isAppError(e) ? e.code : 'unknown' }, 'balance read failed');
        return null;
      }
    },
    orders: (userId) => eachAccount(userId, async (c, a) => (await c.fetchOpenOrders()).map((order) => ({ accountId: a.id, accountLabel: a.label, order }))),
    async balances(userId) {
      const list = await active(userId);
      return Promise.all(
        list.map(async (account) => {
          try {
            return { account, balance: await (await clientOf(account)).fetchBalance(), errorCode: null };
          } catch (e) {
            return { account, balance: null, errorCode: isAppError(e) ? e.code : 'internal' };
          }
        }),
      );
    },
    async close(userId, accountId, symbol, percent, requestId) {
      await accounts.get(userId, accountId);
      if (!(percent > 0 && percent <= 100)) throw new UserError(`percent must be in 1..100 (got ${percent})`, { details: { percent } });
      const r = await trading.closePosition({ userId, accountId, symbol, fraction: percent / 100, ...(requestId ? { requestId } : {}) });
      return { accountId, ...r };
    },
    async closeSymbol(userId, symbol) {
      const positions = (await service.positions(userId)).filter((p) => p.position.symbol === symbol);
      if (positions.length === 0) throw new NoPosition(`no open position in ${symbol}`, { details: { symbol } });
      const out: CloseResult[] = [];
      for (const p of positions) out.push(await service.close(userId, p.accountId, symbol, 100));
      return out;
    },
    async breakeven(userId, accountId, symbol) {
      await accounts.get(userId, accountId);
      const r = await trading.moveStopToBreakeven({ userId, accountId, symbol });
      return { symbol, stopLoss: r.stopLoss, already: r.already === true };
    },
    async previewManual(userId, draft) {
      await accounts.get(userId, draft.accountId);
      return trading.previewManual({ ...draft, userId });
    },
    async openManual(userId, draft) {
      await accounts.get(userId, draft.accountId);
      return trading.openManual({ ...draft, userId });
    },
  };
  return service;
}
