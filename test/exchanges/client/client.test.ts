import { describe, expect, it } from 'vitest';
import { InvalidOrderSize, MarketNotFound, NetworkTimeout, ValidationError, type OrderRequest } from '../../../models/index.js';
import type { CallEvent } from '../../../exchanges/types.js';
import { FakeExchangeServer, ManualClock, accountRef, createTestRegistry } from '../../helpers/fake-exchange.js';

async function setup(options: { timeoutMs?: number; leverageTtlMs?: number } = {}) {
  const clock = new ManualClock();
  const server = new FakeExchangeServer({ clock, latencyMs: 30 });
  const events: CallEvent[] = [];
  const registry = createTestRegistry(server, {
    observer: (e) => events.push(e),
    client: { timeoutMs: options.timeoutMs ?? 10_000, ...(options.leverageTtlMs ? { leverageTtlMs: options.leverageTtlMs } : {}) },
  });
  const client = await registry.client(accountRef('u1'));
  return { clock, server, registry, client, events };
}

const base: OrderRequest = { symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: 0.0129, price: 50_000.04, clientOrderId: 'c1' };

describe('precision', () => {
  it('rounds quantity down to the step and prices (incl. stop-loss, take-profit, trigger) to the tick before sending', async () => {
    const { clock, server, client } = await setup();
    const order = await clock.run(
      client.placeOrder({ ...base, stopLoss: 48_999.96, takeProfit: 52_000.06, triggerPrice: 50_100.01, triggerDirection: 'above' }),
    );
    expect(order.quantity).toBe(0.012);
    expect(order.price).toBe(50_000);
    expect(order.triggerPrice).toBe(50_100);
    const sent = server.ordersOf('u1')[0]!;
    expect(sent.quantity).toBe(0.012);
    const normalized = await clock.run(client.precision.normalize({ ...base, stopLoss: 48_999.96, takeProfit: 52_000.06 }));
    expect(normalized).toMatchObject({ quantity: 0.012, price: 50_000, stopLoss: 49_000, takeProfit: 52_000.1 });
    expect(await clock.run(client.precision.roundPrice('ETH/USDT', 3_000.456))).toBe(3_000.46);
    expect(await clock.run(client.precision.roundQty('ETH/USDT', 1.239))).toBe(1.23);
  });

  it('refuses an order below the minimum notional or quantity before any request is sent', async () => {
    const { clock, server, client, events } = await setup();
    // 0.001 BTC × 4,000 = 4 USDT < 5 USDT minimum.
    const tooSmall = await clock.run(client.placeOrder({ ...base, quantity: 0.001, price: 4_000 })).catch((e: unknown) => e);
    expect(tooSmall).toBeInstanceOf(InvalidOrderSize);
    // Rounds down to 0 → below minQty.
    const dust = await clock.run(client.placeOrder({ ...base, quantity: 0.0004 })).catch((e: unknown) => e);
    expect(dust).toBeInstanceOf(InvalidOrderSize);
    const badStop = await clock.run(client.placeOrder({ ...base, stopLoss: 0.01 })).catch((e: unknown) => e);
    expect(badStop).toBeInstanceOf(InvalidOrderSize);
    const noId = await clock.run(client.placeOrder({ ...base, clientOrderId: '' })).catch((e: unknown) => e);
    expect(noId).toBeInstanceOf(ValidationError);
    // Only the market lookup reached the exchange; no order request.
    expect(server.requests.map((r) => r.op)).toEqual(['market']);
    expect(events.filter((e) => e.op === 'placeOrder').map((e) => e.errorCode)).toEqual([
      'invalid-order-size',
      'invalid-order-size',
      'invalid-order-size',
      'validation',
    ]);
  });

  it('lets reduce-only orders under the notional minimum through (closing dust)', async () => {
    const { clock, server, client } = await setup();
    await clock.run(client.placeOrder({ ...base, side: 'sell', quantity: 0.001, price: 4_000, reduceOnly: true }));
    expect(server.ordersOf('u1')).toHaveLength(1);
  });

  it('a batch refuses bad items alone and sends the rest', async () => {
    const { clock, server, client } = await setup();
    const results = await clock.run(
      client.placeOrders([
        { ...base, clientOrderId: 'a' },
        { ...base, quantity: 0.0001, clientOrderId: 'b' },
        { ...base, symbol: 'DOGE/USDT', clientOrderId: 'c' },
        { ...base, clientOrderId: 'd' },
      ]),
    );
    expect(results.map((r) => r.ok)).toEqual([true, false, false, true]);
    expect(results[1]!.ok ? null : results[1]!.error).toBeInstanceOf(InvalidOrderSize);
    expect(results[2]!.ok ? null : results[2]!.error).toBeInstanceOf(MarketNotFound);
    expect(server.requestsOf('placeOrders').map((r) => r.size)).toEqual([2]);
  });

  it('caches markets across accounts of the same exchange and environment', async () => {
    const { clock, server, registry, client } = await setup();
    const other = await registry.client(accountRef('u2'));
    await clock.run(Promise.all([client.market('BTC/USDT'), other.market('BTC/USDT'), client.market('BTC/USDT')]));
    expect(server.requestsOf('market')).toHaveLength(1);
  });
});

describe('leverage and margin mode', () => {
  it('skips the request when the leverage is unchanged, sends it when it changes', async () => {
    const { clock, server, client } = await setup({ leverageTtlMs: 60_000 });
    await clock.run(client.setLeverage('BTC/USDT', 5));
    await clock.run(client.setLeverage('BTC/USDT', 5));
    await clock.run(client.setLeverage('ETH/USDT', 5));
    await clock.run(client.setLeverage('BTC/USDT', 7));
    expect(server.leverageCalls.map((c) => `${c.symbol}:${c.leverage}`)).toEqual(['BTC/USDT:5', 'ETH/USDT:5', 'BTC/USDT:7']);
    // After the TTL it is sent again (the user may have changed it on the exchange).
    await clock.advance(60_000);
    await clock.run(client.setLeverage('BTC/USDT', 7));
    expect(server.leverageCalls).toHaveLength(4);
    client.forgetLeverage('BTC/USDT');
    await clock.run(client.setLeverage('BTC/USDT', 7));
    expect(server.leverageCalls).toHaveLength(5);
  });

  it('does not remember a leverage whose request failed', async () => {
    const { clock, server, client } = await setup();
    server.fail({ op: 'setLeverage', effect: 'skip', times: 10, error: () => new ValidationError('bad leverage') });
    await expect(clock.run(client.setLeverage('BTC/USDT', 5))).rejects.toBeInstanceOf(ValidationError);
    await expect(clock.run(client.setLeverage('BTC/USDT', 5))).rejects.toBeInstanceOf(ValidationError);
    expect(server.requestsOf('setLeverage')).toHaveLength(2);
  });

  it('skips setMarginMode when mode and leverage are unchanged', async () => {
    const { clock, server, client } = await setup();
    await clock.run(client.setMarginMode('BTC/USDT', 'isolated', 3));
    await clock.run(client.setMarginMode('BTC/USDT', 'isolated', 3));
    await clock.run(client.setLeverage('BTC/USDT', 3));
    await clock.run(client.setMarginMode('BTC/USDT', 'cross', 3));
    expect(server.requestsOf('setMarginMode')).toHaveLength(2);
    expect(server.requestsOf('setLeverage')).toHaveLength(0);
  });
});

describe('timeouts and metrics', () => {
  it('turns a hanging read into NetworkTimeout and records latency and outcome of every call', async () => {
    const { clock, server, registry, client, events } = await setup({ timeoutMs: 1_000 });
    server.fail({ op: 'fetchTicker', effect: 'skip', hang: true, times: 10 });
    const err = await clock.run(client.fetchTicker('BTC/USDT')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkTimeout);
    await clock.run(client.fetchBalance());
    const tickers = events.filter((e) => e.op === 'fetchTicker');
    expect(tickers).toHaveLength(4);
    expect(tickers.every((e) => !e.ok && e.errorCode === 'network-timeout' && e.ms === 1_000)).toBe(true);
    const balance = events.find((e) => e.op === 'fetchBalance')!;
    expect(balance).toMatchObject({ ok: true, ms: 30, exchange: 'bybit', accountId: 'u1', weight: 1 });
    const snap = registry.metrics.snapshot();
    expect(snap.find((m) => m.op === 'fetchTicker')).toMatchObject({ calls: 4, failed: 4, errors: { 'network-timeout': 4 } });
    expect(snap.find((m) => m.op === 'fetchBalance')).toMatchObject({ calls: 1, ok: 1, latencyMs: { p50: 30, max: 30 } });
    expect(registry.health().metrics.length).toBe(snap.length);
  });

  it('rounds amend prices and refuses a zero price', async () => {
    const { clock, server, client } = await setup();
    const o = await clock.run(client.placeOrder(base));
    const amended = await clock.run(client.amendOrder('BTC/USDT', o.id, { price: 50_500.06 }));
    expect(amended.price).toBe(50_500.1);
    await expect(clock.run(client.amendOrder('BTC/USDT', o.id, { price: 0.01 }))).rejects.toBeInstanceOf(InvalidOrderSize);
    expect(server.requestsOf('amendOrder')).toHaveLength(1);
  });
});
