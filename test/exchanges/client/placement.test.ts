import { describe, expect, it } from 'vitest';
import {
  ExchangeUnavailable,
  InsufficientFunds,
  NetworkTimeout,
  OrderStateUnknown,
  RateLimited,
  type OrderRequest,
} from '../../../models/index.js';
import { FakeExchangeServer, ManualClock, accountRef, createTestRegistry } from '../../helpers/fake-exchange.js';

const req = (clientOrderId = 'sig-1-u1-entry'): OrderRequest => ({
  symbol: 'BTC/USDT',
  side: 'buy',
  type: 'limit',
  quantity: 0.01,
  price: 50_000,
  clientOrderId,
});

async function setup(options: { duplicateStyle?: 'message' | 'marker'; timeoutMs?: number } = {}) {
  const clock = new ManualClock();
  const server = new FakeExchangeServer({ clock, latencyMs: 20, ...(options.duplicateStyle ? { duplicateStyle: options.duplicateStyle } : {}) });
  const registry = createTestRegistry(server, { client: { timeoutMs: options.timeoutMs ?? 10_000 } });
  const client = await registry.client(accountRef('u1'));
  await clock.run(client.market('BTC/USDT'));
  return { clock, server, registry, client };
}

describe('order placement never produces two orders', () => {
  it('a timeout after the exchange accepted the order is resolved by lookup, without a re-send', async () => {
    const { clock, server, client } = await setup();
    server.fail({ op: 'placeOrder', effect: 'apply', error: () => new NetworkTimeout('read timeout') });
    const order = await clock.run(client.placeOrder(req()));
    expect(order.clientOrderId).toBe('sig-1-u1-entry');
    expect(server.ordersOf('u1')).toHaveLength(1);
    expect(server.requestsOf('placeOrder')).toHaveLength(1);
    expect(server.requestsOf('fetchOrder')).toHaveLength(1);
  });

  it('a response that never comes (client timeout) is resolved by lookup too', async () => {
    const { clock, server, client } = await setup({ timeoutMs: 2_000 });
    server.fail({ op: 'placeOrder', effect: 'apply', hang: true });
    const order = await clock.run(client.placeOrder(req()));
    expect(order.id).toBe(server.ordersOf('u1')[0]!.id);
    expect(server.ordersOf('u1')).toHaveLength(1);
    expect(server.requestsOf('placeOrder')).toHaveLength(1);
  });

  it('an order the exchange never received is re-sent once, with the same client order id', async () => {
    const { clock, server, client } = await setup();
    server.fail({ op: 'placeOrder', effect: 'skip', error: () => new ExchangeUnavailable('502 bad gateway') });
    const order = await clock.run(client.placeOrder(req()));
    const sends = server.requestsOf('placeOrder');
    expect(sends).toHaveLength(2);
    expect(server.ordersOf('u1')).toHaveLength(1);
    expect(order.clientOrderId).toBe('sig-1-u1-entry');
    // The lookup came between the two sends.
    const lookup = server.requestsOf('fetchOrder')[0]!;
    expect(lookup.at).toBeGreaterThan(sends[0]!.at);
    expect(lookup.at).toBeLessThanOrEqual(sends[1]!.at);
  });

  it('when the lookup keeps failing, it throws OrderStateUnknown and never re-sends', async () => {
    const { clock, server, client } = await setup();
    server.fail({ op: 'placeOrder', effect: 'apply', error: () => new NetworkTimeout('timeout') });
    server.fail({ op: 'fetchOrder', effect: 'skip', times: 100, error: () => new ExchangeUnavailable('503') });
    const err = await clock.run(client.placeOrder(req())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OrderStateUnknown);
    expect((err as OrderStateUnknown).details['clientOrderId']).toBe('sig-1-u1-entry');
    expect(server.requestsOf('placeOrder')).toHaveLength(1);
    expect(server.requestsOf('fetchOrder').length).toBeGreaterThan(1);
  });

  it.each(['message', 'marker'] as const)('a duplicate rejection on re-send (%s) returns the order that landed', async (duplicateStyle) => {
    const { clock, server, client } = await setup({ duplicateStyle });
    // The first attempt lands but times out; a stale lookup says "absent"; the re-send is refused as duplicate.
    server.fail({ op: 'placeOrder', effect: 'apply', error: () => new NetworkTimeout('timeout') });
    server.fail({ op: 'fetchOrder', effect: 'skip', result: () => null });
    const order = await clock.run(client.placeOrder(req()));
    expect(order.clientOrderId).toBe('sig-1-u1-entry');
    expect(server.requestsOf('placeOrder')).toHaveLength(2);
    expect(server.ordersOf('u1')).toHaveLength(1);
  });

  it('an unexpected lookup failure after an unknown outcome ends as OrderStateUnknown', async () => {
    const { clock, server, client } = await setup();
    server.fail({ op: 'placeOrder', effect: 'apply', error: () => new NetworkTimeout('timeout') });
    server.fail({ op: 'fetchOrder', effect: 'skip', error: () => new Error('socket hang up') });
    const err = await clock.run(client.placeOrder(req())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OrderStateUnknown);
    expect(server.requestsOf('placeOrder')).toHaveLength(1);
  });

  it('a duplicate client order id on the first send returns the existing order', async () => {
    const { clock, server, client } = await setup();
    const first = await clock.run(client.placeOrder(req()));
    // A restart re-sends the same order: the exchange refuses it as duplicate.
    const again = await clock.run(client.placeOrder(req()));
    expect(again.id).toBe(first.id);
    expect(server.ordersOf('u1')).toHaveLength(1);
    expect(server.requestsOf('placeOrder')).toHaveLength(2);
  });

  it('gives up with OrderStateUnknown after the bounded number of re-sends', async () => {
    const { clock, server, client } = await setup();
    server.fail({ op: 'placeOrder', effect: 'skip', times: 10, error: () => new NetworkTimeout('timeout') });
    const err = await clock.run(client.placeOrder(req())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OrderStateUnknown);
    // First send + 2 re-sends, all with the same id, none landed.
    expect(server.requestsOf('placeOrder')).toHaveLength(3);
    expect(server.ordersOf('u1')).toHaveLength(0);
  });

  it('a definite rejection is thrown as is, without lookup', async () => {
    const { clock, server, client } = await setup();
    server.fail({ op: 'placeOrder', effect: 'skip', error: () => new InsufficientFunds('110007 insufficient balance') });
    const err = await clock.run(client.placeOrder(req())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsufficientFunds);
    expect(server.requestsOf('fetchOrder')).toHaveLength(0);
  });

  it('a rate-limit refusal is re-sent later with the same id', async () => {
    const { clock, server, client } = await setup();
    server.fail({ op: 'placeOrder', effect: 'skip', error: () => new RateLimited('10006 too many visits') });
    const order = await clock.run(client.placeOrder(req()));
    expect(order.clientOrderId).toBe('sig-1-u1-entry');
    expect(server.requestsOf('placeOrder')).toHaveLength(2);
    expect(server.ordersOf('u1')).toHaveLength(1);
  });

  it('closePosition follows the same rule', async () => {
    const { clock, server, client } = await setup();
    server.fail({ op: 'closePosition', effect: 'apply', error: () => new NetworkTimeout('timeout') });
    const order = await clock.run(client.closePosition('BTC/USDT', 'long', { clientOrderId: 'close-1' }));
    expect(order.clientOrderId).toBe('close-1');
    expect(server.requestsOf('closePosition')).toHaveLength(1);
    expect(server.ordersOf('u1')).toHaveLength(1);
  });

  it('a batch whose response timed out is reconciled per order: landed ones returned, missing ones re-sent once', async () => {
    const { clock, server, client } = await setup();
    // b-2 already exists (an earlier attempt); the batch call then times out without doing anything.
    const batch = [req('b-1'), req('b-2'), req('b-3')];
    server.fail({ op: 'placeOrders', effect: 'skip', error: () => new NetworkTimeout('timeout') });
    await clock.run(client.placeOrder(req('b-2')));
    const results = await clock.run(client.placeOrders(batch));
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    const ids = server.ordersOf('u1').map((o) => o.clientOrderId).sort();
    expect(ids).toEqual(['b-1', 'b-2', 'b-3']);
    const sends = server.requestsOf('placeOrders');
    expect(sends.map((s) => s.size)).toEqual([3, 2]);
  });
});
