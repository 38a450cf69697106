/**
 * Start-up reconciliation reports positions nobody tracks, but a grid bot's
 * position is tracked by the grid service: it is never reported as untracked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { insertGridBot } from '../../../db/repos/grid.js';
import { createHarness, type Harness } from './harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe('start-up reconciliation and grid bots', () => {
  it('reports a hand-opened position but not a grid bot position', async () => {
    h = await createHarness();
    const u = await h.addUser();
    h.feed.set('BTC/USDT', 50_000);
    h.feed.set('ETH/USDT', 3_000);
    const paper = await h.registry.client({ accountId: String(u.accountId), exchange: 'paper', environment: 'mainnet' });
    await paper.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: 0.01, clientOrderId: 'by-hand-1' });
    await paper.placeOrder({ symbol: 'ETH/USDT', side: 'buy', type: 'market', quantity: 0.1, clientOrderId: 'grid-entry-1' });
    await insertGridBot(h.db, { userId: u.userId, accountId: u.accountId, symbol: 'ETH/USDT', side: 'long', params: '{}', state: '{}', status: 'running', now: 1 });
    // (start-up reconciliation looks at accounts with open trades)
    h.feed.set('SOL/USDT', 150);
    expect(await h.trading.openManual({ userId: u.userId, symbol: 'SOL/USDT', side: 'long', entryType: 'market', marginUsdt: 30, stopLoss: 140 })).toMatchObject({ ok: true });
    const report = await h.trading.reconcile({ startup: true });
    expect(report.untracked.map((x) => x.symbol)).toEqual(['BTC/USDT']);
  });
});
