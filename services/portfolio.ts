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
}

export interface ManualDraft {
  accountId: number;
  symbol: string;
  side: PositionSide;
  /** Margin in the settle currency; the user's size settings when absent. */
  margin?: number;
  leverage?: number;
  stopLoss?: number | null;
  /** Idempotency key of one confirmation (e.g. the confirmation message): a repeated request opens no second trade. */
  requestId?: string;
}

/** What the trading services provide (services/trading/*, wired in services/app.ts). */
export interface TradingPort {
  closePosition(input: { userId: number; accountId: number; symbol: string; fraction: number; requestId?: string }): Promise<Omit<CloseResult, 'accountId'>>;
  moveStopToBreakeven(input: { userId: number; accountId: number; symbol: string }): Promise<{ stopLoss: number }>;
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
  breakeven(userId: number, accountId: number, symbol: string): Promise<{ symbol: string; stopLoss: number }>;
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

  const service: PortfolioService = {
    positions: (userId) =>
      eachAccount(userId, async (c, a) =>
        (await c.fetchPositions()).filter((p) => p.quantity > 0).map((position) => ({ accountId: a.id, accountLabel: a.label, exchange: a.exchange, position })),
      ),
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
      return { symbol, stopLoss: r.stopLoss };
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
