import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPaperAdapter } from '../../../exchanges/paper/adapter.js';
import { ManualPriceFeed } from '../../../exchanges/paper/price-feed.js';
import { FilePaperStore, MemoryPaperStore, paperStateFileName } from '../../../exchanges/paper/store.js';
import { ExchangeError, OrderRejected } from '../../../models/index.js';
import { fixedClock } from './helpers.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'paper-store-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

function start(dir: string, price: number) {
  const clock = fixedClock();
  const feed = new ManualPriceFeed(clock.now);
  feed.set('BTC/USDT', price);
  const paper = createPaperAdapter({ accountId: 'acct-1', store: new FilePaperStore(dir), feed, now: clock.now, saveDebounceMs: 5 });
  return { paper, feed };
}

describe('Paper persistence', () => {
  it('restores balance, position, protection, open orders and history after a restart, and the stop still fires', async () => {
    const dir = await tempDir();
    const first = start(dir, 60_000);
    await first.paper.setLeverage('BTC/USDT', 20);
    await first.paper.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: 0.1, clientOrderId: 'entry-1', stopLoss: 59_000, takeProfit: 62_000 });
    await first.paper.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: 0.1, price: 58_000, clientOrderId: 'rest-1' });
    const balance = await first.paper.fetchBalance();
    const positions = await first.paper.fetchPositions();
    const orders = await first.paper.fetchOpenOrders();
    await first.paper.close();
    expect(await readdir(dir)).toEqual(['acct-1.json']); // no temp files left behind

    const second = start(dir, 60_000);
    expect(await second.paper.fetchBalance()).toEqual(balance);
    expect(await second.paper.fetchPositions()).toEqual(positions);
    expect(positions[0]).toMatchObject({ stopLoss: 59_000, takeProfit: 62_000, leverage: 20, margin: 300 });
    expect(await second.paper.fetchOpenOrders()).toEqual(orders);
    expect(await second.paper.fetchOrder('BTC/USDT', { clientOrderId: 'entry-1' })).toMatchObject({ status: 'filled', averagePrice: 60_000 });
    await expect(
      second.paper.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: 0.1, clientOrderId: 'entry-1' }),
    ).rejects.toThrow(OrderRejected);
    // Ids keep counting from where they were.
    const next = await second.paper.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: 0.1, price: 57_000, clientOrderId: 'rest-2' });
    expect(next.id).toBe('paper-4');

    second.feed.set('BTC/USDT', 58_900); // crosses the restored stop, not the resting buys
    expect(await second.paper.fetchPositions()).toEqual([]);
    expect(second.paper.fills().at(-1)).toMatchObject({ reason: 'stop-loss', price: 59_000 });
    await second.paper.close();

    const third = start(dir, 58_900);
    expect(await third.paper.fetchPositions()).toEqual([]);
    expect((await third.paper.fetchOpenOrders()).map((o) => o.clientOrderId)).toEqual(['rest-1', 'rest-2']);
    expect((await third.paper.fetchBalance()).total).toBe(9893.455);
    await third.paper.close();
  });

  it('writes price-driven fills after the debounce without an explicit flush', async () => {
    const dir = await tempDir();
    const { paper, feed } = start(dir, 60_000);
    await paper.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: 0.1, price: 59_000, clientOrderId: 'deb-1' });
    feed.set('BTC/USDT', 58_000);
    await new Promise((r) => setTimeout(r, 50));
    const saved = JSON.parse(await readFile(path.join(dir, 'acct-1.json'), 'utf8')) as { positions: unknown[]; openOrders: unknown[] };
    expect(saved.positions).toHaveLength(1);
    expect(saved.openOrders).toHaveLength(0);
    await paper.close();
  });

  it('refuses to start from a corrupt state file instead of resetting the account', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'acct-1.json'), '{"version":1,"walletBal');
    const { paper } = start(dir, 60_000);
    await expect(paper.ready()).rejects.toThrow(ExchangeError);
    await expect(paper.fetchBalance()).rejects.toThrow(/is corrupt/);
  });

  it('keeps separate accounts apart in the memory store', async () => {
    const store = new MemoryPaperStore();
    const feed = new ManualPriceFeed();
    feed.set('BTC/USDT', 60_000);
    const a = createPaperAdapter({ accountId: 'a', store, feed });
    await a.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'market', quantity: 0.1, clientOrderId: 'a-1' });
    await a.close();
    const a2 = createPaperAdapter({ accountId: 'a', store, feed });
    const b = createPaperAdapter({ accountId: 'b', store, feed, startingBalance: 500 });
    expect((await a2.fetchPositions()).length).toBe(1);
    expect(await b.fetchBalance()).toEqual({ currency: 'USDT', total: 500, free: 500, used: 0 });
    await Promise.all([a2.close(), b.close()]);
  });

  it('names state files safely', () => {
    expect(paperStateFileName('42')).toBe('42.json');
    expect(paperStateFileName('../etc/passwd')).toMatch(/^x-[0-9a-f]+\.json$/);
  });
});
