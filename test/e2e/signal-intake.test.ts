/**
 * Signal intake through the emulator: photo posts with a signal caption are
 * signals too; a forwarded copy of a post the bot already received is the
 * same signal (executing it opens no second trade); a forward from an unknown
 * channel executed twice is one trade; previews show the plan's warnings and
 * the signal's own entry zone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';
import type { ChannelClient, UserClient } from '../../bot/sandbox/bot-api-emulator.js';

let h: Harness;
let alice: UserClient;
let channel: ChannelClient;
let other: ChannelClient;
let userId: number;

beforeAll(async () => {
  h = await startHarness();
  h.feed.set('SOL/USDT', 150);
  h.feed.set('XRP/USDT', 2);
  alice = h.emu.user({ id: 5001, firstName: 'Alice', languageCode: 'en' });
  channel = h.emu.channel({ id: -1005000000001, title: 'Chart Signals' });
  other = h.emu.channel({ id: -1005000000002, title: 'Somebody Else' });
  alice.send('/start');
  await alice.waitForReply(/Hi, Alice/);
  channel.promoteBot(alice);
  await alice.waitForReply(/is now a signal source/);
  userId = (await h.app.users.findByTelegramId(alice.id))!.id;
});

afterAll(async () => {
  await h?.stop();
});

const tradesOf = () => h.app.db.selectFrom('trades').selectAll().where('user_id', '=', userId).execute();

describe('signal intake', () => {
  it('a photo post with a signal caption opens the trade', async () => {
    const before = (await tradesOf()).length;
    const after = h.emu.lastMessageId(alice.id);
    channel.post('#SOL/USDT LONG\nEntry: market\nTP1: 170\nSL: 140', { photo: true });
    await alice.waitForReply(/SOL\/USDT.*opened/s, { after, timeoutMs: 8_000 });
    const trades = await tradesOf();
    expect(trades.length).toBe(before + 1);
    expect(trades.at(-1)!.symbol).toBe('SOL/USDT');
  });

  it('a forwarded photo post with a signal caption gets a preview', async () => {
    const f = alice.forward(other, '#BTC/USDT SHORT\nEntry: market\nTP1: 60000\nSL: 68000', 12, { photo: true });
    const preview = await alice.waitForReply('Signal preview', { after: f });
    expect(preview.plain).toContain('BTC/USDT');
    expect(preview.keyboard!.flat().map((b) => b.text)).toContain('✅ Execute');
    alice.press('✖ Ignore', { messageId: preview.messageId });
    await h.emu.waitFor(() => h.emu.message(alice.id, preview.messageId)?.plain.includes('Ignored'));
  });

  it('a forwarded copy of a post the bot already received is the same signal: Execute opens no second trade and says so', async () => {
    // Confirm mode: the channel post becomes a preview notification (stored, no trade yet).
    const source = (await h.app.sources.list(userId)).find((s) => s.title === 'Chart Signals')!;
    await h.app.sources.setMode(userId, source.id, 'confirm');
    const text = '#ETH/USDT LONG\nEntry: market\nTP1: 3300\nSL: 2800';
    const after = h.emu.lastMessageId(alice.id);
    const postId = channel.post(text);
    const note = await alice.waitForReply('New signal', { after, timeoutMs: 8_000 });
    // The user forwards the same post: a preview with Execute (nothing executed yet).
    const f = alice.forward(channel, text, postId);
    const preview = await alice.waitForReply('Signal preview', { after: f });
    expect(preview.plain).toContain('From: Chart Signals');
    expect(preview.keyboard!.flat().map((b) => b.text)).toContain('✅ Execute');
    const before = (await tradesOf()).length;

    // Execute from the notification: the trade.
    alice.press('✅ Execute', { messageId: note.messageId });
    const sent = await h.emu.waitFor(() => h.emu.message(alice.id, note.messageId)?.plain.match(/Sent \(trade #(\d+)\)/));
    // Execute on the forwarded copy: no second trade, a clear answer naming the first.
    alice.press('✅ Execute', { messageId: preview.messageId });
    const done = await h.emu.waitFor(() => {
      const m = h.emu.message(alice.id, preview.messageId);
      return m && /Already executed|Sent \(trade|Not executed/.test(m.plain) ? m : undefined;
    });
    expect(done.plain).toContain(`Already executed: this post is trade #${sent[1]}`);
    await h.emu.settle();
    expect((await tradesOf()).length).toBe(before + 1);
    // One stored signal for the post: the forward is the channel post's own row.
    const rows = await h.app.db.selectFrom('signals').selectAll().where('source_id', '=', source.id).execute();
    expect(rows.filter((r) => r.message_id === String(postId))).toHaveLength(1);
    expect((await h.app.db.selectFrom('signals').selectAll().execute()).some((r) => r.message_id.startsWith('fwd:'))).toBe(false);

    // Forwarded once more: the preview says it was executed, with no Execute button.
    const again = alice.forward(channel, text, postId);
    const p2 = await alice.waitForReply('Signal preview', { after: again });
    expect(p2.plain).toContain(`Already executed: this post is trade #${sent[1]}`);
    expect(p2.keyboard).toBeNull();
    await h.app.sources.setMode(userId, source.id, 'auto');
  });

  it('the same forward from an unknown channel executed twice is one trade', async () => {
    const text = '#XRP/USDT LONG\nEntry: market\nTP1: 2.4\nSL: 1.8';
    const before = (await tradesOf()).length;
    const f1 = alice.forward(other, text, 42);
    const p1 = await alice.waitForReply('Signal preview', { after: f1 });
    const f2 = alice.forward(other, text, 42);
    const p2 = await alice.waitForReply('Signal preview', { after: f2 });
    alice.press('✅ Execute', { messageId: p1.messageId });
    await h.emu.waitFor(() => h.emu.message(alice.id, p1.messageId)?.plain.includes('Sent (trade #'));
    alice.press('✅ Execute', { messageId: p2.messageId });
    await h.emu.waitFor(() => h.emu.message(alice.id, p2.messageId)?.plain.includes('Already executed'));
    await h.emu.settle();
    expect((await tradesOf()).length).toBe(before + 1);
    const f3 = alice.forward(other, text, 42);
    const p3 = await alice.waitForReply('Signal preview', { after: f3 });
    expect(p3.plain).toContain('Already executed');
  });

  it('a forwarded zone signal shows both zone prices and the plan warnings (merged legs, default stop)', async () => {
    const f = alice.forward(other, '#BTC/USDT LONG\nEntry: 64000 - 64500\nTP1: 70000', 77);
    const preview = await alice.waitForReply('Signal preview', { after: f });
    expect(preview.plain).toContain('Signal entry zone: 64000 – 64500');
    expect(preview.plain).toContain('were merged into fewer orders');
    expect(preview.plain).toContain('The signal has no stop-loss: your default stop-loss is used.');
    alice.press('✖ Ignore', { messageId: preview.messageId });
    await h.emu.waitFor(() => h.emu.message(alice.id, preview.messageId)?.plain.includes('Ignored'));
  });

  it('/trade shows the plan warnings in its confirmation', async () => {
    const after = h.emu.lastMessageId(alice.id);
    alice.send('/trade DOGE');
    const prompt = await alice.waitForReply(/Manual trade on/, { after });
    h.feed.set('DOGE/USDT', 0.2);
    await h.emu.waitFor(() => h.emu.message(alice.id, prompt.messageId)?.keyboard?.flat().some((b) => b.text === '🟢 Long'));
    alice.press('🟢 Long', { messageId: prompt.messageId });
    await h.emu.waitFor(() => h.emu.message(alice.id, prompt.messageId)?.keyboard?.flat().some((b) => b.text === '25 USDT'));
    alice.press('25 USDT', { messageId: prompt.messageId });
    const hasButton = (re: RegExp) => h.emu.waitFor(() => h.emu.message(alice.id, prompt.messageId)?.keyboard?.flat().some((b) => re.test(b.text)));
    await hasButton(/your default/);
    alice.press(/your default/, { messageId: prompt.messageId });
    await hasButton(/^Default .*%/);
    alice.press(/^Default .*%/, { messageId: prompt.messageId });
    await hasButton(/My target settings/);
    alice.press('My target settings', { messageId: prompt.messageId });
    const confirm = await h.emu.waitFor(() => {
      const m = h.emu.message(alice.id, prompt.messageId);
      return m?.plain.includes('Confirm the trade') ? m : undefined;
    });
    // A manual trade: the stop chosen in the wizard (no "signal without a stop" wording), and the loss at it.
    expect(confirm.plain).toContain('(manual trade)');
    expect(confirm.plain).not.toContain('The signal has no stop-loss');
    expect(confirm.plain).toMatch(/Loss at the stop-loss: ≈ \d+\.\d\d USDT \(\d+\.\d % of the balance/);
    alice.press('Cancel', { messageId: prompt.messageId });
    await h.emu.waitFor(() => h.emu.message(alice.id, prompt.messageId)?.plain.includes('cancelled'));
  });
});
