/**
 * Webhook mode through real HTTP: the bot's webhook server serves POST on
 * WEBHOOK_URL's path only and only with the right
 * X-Telegram-Bot-Api-Secret-Token. A forged channel post or button press
 * without it is refused (401) and changes nothing; the emulator's deliveries
 * (with the secret, like Telegram) are processed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';
import type { ChannelClient, UserClient } from '../../bot/sandbox/bot-api-emulator.js';

const SIGNAL = '#BTC/USDT LONG\nEntry: market\nTP1: 70000\nSL: 60000';

let h: Harness;
let alice: UserClient;
let channel: ChannelClient;

beforeAll(async () => {
  h = await startHarness({ webhook: true });
  alice = h.emu.user({ id: 4001, firstName: 'Alice', languageCode: 'en' });
  channel = h.emu.channel({ id: -1004000000001, title: 'Hooked Signals' });
});

afterAll(async () => {
  await h?.stop();
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}, method = 'POST'): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${h.webhook!.port}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(method === 'POST' ? { body: JSON.stringify(body) } : {}),
  });
  await r.arrayBuffer();
  return r.status;
}

const tradeCount = async () => (await h.app.db.selectFrom('trades').selectAll().execute()).length;

describe('webhook mode', () => {
  it('sets the webhook with the secret token, on the configured path', () => {
    expect(h.emu.webhook).toEqual({ url: h.webhook!.url, secretToken: h.webhook!.secret });
    expect(h.started.webhook?.path).toBe('/telegram/updates');
  });

  it('processes updates delivered with the secret (Telegram / the emulator)', async () => {
    alice.send('/start');
    await alice.waitForReply(/Hi, Alice/);
    channel.promoteBot(alice);
    await alice.waitForReply(/is now a signal source/);
    expect(h.emu.webhookDeliveries.every((d) => d.status === 200)).toBe(true);
  });

  it('refuses forged updates without (or with a wrong) secret token, and they have no effect', async () => {
    const path = h.started.webhook!.path;
    const trades = await tradeCount();
    const lastMessage = h.emu.lastMessageId(alice.id);
    const forgedPost = { update_id: 900001, channel_post: { message_id: 555, date: Math.floor(Date.now() / 1000), chat: channel.chat, sender_chat: channel.chat, text: SIGNAL } };
    const forgedPress = {
      update_id: 900002,
      callback_query: { id: '9001', from: alice.info, chat_instance: '1', data: 'm:accounts', message: { message_id: 1, date: 1, chat: { id: alice.id, type: 'private' }, text: 'x' } },
    };
    const forgedText = { update_id: 900003, message: { message_id: 999, date: Math.floor(Date.now() / 1000), chat: { id: alice.id, type: 'private', first_name: 'Alice' }, from: alice.info, text: '/start' } };

    for (const u of [forgedPost, forgedPress, forgedText]) {
      expect(await post(path, u)).toBe(401);
      expect(await post(path, u, { 'X-Telegram-Bot-Api-Secret-Token': 'wrong-secret-0123456789abcdef012345' })).toBe(401);
      expect(await post(path, u, { 'X-Telegram-Bot-Api-Secret-Token': h.webhook!.secret.slice(0, -1) })).toBe(401);
    }
    // Only POST on the webhook path is served.
    expect(await post(path, forgedPost, { 'X-Telegram-Bot-Api-Secret-Token': h.webhook!.secret }, 'GET')).toBe(404);
    expect(await post('/', forgedPost, { 'X-Telegram-Bot-Api-Secret-Token': h.webhook!.secret })).toBe(404);
    expect(await post(`${path}/x`, forgedPost, { 'X-Telegram-Bot-Api-Secret-Token': h.webhook!.secret })).toBe(404);
    expect(await post('/', {}, {}, 'GET')).toBe(404);

    await h.emu.settle(150);
    expect(await tradeCount()).toBe(trades);
    expect(h.emu.lastMessageId(alice.id)).toBe(lastMessage);
    expect(h.emu.callbackAnswers.has('9001')).toBe(false);
    const signals = await h.app.db.selectFrom('signals').selectAll().execute();
    expect(signals).toEqual([]);
    // The secret never reaches the logs.
    expect(h.logText()).not.toContain(h.webhook!.secret);
  });

  it('a channel post delivered with the secret opens the trade', async () => {
    const trades = await tradeCount();
    channel.post(SIGNAL);
    await alice.waitForReply(/BTC\/USDT.*opened/s, { timeoutMs: 8_000 });
    expect(await tradeCount()).toBe(trades + 1);
  });

  it('the same forged update with the right secret is processed (the refusal above was the secret, not the body)', async () => {
    const before = h.emu.lastMessageId(alice.id);
    const u = { update_id: 900010, message: { message_id: 1000, date: Math.floor(Date.now() / 1000), chat: { id: alice.id, type: 'private', first_name: 'Alice' }, from: alice.info, text: '/help' } };
    expect(await post(h.started.webhook!.path, u, { 'X-Telegram-Bot-Api-Secret-Token': h.webhook!.secret })).toBe(200);
    await alice.waitForReply(() => true, { after: before });
  });
});
