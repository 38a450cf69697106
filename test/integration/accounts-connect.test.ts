import { afterEach, describe, expect, it } from 'vitest';
import { accounts as accountsRepo, users, type Db } from '../../db/index.js';
import { ccxtAdapterFactories } from '../../exchanges/ccxt/index.js';
import { createAccountsService } from '../../services/accounts.js';
import { loadCredentials } from '../../services/credentials.js';
import { createKeyVault } from '../../services/key-vault.js';
import { memoryDb } from '../helpers/db.js';
import { fakeHttp, fixture, type FakeHttp } from '../exchanges/ccxt/fake-http.js';

const KEY = 'TESTKEY000000000';
const SECRET = 'TESTSECRET0000000000000000000000000';

function bybitHttp(queryApi: unknown = fixture('bybit/query-api.json')): FakeHttp {
  return fakeHttp([
    { method: 'GET', path: '/v5/market/instruments-info', when: (r) => r.query.status === 'PreLaunch', reply: { body: fixture('bybit/instruments-prelaunch.json') } },
    { method: 'GET', path: '/v5/market/instruments-info', reply: { body: fixture('bybit/instruments-linear.json') } },
    { method: 'GET', path: '/v5/user/query-api', reply: { body: queryApi } },
    { method: 'GET', path: '/v5/account/info', reply: { body: fixture('bybit/account-info.json') } },
    { method: 'GET', path: '/v5/account/wallet-balance', reply: { body: fixture('bybit/wallet-balance.json') } },
  ]);
}

let db: Db | null = null;
afterEach(async () => {
  await db?.destroy();
  db = null;
});

async function setup(http: FakeHttp) {
  db = await memoryDb();
  const vault = await createKeyVault(new Uint8Array(32).fill(3));
  const factories = ccxtAdapterFactories({ bybitApiUrl: 'http://127.0.0.1:18080', fetchImpl: http.fetch });
  const service = createAccountsService({ db, vault, probe: (ref, c) => factories.bybit(ref, c) });
  const user = await users.insertUser(db, { telegramId: 77, language: 'en', now: 1 });
  return { db, vault, service, user };
}

describe('connecting a Bybit account', () => {
  it('stores the key encrypted with the account type the key audit reported', async () => {
    const http = bybitHttp();
    const { db, vault, service, user } = await setup(http);
    const r = await service.connect({ userId: user.id, exchange: 'bybit', environment: 'testnet', credentials: { apiKey: KEY, secret: SECRET } });
    expect(r.account.keyHint).toBe('TEST…0000');
    expect(r.balance.currency).toBe('USDT');
    const creds = await loadCredentials(db, vault, r.account.id);
    expect(creds).toEqual({ apiKey: KEY, secret: SECRET, unifiedAccount: true });
    expect(http.requests.some((q) => q.path === '/v5/user/query-api')).toBe(true);
  });

  it('refuses a key that can withdraw and stores nothing', async () => {
    const withdraw = fixture('bybit/query-api.json');
    withdraw.result.permissions.Wallet = ['AccountTransfer', 'Withdraw'];
    const { db, service, user } = await setup(bybitHttp(withdraw));
    await expect(service.connect({ userId: user.id, exchange: 'bybit', environment: 'mainnet', credentials: { apiKey: KEY, secret: SECRET } })).rejects.toMatchObject({ code: 'key-can-withdraw' });
    expect(await accountsRepo.listAccountsOfUser(db, user.id)).toEqual([]);
  });
});

describe('removing an account', () => {
  it('is refused while the account has an open trade, and allowed once it is closed', async () => {
    const { db, service, user } = await setup(bybitHttp());
    const r = await service.connect({ userId: user.id, exchange: 'bybit', environment: 'testnet', credentials: { apiKey: KEY, secret: SECRET } });
    const { insertTrade, updateTrade } = await import('../../db/repos/trades.js');
    const trade = await insertTrade(db, {
      user_id: user.id, account_id: r.account.id, signal_id: null, source_id: null, symbol: 'BTC/USDT', side: 'long', status: 'open', leverage: 5,
      margin_mode: 'isolated', entry_price: '65000', quantity: '0.001', stop_loss: '64000', take_profits: '[]', plan: '{}', realized_pnl: '0', fees: '0',
      close_reason: null, trace_id: 't', opened_at: 1, closed_at: null, created_at: 1, updated_at: 1,
    });
    await expect(service.remove(user.id, r.account.id)).rejects.toMatchObject({ code: 'account-in-use', details: { openTrades: 1 } });
    expect((await service.list(user.id)).some((a) => a.id === r.account.id)).toBe(true);
    await updateTrade(db, trade.id, { status: 'closed', closed_at: 2 }, 2);
    await service.remove(user.id, r.account.id);
    expect((await service.list(user.id)).some((a) => a.id === r.account.id)).toBe(false);
  });
});
