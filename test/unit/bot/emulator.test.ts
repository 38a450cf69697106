/** The Bot API emulator itself: methods, transcripts, errors, and 429 with retry_after honoured by auto-retry. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Bot } from 'grammy';
import { autoRetry } from '@grammyjs/auto-retry';
import { BotApiEmulator } from '../../../bot/sandbox/bot-api-emulator.js';

let emu: BotApiEmulator;
beforeEach(async () => {
  emu = await BotApiEmulator.start({ maxPollMs: 200 });
});
afterEach(async () => {
  await emu.close();
});

describe('BotApiEmulator', () => {
  it('setNextMessageId continues a chat at a given id, with no placeholder messages, and never reuses an id', async () => {
    const bot = new Bot(emu.token, { client: { apiRoot: emu.apiRoot } });
    const u = emu.user({ id: 7, firstName: 'W' });
    emu.setNextMessageId(u.id, 41);
    expect(emu.lastMessageId(u.id)).toBe(40);
    expect(emu.transcript(u.id)).toEqual([]);
    expect(u.send('hello')).toBe(41);
    expect((await bot.api.sendMessage(u.id, 'reply')).message_id).toBe(42);
    expect(emu.transcript(u.id).map((m) => m.messageId)).toEqual([41, 42]);
    expect(() => emu.setNextMessageId(u.id, 42)).toThrow(/already has message 42/);
    expect(() => emu.setNextMessageId(u.id, 0)).toThrow(/positive integer/);
  });

  it('keeps setMyCommands per scope and language; a chat scope needs a known chat', async () => {
    const bot = new Bot(emu.token, { client: { apiRoot: emu.apiRoot } });
    const u = emu.user({ id: 8, firstName: 'X' });
    await bot.api.setMyCommands([{ command: 'start', description: 'Start' }]);
    await bot.api.setMyCommands([{ command: 'start', description: 'Старт' }], { language_code: 'ru' });
    await bot.api.setMyCommands([{ command: 'admin', description: 'Admin' }], { scope: { type: 'chat', chat_id: u.id } });
    expect(emu.commands.get('')?.map((c) => c.command)).toEqual(['start']);
    expect(emu.scopedCommands.get(`chat:${u.id}|`)?.map((c) => c.command)).toEqual(['admin']);
    expect((await bot.api.getMyCommands({ scope: { type: 'chat', chat_id: u.id } })).map((c) => c.command)).toEqual(['admin']);
    expect((await bot.api.getMyCommands({ language_code: 'ru' }))[0]!.description).toBe('Старт');
    await expect(bot.api.setMyCommands([{ command: 'admin', description: 'Admin' }], { scope: { type: 'chat', chat_id: 999 } })).rejects.toThrow(/chat not found/);
  });

  it('records messages, edits (refusing no-op edits), deletions and callback answers', async () => {
    const bot = new Bot(emu.token, { client: { apiRoot: emu.apiRoot } });
    const u = emu.user({ id: 5, firstName: 'U' });
    expect((await bot.api.getMe()).id).toBe(emu.bot.id);
    const m = await bot.api.sendMessage(u.id, '<b>Hi</b> &amp; bye', { parse_mode: 'HTML', reply_markup: { inline_keyboard: [[{ text: 'Go', callback_data: 'go' }]] } });
    expect(emu.lastBotMessage(u.id)).toMatchObject({ plain: 'Hi & bye', keyboard: [[{ text: 'Go', callback_data: 'go' }]] });
    await bot.api.editMessageText(u.id, m.message_id, 'Edited');
    await expect(bot.api.editMessageText(u.id, m.message_id, 'Edited')).rejects.toThrow(/not modified/);
    expect(emu.message(u.id, m.message_id)!.edits).toBe(1);
    await bot.api.deleteMessage(u.id, m.message_id);
    expect(emu.message(u.id, m.message_id)!.deleted).toBe(true);
    await expect(bot.api.sendMessage(u.id, 'x', { reply_markup: { inline_keyboard: [[{ text: 'Too long', callback_data: 'z'.repeat(65) }]] } })).rejects.toThrow(/BUTTON_DATA_INVALID/);
    u.block();
    await expect(bot.api.sendMessage(u.id, 'x')).rejects.toThrow(/blocked/);
    expect(emu.callsOf('sendMessage')).toHaveLength(3);
  });

  it('serves updates by long polling with offsets, and injects user actions', async () => {
    const u = emu.user({ id: 6, firstName: 'V' });
    const bot = new Bot(emu.token, { client: { apiRoot: emu.apiRoot } });
    await bot.api.sendMessage(u.id, 'menu', { reply_markup: { inline_keyboard: [[{ text: 'A', callback_data: 'a' }]] } });
    const poll = bot.api.getUpdates({ timeout: 1 });
    setTimeout(() => u.send('/start'), 20);
    const first = await poll;
    expect(first[0]!.message!.entities![0]).toMatchObject({ type: 'bot_command', offset: 0, length: 6 });
    u.press('A');
    const next = await bot.api.getUpdates({ offset: first[0]!.update_id + 1, timeout: 0 });
    expect(next.map((x) => x.callback_query?.data)).toEqual(['a']);
    const ch = emu.channel({ id: -100, title: 'C' });
    ch.promoteBot(u);
    ch.post('post');
    const rest = await bot.api.getUpdates({ offset: next[0]!.update_id + 1 });
    expect(rest.map((x) => Object.keys(x)[1])).toEqual(['my_chat_member', 'channel_post']);
    expect(rest[0]!.my_chat_member!.new_chat_member.status).toBe('administrator');
  });

  it('simulates 429 with retry_after, which auto-retry honours', async () => {
    const u = emu.user({ id: 7, firstName: 'W' });
    const bot = new Bot(emu.token, { client: { apiRoot: emu.apiRoot } });
    bot.api.config.use(autoRetry());
    emu.failNext({ method: 'sendMessage', errorCode: 429, description: 'Too Many Requests: retry after 1', retryAfter: 1, times: 1 });
    const t0 = Date.now();
    await bot.api.sendMessage(u.id, 'after the flood');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(emu.callsOf('sendMessage').map((c) => c.errorCode ?? 200)).toEqual([429, 200]);
    expect(emu.lastBotMessage(u.id)!.text).toBe('after the flood');
  });
});
