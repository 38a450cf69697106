/**
 * The live grid driver: runs the strategy core (core.ts) against an exchange
 * account through the unified client, persists the core's state after every
 * step, and reconciles with the exchange on every tick (so a restart simply
 * continues: fills that happened while down are adopted, missing protection is
 * re-placed, orders that were about to be sent are sent by the same
 * deterministic client order id).
 *
 * One tick of a bot, under the user's lock:
 *   1. every order the core believes is on the exchange is looked up by its
 *      client order id and the (cumulative) report fed to the core;
 *   2. a position the exchange no longer has is reported as gone;
 *   3. a due cycle is started at the ticker price (margin mode and leverage set first);
 *   4. the core's pending actions are executed one by one, each outcome fed back,
 *      the state saved after each step (an order is stored as `new` before it is sent).
 *
 * Services produce no text: results are domain objects, notifications typed events.
 */
import type { Db } from '../../db/index.js';
import { listOpenTrades } from '../../db/repos/trades.js';
import * as repo from '../../db/repos/grid.js';
import type { AccountRef, ExchangeClient } from '../../exchanges/index.js';
import {
  AuthFailed,
  ExchangeError,
  ExchangeUnavailable,
  InsufficientFunds,
  InvalidOrderSize,
  MarketNotFound,
  OrderNotFound,
  OrderRejected,
  OrderStateUnknown,
  PermissionDenied,
  UserError,
  ValidationError,
  isAppError,
  type Environment,
  type ExchangeId,
  type Market,
  type Order,
  type OrderRequest,
} from '../../models/index.js';
import { clientOrderId, gridSalt, orderIdSalt } from '../ids.js';
import type { KeyedLock } from '../locks.js';
import { userLockKey } from '../locks.js';
import type { Logger } from '../logger.js';
import {
  averageEntry,
  canStart,
  initialGridState,
  pendingActions,
  positionQty,
  step,
  type GridConfig,
  type GridEvent,
  type GridInput,
  type GridOrder,
  type GridState,
} from './core.js';
import { planGrid, validateGridParams, type GridParams, type GridPlan } from './plan.js';
import type { GridNotification, GridNotifier } from './events.js';

export interface GridServiceDeps {
  db: Db;
  exchanges: { client(ref: AccountRef): Promise<ExchangeClient> };
  notifier: GridNotifier;
  log: Logger;
  clock: { now(): number };
  /** The per-user lock shared with the trading service (one created when absent). */
  locks: KeyedLock;
  /**
   * The entry gate (services/entry-gate.ts): asked before a grid is created and
   * before each new cycle starts. A running cycle (its averaging levels, target,
   * stop) is never touched by it. Absent: allowed.
   */
  entryGate?: { canOpenEntries(userId: number, ctx?: { sourceId?: number | null }): Promise<{ ok: true } | { ok: false; reason: string }> };
}

/** The entry gate's answer; a failing gate refuses (no new exposure on doubt). */
async function gateOf(deps: GridServiceDeps, userId: number): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (!deps.entryGate) return { ok: true };
  try {
    return await deps.entryGate.canOpenEntries(userId, { sourceId: null });
  } catch {
    return { ok: false, reason: 'gate-unavailable' };
  }
}

export interface GridCreateInput {
  accountId: number;
  symbol: string;
  params: GridParams;
  /** Required when params.stopLoss is null: the user explicitly turned the stop-loss off. */
  confirmNoStopLoss?: boolean;
}

export interface GridPreview {
  symbol: string;
  price: number;
  market: Market;
  params: GridParams;
  plan: GridPlan;
  freeBalance: number | null;
}

export type GridStatus = 'running' | 'paused' | 'stopping' | 'stopped';

export interface GridBotView {
  id: number;
  accountId: number;
  symbol: string;
  side: GridParams['side'];
  params: GridParams;
  status: GridStatus;
  phase: GridState['phase'];
  stopReason: string | null;
  lastError: string | null;
  cycle: number;
  positionQty: number;
  averageEntry: number | null;
  takeProfit: number | null;
  stopLoss: number | null;
  levelsFilled: number;
  levelsPlanned: number;
  nextStartAt: number | null;
  totals: GridState['totals'];
  createdAt: number;
}

export interface GridStats {
  botId: number;
  cycles: number;
  tpCycles: number;
  slCycles: number;
  otherCycles: number;
  pnl: number;
  fees: number;
  averageCycleMs: number | null;
  recent: repo.GridCycleRow[];
}

export interface GridService {
  /** Validates and sizes a grid at the current price (nothing is sent). */
  preview(userId: number, input: GridCreateInput): Promise<GridPreview>;
  /** Creates the bot and starts its first cycle. */
  create(userId: number, input: GridCreateInput): Promise<GridBotView>;
  list(userId: number): Promise<GridBotView[]>;
  get(userId: number, botId: number): Promise<GridBotView>;
  pause(userId: number, botId: number): Promise<GridBotView>;
  resume(userId: number, botId: number): Promise<GridBotView>;
  /** Cancels everything, closes the position, records the cycle, stops the bot. */
  stop(userId: number, botId: number): Promise<GridBotView>;
  stats(userId: number, botId: number): Promise<GridStats>;
  /** One reconcile-and-act pass of a bot. */
  tick(botId: number): Promise<void>;
  /** A pass over every active bot (the polling loop and the start-up reconciliation call this). */
  tickAll(): Promise<void>;
}

/** Errors that mean "the exchange said no to this order" (as opposed to "could not ask"). */
function isRejection(e: unknown): boolean {
  return e instanceof OrderRejected || e instanceof InvalidOrderSize || e instanceof InsufficientFunds || e instanceof MarketNotFound || e instanceof PermissionDenied;
}

/**
 * An error placing an order that retrying will not cure: the exchange (or the
 * adapter) refused the request itself. Unknown outcomes, outages, rate limits
 * and bad keys are not: those are retried on the next tick.
 */
function isPersistentRefusal(e: unknown): boolean {
  if (isRejection(e) || e instanceof UserError) return true;
  if (!(e instanceof ExchangeError) || e.retryable) return false;
  return !(e instanceof OrderStateUnknown || e instanceof ExchangeUnavailable || e instanceof AuthFailed || e instanceof OrderNotFound);
}

function errorCode(e: unknown): string {
  return isAppError(e) ? e.code : 'internal';
}

function statusOf(s: GridState): GridStatus {
  if (s.phase === 'stopped') return 'stopped';
  if (s.stopRequested) return 'stopping';
  return s.paused ? 'paused' : 'running';
}

function toInput(o: GridOrder, order: Order | null, time: number): GridInput {
  if (!order) {
    // The exchange has no such order (never placed, or long gone): keep what we know.
    return { type: 'order', key: o.key, status: 'cancelled', filled: o.filled, averagePrice: o.filled > 0 ? o.cost / o.filled : null, fee: o.fee, time };
  }
  const s = order.status;
  const status = s === 'pending' || s === 'unknown' ? 'open' : s;
  return { type: 'order', key: o.key, status, filled: order.filled, averagePrice: order.averagePrice, fee: order.fee, time };
}

export function createGridService(deps: GridServiceDeps): GridService {
  const { db, clock, log } = deps;

  const refOf = async (accountId: number): Promise<AccountRef> => {
    const row = await db.selectFrom('exchange_accounts').select(['id', 'exchange', 'environment', 'status']).where('id', '=', accountId).executeTakeFirst();
    if (!row || row.status === 'removed') throw new UserError(`no exchange account ${accountId}`, { details: { reason: 'no-account', accountId } });
    return { accountId: String(row.id), exchange: row.exchange as ExchangeId, environment: row.environment as Environment };
  };

  const ownedBot = async (userId: number, botId: number): Promise<repo.GridBotRow> => {
    const row = await repo.findGridBot(db, botId);
    if (!row || row.user_id !== userId) throw new UserError(`no grid bot ${botId}`, { details: { reason: 'no-grid-bot', botId } });
    return row;
  };

  const paramsOf = (row: repo.GridBotRow): GridParams => JSON.parse(row.params) as GridParams;
  const stateOf = (row: repo.GridBotRow): GridState => JSON.parse(row.state) as GridState;

  const view = (row: repo.GridBotRow): GridBotView => {
    const p = paramsOf(row);
    const s = stateOf(row);
    const tp = s.orders.find((o) => o.role === 'take-profit' && o.status !== 'cancelling');
    // A stop is shown only once the exchange confirmed it (status `open`), never while it is still to be sent.
    const sl = s.orders.find((o) => o.role === 'stop-loss' && o.status === 'open');
    return {
      id: row.id,
      accountId: row.account_id,
      symbol: row.symbol,
      side: p.side,
      params: p,
      status: statusOf(s),
      phase: s.phase,
      stopReason: s.stopReason,
      lastError: row.last_error,
      cycle: s.cycleNo,
      positionQty: positionQty(s),
      averageEntry: averageEntry(s),
      takeProfit: tp?.price ?? null,
      stopLoss: sl?.triggerPrice ?? null,
      levelsFilled: s.cycle?.levelsFilled.length ?? 0,
      levelsPlanned: s.cycle?.levels.length ?? 0,
      nextStartAt: s.nextStartAt,
      totals: s.totals,
      createdAt: row.created_at,
    };
  };

  const notify = (row: repo.GridBotRow, e: GridEvent): void => {
    const base = { userId: row.user_id, botId: row.id, symbol: row.symbol, side: row.side as GridParams['side'] };
    let n: GridNotification | null = null;
    switch (e.type) {
      case 'cycle-started':
        n = { ...base, type: 'grid-cycle-started', cycle: e.cycle, price: e.price, levels: e.plan.levels.length, baseQty: e.plan.baseQty };
        break;
      case 'entry-filled':
        n = { ...base, type: 'grid-entry-filled', cycle: e.cycle, level: e.level, price: e.price, quantity: e.quantity, averageEntry: e.averageEntry, positionQty: e.positionQty, takeProfit: e.takeProfit, stopLoss: e.stopLoss };
        break;
      case 'cycle-completed': {
        const r = e.record;
        n = { ...base, type: 'grid-cycle-completed', cycle: r.cycle, reason: r.reason, pnl: r.pnl, fees: r.fees, durationMs: r.durationMs, levelsUsed: r.levelsUsed, estimated: r.estimated };
        break;
      }
      case 'order-rejected':
        n = { ...base, type: 'grid-order-rejected', cycle: e.cycle, role: e.role, errorCode: e.error };
        break;
      case 'start-refused':
        n = { ...base, type: 'grid-error', code: errorCode(e.error), details: isAppError(e.error) ? e.error.details : {} };
        break;
      case 'stopped':
        n = { ...base, type: 'grid-stopped', reason: e.reason };
        break;
    }
    if (n) deps.notifier.notify(n);
  };

  /** Everything one tick does with a bot's state; the caller holds the user's lock. */
  const runBot = async (botId: number, command?: GridInput): Promise<void> => {
    const row = await repo.findGridBot(db, botId);
    if (!row || row.status === 'stopped') return;
    const params = paramsOf(row);
    let state = stateOf(row);
    const client = await deps.exchanges.client(await refOf(row.account_id));
    const market = await client.market(row.symbol);
    const config: GridConfig = { params, market };
    const symbol = row.symbol;
    const boundRow = row;

    const save = async (lastError?: string | null): Promise<void> => {
      await repo.saveGridBotState(
        db,
        botId,
        { state: JSON.stringify(state), status: statusOf(state), stopReason: state.stopReason, ...(lastError !== undefined && { lastError }) },
        clock.now(),
      );
    };
    const apply = async (input: GridInput): Promise<void> => {
      const r = step(config, state, input);
      state = r.state;
      for (const e of r.events) {
        if (e.type === 'cycle-completed') {
          const c = e.record;
          await repo.insertGridCycle(db, {
            bot_id: botId,
            cycle: c.cycle,
            reason: c.reason,
            started_at: c.startedAt,
            ended_at: c.endedAt,
            duration_ms: c.durationMs,
            start_price: String(c.startPrice),
            average_entry: String(c.averageEntry),
            exit_price: c.exitPrice === null ? null : String(c.exitPrice),
            quantity: String(c.quantity),
            levels_used: c.levelsUsed,
            gross_pnl: String(c.grossPnl),
            fees: String(c.fees),
            pnl: String(c.pnl),
            estimated: c.estimated ? 1 : 0,
          });
        }
      }
      await save();
      for (const e of r.events) notify(boundRow, e);
    };
    const idSalt = gridSalt(await orderIdSalt(db), botId);
    const coid = (o: GridOrder): string => clientOrderId(`grid${botId}`, boundRow.user_id, o.key, idSalt);
    /** The core holds a position the exchange does not have, and no fill can explain it. */
    const checkPosition = async (): Promise<void> => {
      if (state.phase !== 'active' && state.phase !== 'closing') return;
      if (positionQty(state) <= 0 || state.orders.some((o) => o.status === 'new' && o.role !== 'close')) return;
      const positions = await client.fetchPositions([symbol]);
      const held = positions.find((p) => p.symbol === symbol && p.side === params.side);
      if (held && held.quantity > 0) return;
      const ticker = await client.fetchTicker(symbol);
      await apply({ type: 'position-gone', time: clock.now(), price: ticker.last });
      for (let guard = 0; guard < 50; guard++) {
        const action = pendingActions(state)[0];
        if (!action || action.kind !== 'cancel') break;
        await client.cancelOrder(symbol, { clientOrderId: coid(action.order) });
        await apply(toInput(action.order, await client.fetchOrder(symbol, { clientOrderId: coid(action.order) }), clock.now()));
      }
    };

    let gateBlocked = false;
    try {
      if (command) await apply(command);
      // 1. what happened on the exchange
      for (const o of [...state.orders]) {
        if (o.status === 'new') continue; // never confirmed as sent: the action loop (re)sends it by the same id
        const order = await client.fetchOrder(symbol, { clientOrderId: coid(o) });
        await apply(toInput(o, order, clock.now()));
      }
      // 2. a position that vanished (closed by hand on the exchange, liquidated)
      await checkPosition();
      // 3. a due cycle
      if ((state.phase === 'idle' || state.phase === 'waiting') && canStart(state, clock.now())) {
        const gate = await gateOf(deps, boundRow.user_id);
        if (!gate.ok) {
          // New entries are paused (kill switch, license): the next cycle waits; told once per reason.
          gateBlocked = true;
          const why = `entry-gate:${gate.reason}`;
          if (row.last_error !== why) {
            await save(why);
            deps.notifier.notify({ userId: boundRow.user_id, botId, symbol, side: params.side, type: 'grid-error', code: 'entry-gate', details: { reason: 'entry-gate', gate: gate.reason } });
          }
        }
      }
      if (!gateBlocked && (state.phase === 'idle' || state.phase === 'waiting') && canStart(state, clock.now())) {
        await client.setMarginMode(symbol, 'isolated', params.leverage);
        await client.setLeverage(symbol, params.leverage);
        const ticker = await client.fetchTicker(symbol);
        await apply({ type: 'start', time: clock.now(), price: ticker.last });
      }
      // 4. the core's to-do list
      for (let guard = 0; guard < 200; guard++) {
        const action = pendingActions(state)[0];
        if (!action) break;
        const o = action.order;
        if (action.kind === 'cancel') {
          await client.cancelOrder(symbol, { clientOrderId: coid(o) });
          const order = await client.fetchOrder(symbol, { clientOrderId: coid(o) });
          const input = toInput(o, order, clock.now());
          // Still open after a successful cancel should not happen; treat as cancelled with its fills.
          await apply(input.type === 'order' && (input.status === 'open' || input.status === 'partially_filled') ? { ...input, status: 'cancelled' } : input);
          continue;
        }
        let order: Order;
        try {
          order = await client.placeOrder(requestOf(symbol, o, coid(o)));
        } catch (e) {
          // A stop the exchange will not take, for whatever reason, is a refused stop: the core closes
          // the position (never left without its stop, never retried silently every tick).
          const stopRefused = o.role === 'stop-loss' && isPersistentRefusal(e);
          if (!isRejection(e) && !stopRefused) throw e;
          log.warn({ botId, key: o.key, code: errorCode(e) }, 'grid order refused');
          await apply({ type: 'order', key: o.key, status: 'rejected', filled: 0, averagePrice: null, fee: 0, time: clock.now(), error: errorCode(e) });
          if (o.role === 'stop-loss' && state.phase !== 'stopped' && !state.stopRequested) {
            // The next cycle would meet the same refusal: the bot stops once this one is closed.
            state = { ...state, stopRequested: true, stopReason: 'stop-loss' };
            await save();
          }
          continue;
        }
        await apply({ type: 'order', key: o.key, status: order.status === 'pending' || order.status === 'unknown' ? 'open' : order.status, filled: order.filled, averagePrice: order.averagePrice, fee: order.fee, time: clock.now() });
      }
      await checkPosition();
      if (row.last_error !== null && !gateBlocked) await save(null);
    } catch (e) {
      // Could not reach the exchange (or the outcome is unknown): keep the state, try again next tick.
      const code = errorCode(e);
      log.warn({ botId, code, err: e instanceof Error ? { name: e.name, message: e.message } : String(e) }, 'grid tick failed');
      await save(code);
      if (e instanceof AuthFailed || e instanceof PermissionDenied) {
        notify(boundRow, { type: 'start-refused', error: e });
      }
    }
  };

  const tick = async (botId: number): Promise<void> => {
    const row = await repo.findGridBot(db, botId);
    if (!row) return;
    await deps.locks.run(userLockKey(row.user_id), () => runBot(botId));
  };

  const mutate = async (userId: number, botId: number, input: GridInput): Promise<GridBotView> => {
    await ownedBot(userId, botId);
    await deps.locks.run(userLockKey(userId), () => runBot(botId, input));
    return view((await repo.findGridBot(db, botId)) as repo.GridBotRow);
  };

  const preview = async (userId: number, input: GridCreateInput): Promise<GridPreview> => {
    const account = await db.selectFrom('exchange_accounts').select(['id', 'user_id']).where('id', '=', input.accountId).executeTakeFirst();
    if (!account || account.user_id !== userId) throw new UserError(`no exchange account ${input.accountId}`, { details: { reason: 'no-account' } });
    const client = await deps.exchanges.client(await refOf(input.accountId));
    const market = await client.market(input.symbol);
    const params = validateGridParams(input.params, market);
    const ticker = await client.fetchTicker(market.symbol);
    const plan = planGrid(params, ticker.last, market);
    let freeBalance: number | null;
    try {
      freeBalance = (await client.fetchBalance()).free;
    } catch {
      freeBalance = null;
    }
    return { symbol: market.symbol, price: ticker.last, market, params, plan, freeBalance };
  };

  return {
    preview,

    async create(userId, input) {
      if (input.params.stopLoss === null && input.confirmNoStopLoss !== true) {
        throw new ValidationError('turning the stop-loss off needs an explicit confirmation', { details: { field: 'stopLoss', reason: 'stop-loss-off-unconfirmed' } });
      }
      const gate = await gateOf(deps, userId);
      if (!gate.ok) throw new ValidationError(`new entries are paused (${gate.reason})`, { details: { reason: 'entry-gate', gate: gate.reason } });
      const pv = await preview(userId, input);
      if (pv.freeBalance !== null && pv.freeBalance < pv.plan.requiredMargin) {
        throw new ValidationError('not enough free balance for the grid', { details: { field: 'deposit', reason: 'insufficient-balance', required: pv.plan.requiredMargin, free: pv.freeBalance } });
      }
      const now = clock.now();
      const row = await deps.locks.run(userLockKey(userId), async () => {
        const busy = await repo.listActiveGridBotsFor(db, input.accountId, pv.symbol);
        const trades = await listOpenTrades(db, { accountId: input.accountId, symbol: pv.symbol });
        if (busy.length > 0 || trades.length > 0) {
          throw new ValidationError(`${pv.symbol} already has a grid or an open trade on this account`, { details: { field: 'symbol', reason: 'symbol-busy', symbol: pv.symbol } });
        }
        const state = initialGridState();
        return repo.insertGridBot(db, {
          userId,
          accountId: input.accountId,
          symbol: pv.symbol,
          side: pv.params.side,
          params: JSON.stringify(pv.params),
          state: JSON.stringify(state),
          status: statusOf(state),
          now,
        });
      });
      await tick(row.id);
      return view((await repo.findGridBot(db, row.id)) as repo.GridBotRow);
    },

    async list(userId) {
      return (await repo.listGridBotsOfUser(db, userId)).map(view);
    },

    async get(userId, botId) {
      return view(await ownedBot(userId, botId));
    },

    pause: (userId, botId) => mutate(userId, botId, { type: 'pause' }),
    resume: (userId, botId) => mutate(userId, botId, { type: 'resume' }),
    stop: (userId, botId) => mutate(userId, botId, { type: 'stop', time: clock.now() }),

    async stats(userId, botId) {
      const row = await ownedBot(userId, botId);
      const s = stateOf(row);
      const t = s.totals;
      return {
        botId,
        cycles: t.cycles,
        tpCycles: t.tpCycles,
        slCycles: t.slCycles,
        otherCycles: t.otherCycles,
        pnl: t.pnl,
        fees: t.fees,
        averageCycleMs: t.cycles > 0 ? t.durationMs / t.cycles : null,
        recent: await repo.listGridCycles(db, botId, 10),
      };
    },

    tick,

    async tickAll() {
      for (const row of await repo.listActiveGridBots(db)) {
        try {
          await tick(row.id);
        } catch (e) {
          log.error({ botId: row.id, err: e instanceof Error ? { name: e.name, message: e.message } : String(e) }, 'grid tick crashed');
        }
      }
    },
  };
}

/** The exchange request for one of the core's orders. */
export function requestOf(symbol: string, o: GridOrder, clientOrderId: string): OrderRequest {
  const req: OrderRequest = { symbol, side: o.side, type: o.type, quantity: o.quantity, clientOrderId };
  if (o.price !== null) req.price = o.price;
  if (o.reduceOnly) req.reduceOnly = true;
  if (o.triggerPrice !== null) {
    req.triggerPrice = o.triggerPrice;
    if (o.triggerDirection) req.triggerDirection = o.triggerDirection;
  }
  return req;
}

/**
 * The polling loop: one pass at start (restart reconciliation), then every
 * `intervalMs` (default 5 s); passes never overlap. Returns a stop function.
 */
export function startGridLoop(grid: GridService, options: { intervalMs?: number; log?: Logger } = {}): { stop(): void; pass(): Promise<void> } {
  let running: Promise<void> | null = null;
  let stopped = false;
  const pass = (): Promise<void> => {
    if (running) return running;
    running = grid
      .tickAll()
      .catch((e: unknown) => options.log?.error({ err: e instanceof Error ? { name: e.name, message: e.message } : String(e) }, 'grid loop pass failed'))
      .finally(() => {
        running = null;
      });
    return running;
  };
  void pass();
  const timer = setInterval(() => {
    if (!stopped) void pass();
  }, options.intervalMs ?? 5_000);
  timer.unref?.();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
    pass,
  };
}
