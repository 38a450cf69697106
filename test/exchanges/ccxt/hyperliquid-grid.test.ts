/**
 * The grid service driving a real HyperLiquid adapter (real ccxt.hyperliquid,
 * HTTP intercepted by a tiny simulated HyperLiquid: IOC orders fill at the
 * mid, GTC and trigger orders rest, orderStatus / frontendOpenOrders /
 * clearinghouseState answer from that book). Review finding C2: the grid's
 * stop-loss must go out as a HyperLiquid trigger order and be confirmed, the
 * tick must not fail.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createHyperliquidAdapter, isProtectionCloid, toHyperliquidCloid } from '../../../exchanges/ccxt/hyperliquid.js';
import { clientOrderId, gridSalt, orderIdSalt } from '../../../services/ids.js';
import type { GridParams } from '../../../services/grid/plan.js';
import { createGridWorld, type GridWorld, DOGE_GRID } from '../../integration/grid/harness.js';
import { fakeHttp, fixture, type RecordedRequest, type Reply } from './fake-http.js';

const WALLET = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
const AGENT_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const MID = 190.115; // SOL in all-mids.json

interface SimOrder {
  oid: number;
  cloid: string;
  coin: string;
  side: 'A' | 'B';
  limitPx: string;
  origSz: string;
  sz: string;
  isTrigger: boolean;
  triggerPx: string;
  orderType: string;
  reduceOnly: boolean;
  tif: string | null;
  status: 'open' | 'filled' | 'canceled';
}

/** A minimal HyperLiquid for one coin (SOL, asset 2). */
function simulatedHyperliquid() {
  const orders: SimOrder[] = [];
  let position = 0;
  let entryPx = 0;
  let nextOid = 7_000_000_001;
  const ok = (type: string, statuses: unknown[]): Reply => ({ body: { status: 'ok', response: { type, data: { statuses } } } });
  const view = (o: SimOrder) => ({
    coin: o.coin, side: o.side, limitPx: o.limitPx, sz: o.sz, oid: o.oid, timestamp: 1735689600000, triggerCondition: o.isTrigger ? `Price below ${o.triggerPx}` : 'N/A',
    isTrigger: o.isTrigger, triggerPx: o.triggerPx, children: [], isPositionTpsl: false, reduceOnly: o.reduceOnly, orderType: o.orderType, origSz: o.origSz, tif: o.tif, cloid: o.cloid,
  });
  const exchange = (req: RecordedRequest): Reply => {
    const action = req.json.action;
    switch (action.type) {
      case 'updateLeverage':
        return { body: fixture('hyperliquid/default-ok.json') };
      case 'order':
        return ok(
          'order',
          action.orders.map((w: any) => {
            const oid = nextOid++;
            const trigger = w.t.trigger;
            const o: SimOrder = {
              oid, cloid: w.c, coin: 'SOL', side: w.b ? 'B' : 'A', limitPx: w.p, origSz: w.s, sz: w.s, isTrigger: !!trigger, triggerPx: trigger ? trigger.triggerPx : '0.0',
              orderType: trigger ? (trigger.tpsl === 'sl' ? 'Stop Market' : 'Take Profit Market') : 'Limit', reduceOnly: w.r, tif: trigger ? null : w.t.limit.tif, status: 'open',
            };
            orders.push(o);
            if (!trigger && w.t.limit.tif === 'Ioc') {
              const qty = Number(w.s) * (w.b ? 1 : -1);
              entryPx = position === 0 ? MID : entryPx;
              position += qty;
              o.sz = '0.0';
              o.status = 'filled';
              return { filled: { totalSz: w.s, avgPx: String(MID), oid } };
            }
            return trigger ? 'waitingForTrigger' : { resting: { oid } };
          }),
        );
      case 'cancel':
      case 'cancelByCloid':
        return ok(
          'cancel',
          action.cancels.map((c: any) => {
            const o = orders.find((x) => (c.cloid ? x.cloid === c.cloid : x.oid === c.o));
            if (!o || o.status !== 'open') return { error: 'Order was never placed, already canceled, or filled. asset=2' };
            o.status = 'canceled';
            return 'success';
          }),
        );
      default:
        return { status: 500, body: `unexpected action ${action.type}` };
    }
  };
  const info = (req: RecordedRequest): Reply => {
    const q = req.json;
    switch (q.type) {
      case 'metaAndAssetCtxs':
        return { body: fixture('hyperliquid/meta-and-asset-ctxs.json') };
      case 'allMids':
        return { body: fixture('hyperliquid/all-mids.json') };
      case 'userAbstraction':
        return { body: '"disabled"' };
      case 'frontendOpenOrders':
        return { body: orders.filter((o) => o.status === 'open').map(view) };
      case 'orderStatus': {
        const o = orders.find((x) => x.cloid === q.oid || x.oid === q.oid);
        return { body: o ? { status: 'order', order: { order: view(o), status: o.status, statusTimestamp: 1735689600001 } } : { status: 'unknownOid' } };
      }
      case 'clearinghouseState': {
        const base = fixture('hyperliquid/clearinghouse-state.json');
        base.assetPositions =
          position === 0
            ? []
            : [
                {
                  type: 'oneWay',
                  position: {
                    coin: 'SOL', szi: String(position), leverage: { type: 'isolated', value: 10, rawUsd: '0' }, entryPx: String(entryPx), positionValue: String(Math.abs(position) * MID),
                    unrealizedPnl: '0.0', returnOnEquity: '0.0', liquidationPx: '170.0', marginUsed: '11.0', maxLeverage: 20, cumFunding: { allTime: '0.0', sinceOpen: '0.0', sinceChange: '0.0' },
                  },
                },
              ];
        return { body: base };
      }
      default:
        return { status: 500, body: `unexpected info ${q.type}` };
    }
  };
  const http = fakeHttp([
    { method: 'POST', path: '/exchange', reply: exchange },
    { method: 'POST', path: '/info', reply: info },
  ]);
  return { http, orders, position: () => position };
}

const params: GridParams = DOGE_GRID;

let world: GridWorld;
afterEach(async () => {
  await world?.close();
});

describe('grid on HyperLiquid (intercepted HTTP)', () => {
  it("the grid's stop-loss goes out as a reduce-only `sl` trigger for the position size, is confirmed, and the tick succeeds", async () => {
    const sim = simulatedHyperliquid();
    world = await createGridWorld({
      wrap: () =>
        createHyperliquidAdapter({ accountId: 'acc-grid', environment: 'mainnet', credentials: { walletAddress: WALLET, privateKey: AGENT_KEY }, apiUrl: 'http://127.0.0.1:18099', fetchImpl: sim.http.fetch }),
    });
    const u = await world.addUser();
    const bot = await world.grid.create(u.userId, { accountId: u.accountId, symbol: 'SOL/USDT', params });
    expect(sim.http.unmatched).toEqual([]);

    const actions = sim.http.requests.filter((r) => r.path === '/exchange').map((r) => r.json.action);
    const orderWires = actions.filter((a) => a.type === 'order').flatMap((a) => a.orders.map((o: any) => ({ ...o, grouping: a.grouping })));
    const entry = orderWires[0];
    expect(entry).toMatchObject({ a: 2, b: true, r: false, t: { limit: { tif: 'Ioc' } } });
    const qty = sim.position();
    expect(qty).toBeGreaterThan(0);
    const stops = orderWires.filter((o) => o.t.trigger);
    expect(stops).toHaveLength(1);
    const slPrice = 171.1; // 190.115 x 0.9 = 171.1035: 10 % below the entry, on SOL's 0.01 tick
    expect(stops[0]).toEqual({
      a: 2,
      b: false,
      p: '162.55', // 171.1 x 0.95 = 162.545: the IOC bound once triggered (ccxt rounds half up)
      s: String(qty),
      r: true,
      t: { trigger: { isMarket: true, triggerPx: String(slPrice), tpsl: 'sl' } },
      c: toHyperliquidCloid(clientOrderId(`grid${bot.id}`, u.userId, 'c1-sl1', gridSalt(await orderIdSalt(world.db), bot.id))),
      grouping: 'na',
    });
    // The grid's stop is its own, not "the position's protection" of a signal trade.
    expect(isProtectionCloid(stops[0].c)).toBe(false);
    // Placed right after the entry filled, before the take-profit and the grid levels.
    expect(orderWires.indexOf(stops[0])).toBe(1);
    expect(orderWires.filter((o) => !o.t.trigger && o.r)).toHaveLength(1); // the take-profit
    expect(orderWires.filter((o) => !o.r && o.t.limit?.tif === 'Gtc')).toHaveLength(4); // the other levels

    const v = await world.grid.get(u.userId, bot.id);
    expect(v).toMatchObject({ status: 'running', phase: 'active', lastError: null, stopLoss: slPrice, positionQty: qty });

    // The next tick reads every order back by its cloid and sends nothing new.
    const before = actions.length;
    await world.grid.tick(bot.id);
    expect(sim.http.requests.filter((r) => r.path === '/exchange')).toHaveLength(before);
    expect((await world.grid.get(u.userId, bot.id)).lastError).toBeNull();
    expect(sim.orders.filter((o) => o.isTrigger && o.status === 'open')).toHaveLength(1);
  });
});
