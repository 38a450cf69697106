/**
 * One signal through the REAL Bybit adapter (ccxt) with intercepted HTTP,
 * behind the registry / unified client: with leverage known, a market entry
 * with its stop-loss attached and a 3-target ladder are exactly two signed
 * trading requests — /v5/order/create and /v5/order/create-batch. A quiet
 * tick of the tracking loop then costs exactly two reads for the account.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { accounts as accountsRepo, settings as settingsRepo, signals, sources, trades as tradesRepo, users, type Db } from '../../../db/index.js';
import { putSymbolSettings } from '../../../db/repos/trading.js';
import { createBybitAdapter } from '../../../exchanges/ccxt/bybit.js';
import { createExchangeRegistry, type ExchangeRegistry } from '../../../exchanges/index.js';
import { DEFAULT_SETTINGS } from '../../../models/index.js';
import { silentLogger } from '../../../services/logger.js';
import { createMemoryNotifier } from '../../../services/notifications.js';
import { createTradingService } from '../../../services/trading/service.js';
import { memoryDb } from '../../helpers/db.js';
import { fakeHttp, fixture } from '../../exchanges/ccxt/fake-http.js';
import { signal } from './harness.js';

let db: Db | null = null;
let registry: ExchangeRegistry | null = null;
afterEach(async () => {
  await registry?.close();
  await db?.destroy();
});

describe('signal to Bybit over intercepted HTTP', () => {
  it('two trading requests per user: entry with attached stop, then the ladder as one batch', async () => {
    const http = fakeHttp([
      { method: 'GET', path: '/v5/market/instruments-info', reply: { body: fixture('bybit/instruments-linear.json') } },
      { method: 'GET', path: '/v5/market/instruments-info', when: (r) => r.query.status === 'PreLaunch', reply: { body: fixture('bybit/instruments-prelaunch.json') } },
      { method: 'GET', path: '/v5/user/query-api', reply: { body: fixture('bybit/query-api.json') } },
      { method: 'GET', path: '/v5/account/info', reply: { body: fixture('bybit/account-info.json') } },
      { method: 'GET', path: '/v5/market/tickers', reply: { body: fixture('bybit/tickers.json') } },
      { method: 'POST', path: '/v5/order/create', reply: { body: fixture('bybit/order-create.json') } },
      {
        method: 'POST',
        path: '/v5/order/create-batch',
        reply: (req) => {
          const list = (req.json.request as { orderLinkId: string }[]).map((o, i) => ({ category: 'linear', symbol: 'BTCUSDT', orderId: `tp-${i}`, orderLinkId: o.orderLinkId, createAt: '1735689600201' }));
          return { body: { retCode: 0, retMsg: 'OK', result: { list }, retExtInfo: { list: list.map(() => ({ code: 0, msg: 'OK' })) }, time: 1735689600201 } };
        },
      },
    ]);
    db = await memoryDb();
    const now = Date.now();
    registry = createExchangeRegistry({
      factories: {
        bybit: (ref) =>
          createBybitAdapter({ accountId: ref.accountId, environment: 'mainnet', credentials: { apiKey: 'TESTKEY000000000', secret: 'TESTSECRET0000000000000000000000000' }, apiUrl: 'http://127.0.0.1:18080', fetchImpl: http.fetch, timeoutMs: 2_000 }),
      },
      loadCredentials: async () => ({ apiKey: 'TESTKEY000000000', secret: 'TESTSECRET0000000000000000000000000' }),
    });
    const notifier = createMemoryNotifier();
    const trading = createTradingService({ db, exchanges: registry, notifier, log: silentLogger() });
    const source = await sources.upsertSource(db, { kind: 'channel', chatId: '-1001', title: 'c', now });
    const user = await users.insertUser(db, { telegramId: 5, language: 'en', now });
    const account = await accountsRepo.insertAccount(db, { userId: user.id, exchange: 'bybit', environment: 'mainnet', label: 'main', keyFingerprint: null, keyHint: null, verifiedAt: now, now });
    await users.updateUser(db, user.id, { default_account_id: account.id }, now);
    await settingsRepo.putUserSettingsJson(db, user.id, JSON.stringify({ ...DEFAULT_SETTINGS, sizeValue: 100 }), now);
    await sources.upsertSubscription(db, { userId: user.id, sourceId: source.id, now });
    await putSymbolSettings(db, account.id, 'BTC/USDT', 10, 'isolated', now);
    const { row } = await signals.insertSignalOnce(db, {
      sourceId: source.id, messageId: '1', rawText: 'x', kind: 'signal', status: 'received', traceId: 't', now,
      parseResult: JSON.stringify(signal({ stopLoss: 95_000, takeProfits: [98_000, 99_000, 100_000] })),
    });
    const result = await trading.handleSignal(row.id);
    expect(result.outcomes).toMatchObject([{ status: 'opened' }]);
    const posts = http.requests.filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.path)).toEqual(['/v5/order/create', '/v5/order/create-batch']);
    const entry = posts[0]!.json;
    expect(entry).toMatchObject({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', qty: '0.01', stopLoss: '95000' });
    const ladder = posts[1]!.json.request as Record<string, string>[];
    expect(ladder.map((o) => [o.price, o.qty, o.reduceOnly])).toEqual([
      ['98000', '0.003', true],
      ['99000', '0.003', true],
      ['100000', '0.004', true],
    ]);
    const trade = (await tradesRepo.listOpenTrades(db, { userId: user.id }))[0]!;
    expect(trade).toMatchObject({ status: 'open', quantity: '0.01' });
    const rows = await tradesRepo.listOrdersOfTrade(db, trade.id);
    expect(rows.map((r) => r.client_order_id)).toEqual([entry.orderLinkId, ...ladder.map((o) => o.orderLinkId)]);

    // The tracking loop: the exchange shows the position (stop attached) and the three targets resting.
    const resting = ladder.map((o, i) => ({
      ...fixture('bybit/order-realtime-open.json').result.list[0],
      orderId: `tp-${i}`,
      orderLinkId: o.orderLinkId,
      price: o.price,
      qty: o.qty,
      leavesQty: o.qty,
    }));
    const filledEntry = { ...fixture('bybit/order-realtime-filled.json').result.list[0], orderLinkId: entry.orderLinkId };
    const listOf = (list: unknown[]) => ({ body: { retCode: 0, retMsg: 'OK', result: { list, nextPageCursor: '', category: 'linear' }, retExtInfo: {}, time: 1735689601000 } });
    http
      .route({ method: 'GET', path: '/v5/order/realtime', when: (r) => !r.query.orderId && !r.query.orderLinkId, reply: listOf(resting) })
      .route({ method: 'GET', path: '/v5/order/realtime', when: (r) => r.query.orderId === filledEntry.orderId || r.query.orderLinkId === entry.orderLinkId, reply: listOf([filledEntry]) })
      .route({ method: 'GET', path: '/v5/position/list', reply: { body: fixture('bybit/position-list.json') } });
    const reads = async () => {
      const before = http.requests.length;
      const report = await trading.trackOpen();
      expect(report).toMatchObject({ accounts: 1, trades: 1, errors: [], discrepancies: [] });
      return http.requests.slice(before).map((r) => `${r.method} ${r.path}${r.query.orderId || r.query.orderLinkId ? ' (one order)' : ''}`).sort();
    };
    // First tick: the snapshot, plus the market entry (acknowledged with an id only) confirmed filled once.
    expect(await reads()).toEqual(['GET /v5/order/realtime', 'GET /v5/order/realtime (one order)', 'GET /v5/position/list']);
    expect((await tradesRepo.listOrdersOfTrade(db, trade.id)).find((r) => r.leg === 'entry-0')).toMatchObject({ status: 'filled', filled: '0.01', exchange_order_id: filledEntry.orderId });
    // Every quiet tick after: exactly two reads for the account.
    expect(await reads()).toEqual(['GET /v5/order/realtime', 'GET /v5/position/list']);
    expect(await reads()).toEqual(['GET /v5/order/realtime', 'GET /v5/position/list']);
    expect(http.unmatched).toEqual([]);
    expect((await tradesRepo.findTrade(db, trade.id))!).toMatchObject({ status: 'open', stop_loss: '95000' });
  });
});
