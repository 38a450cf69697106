/**
 * The grid strategy as a pure state machine (the "functional core").
 *
 *   step(config, state, input) -> { state, events }
 *   pendingActions(state)      -> what the driver must do on the exchange now
 *
 * The state itself is the to-do list: every order the strategy wants has a
 * record with a deterministic key (`c<cycle>-L<level>`, `c<cycle>-tp<v>`,
 * `c<cycle>-sl<v>`, `c<cycle>-x<v>`) and a status — `new` (to place), `open`
 * (on the exchange), `cancelling` (to cancel). A driver executes the pending
 * actions one at a time and feeds each outcome back as an `order` input, so a
 * restarted driver simply continues from the persisted state (placing by the
 * same keys is idempotent at the exchange client). Two drivers exist: the live
 * service (service.ts) and the candle simulator (sim.ts).
 *
 * Order updates carry cumulative figures (filled, average price, fee), so a
 * repeated or late report never double counts: the core applies the delta.
 *
 * Replacing protection: the take-profit is cancelled before its replacement is
 * placed (two reduce-only orders for the whole position could over-close); the
 * stop-loss replacement is placed before the old one is cancelled (the
 * position is never without a stop).
 */
import { transition, type OrderType, type PositionSide, type Side, type StateMachine } from '../../models/index.js';
import {
  planGrid,
  roundGridPrice,
  roundGridQty,
  stopLossPrice,
  takeProfitPrice,
  type GridLevel,
  type GridMarket,
  type GridParams,
  type GridPlan,
} from './plan.js';

export type GridPhase = 'idle' | 'active' | 'closing' | 'waiting' | 'stopped';
export type GridOrderRole = 'entry' | 'take-profit' | 'stop-loss' | 'close';
export type GridOrderStatus = 'new' | 'open' | 'cancelling';
export type CycleEndReason = 'take-profit' | 'stop-loss' | 'manual' | 'external' | 'aborted';
export type GridStopReason = 'manual' | 'max-cycles' | 'stop-loss' | 'entry-rejected' | 'plan-refused';

export const GRID_MACHINE: StateMachine<GridPhase> = {
  name: 'grid',
  transitions: {
    idle: ['active', 'stopped'],
    active: ['closing'],
    closing: ['waiting', 'stopped'],
    waiting: ['active', 'stopped'],
    stopped: [],
  },
};

export interface GridOrder {
  key: string;
  role: GridOrderRole;
  /** Grid level of an entry order. */
  level: number | null;
  side: Side;
  type: OrderType;
  /** Limit price; null for market orders. */
  price: number | null;
  /** Stop trigger (stop-loss); null otherwise. */
  triggerPrice: number | null;
  triggerDirection: 'above' | 'below' | null;
  quantity: number;
  reduceOnly: boolean;
  status: GridOrderStatus;
  /** Cumulative fill figures as last reported. */
  filled: number;
  /** filled × average price. */
  cost: number;
  fee: number;
}

export interface GridCycle {
  n: number;
  startedAt: number;
  startPrice: number;
  levels: GridLevel[];
  entryQty: number;
  entryCost: number;
  exitQty: number;
  exitValue: number;
  fees: number;
  levelsFilled: number[];
  /** Largest Σ entry qty × price reached (notional at entry prices). */
  maxNotional: number;
  tpVersion: number;
  slVersion: number;
  closeVersion: number;
  lastExitRole: GridOrderRole | 'external' | null;
  /** "price|qty" of a protection the exchange refused; not re-sent until the position changes. */
  blockedTp: string | null;
  blockedClose: boolean;
  endReason: CycleEndReason | null;
  endedAt: number | null;
}

export interface CycleRecord {
  cycle: number;
  startedAt: number;
  endedAt: number;
  durationMs: number;
  reason: CycleEndReason;
  startPrice: number;
  averageEntry: number;
  exitPrice: number | null;
  quantity: number;
  levelsUsed: number;
  grossPnl: number;
  fees: number;
  /** grossPnl − fees. */
  pnl: number;
  maxNotional: number;
  /** The exit was not reported by the exchange (position vanished): PnL estimated at the given price. */
  estimated: boolean;
}

export interface GridTotals {
  /** Completed cycles (any end reason except 'aborted'). */
  cycles: number;
  tpCycles: number;
  slCycles: number;
  otherCycles: number;
  /** Realized PnL of completed cycles after fees. */
  pnl: number;
  /** Fees of completed (and aborted) cycles. */
  fees: number;
  durationMs: number;
}

export interface GridState {
  version: 1;
  phase: GridPhase;
  /** No new cycle starts while paused; a running cycle continues (with its stop-loss). */
  paused: boolean;
  stopRequested: boolean;
  stopReason: GridStopReason | null;
  /** Cycles started so far (the current one included). */
  cycleNo: number;
  /** Earliest time the next cycle may start (phase 'waiting'). */
  nextStartAt: number | null;
  cycle: GridCycle | null;
  orders: GridOrder[];
  totals: GridTotals;
  lastCycle: CycleRecord | null;
}

export interface GridConfig {
  params: GridParams;
  /** Rounding and minimums; null = none (simulator without --symbol). */
  market: GridMarket | null;
}

export type GridInput =
  | { type: 'start'; time: number; price: number }
  | {
      type: 'order';
      key: string;
      status: 'open' | 'partially_filled' | 'filled' | 'cancelled' | 'rejected' | 'expired';
      /** Cumulative filled quantity, average fill price and fee. */
      filled: number;
      averagePrice: number | null;
      fee: number;
      time: number;
      error?: string;
    }
  | { type: 'stop'; time: number }
  | { type: 'pause' }
  | { type: 'resume' }
  /** The exchange has no position although the core holds one and no fill explains it. */
  | { type: 'position-gone'; time: number; price: number | null };

export type GridEvent =
  | { type: 'cycle-started'; cycle: number; price: number; plan: GridPlan }
  | {
      type: 'entry-filled';
      cycle: number;
      level: number;
      price: number;
      quantity: number;
      averageEntry: number;
      positionQty: number;
      takeProfit: number | null;
      stopLoss: number | null;
    }
  | { type: 'cycle-completed'; record: CycleRecord }
  | { type: 'order-rejected'; cycle: number; role: GridOrderRole; key: string; error: string }
  | { type: 'start-refused'; error: unknown }
  | { type: 'stopped'; reason: GridStopReason };

export type GridAction = { kind: 'place'; order: GridOrder } | { kind: 'cancel'; order: GridOrder };

export interface StepResult {
  state: GridState;
  events: GridEvent[];
}

export function initialGridState(): GridState {
  return {
    version: 1,
    phase: 'idle',
    paused: false,
    stopRequested: false,
    stopReason: null,
    cycleNo: 0,
    nextStartAt: null,
    cycle: null,
    orders: [],
    totals: { cycles: 0, tpCycles: 0, slCycles: 0, otherCycles: 0, pnl: 0, fees: 0, durationMs: 0 },
    lastCycle: null,
  };
}

function cloneState(s: GridState): GridState {
  return {
    ...s,
    cycle: s.cycle ? { ...s.cycle, levelsFilled: [...s.cycle.levelsFilled] } : null,
    orders: s.orders.map((o) => ({ ...o })),
    totals: { ...s.totals },
  };
}

/** Position quantity of the current cycle. */
export function positionQty(s: GridState): number {
  return s.cycle ? s.cycle.entryQty - s.cycle.exitQty : 0;
}

export function averageEntry(s: GridState): number | null {
  return s.cycle && s.cycle.entryQty > 0 ? s.cycle.entryCost / s.cycle.entryQty : null;
}

/** Unrealized PnL of the open position at `price` (no fees). */
export function unrealizedPnl(side: PositionSide, s: GridState, price: number): number {
  const c = s.cycle;
  if (!c || c.entryQty <= 0) return 0;
  const qty = c.entryQty - c.exitQty;
  const avg = c.entryCost / c.entryQty;
  return side === 'long' ? (price - avg) * qty : (avg - price) * qty;
}

/** Can a `start` input start a cycle now? */
export function canStart(s: GridState, time: number): boolean {
  if (s.paused || s.stopRequested) return false;
  if (s.phase === 'idle') return true;
  return s.phase === 'waiting' && (s.nextStartAt === null || time >= s.nextStartAt);
}

function isZeroQty(qty: number, c: GridCycle, market: GridMarket | null): boolean {
  const eps = market ? market.stepSize / 2 : Math.max(c.entryQty, 1) * 1e-9;
  return qty <= eps;
}

function sameNumber(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= Math.max(Math.abs(a), Math.abs(b)) * 1e-12;
}

const isLive = (o: GridOrder): boolean => o.status !== 'cancelling';

function setPhase(s: GridState, to: GridPhase, time: number): void {
  transition(GRID_MACHINE, s.phase, to, time);
  s.phase = to;
}

export function step(config: GridConfig, state: GridState, input: GridInput): StepResult {
  const s = cloneState(state);
  const events: GridEvent[] = [];
  switch (input.type) {
    case 'start':
      startCycle(config, s, input.time, input.price, events);
      break;
    case 'order':
      applyOrder(config, s, input, events);
      reconcile(config, s, input.time, events);
      break;
    case 'stop':
      if (s.phase === 'stopped') break;
      s.stopRequested = true;
      s.stopReason = 'manual';
      if (s.phase === 'active') enterClosing(s, 'manual', input.time);
      else if (s.phase === 'idle' || s.phase === 'waiting') stopNow(s, 'manual', input.time, events);
      reconcile(config, s, input.time, events);
      break;
    case 'pause':
      s.paused = true;
      break;
    case 'resume':
      s.paused = false;
      break;
    case 'position-gone': {
      const c = s.cycle;
      const pos = positionQty(s);
      if (!c || pos <= 0 || (s.phase !== 'active' && s.phase !== 'closing')) break;
      const avg = c.entryCost / c.entryQty;
      c.exitQty += pos;
      c.exitValue += pos * (input.price ?? avg);
      c.lastExitRole = 'external';
      if (s.phase === 'active') enterClosing(s, 'external', input.time);
      else c.endReason = 'external'; // whatever we were doing, the exchange closed the rest itself
      // Whatever rests on the exchange for the vanished position is cancelled.
      for (const o of s.orders) o.status = 'cancelling';
      reconcile(config, s, input.time, events);
      break;
    }
  }
  return { state: s, events };
}

function stopNow(s: GridState, reason: GridStopReason, time: number, events: GridEvent[]): void {
  setPhase(s, 'stopped', time);
  s.stopReason = reason;
  s.nextStartAt = null;
  events.push({ type: 'stopped', reason });
}

function startCycle(config: GridConfig, s: GridState, time: number, price: number, events: GridEvent[]): void {
  if (!canStart(s, time)) return;
  const p = config.params;
  let plan: GridPlan;
  try {
    plan = planGrid(p, price, config.market);
  } catch (error) {
    events.push({ type: 'start-refused', error });
    stopNow(s, 'plan-refused', time, events);
    return;
  }
  const n = s.cycleNo + 1;
  s.cycleNo = n;
  s.nextStartAt = null;
  const entry: Side = p.side === 'long' ? 'buy' : 'sell';
  s.cycle = {
    n,
    startedAt: time,
    startPrice: price,
    levels: plan.levels,
    entryQty: 0,
    entryCost: 0,
    exitQty: 0,
    exitValue: 0,
    fees: 0,
    levelsFilled: [],
    maxNotional: 0,
    tpVersion: 0,
    slVersion: 0,
    closeVersion: 0,
    lastExitRole: null,
    blockedTp: null,
    blockedClose: false,
    endReason: null,
    endedAt: null,
  };
  s.orders = plan.levels.map((l, i) => ({
    key: `c${n}-L${l.index}`,
    role: 'entry' as const,
    level: l.index,
    side: entry,
    type: i === 0 ? ('market' as const) : ('limit' as const),
    price: i === 0 ? null : l.price,
    triggerPrice: null,
    triggerDirection: null,
    quantity: l.quantity,
    reduceOnly: false,
    status: 'new' as const,
    filled: 0,
    cost: 0,
    fee: 0,
  }));
  setPhase(s, 'active', time);
  events.push({ type: 'cycle-started', cycle: n, price, plan });
}

function applyOrder(config: GridConfig, s: GridState, u: Extract<GridInput, { type: 'order' }>, events: GridEvent[]): void {
  const idx = s.orders.findIndex((o) => o.key === u.key);
  const c = s.cycle;
  if (idx < 0 || !c) return; // stale report of an order already settled
  const o = s.orders[idx] as GridOrder;
  const dq = u.filled - o.filled;
  let fillPrice = 0;
  if (dq > 0) {
    const newCost = u.filled * (u.averagePrice ?? 0);
    const dc = newCost - o.cost;
    fillPrice = dc / dq;
    o.filled = u.filled;
    o.cost = newCost;
    if (o.role === 'entry') {
      c.entryQty += dq;
      c.entryCost += dc;
      c.maxNotional = Math.max(c.maxNotional, c.entryCost);
      if (o.level !== null && !c.levelsFilled.includes(o.level)) c.levelsFilled.push(o.level);
      c.blockedTp = null;
      c.blockedClose = false;
    } else {
      c.exitQty += dq;
      c.exitValue += dc;
      c.lastExitRole = o.role;
    }
  }
  const df = u.fee - o.fee;
  if (df !== 0) {
    c.fees += df;
    o.fee = u.fee;
  }
  const terminal = u.status === 'filled' || u.status === 'cancelled' || u.status === 'rejected' || u.status === 'expired';
  if (terminal) s.orders.splice(idx, 1);
  else if (o.status === 'new') o.status = 'open';

  if (u.status === 'rejected') {
    events.push({ type: 'order-rejected', cycle: c.n, role: o.role, key: o.key, error: u.error ?? 'rejected' });
    if (o.role === 'take-profit') c.blockedTp = `${o.price}|${o.quantity}`;
    if (o.role === 'close') c.blockedClose = true;
    if (o.role === 'stop-loss' && s.phase === 'active' && positionQty(s) > 0) {
      // The exchange refused the stop (typically: price already beyond it): close now.
      enterClosing(s, 'stop-loss', u.time);
    }
    if (o.role === 'entry' && o.type === 'market' && c.entryQty === 0 && s.phase === 'active') {
      s.stopRequested = true;
      s.stopReason = 'entry-rejected';
      enterClosing(s, 'aborted', u.time);
    }
  }
  if (dq > 0 && o.role === 'entry' && s.phase === 'active') {
    const avg = c.entryCost / c.entryQty;
    const pos = positionQty(s);
    const p = config.params;
    events.push({
      type: 'entry-filled',
      cycle: c.n,
      level: o.level ?? 0,
      price: fillPrice,
      quantity: dq,
      averageEntry: avg,
      positionQty: pos,
      takeProfit: roundGridPrice(config.market, takeProfitPrice(p.side, avg, p.takeProfit)),
      stopLoss: p.stopLoss === null ? null : roundGridPrice(config.market, stopLossPrice(p.side, avg, p.stopLoss)),
    });
  }
}

function enterClosing(s: GridState, reason: CycleEndReason, time: number): void {
  const c = s.cycle as GridCycle;
  if (s.phase !== 'active') return;
  setPhase(s, 'closing', time);
  c.endReason = reason;
  c.endedAt = time;
}

function exitReason(role: GridCycle['lastExitRole']): CycleEndReason {
  if (role === 'take-profit') return 'take-profit';
  if (role === 'stop-loss') return 'stop-loss';
  if (role === 'external') return 'external';
  return 'manual';
}

/** Brings the wanted orders in line with the position; ends a cycle whose position is closed. */
function reconcile(config: GridConfig, s: GridState, time: number, events: GridEvent[]): void {
  const c = s.cycle;
  if (!c || (s.phase !== 'active' && s.phase !== 'closing')) return;
  const p = config.params;
  const market = config.market;
  const pos = positionQty(s);
  const flat = isZeroQty(pos, c, market);
  const exit: Side = p.side === 'long' ? 'sell' : 'buy';

  if (s.phase === 'active') {
    if (flat && c.exitQty > 0) enterClosing(s, exitReason(c.lastExitRole), time);
    else if (!flat) {
      const avg = c.entryCost / c.entryQty;
      const qty = roundGridQty(market, pos);
      // Take-profit: cancel the old one first, then place the new one.
      const tpPrice = roundGridPrice(market, takeProfitPrice(p.side, avg, p.takeProfit));
      const tp = s.orders.find((o) => o.role === 'take-profit' && isLive(o));
      if (!tp || !sameNumber(tp.price, tpPrice) || !sameNumber(tp.quantity, qty)) {
        if (tp) tp.status = 'cancelling';
        if (c.blockedTp !== `${tpPrice}|${qty}`) {
          c.tpVersion += 1;
          s.orders.push(protectionOrder(`c${c.n}-tp${c.tpVersion}`, 'take-profit', exit, 'limit', tpPrice, null, null, qty));
        }
      }
      // Stop-loss: the new one is placed before the old one is cancelled (pendingActions order).
      if (p.stopLoss !== null) {
        const slPrice = roundGridPrice(market, stopLossPrice(p.side, avg, p.stopLoss));
        const sl = s.orders.find((o) => o.role === 'stop-loss' && isLive(o));
        if (!sl || !sameNumber(sl.triggerPrice, slPrice) || !sameNumber(sl.quantity, qty)) {
          if (sl) sl.status = 'cancelling';
          c.slVersion += 1;
          const dir = p.side === 'long' ? 'below' : 'above';
          s.orders.push(protectionOrder(`c${c.n}-sl${c.slVersion}`, 'stop-loss', exit, 'market', null, slPrice, dir, qty));
        }
      }
      return;
    } else if (s.orders.every((o) => o.role !== 'entry')) {
      // Nothing filled and no entry left (all rejected): the cycle never opened.
      enterClosing(s, 'aborted', time);
    } else return;
  }

  // Closing: stop adding, flatten, then clean up and record.
  for (const o of s.orders) {
    if ((o.role === 'entry' || o.role === 'take-profit') && o.status !== 'cancelling') o.status = 'cancelling';
  }
  if (!flat) {
    const entriesPending = s.orders.some((o) => o.role === 'entry');
    const closing = s.orders.some((o) => o.role === 'close' && isLive(o));
    if (!entriesPending && !closing && !c.blockedClose) {
      c.closeVersion += 1;
      s.orders.push(protectionOrder(`c${c.n}-x${c.closeVersion}`, 'close', exit, 'market', null, null, null, roundGridQty(market, pos)));
    }
    return;
  }
  for (const o of s.orders) o.status = 'cancelling';
  if (s.orders.length === 0) finishCycle(config, s, time, events);
}

function protectionOrder(
  key: string,
  role: GridOrderRole,
  side: Side,
  type: OrderType,
  price: number | null,
  triggerPrice: number | null,
  triggerDirection: 'above' | 'below' | null,
  quantity: number,
): GridOrder {
  return { key, role, level: null, side, type, price, triggerPrice, triggerDirection, quantity, reduceOnly: true, status: 'new', filled: 0, cost: 0, fee: 0 };
}

function finishCycle(config: GridConfig, s: GridState, time: number, events: GridEvent[]): void {
  const c = s.cycle as GridCycle;
  const p = config.params;
  const reason = c.endReason ?? exitReason(c.lastExitRole);
  const endedAt = c.endedAt ?? time;
  const avg = c.entryQty > 0 ? c.entryCost / c.entryQty : 0;
  const gross = c.entryQty > 0 ? (p.side === 'long' ? c.exitValue - avg * c.exitQty : avg * c.exitQty - c.exitValue) : 0;
  const record: CycleRecord = {
    cycle: c.n,
    startedAt: c.startedAt,
    endedAt,
    durationMs: endedAt - c.startedAt,
    reason,
    startPrice: c.startPrice,
    averageEntry: avg,
    exitPrice: c.exitQty > 0 ? c.exitValue / c.exitQty : null,
    quantity: c.entryQty,
    levelsUsed: c.levelsFilled.length,
    grossPnl: gross,
    fees: c.fees,
    pnl: gross - c.fees,
    maxNotional: c.maxNotional,
    estimated: reason === 'external',
  };
  const t = s.totals;
  t.fees += c.fees;
  if (reason !== 'aborted') {
    t.cycles += 1;
    if (reason === 'take-profit') t.tpCycles += 1;
    else if (reason === 'stop-loss') t.slCycles += 1;
    else t.otherCycles += 1;
    t.pnl += record.pnl;
    t.durationMs += record.durationMs;
  }
  s.lastCycle = record;
  s.cycle = null;
  s.orders = [];
  events.push({ type: 'cycle-completed', record });
  let stop: GridStopReason | null = null;
  if (s.stopRequested) stop = s.stopReason ?? 'manual';
  else if (p.maxCycles !== null && t.cycles >= p.maxCycles) stop = 'max-cycles';
  else if (reason === 'stop-loss' && p.afterStopLoss === 'stop') stop = 'stop-loss';
  if (stop) stopNow(s, stop, endedAt, events);
  else {
    setPhase(s, 'waiting', endedAt);
    s.nextStartAt = endedAt + p.pauseMs;
  }
}

const PLACE_ORDER: Record<GridOrderRole, number> = { 'stop-loss': 0, close: 1, 'take-profit': 2, entry: 3 };

/**
 * What the driver must do now, in order: cancel replaced take-profits and
 * dropped entries, place new orders (stop-loss first, entries by level), then
 * cancel replaced stop-losses and leftovers.
 */
export function pendingActions(s: GridState): GridAction[] {
  const early: GridAction[] = [];
  const places: GridAction[] = [];
  const late: GridAction[] = [];
  for (const o of s.orders) {
    if (o.status === 'new') places.push({ kind: 'place', order: o });
    else if (o.status === 'cancelling') (o.role === 'take-profit' || o.role === 'entry' ? early : late).push({ kind: 'cancel', order: o });
  }
  places.sort((a, b) => PLACE_ORDER[a.order.role] - PLACE_ORDER[b.order.role] || (a.order.level ?? 0) - (b.order.level ?? 0));
  return [...early, ...places, ...late];
}
