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

describe('exchange registry: idle eviction', () => {
  const MIN = 60_000;

  it('evicts a client idle for 30 minutes (closing its adapter) on a later client() call, and rebuilds it on use', async () => {
    const clock = new ManualClock();
    const server = new FakeExchangeServer({ clock });
    let loads = 0;
    const registry = createTestRegistry(server, { onLoad: () => loads++ });
    const idle = await registry.client(accountRef('idle'));
    const idleAdapter = registry.adapters.get('idle')!;
    const busy = await registry.client(accountRef('busy'));
    await clock.advance(20 * MIN);
    await clock.run(busy.fetchBalance()); // used 10 minutes before the sweep below
    await clock.advance(10 * MIN + 1);
    await registry.client(accountRef('other')); // a later call sweeps
    await clock.flush();
    expect(idleAdapter.closed).toBe(true);
    expect(registry.adapters.get('busy')!.closed).toBe(false);
    expect(registry.health().clients).toBe(2);
    const again = await registry.client(accountRef('idle'));
    expect(again).not.toBe(idle);
    expect(loads).toBe(4); // idle, busy, other, idle again
  });

  it('never evicts a client with a call in flight', async () => {
    const clock = new ManualClock();
    const server = new FakeExchangeServer({ clock });
    const registry = createTestRegistry(server, { client: { timeoutMs: Infinity } });
    const c = await registry.client(accountRef('slow'));
    server.fail({ op: 'fetchBalance', effect: 'skip', hang: true });
    void c.fetchBalance();
    await clock.flush();
    await clock.advance(45 * MIN);
    expect(await registry.evictIdle()).toBe(0);
    expect(registry.adapters.get('slow')!.closed).toBe(false);
  });

  it('keeps Paper accounts by default; maxClients evicts the least recently used idle clients', async () => {
    const clock = new ManualClock();
    const server = new FakeExchangeServer({ clock });
    const registry = createTestRegistry(server, { maxClients: 2 });
    await registry.client(accountRef('p', 'paper'));
    await registry.client(accountRef('x'));
    await clock.advance(1_000);
    await registry.client(accountRef('y'));
    await clock.advance(1_000);
    await registry.client(accountRef('x')); // x is now more recent than y
    await registry.client(accountRef('z')); // over the cap: y is the least recently used evictable one
    await clock.flush();
    expect(registry.adapters.get('y')!.closed).toBe(true);
    expect(registry.adapters.get('x')!.closed).toBe(false);
    expect(registry.adapters.get('p')!.closed).toBe(false);
    await clock.advance(31 * MIN);
    expect(await registry.evictIdle()).toBe(2); // x and z; the Paper account stays
    expect(registry.adapters.get('p')!.closed).toBe(false);
    expect(registry.health().clients).toBe(1);
  });

  it('idleTtlMs 0 turns idle eviction off', async () => {
    const clock = new ManualClock();
    const server = new FakeExchangeServer({ clock });
    const registry = createTestRegistry(server, { idleTtlMs: 0 });
    await registry.client(accountRef('k'));
    await clock.advance(24 * 60 * MIN);
    expect(await registry.evictIdle()).toBe(0);
  });
});
