import { describe, expect, it } from 'vitest';
import { NotSupported } from '../../../models/index.js';
import { createExchangeRegistry } from '../../../exchanges/registry.js';
import type { AccountRef } from '../../../exchanges/types.js';
import { FakeExchangeServer, ManualClock, accountRef, createTestRegistry } from '../../helpers/fake-exchange.js';

describe('exchange registry', () => {
  it('builds one client per account, loading credentials only when it builds one', async () => {
    const clock = new ManualClock();
    const server = new FakeExchangeServer({ clock });
    const loads: AccountRef[] = [];
    const registry = createTestRegistry(server, { onLoad: (ref) => loads.push(ref) });
    const [a, b] = await Promise.all([registry.client(accountRef('u1')), registry.client(accountRef('u1'))]);
    expect(a).toBe(b);
    expect(await registry.client(accountRef('u1'))).toBe(a);
    const c = await registry.client(accountRef('u2'));
    expect(c).not.toBe(a);
    expect(loads.map((r) => r.accountId)).toEqual(['u1', 'u2']);
    expect(a.account).toEqual(accountRef('u1'));
    expect(registry.health().clients).toBe(2);
  });

  it('invalidate closes the adapter and rebuilds with fresh credentials on next use', async () => {
    const clock = new ManualClock();
    const server = new FakeExchangeServer({ clock });
    let loads = 0;
    const registry = createTestRegistry(server, { onLoad: () => loads++ });
    const first = await registry.client(accountRef('u1'));
    const adapter = registry.adapters.get('u1')!;
    await registry.invalidate('u1');
    expect(adapter.closed).toBe(true);
    const second = await registry.client(accountRef('u1'));
    expect(second).not.toBe(first);
    expect(loads).toBe(2);
  });

  it('rebuilds when the account moves to another environment', async () => {
    const clock = new ManualClock();
    const server = new FakeExchangeServer({ clock });
    const registry = createTestRegistry(server);
    const main = await registry.client(accountRef('u1'));
    const test = await registry.client({ accountId: 'u1', exchange: 'bybit', environment: 'testnet' });
    expect(test).not.toBe(main);
    expect(test.account.environment).toBe('testnet');
  });

  it('does not cache a failed credential load, and never puts credentials in errors', async () => {
    let fail = true;
    const registry = createExchangeRegistry({
      factories: { bybit: () => new FakeExchangeServer({ clock: new ManualClock() }).adapter('u1') },
      loadCredentials: async () => {
        if (fail) throw new Error('vault locked');
        return { apiKey: 'k', secret: 's' };
      },
    });
    await expect(registry.client(accountRef('u1'))).rejects.toThrow('vault locked');
    fail = false;
    const c = await registry.client(accountRef('u1'));
    expect(c.id).toBe('bybit');
    expect(JSON.stringify(registry.health())).not.toMatch(/"s"|secret/);
  });

  it('refuses an exchange without a factory', async () => {
    const registry = createExchangeRegistry({ factories: {}, loadCredentials: async () => ({}) });
    await expect(registry.client(accountRef('u1', 'hyperliquid'))).rejects.toBeInstanceOf(NotSupported);
  });
});
