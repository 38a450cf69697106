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
