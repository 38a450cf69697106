/**
 * The adapters createApp hands to the portfolio service and the signal inbox:
 * TradingPort (close a position — tracked trade or one opened by hand —,
 * move a stop to breakeven, preview and open a manual trade) and SignalPort
 * (channel posts, previews, forwarded signals, stored confirmations), over
 * the trading service, the repositories and the exchange registry.
 */
import { signals as signalsRepo, sources as sourcesRepo, trades as tradesRepo, users as usersRepo, type Db } from '../db/index.js';
import type { Clock, ExchangeRegistry } from '../exchanges/index.js';
import { ExchangeError, UserError } from '../models/errors.js';
import { roundPrice } from '../models/index.js';
import type { SignalParse } from '../models/signal.js';
import type { AccountsService } from './accounts.js';
import { clientOrderId, newTraceId } from './ids.js';
import { userLockKey, type KeyedLock } from './locks.js';
import { NoPosition, type TradingPort } from './portfolio.js';
import type { SettingsService } from './settings.js';
import type { SignalPort } from './signal-inbox.js';
import { parseSignal } from './signals/parser.js';
import type { SignalRouter } from './signals/router.js';
import { prepareForUser, runForUser, settingsFor, SharedQuotes } from './trading/fanout.js';
import { summarize } from './trading/plan.js';
import type { TradingService } from './trading/service.js';

/** A trading action the exchange or the trade state refused. */
export class ActionFailed extends ExchangeError {}

export class PlanRefused extends UserError {
  override readonly code = 'plan-refused';
}

/**
 * An action on a position refused before anything was sent, with the reason in
 * `details.reason`: 'below-min-size' (quantity, min, base), 'breakeven-wrong-side'
 * (price, entry, side).
 */
export class ActionRefused extends UserError {
  override readonly code = 'action-refused';
}

export interface PortDeps {
  db: Db;
  clock: Clock;
  registry: ExchangeRegistry;
  accounts: AccountsService;
  settings: SettingsService;
  trading: TradingService;
  locks: KeyedLock;
  router: SignalRouter;
}

export function createTradingPort({ db, clock, registry, accounts, settings, trading, locks }: Omit<PortDeps, 'router'>): TradingPort {
  async function openTradeOf(userId: number, accountId: number, symbol: string) {
    const open = await tradesRepo.listOpenTrades(db, { userId, accountId, symbol });
    return open[open.length - 1] ?? null;
  }

  /** A position run by a grid bot is the grid's: refused with its id (the user is pointed to /grid). */
  async function refuseGridManaged(accountId: number, symbol: string): Promise<void> {
    const grid = await trading.gridManaging(accountId, symbol);
    if (grid) throw new ActionRefused(`${symbol} is managed by grid ${grid.gridId}`, { details: { reason: 'grid-managed', gridId: grid.gridId, symbol } });
  }

  return {
    async closePosition({ userId, accountId, symbol, fraction, requestId }) {
      await refuseGridManaged(accountId, symbol);
      const trade = await openTradeOf(userId, accountId, symbol);
      const account = await accounts.get(userId, accountId);
      const client = await registry.client(accounts.refOf(account));
      const before = (await client.fetchPositions([symbol])).find((p) => p.symbol === symbol && p.quantity > 0);
      let partQty: number | null = null;
      if (before && fraction < 1) {
        // A part below the exchange minimum is refused here with the numbers, not as an exchange error.
        const market = await client.market(symbol);
        const part = before.quantity * fraction;
        partQty = await client.precision.roundQty(symbol, part);
        if (!(partQty >= market.minQty && partQty > 0)) {
          throw new ActionRefused(`part ${part} below the minimum ${market.minQty}`, { details: { reason: 'below-min-size', quantity: part, min: market.minQty, base: market.base } });
        }
      }
      if (!trade) {
        // A position the bot does not track (opened by hand on the exchange).
        if (!before) throw new NoPosition(`no open position in ${symbol}`, { details: { symbol } });
        const qty = fraction >= 1 ? undefined : await client.precision.roundQty(symbol, before.quantity * fraction);
        const order = await locks.run(userLockKey(userId), () =>
          client.closePosition(symbol, before.side, { ...(qty !== undefined ? { quantity: qty } : {}), clientOrderId: clientOrderId(`x${accountId}:${symbol}:${requestId ?? clock.now()}`, userId, 'close') }),
        );
        return { symbol, side: before.side, quantity: order.filled || (qty ?? before.quantity), exitPrice: order.averagePrice, realizedPnl: null };
      }
      const r = await trading.closeTrade(userId, trade.id, fraction, requestId ? { requestId } : undefined);
      if (!r.ok) {
        if (r.reason === 'not-open') throw new NoPosition(`trade ${trade.id} is not open`, { details: { symbol } });
        throw new ActionFailed(`close failed: ${r.reason}`, { operation: 'close', details: { code: r.code ?? r.reason, ...('gridId' in r ? { gridId: r.gridId } : {}) } });
      }
      const after = await tradesRepo.findTrade(db, trade.id);
      const closed = after?.status === 'closed';
      return {
        symbol,
        side: trade.side as 'long' | 'short',
        quantity: before ? (fraction >= 1 ? before.quantity : (partQty ?? before.quantity * fraction)) : Number(trade.quantity),
        exitPrice: (await client.fetchTicker(symbol).catch(() => null))?.last ?? null,
        realizedPnl: closed ? Number(after.realized_pnl) : null,
        notified: closed,
      };
    },
    async moveStopToBreakeven({ userId, accountId, symbol }) {
      await refuseGridManaged(accountId, symbol);
      const trade = await openTradeOf(userId, accountId, symbol);
      if (!trade) throw new NoPosition(`no tracked trade in ${symbol}`, { details: { symbol } });
      const entry = Number(trade.entry_price);
      if (entry > 0) {
        const account = await accounts.get(userId, accountId);
        const client = await registry.client(accounts.refOf(account));
        const market = await client.market(symbol);
        const target = roundPrice(market, entry);
        const pos = (await client.fetchPositions([symbol])).find((p) => p.symbol === symbol && p.quantity > 0);
        const current = pos?.stopLoss ?? (trade.stop_loss === null ? null : Number(trade.stop_loss));
        // Already there: success, nothing is sent.
        if (current !== null && Math.abs(current - target) < market.tickSize / 2) return { stopLoss: target, already: true };
        const price = pos?.markPrice ?? (await client.fetchTicker(symbol).catch(() => null))?.last ?? null;
        const wrongSide = price !== null && (trade.side === 'long' ? price <= target : price >= target);
        if (wrongSide) {
          throw new ActionRefused(`price ${price} is on the wrong side of the entry ${target}`, { details: { reason: 'breakeven-wrong-side', price, entry: target, side: trade.side } });
        }
      }
      const r = await trading.moveStop(userId, trade.id, { breakeven: true });
      if (!r.ok) throw new ActionFailed(`move stop failed: ${r.reason}`, { operation: 'moveStop', details: { code: r.code ?? r.reason, ...('gridId' in r ? { gridId: r.gridId } : {}) } });
      const after = await tradesRepo.findTrade(db, trade.id);
      return { stopLoss: Number(after?.stop_loss ?? after?.entry_price ?? 0) };
    },
    async previewManual(draft) {
      const global = await settings.getGlobal(draft.userId);
      let s = { ...global, entryMode: 'signal' as const, maxSignalAgeSec: 0 };
      if (draft.margin !== undefined) s = { ...s, sizeMode: 'fixed', sizeValue: draft.margin };
      if (draft.leverage !== undefined) s = { ...s, leverageMode: 'fixed', leverage: draft.leverage };
      const r = await prepareForUser(trading.deps, { userId: draft.userId, accountId: draft.accountId, settings: s, signal: manualSignal(draft), signalAt: null }, new SharedQuotes());
      if (!r.ok) throw new PlanRefused(`plan refused: ${r.reason}`, { details: { ...scalarDetails(r.details), reason: r.reason } });
      return summarize(r.value.plan);
    },
    async openManual(draft) {
      const r = await trading.openManual({
        // A repeated confirmation (double tap) carries the same request id: one trade at most.
        ...(draft.requestId ? { requestId: draft.requestId } : {}),
        userId: draft.userId,
        accountId: draft.accountId,
        symbol: draft.symbol,
        side: draft.side,
        entryType: 'market',
        ...(draft.margin !== undefined ? { marginUsdt: draft.margin } : {}),
        ...(draft.leverage !== undefined ? { leverage: draft.leverage } : {}),
        ...(draft.stopLoss !== undefined ? { stopLoss: draft.stopLoss } : {}),
        ...(draft.takeProfits !== undefined && draft.takeProfits.length > 0 ? { takeProfits: draft.takeProfits } : {}),
      });
      if (!r.ok) throw new PlanRefused(`manual trade refused: ${r.reason}`, { details: { ...scalarDetails(r.details), reason: r.reason } });
      return { tradeId: r.tradeId };
    },
  };
}

export function createSignalPort({ db, clock, trading, locks, router }: Omit<PortDeps, 'registry' | 'accounts' | 'settings'>): SignalPort {
  async function forwardedSource(userId: number, sourceId: number | null) {
    if (sourceId !== null) return (await sourcesRepo.findSource(db, sourceId)) ?? null;
    return sourcesRepo.upsertSource(db, { kind: 'forwarded', chatId: `user:${userId}`, title: 'Forwarded', addedBy: userId, visibility: 'private', now: clock.now() });
  }

  return {
    parse: parseSignal,
    async channelPost(source, post) {
      await router.handleMessage({
        sourceId: source.id,
        messageId: String(post.messageId),
        text: post.text,
        replyToMessageId: post.replyToMessageId == null ? null : String(post.replyToMessageId),
        postedAt: post.postedAt,
        edited: post.edited,
      });
    },
    async preview({ userId, sourceId, signal }) {
      const source = sourceId === null ? null : ((await sourcesRepo.findSource(db, sourceId)) ?? null);
      const sub = sourceId === null ? undefined : await sourcesRepo.findSubscription(db, userId, sourceId);
      const s = { ...(await settingsFor(trading.deps, userId, source, sub?.overrides ?? null)), maxSignalAgeSec: 0 };
      const user = await usersRepo.findUserById(db, userId);
      const r = await prepareForUser(trading.deps, { userId, accountId: sub?.account_id ?? user?.default_account_id ?? null, settings: s, signal, signalAt: null }, new SharedQuotes());
      // With the signal: the preview shows the zone's own prices even when legs were merged.
      return r.ok ? { ok: true, plan: summarize(r.value.plan, signal) } : { ok: false, reason: r.reason, details: r.details };
    },
    async executeParsed({ userId, sourceId, signal, messageKey }) {
      const source = await forwardedSource(userId, sourceId);
      if (!source) throw new UserError('source vanished');
      const stored = await signalsRepo.insertSignalOnce(db, {
        sourceId: source.id,
        messageId: messageKey,
        rawText: '',
        parseResult: JSON.stringify(signal),
        kind: 'signal',
        status: 'received',
        traceId: newTraceId(),
        now: clock.now(),
      });
      const sub = await sourcesRepo.findSubscription(db, userId, source.id);
      const user = await usersRepo.findUserById(db, userId);
      // Forwarded: the age of the forward, not of the original post.
      const row = { ...stored.row, received_at: clock.now() };
      const out = await locks.run(userLockKey(userId), () =>
        runForUser(trading.deps, row, signal as SignalParse, source, { userId, mode: 'auto', accountId: sub?.account_id ?? user?.default_account_id ?? null, overrides: sub?.overrides ?? '{}' }, new SharedQuotes(), true),
      );
      return outcomeTrade(out);
    },
    async executedTrade({ userId, sourceId, messageKey }) {
      const source = sourceId !== null ? await sourcesRepo.findSource(db, sourceId) : await sourcesRepo.findSourceByChat(db, 'forwarded', `user:${userId}`);
      const row = source ? await signalsRepo.findSignalByMessage(db, source.id, messageKey) : undefined;
      const trade = row ? await tradesRepo.findTradeBySignalUser(db, row.id, userId) : undefined;
      return trade?.id ?? null;
    },
    async executeStored({ userId, signalId }) {
      return outcomeTrade(await trading.executeConfirmed(signalId, userId));
    },
    ignoreStored: ({ userId, signalId }) => trading.skip(signalId, userId),
  };
}

/** The string / number details of a refusal (for the message), nothing nested. */
function scalarDetails(d: Record<string, unknown>): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(d)) if (typeof v === 'string' || typeof v === 'number') out[k] = v;
  return out;
}

function manualSignal(d: { symbol: string; side: 'long' | 'short'; stopLoss?: number | null; leverage?: number; takeProfits?: number[] }): SignalParse {
  return {
    kind: 'signal',
    symbol: d.symbol,
    side: d.side,
    entries: [],
    entryMarket: true,
    entryTrigger: null,
    takeProfits: d.takeProfits && d.takeProfits.length > 0 ? d.takeProfits : null,
    takeProfitPercents: null,
    stopLoss: d.stopLoss ?? null,
    leverage: d.leverage ?? null,
    marginMode: null,
    warnings: [],
  };
}

function outcomeTrade(out: Awaited<ReturnType<TradingService['executeConfirmed']>>): { tradeId: number; duplicate: boolean } {
  if (out.status === 'opened' || out.status === 'placed' || out.status === 'duplicate') return { tradeId: out.tradeId, duplicate: out.status === 'duplicate' };
  if (out.status === 'refused' || out.status === 'failed') throw new PlanRefused(`signal not executed: ${out.reason}`, { details: { reason: out.reason } });
  throw new PlanRefused('signal not executed', { details: { reason: 'exchange-error' } });
}
