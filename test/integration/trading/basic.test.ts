import { afterEach, describe, expect, it } from 'vitest';
import { audit, trades as tradesRepo } from '../../../db/index.js';
import { createHarness, signal, type Harness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('signal to managed trade (Paper)', () => {
  it('opens a protected trade with a 3-target ladder and closes it at the stop with PnL including fees', async () => {
    h = await createHarness();
    const u = await h.addUser({ settings: { sizeMode: 'fixed', sizeValue: 100, breakevenAfterTp: 0 } });
    const r = await h.post('1', signal());
    expect(r.fanout?.outcomes).toEqual([{ userId: u.userId, status: 'opened', tradeId: expect.any(Number) }]);
    const paper = h.paper(u.accountId);
    const [pos] = await paper.fetchPositions(['BTC/USDT']);
    // 100 USDT margin x10 at 50,000 = 0.02 BTC
    expect(pos).toMatchObject({ side: 'long', quantity: 0.02, stopLoss: 49_000, leverage: 10 });
    const open = await paper.fetchOpenOrders('BTC/USDT');
    expect(open.map((o) => [o.price, o.quantity, o.reduceOnly]).sort()).toEqual([
      [51_000, 0.006, true],
      [52_000, 0.006, true],
      [53_000, 0.008, true],
    ]);
    const tradeId = (r.fanout!.outcomes[0] as { tradeId: number }).tradeId;
    h.feed.set('BTC/USDT', 48_900);
    const s = await h.trading.syncTrade(tradeId);
    expect(s.status).toBe('closed');
    const t = await tradesRepo.findTrade(h.db, tradeId);
    expect(t?.close_reason).toBe('stop-loss');
    const fees = 0.02 * 50_000 * 0.00055 + 0.02 * 49_000 * 0.00055;
    expect(Number(t?.realized_pnl)).toBeCloseTo(-20 - fees, 4);
    expect(await paper.fetchOpenOrders('BTC/USDT')).toEqual([]);
    const types = h.notifier.of(u.userId).map((e) => e.type);
    expect(types).toEqual(['trade-opened', 'sl-hit', 'trade-closed']);
    const log = await audit.listAudit(h.db, { traceId: t!.trace_id });
    expect(log.map((a) => a.action)).toEqual(expect.arrayContaining(['trade.planned', 'order.placed', 'orders.placed', 'trade.opened', 'trade.closed']));
  });
});
