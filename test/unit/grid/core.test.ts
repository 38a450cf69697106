import { describe, expect, it } from 'vitest';
import {
  initialGridState,
  pendingActions,
  positionQty,
  step,
  type GridConfig,
  type GridEvent,
  type GridInput,
  type GridState,
} from '../../../services/grid/core.js';
import type { GridParams } from '../../../services/grid/plan.js';

const params: GridParams = {
  side: 'long',
  deposit: 100,
  leverage: 10,
  levels: 3,
  coverage: 10,
  multiplier: 2,
  takeProfit: 1,
  stopLoss: 10,
  pauseMs: 60_000,
  maxCycles: null,
  afterStopLoss: 'stop',
};
const cfg: GridConfig = { params, market: null };
// q = 1000 / ((1 + 2 + 4) × 100) = 1.428571…; levels 100, 95, 90

class Harness {
  state: GridState = initialGridState();
  events: GridEvent[] = [];
  constructor(readonly config: GridConfig = cfg) {}
  feed(input: GridInput): GridEvent[] {
    const r = step(this.config, this.state, input);
    this.state = r.state;
    this.events.push(...r.events);
    return r.events;
  }
  /** Acknowledge every pending action as an exchange would (market orders fill at `price`). */
  ack(price: number, time = 0): void {
    for (let guard = 0; guard < 100; guard++) {
      const a = pendingActions(this.state)[0];
      if (!a) return;
      const o = a.order;
      if (a.kind === 'cancel') this.feed({ type: 'order', key: o.key, status: 'cancelled', filled: o.filled, averagePrice: o.filled ? o.cost / o.filled : null, fee: o.fee, time });
      else if (o.type === 'market' && o.triggerPrice === null) this.feed({ type: 'order', key: o.key, status: 'filled', filled: o.quantity, averagePrice: price, fee: 0, time });
      else this.feed({ type: 'order', key: o.key, status: 'open', filled: 0, averagePrice: null, fee: 0, time });
    }
    throw new Error('actions never settle');
  }
  order(role: string, extra?: (k: string) => boolean) {
    return this.state.orders.find((o) => o.role === role && o.status !== 'cancelling' && (!extra || extra(o.key)));
  }
}

describe('grid core: a cycle', () => {
  it('starts with a market order and the grid, then protects the position', () => {
    const h = new Harness();
    h.feed({ type: 'start', time: 0, price: 100 });
    const actions = pendingActions(h.state);
    expect(actions.map((a) => [a.kind, a.order.key, a.order.type])).toEqual([
      ['place', 'c1-L0', 'market'],
      ['place', 'c1-L1', 'limit'],
      ['place', 'c1-L2', 'limit'],
    ]);
    h.ack(100);
    expect(positionQty(h.state)).toBeCloseTo(1000 / 700, 12);
    const tp = h.order('take-profit')!;
    const sl = h.order('stop-loss')!;
    expect(tp).toMatchObject({ key: 'c1-tp1', side: 'sell', type: 'limit', reduceOnly: true, status: 'open' });
    expect(tp.price).toBeCloseTo(101, 12);
    expect(sl).toMatchObject({ key: 'c1-sl1', side: 'sell', triggerDirection: 'below', reduceOnly: true });
    expect(sl.triggerPrice).toBeCloseTo(90, 12);
    expect(tp.quantity).toBeCloseTo(1000 / 700, 12);
  });

  it('re-prices the take-profit and stop-loss after each fill; stop-loss placed before the old one is cancelled', () => {
    const h = new Harness();
    h.feed({ type: 'start', time: 0, price: 100 });
    h.ack(100);
    const q = 1000 / 700;
    h.feed({ type: 'order', key: 'c1-L1', status: 'filled', filled: 2 * q, averagePrice: 95, fee: 0.01, time: 1 });
    const acts = pendingActions(h.state).map((a) => `${a.kind}:${a.order.key}`);
    expect(acts).toEqual(['cancel:c1-tp1', 'place:c1-sl2', 'place:c1-tp2', 'cancel:c1-sl1']);
    h.ack(0, 1);
    const avg = (q * 100 + 2 * q * 95) / (3 * q);
    expect(h.order('take-profit')!.price).toBeCloseTo(avg * 1.01, 12);
    expect(h.order('take-profit')!.quantity).toBeCloseTo(3 * q, 12);
    expect(h.order('stop-loss')!.triggerPrice).toBeCloseTo(avg * 0.9, 12);
    const filled = h.events.filter((e) => e.type === 'entry-filled');
    expect(filled.at(-1)).toMatchObject({ level: 1, price: 95 });
  });

  it('take-profit fill ends the cycle: grid cancelled, record written, pause before the next start', () => {
    const h = new Harness();
    h.feed({ type: 'start', time: 1_000, price: 100 });
    h.ack(100, 1_000);
    const tp = h.order('take-profit')!;
    h.feed({ type: 'order', key: tp.key, status: 'filled', filled: tp.quantity, averagePrice: tp.price, fee: 0.02, time: 5_000 });
    expect(h.state.phase).toBe('closing');
    expect(pendingActions(h.state).every((a) => a.kind === 'cancel')).toBe(true);
    h.ack(0, 5_000);
    expect(h.state.phase).toBe('waiting');
    expect(h.state.nextStartAt).toBe(65_000);
    const rec = h.events.find((e) => e.type === 'cycle-completed');
    expect(rec?.type === 'cycle-completed' && rec.record).toMatchObject({ cycle: 1, reason: 'take-profit', levelsUsed: 1, durationMs: 4_000 });
    if (rec?.type === 'cycle-completed') expect(rec.record.pnl).toBeCloseTo((tp.price! - 100) * tp.quantity - 0.02, 9);
    // too early: nothing happens
    h.feed({ type: 'start', time: 64_999, price: 100 });
    expect(h.state.phase).toBe('waiting');
    h.feed({ type: 'start', time: 65_000, price: 100 });
    expect(h.state.phase).toBe('active');
    expect(h.state.cycle?.n).toBe(2);
  });

  it('partial fills are applied once (cumulative reports), and the take-profit follows each part', () => {
    const h = new Harness();
    h.feed({ type: 'start', time: 0, price: 100 });
    h.ack(100);
    const q = 1000 / 700;
    h.feed({ type: 'order', key: 'c1-L1', status: 'partially_filled', filled: 1, averagePrice: 95, fee: 0, time: 1 });
    h.ack(0);
    expect(positionQty(h.state)).toBeCloseTo(q + 1, 12);
    // the same report again changes nothing
    h.feed({ type: 'order', key: 'c1-L1', status: 'partially_filled', filled: 1, averagePrice: 95, fee: 0, time: 1 });
    expect(pendingActions(h.state)).toEqual([]);
    expect(positionQty(h.state)).toBeCloseTo(q + 1, 12);
    h.feed({ type: 'order', key: 'c1-L1', status: 'filled', filled: 2 * q, averagePrice: 95, fee: 0, time: 2 });
    h.ack(0);
    expect(positionQty(h.state)).toBeCloseTo(3 * q, 12);
    expect(h.order('take-profit')!.quantity).toBeCloseTo(3 * q, 12);
    expect(h.state.cycle!.levelsFilled).toEqual([0, 1]);
  });

  it('a fill during take-profit replacement: the newest take-profit covers the whole position', () => {
    const h = new Harness();
    h.feed({ type: 'start', time: 0, price: 100 });
    h.ack(100);
    const q = 1000 / 700;
    h.feed({ type: 'order', key: 'c1-L1', status: 'filled', filled: 2 * q, averagePrice: 95, fee: 0, time: 1 });
    // the driver cancels tp1 ... and before it places tp2, level 2 fills
    h.feed({ type: 'order', key: 'c1-tp1', status: 'cancelled', filled: 0, averagePrice: null, fee: 0, time: 2 });
    h.feed({ type: 'order', key: 'c1-L2', status: 'filled', filled: 4 * q, averagePrice: 90, fee: 0, time: 2 });
    const live = h.state.orders.filter((o) => o.role === 'take-profit' && o.status !== 'cancelling');
    expect(live.map((o) => o.key)).toEqual(['c1-tp3']);
    expect(h.state.orders.find((o) => o.key === 'c1-tp2')?.status).toBe('cancelling');
    h.ack(0);
    const avg = (q * 100 + 2 * q * 95 + 4 * q * 90) / (7 * q);
    expect(h.order('take-profit')!.price).toBeCloseTo(avg * 1.01, 12);
    expect(h.order('take-profit')!.quantity).toBeCloseTo(7 * q, 12);
    expect(h.state.orders.filter((o) => o.role === 'take-profit')).toHaveLength(1);
  });

  it('an old take-profit that partly filled before its cancel reduces the position', () => {
    const h = new Harness();
    h.feed({ type: 'start', time: 0, price: 100 });
    h.ack(100);
    const q = 1000 / 700;
    h.feed({ type: 'order', key: 'c1-L1', status: 'filled', filled: 2 * q, averagePrice: 95, fee: 0, time: 1 });
    h.feed({ type: 'order', key: 'c1-tp1', status: 'cancelled', filled: 0.5, averagePrice: 101, fee: 0, time: 2 });
    h.ack(0);
    expect(positionQty(h.state)).toBeCloseTo(3 * q - 0.5, 12);
    expect(h.order('take-profit')!.quantity).toBeCloseTo(3 * q - 0.5, 12);
  });

  it('stop-loss fill ends the cycle and (afterStopLoss: stop) stops the bot', () => {
    const h = new Harness();
    h.feed({ type: 'start', time: 0, price: 100 });
    h.ack(100);
    const sl = h.order('stop-loss')!;
    h.feed({ type: 'order', key: sl.key, status: 'filled', filled: sl.quantity, averagePrice: sl.triggerPrice, fee: 0.1, time: 9 });
    h.ack(0);
    expect(h.state.phase).toBe('stopped');
    expect(h.state.stopReason).toBe('stop-loss');
    expect(h.state.totals).toMatchObject({ cycles: 1, slCycles: 1, tpCycles: 0 });
    expect(h.state.totals.pnl).toBeCloseTo((90 - 100) * sl.quantity - 0.1, 9);
  });

  it('a refused stop-loss closes the position at market', () => {
    const h = new Harness();
    h.feed({ type: 'start', time: 0, price: 100 });
    h.feed({ type: 'order', key: 'c1-L0', status: 'filled', filled: 1000 / 700, averagePrice: 100, fee: 0, time: 0 });
    h.feed({ type: 'order', key: 'c1-sl1', status: 'rejected', filled: 0, averagePrice: null, fee: 0, time: 0, error: 'order-rejected' });
    expect(h.state.phase).toBe('closing');
    // entries are cancelled first, then the close order goes out
    h.ack(89);
    expect(h.state.phase).toBe('stopped');
    const rec = h.events.find((e) => e.type === 'cycle-completed');
    expect(rec?.type === 'cycle-completed' && rec.record.reason).toBe('stop-loss');
    expect(h.events.some((e) => e.type === 'order-rejected' && e.role === 'stop-loss')).toBe(true);
  });

  it('manual stop cancels the grid, keeps the stop-loss until the close order filled, then stops', () => {
    const h = new Harness();
    h.feed({ type: 'start', time: 0, price: 100 });
    h.ack(100);
    h.feed({ type: 'stop', time: 10 });
    const acts = pendingActions(h.state);
    expect(acts.map((a) => `${a.kind}:${a.order.key}`)).toEqual(['cancel:c1-L1', 'cancel:c1-L2', 'cancel:c1-tp1']);
    for (const a of acts) h.feed({ type: 'order', key: a.order.key, status: 'cancelled', filled: 0, averagePrice: null, fee: 0, time: 10 });
    const next = pendingActions(h.state);
    expect(next.map((a) => `${a.kind}:${a.order.key}`)).toEqual(['place:c1-x1']);
    expect(h.state.orders.find((o) => o.role === 'stop-loss')?.status).toBe('open');
    h.ack(98, 11);
    expect(h.state.phase).toBe('stopped');
    expect(h.state.stopReason).toBe('manual');
    expect(h.state.totals.otherCycles).toBe(1);
  });

  it('a market entry refused with nothing filled aborts the cycle and stops the bot', () => {
    const h = new Harness();
    h.feed({ type: 'start', time: 0, price: 100 });
    h.feed({ type: 'order', key: 'c1-L0', status: 'rejected', filled: 0, averagePrice: null, fee: 0, time: 0, error: 'insufficient-funds' });
    h.ack(0);
    expect(h.state.phase).toBe('stopped');
    expect(h.state.stopReason).toBe('entry-rejected');
    expect(h.state.totals.cycles).toBe(0);
  });

  it('an entry that fills while the cycle is closing is flattened with a close order', () => {
    const h = new Harness();
    h.feed({ type: 'start', time: 0, price: 100 });
    h.ack(100);
    const tp = h.order('take-profit')!;
    h.feed({ type: 'order', key: tp.key, status: 'filled', filled: tp.quantity, averagePrice: tp.price, fee: 0, time: 3 });
    // level 1's cancel races with its fill
    h.feed({ type: 'order', key: 'c1-L1', status: 'filled', filled: 2000 / 700, averagePrice: 95, fee: 0, time: 3 });
    h.ack(96, 4);
    const rec = h.events.find((e) => e.type === 'cycle-completed');
    expect(rec?.type === 'cycle-completed' && rec.record.quantity).toBeCloseTo(3000 / 700, 9);
    expect(h.state.phase).toBe('waiting');
    expect(positionQty(h.state)).toBe(0);
  });

  it('pause holds the next start; resume releases it; max cycles stops', () => {
    const h = new Harness({ params: { ...params, maxCycles: 2, pauseMs: 0 }, market: null });
    const cycle = (t: number) => {
      h.feed({ type: 'start', time: t, price: 100 });
      h.ack(100, t);
      const tp = h.order('take-profit')!;
      h.feed({ type: 'order', key: tp.key, status: 'filled', filled: tp.quantity, averagePrice: tp.price, fee: 0, time: t + 1 });
      h.ack(0, t + 1);
    };
    cycle(0);
    h.feed({ type: 'pause' });
    h.feed({ type: 'start', time: 10, price: 100 });
    expect(h.state.phase).toBe('waiting');
    h.feed({ type: 'resume' });
    cycle(20);
    expect(h.state.phase).toBe('stopped');
    expect(h.state.stopReason).toBe('max-cycles');
    expect(h.state.totals.tpCycles).toBe(2);
  });

  it('the state survives a JSON round trip (persistence) and continues identically', () => {
    const h = new Harness();
    h.feed({ type: 'start', time: 0, price: 100 });
    h.ack(100);
    h.feed({ type: 'order', key: 'c1-L1', status: 'filled', filled: 2000 / 700, averagePrice: 95, fee: 0, time: 1 });
    const copy = JSON.parse(JSON.stringify(h.state)) as GridState;
    expect(pendingActions(copy)).toEqual(pendingActions(h.state));
    const a = step(cfg, copy, { type: 'stop', time: 2 });
    const b = step(cfg, h.state, { type: 'stop', time: 2 });
    expect(a).toEqual(b);
  });

  it('position vanished on the exchange: the cycle ends as external at the given price', () => {
    const h = new Harness();
    h.feed({ type: 'start', time: 0, price: 100 });
    h.ack(100);
    h.feed({ type: 'position-gone', time: 5, price: 97 });
    h.ack(0, 5);
    const rec = h.events.find((e) => e.type === 'cycle-completed');
    expect(rec?.type === 'cycle-completed' && rec.record).toMatchObject({ reason: 'external', estimated: true, exitPrice: 97 });
    expect(h.state.phase).toBe('waiting');
  });
});
