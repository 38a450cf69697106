import { afterEach, describe, expect, it } from 'vitest';
import { listGridCycles } from '../../../db/repos/grid.js';
import { ExchangeUnavailable, roundPrice, type Market, type Order, type OrderRequest } from '../../../models/index.js';
import type { GridParams } from '../../../services/grid/plan.js';
import { createGridWorld, type GridWorld, DOGE_GRID } from './harness.js';

const SYMBOL = 'DOGE/USDT';
const params: GridParams = DOGE_GRID;
// At 0.5: q = 1000 / (9.0431 × 0.5) = 221.16 -> levels 221 @0.5 (market), 287 @0.4875, 373 @0.475, 485 @0.4625, 631 @0.45

let world: GridWorld;
afterEach(async () => {
  await world?.close();
});

async function setup(wrap?: Parameters<typeof createGridWorld>[0], over: Partial<GridParams> = {}) {
  world = await createGridWorld(wrap);
  const u = await world.addUser();
  const bot = await world.grid.create(u.userId, { accountId: u.accountId, symbol: SYMBOL, params: { ...params, ...over } });
  const paper = world.paper(u.accountId);
  const market = (await paper.market(SYMBOL)) as Market;
  return { ...u, bot, paper, market };
}

/** Resting take-profits: reduce-only limit orders without a trigger. */
function tpOf(orders: Order[]): Order[] {
  return orders.filter((o) => o.reduceOnly && o.triggerPrice === null && o.type === 'limit');
}

describe('grid bot on the Paper exchange', () => {
  it('runs full cycles: market entry, grid, take-profit re-placed after a fill, cycle recorded, pause, next cycle', async () => {
    const { userId, bot, paper, market, accountId } = await setup();
    expect(bot.status).toBe('running');
    let positions = await paper.fetchPositions([SYMBOL]);
    expect(positions[0]).toMatchObject({ side: 'long', quantity: 221 });
    let open = await paper.fetchOpenOrders(SYMBOL);
    const buys = open.filter((o) => !o.reduceOnly).sort((a, b) => b.price! - a.price!);
    expect(buys.map((o) => [o.price, o.quantity])).toEqual([
      [0.4875, 287],
      [0.475, 373],
      [0.4625, 485],
      [0.45, 631],
    ]);
    expect(tpOf(open).map((o) => [o.price, o.quantity])).toEqual([[0.505, 221]]);
    expect(open.filter((o) => o.triggerPrice !== null).map((o) => [o.triggerPrice, o.quantity])).toEqual([[0.45, 221]]);

    // level 1 fills; the next tick re-prices the take-profit and the stop for the whole position
    world.feed.set(SYMBOL, 0.48);
    await world.grid.tick(bot.id);
    const avg = (221 * 0.5 + 287 * 0.4875) / 508;
    open = await paper.fetchOpenOrders(SYMBOL);
    const tps = tpOf(open);
    expect(tps).toHaveLength(1);
    expect(tps[0]!.quantity).toBe(508);
    expect(tps[0]!.price).toBe(roundPrice(market, avg * 1.01));
    const stops = open.filter((o) => o.triggerPrice !== null);
    expect(stops.map((o) => [o.triggerPrice, o.quantity])).toEqual([[roundPrice(market, avg * 0.9), 508]]);
    expect(world.events.some((e) => e.type === 'grid-entry-filled' && e.level === 1 && e.positionQty === 508)).toBe(true);

    // take-profit
    world.feed.set(SYMBOL, 0.5);
    await world.grid.tick(bot.id);
    expect(await paper.fetchPositions([SYMBOL])).toEqual([]);
    expect(await paper.fetchOpenOrders(SYMBOL)).toEqual([]);
    const cycles = await listGridCycles(world.db, bot.id);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toMatchObject({ cycle: 1, reason: 'take-profit', levels_used: 2 });
    const done = world.events.find((e) => e.type === 'grid-cycle-completed');
    expect(done).toMatchObject({ userId, botId: bot.id, reason: 'take-profit' });
    // the recorded PnL after fees is what the account made (the whole cycle's fees included)
    expect(paper.engine.snapshot().walletBalance - 10_000).toBeCloseTo(Number(cycles[0]!.pnl), 6);
    expect(Number(cycles[0]!.pnl)).toBeGreaterThan(0);

    // the pause holds the next cycle
    world.clock.advance(59_000);
    await world.grid.tick(bot.id);
    expect((await world.grid.get(userId, bot.id)).phase).toBe('waiting');
    world.clock.advance(1_000);
    world.feed.set(SYMBOL, 0.51);
    await world.grid.tick(bot.id);
    const v = await world.grid.get(userId, bot.id);
    expect(v).toMatchObject({ phase: 'active', cycle: 2 });
    positions = await paper.fetchPositions([SYMBOL]);
    expect(positions[0]?.entryPrice).toBe(0.51);
    const stats = await world.grid.stats(userId, bot.id);
    expect(stats).toMatchObject({ cycles: 1, tpCycles: 1, slCycles: 0 });
    expect(stats.averageCycleMs).toBe(0);
    void accountId;
  });

  it('restart in mid-cycle: fills while down are adopted and protection re-placed for the whole position', async () => {
    const { bot, paper, market, userId } = await setup();
    world.feed.set(SYMBOL, 0.47); // levels 1 and 2 fill while no service runs
    const grid = world.restart();
    await grid.tickAll();
    const qty = 221 + 287 + 373;
    const avg = (221 * 0.5 + 287 * 0.4875 + 373 * 0.475) / qty;
    const open = await paper.fetchOpenOrders(SYMBOL);
    const tps = tpOf(open);
    expect(tps).toEqual([expect.objectContaining({ quantity: qty, price: roundPrice(market, avg * 1.01) })]);
    expect(open.filter((o) => o.triggerPrice !== null).map((o) => [o.triggerPrice, o.quantity])).toEqual([[roundPrice(market, avg * 0.9), qty]]);
    expect(open.filter((o) => !o.reduceOnly)).toHaveLength(2);
    const v = await grid.get(userId, bot.id);
    expect(v.positionQty).toBe(qty);
    expect(v.levelsFilled).toBe(3);
    // a second pass changes nothing (idempotent)
    await grid.tickAll();
    expect((await paper.fetchOpenOrders(SYMBOL)).length).toBe(open.length);
  });

  it('stop: cancels everything, closes the position, records the cycle, stops the bot', async () => {
    const { bot, paper, userId } = await setup();
    world.feed.set(SYMBOL, 0.48);
    await world.grid.tick(bot.id);
    const v = await world.grid.stop(userId, bot.id);
    expect(v.status).toBe('stopped');
    expect(v.stopReason).toBe('manual');
    expect(await paper.fetchPositions([SYMBOL])).toEqual([]);
    expect(await paper.fetchOpenOrders(SYMBOL)).toEqual([]);
    const cycles = await listGridCycles(world.db, bot.id);
    expect(cycles[0]).toMatchObject({ reason: 'manual', levels_used: 2 });
    expect(Number(cycles[0]!.pnl)).toBeLessThan(0);
    expect(world.events.at(-1)).toMatchObject({ type: 'grid-stopped', reason: 'manual' });
    // a stopped bot stays stopped
    await world.grid.tickAll();
    expect(await paper.fetchPositions([SYMBOL])).toEqual([]);
  });

  it('stop-loss on the exchange closes the cycle; the bot stops after it', async () => {
    // leverage 5: liquidation (~ -19.5 %) lies beyond the 10 % stop
    const { bot, paper, userId } = await setup(undefined, { leverage: 5 });
    for (const p of [0.48, 0.47, 0.46, 0.449]) {
      world.feed.set(SYMBOL, p);
      await world.grid.tick(bot.id);
    }
    const v0 = await world.grid.get(userId, bot.id);
    expect(v0.levelsFilled).toBe(5);
    world.feed.set(SYMBOL, 0.4);
    await world.grid.tick(bot.id);
    expect(await paper.fetchPositions([SYMBOL])).toEqual([]);
    expect(await paper.fetchOpenOrders(SYMBOL)).toEqual([]);
    const cycles = await listGridCycles(world.db, bot.id);
    expect(cycles[0]).toMatchObject({ reason: 'stop-loss', levels_used: 5 });
    const v = await world.grid.get(userId, bot.id);
    expect(v).toMatchObject({ status: 'stopped', stopReason: 'stop-loss' });
  });

  it('a position the exchange closed on its own (liquidation) ends the cycle as external, nothing left behind', async () => {
    const { bot, paper } = await setup();
    for (const p of [0.48, 0.47, 0.46, 0.449]) {
      world.feed.set(SYMBOL, p);
      await world.grid.tick(bot.id);
    }
    world.feed.set(SYMBOL, 0.4); // x10: liquidated before the 10 % stop
    await world.grid.tick(bot.id);
    expect(await paper.fetchOpenOrders(SYMBOL)).toEqual([]);
    const cycles = await listGridCycles(world.db, bot.id);
    expect(cycles[0]).toMatchObject({ reason: 'external', estimated: 1 });
  });

  it('pause lets the running cycle finish and holds the next one', async () => {
    const { bot, userId } = await setup();
    expect((await world.grid.pause(userId, bot.id)).status).toBe('paused');
    world.feed.set(SYMBOL, 0.506);
    await world.grid.tick(bot.id);
    world.clock.advance(120_000);
    await world.grid.tick(bot.id);
    expect(await world.grid.get(userId, bot.id)).toMatchObject({ phase: 'waiting', status: 'paused' });
    await world.grid.resume(userId, bot.id);
    expect(await world.grid.get(userId, bot.id)).toMatchObject({ phase: 'active', cycle: 2, status: 'running' });
  });

  it('an exchange outage while placing leaves the order to be re-sent by the same id: no duplicate', async () => {
    let failures = 0;
    const { bot, paper, userId } = await setup({
      wrap: (adapter) =>
        new Proxy(adapter, {
          get(target, prop, receiver) {
            const v = Reflect.get(target, prop, receiver);
            if (prop !== 'placeOrder') return typeof v === 'function' ? v.bind(target) : v;
            return async (req: OrderRequest) => {
              if (failures > 0 && req.reduceOnly) {
                failures--;
                throw new ExchangeUnavailable('down', { exchange: 'paper', operation: 'placeOrder' });
              }
              return target.placeOrder(req);
            };
          },
        }),
    });
    failures = 5; // more than the client's re-sends: the outcome stays unknown for this tick
    world.feed.set(SYMBOL, 0.48);
    await world.grid.tick(bot.id);
    expect((await world.grid.get(userId, bot.id)).lastError).not.toBeNull();
    await world.grid.tick(bot.id);
    const open = await paper.fetchOpenOrders(SYMBOL);
    expect(tpOf(open)).toHaveLength(1);
    expect(open.filter((o) => o.triggerPrice !== null)).toHaveLength(1);
    expect((await world.grid.get(userId, bot.id)).lastError).toBeNull();
  });

  it('refuses a disabled stop-loss without confirmation, a busy symbol, and a grid below the minimum size', async () => {
    world = await createGridWorld();
    const u = await world.addUser();
    await expect(world.grid.create(u.userId, { accountId: u.accountId, symbol: SYMBOL, params: { ...params, stopLoss: null } })).rejects.toMatchObject({
      details: { reason: 'stop-loss-off-unconfirmed' },
    });
    await expect(world.grid.create(u.userId, { accountId: u.accountId, symbol: SYMBOL, params: { ...params, deposit: 1 } })).rejects.toMatchObject({
      details: { reason: 'level-below-minimum' },
    });
    const ok = await world.grid.create(u.userId, { accountId: u.accountId, symbol: SYMBOL, params: { ...params, stopLoss: null }, confirmNoStopLoss: true });
    expect(ok.stopLoss).toBeNull();
    await expect(world.grid.create(u.userId, { accountId: u.accountId, symbol: SYMBOL, params })).rejects.toMatchObject({ details: { reason: 'symbol-busy' } });
    const other = await world.addUser();
    await expect(world.grid.get(other.userId, ok.id)).rejects.toMatchObject({ details: { reason: 'no-grid-bot' } });
  });
});
