/**
 * A grid whose stop-loss the exchange will not take (review finding C2: the
 * HyperLiquid adapter used to refuse every trigger order with a
 * ValidationError, the tick aborted every 5 s and the filled position stayed
 * without a stop). The Paper exchange is wrapped in a test double that
 * refuses trigger orders in a chosen way; everything else is the real
 * registry, client, grid service and Paper engine.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { listGridCycles } from '../../../db/repos/grid.js';
import type { ExchangeAdapter } from '../../../exchanges/index.js';
import type { PaperAdapter } from '../../../exchanges/paper/index.js';
import { ExchangeError, ExchangeUnavailable, OrderRejected, ValidationError, type OrderRequest } from '../../../models/index.js';
import type { GridParams } from '../../../services/grid/plan.js';
import { createGridWorld, type GridWorld, DOGE_GRID } from './harness.js';

const SYMBOL = 'DOGE/USDT';
const params: GridParams = { ...DOGE_GRID, afterStopLoss: 'continue' };

let world: GridWorld;
afterEach(async () => {
  await world?.close();
});

/** Paper, except that trigger orders are refused with `refuse()` while it returns an error. */
function refusingTriggers(refuse: (req: OrderRequest) => Error | null) {
  const seen: OrderRequest[] = [];
  const wrap = (paper: PaperAdapter): ExchangeAdapter =>
    new Proxy(paper, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (prop !== 'placeOrder') return typeof v === 'function' ? v.bind(target) : v;
        return async (req: OrderRequest) => {
          seen.push(req);
          const err = req.triggerPrice !== undefined ? refuse(req) : null;
          if (err) throw err;
          return target.placeOrder(req);
        };
      },
    }) as ExchangeAdapter;
  return { wrap, seen };
}

async function setup(wrap: (paper: PaperAdapter) => ExchangeAdapter, over: Partial<GridParams> = {}) {
  world = await createGridWorld({ wrap });
  const u = await world.addUser();
  const bot = await world.grid.create(u.userId, { accountId: u.accountId, symbol: SYMBOL, params: { ...params, ...over } });
  return { ...u, bot, paper: world.paper(u.accountId) };
}

const types = () => world.events.map((e) => e.type);

describe('grid: a stop-loss the exchange refuses', () => {
  it.each([
    ['ValidationError (the old HyperLiquid adapter)', () => new ValidationError('hyperliquid adapter: conditional entries (triggerPrice) are not supported')],
    ['a non-retryable ExchangeError', () => new ExchangeError('hyperliquid placeOrder on DOGE/USDT: Order has invalid price.', { exchange: 'hyperliquid', operation: 'placeOrder' })],
    ['OrderRejected', () => new OrderRejected('hyperliquid placeOrder on DOGE/USDT: rejected: Invalid TP/SL price.', { exchange: 'hyperliquid', operation: 'placeOrder' })],
  ])('%s: the filled position is closed at once, its orders cancelled, the bot stopped and the user told', async (_name, make) => {
    const double = refusingTriggers(() => make());
    const { bot, paper, userId } = await setup(double.wrap);

    // The market entry filled, the stop was refused: closed in the same tick, nothing left behind.
    expect(await paper.fetchPositions([SYMBOL])).toEqual([]);
    expect(await paper.fetchOpenOrders(SYMBOL)).toEqual([]);
    const v = await world.grid.get(userId, bot.id);
    expect(v).toMatchObject({ status: 'stopped', phase: 'stopped', stopReason: 'stop-loss', positionQty: 0, stopLoss: null, lastError: null });
    // The close was a reduce-only market order with the grid's deterministic id for it.
    const closes = double.seen.filter((r) => r.reduceOnly && r.type === 'market' && r.triggerPrice === undefined);
    expect(closes).toHaveLength(1);
    expect(closes[0]).toMatchObject({ side: 'sell', quantity: 221, clientOrderId: expect.stringMatching(/^st-[0-9a-f]{32}$/) });
    expect(types()).toEqual(['grid-cycle-started', 'grid-entry-filled', 'grid-order-rejected', 'grid-cycle-completed', 'grid-stopped']);
    expect(world.events.find((e) => e.type === 'grid-order-rejected')).toMatchObject({ role: 'stop-loss', errorCode: make().code });
    expect(world.events.at(-1)).toMatchObject({ type: 'grid-stopped', reason: 'stop-loss' });
    expect((await listGridCycles(world.db, bot.id))[0]).toMatchObject({ reason: 'stop-loss', levels_used: 1 });

    // No silent loop: later ticks send nothing and open no new cycle (afterStopLoss is 'continue').
    const sent = double.seen.length;
    for (let i = 0; i < 3; i++) {
      world.clock.advance(120_000);
      await world.grid.tick(bot.id);
    }
    expect(double.seen.length).toBe(sent);
    expect(await paper.fetchPositions([SYMBOL])).toEqual([]);
    expect(world.events).toHaveLength(5);
  });

  it('a refused re-size of the stop (after a grid level filled) also closes and stops', async () => {
    let refuse = false;
    const double = refusingTriggers(() => (refuse ? new ValidationError('trigger orders refused') : null));
    const { bot, paper, userId } = await setup(double.wrap);
    expect((await paper.fetchOpenOrders(SYMBOL)).filter((o) => o.triggerPrice !== null)).toHaveLength(1);
    expect((await world.grid.get(userId, bot.id)).stopLoss).toBe(0.45);

    refuse = true;
    world.feed.set(SYMBOL, 0.48); // level 1 fills: the stop must be re-sized for 508
    await world.grid.tick(bot.id);
    expect(await paper.fetchPositions([SYMBOL])).toEqual([]);
    expect(await paper.fetchOpenOrders(SYMBOL)).toEqual([]);
    expect(await world.grid.get(userId, bot.id)).toMatchObject({ status: 'stopped', stopReason: 'stop-loss', stopLoss: null });
    expect(world.events.filter((e) => e.type === 'grid-order-rejected')).toEqual([expect.objectContaining({ role: 'stop-loss', errorCode: 'validation' })]);
  });

  it('a passing outage is not a refusal: the stop is retried by the same id and shown only once it is on the exchange', async () => {
    let down = true;
    const double = refusingTriggers(() => (down ? new ExchangeUnavailable('down', { exchange: 'paper', operation: 'placeOrder' }) : null));
    const { bot, paper, userId } = await setup(double.wrap);
    const v1 = await world.grid.get(userId, bot.id);
    // The entry filled, the stop is not confirmed: not shown, the tick reports its error, nothing closed.
    expect(v1).toMatchObject({ status: 'running', positionQty: 221, stopLoss: null });
    expect(v1.lastError).not.toBeNull();
    expect((await paper.fetchPositions([SYMBOL]))[0]).toMatchObject({ quantity: 221 });

    down = false;
    await world.grid.tick(bot.id);
    const stops = (await paper.fetchOpenOrders(SYMBOL)).filter((o) => o.triggerPrice !== null);
    expect(stops.map((o) => [o.triggerPrice, o.quantity])).toEqual([[0.45, 221]]);
    const ids = new Set(double.seen.filter((r) => r.triggerPrice !== undefined).map((r) => r.clientOrderId));
    expect(ids.size).toBe(1); // every attempt carried the same id
    expect(await world.grid.get(userId, bot.id)).toMatchObject({ status: 'running', stopLoss: 0.45, lastError: null });
    expect(types()).not.toContain('grid-order-rejected');
  });
});
