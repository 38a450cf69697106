import { describe, expect, it } from 'vitest';
import {
  AuthFailed,
  CircuitOpen,
  ExchangeUnavailable,
  InsufficientFunds,
  NetworkTimeout,
  RateLimited,
} from '../../../models/index.js';
import type { BreakerEvent } from '../../../exchanges/breaker.js';
import { backoffDelay } from '../../../exchanges/retry.js';
import { FakeExchangeServer, ManualClock, accountRef, createTestRegistry } from '../../helpers/fake-exchange.js';

async function setup(breaker = { failureThreshold: 3, openMs: 10_000 }) {
  const clock = new ManualClock();
  const server = new FakeExchangeServer({ clock, latencyMs: 10 });
  const registry = createTestRegistry(server, { breaker, client: { retry: { attempts: 4, baseMs: 100, maxMs: 1_000 } } });
  const events: BreakerEvent[] = [];
  registry.onBreakerChange((e) => events.push(e));
  const client = await registry.client(accountRef('u1'));
  return { clock, server, registry, client, events };
}

describe('retries of reads', () => {
  it('retries retryable errors with backoff and then succeeds', async () => {
    const { clock, server, client } = await setup({ failureThreshold: 10, openMs: 10_000 });
    server.fail({ op: 'fetchBalance', effect: 'skip', times: 2, error: () => new NetworkTimeout('timeout') });
    const t0 = clock.now();
    const balance = await clock.run(client.fetchBalance());
    expect(balance.total).toBe(1_000);
    const calls = server.requestsOf('fetchBalance');
    expect(calls).toHaveLength(3);
    // Backoff with random fixed at 0.5: 50 ms after attempt 0, 100 ms after attempt 1 (plus 10 ms latency each).
    expect(calls.map((c) => c.at - t0)).toEqual([0, 60, 170]);
  });

  it('after a rate-limit refusal, waits out the account window before retrying', async () => {
    const { clock, server, client } = await setup();
    server.fail({ op: 'fetchBalance', effect: 'skip', error: () => new RateLimited('10006 too many visits') });
    const t0 = clock.now();
    await clock.run(client.fetchBalance());
    expect(server.requestsOf('fetchBalance').map((c) => c.at - t0)).toEqual([0, 1_010]);
  });

  it('gives up after the bounded attempts with the last error', async () => {
    const { clock, server, client } = await setup({ failureThreshold: 100, openMs: 10_000 });
    server.fail({ op: 'fetchPositions', effect: 'skip', times: 100, error: () => new NetworkTimeout('timeout') });
    const err = await clock.run(client.fetchPositions()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkTimeout);
    expect(server.requestsOf('fetchPositions')).toHaveLength(4);
  });

  it('does not retry a non-retryable error', async () => {
    const { clock, server, client } = await setup();
    server.fail({ op: 'fetchOpenOrders', effect: 'skip', error: () => new InsufficientFunds('nope') });
    const err = await clock.run(client.fetchOpenOrders()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsufficientFunds);
    expect(server.requestsOf('fetchOpenOrders')).toHaveLength(1);
  });

  it('retries cancels (idempotent)', async () => {
    const { clock, server, client } = await setup();
    server.fail({ op: 'cancelOrder', effect: 'apply', error: () => new ExchangeUnavailable('502') });
    await clock.run(client.cancelOrder('BTC/USDT', { id: 'x' }));
    expect(server.requestsOf('cancelOrder')).toHaveLength(2);
  });

  it('maps an unknown thrown value to ExchangeError with its message only', async () => {
    const { clock, server, client } = await setup();
    server.fail({ op: 'fetchTicker', effect: 'skip', error: () => Object.assign(new TypeError('boom'), { headers: { 'X-BAPI-API-KEY': 'secret' } }) });
    const err = (await clock.run(client.fetchTicker('BTC/USDT')).catch((e: unknown) => e)) as Error & { code: string; cause?: unknown };
    expect(err.constructor.name).toBe('ExchangeError');
    expect(err.code).toBe('exchange');
    expect(err.message).toContain('boom');
    expect(err.cause).toBeUndefined();
    expect(JSON.stringify(err)).not.toContain('secret');
  });

  it('full jitter stays within the exponential ceiling', () => {
    for (let attempt = 0; attempt < 8; attempt++) {
      const ceiling = Math.min(5_000, 250 * 2 ** attempt);
      expect(backoffDelay(attempt, {}, () => 0)).toBe(0);
      expect(backoffDelay(attempt, {}, () => 0.999999)).toBe(Math.floor(0.999999 * ceiling));
    }
  });
});

describe('circuit breakers', () => {
  it('opens after consecutive outage errors, fails fast, half-opens after the cool-down and recovers', async () => {
    const { clock, server, registry, client, events } = await setup();
    server.down = true;
    // A single cancel retries up to 4 times: the 3rd consecutive failure opens the breaker, the 4th attempt fails fast.
    const err = await clock.run(client.cancelAllOrders('BTC/USDT')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CircuitOpen);
    expect(server.requestsOf('cancelAllOrders')).toHaveLength(3);
    expect(client.breakerState().exchange.status).toBe('open');
    expect(events.map((e) => `${e.scope}:${e.to}`)).toEqual(['exchange:open']);

    // While open: fail fast, no request reaches the exchange.
    const before = server.requests.length;
    await expect(clock.run(client.fetchTicker('BTC/USDT'))).rejects.toBeInstanceOf(CircuitOpen);
    expect(server.requests.length).toBe(before);
    // Other accounts on the same host see it too.
    const other = await registry.client(accountRef('u2'));
    await expect(clock.run(other.fetchBalance())).rejects.toBeInstanceOf(CircuitOpen);

    // Cool-down over, exchange still down: the trial fails and it re-opens.
    await clock.advance(10_000);
    expect(client.breakerState().exchange.status).toBe('half-open');
    await expect(clock.run(client.fetchOrder('BTC/USDT', { id: 'x' }))).rejects.toBeInstanceOf(CircuitOpen);
    expect(client.breakerState().exchange.status).toBe('open');

    // Exchange back; after the (doubled) cool-down, one trial succeeds and it closes.
    server.down = false;
    await clock.advance(20_000);
    const balance = await clock.run(other.fetchBalance());
    expect(balance.total).toBe(1_000);
    expect(client.breakerState().exchange.status).toBe('closed');
    expect(events.map((e) => e.to)).toEqual(['open', 'half-open', 'open', 'half-open', 'closed']);
    const snapshot = registry.health().breakers.find((b) => b.scope === 'exchange')!;
    expect(snapshot.status).toBe('closed');
  });

  it('a credential error pauses only that account until its keys are replaced', async () => {
    const { clock, server, registry, client, events } = await setup();
    server.fail({ op: 'fetchBalance', accountId: 'u1', effect: 'skip', error: () => new AuthFailed('10003 invalid api key') });
    await expect(clock.run(client.fetchBalance())).rejects.toBeInstanceOf(AuthFailed);
    expect(client.breakerState().account.status).toBe('open');
    // Fails fast from now on, without a request.
    const before = server.requests.length;
    const err = await clock.run(client.fetchPositions()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CircuitOpen);
    expect((err as CircuitOpen).details['scope']).toBe('account');
    expect(server.requests.length).toBe(before);
    // Another account and the exchange are unaffected.
    const other = await registry.client(accountRef('u2'));
    expect((await clock.run(other.fetchBalance())).total).toBe(1_000);
    expect(client.breakerState().exchange.status).toBe('closed');
    // New keys: invalidate → a fresh client, breaker reset.
    await registry.invalidate('u1');
    const fresh = await registry.client(accountRef('u1'));
    expect(fresh).not.toBe(client);
    expect((await clock.run(fresh.fetchBalance())).total).toBe(1_000);
    expect(events.map((e) => `${e.scope}:${e.key}:${e.to}`)).toEqual(['account:u1:open', 'account:u1:closed']);
  });

  it('opens on the failure rate over a window even without a long streak', async () => {
    const clock = new ManualClock();
    const server = new FakeExchangeServer({ clock });
    const registry = createTestRegistry(server, {
      breaker: { failureThreshold: 100, rateMinCalls: 10, failureRate: 0.5, rateWindowMs: 60_000 },
      client: { retry: { attempts: 1 } },
    });
    const c = await registry.client(accountRef('u1'));
    for (let i = 0; i < 12; i++) {
      if (i % 2 === 0) server.fail({ op: 'fetchBalance', effect: 'skip', error: () => new ExchangeUnavailable('503') });
      await clock.run(c.fetchBalance()).catch(() => undefined);
      // Never 3 in a row; below rateMinCalls the breaker stays closed.
      if (i < 9) expect(c.breakerState().exchange.status).toBe('closed');
    }
    expect(c.breakerState().exchange.status).toBe('open');
  });
});
