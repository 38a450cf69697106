/**
 * Acceptance P1.1 through the real bot: switching the size mode never keeps
 * the old number in a new meaning. 15.5 USDT fixed, then "% of balance": the
 * size becomes 2 % of balance (said so, shown with its unit), and the next
 * channel signal opens with ~2 % of the balance as margin, not 15.5 %.
 * P1.5: a take-profit split that does not add up to 100 is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';
import type { ChannelClient, UserClient } from '../../bot/sandbox/bot-api-emulator.js';

const SIGNAL = '#BTC/USDT LONG\nEntry: market\nTP1: 70000\nTP2: 72000\nSL: 60000\nLeverage: 10x';

let h: Harness;
let bob: UserClient;
let channel: ChannelClient;

beforeAll(async () => {
  h = await startHarness();
  bob = h.emu.user({ id: 2002, firstName: 'Bob', languageCode: 'en' });
  channel = h.emu.channel({ id: -1009876543210, title: 'Size Signals' });
});

afterAll(async () => {
  if (process.env.E2E_DUMP) for (const m of h.emu.transcript(2002).slice(-6)) console.log(m.messageId, m.from, JSON.stringify(m.plain).slice(0, 400));
  await h?.stop();
});

const last = () => h.emu.lastBotMessage(bob.id);

async function openSizePage(): Promise<void> {
  const after = h.emu.lastMessageId(bob.id);
  bob.send('/settings');
  await bob.waitForReply((m) => !!m.keyboard?.flat().some((b) => b.text.includes('Size and leverage')), { after });
  bob.press('💰 Size and leverage');
  await h.emu.waitFor(() => last()?.keyboard?.flat().some((b) => b.text.startsWith('Size mode')));
}

describe('size mode and size value (acceptance P1.1)', () => {
  it('a mode change resets the size to the new mode default, with units, and the next signal uses it', async () => {
    bob.send('/start');
    await bob.waitForReply(/./);
    channel.promoteBot(bob);
    await bob.waitForReply(/is now a signal source/);
    const user = (await h.app.users.findByTelegramId(bob.id))!;

    await openSizePage();
    expect(last()!.plain).toContain('Size: 20 USDT');
    bob.press(/^Size: /);
    await h.emu.waitFor(() => last()?.plain.includes('more than 0 and at most 1,000,000 USDT'));
    const typed = bob.send('15.5');
    await h.emu.waitFor(() => h.emu.botMessages(bob.id).find((m) => m.messageId < typed && m.plain.includes('Saved: Size')));
    expect((await h.app.settings.getGlobal(user.id)).sizeValue).toBe(15.5);
    await h.emu.waitFor(() => last()?.plain.includes('Size: 15.5 USDT'));

    bob.press(/^Size mode: fixed/);
    await h.emu.waitFor(() => last()?.plain.includes('Size mode: % of balance'));
    const page = last()!;
    expect(page.plain).toContain('the size was set to 2 % of balance');
    expect(page.plain).toContain('Size: 2 % of balance');
    const s = await h.app.settings.getGlobal(user.id);
    expect(s).toMatchObject({ sizeMode: 'balance_pct', sizeValue: 2 });

    // A % above 100 is refused with the mode's bound; the setting stays.
    bob.press(/^Size: /);
    await h.emu.waitFor(() => last()?.plain.includes('at most 100 % of balance'));
    const bad = bob.send('150');
    await bob.waitForReply('must be more than 0 and at most 100 % of balance', { after: bad });
    expect((await h.app.settings.getGlobal(user.id)).sizeValue).toBe(2);
    const notNumber = bob.send('1e3');
    await bob.waitForReply('That is not a number', { after: notNumber });

    // The next channel signal: margin ≈ 2 % of the 10,000 USDT Paper balance (not 15.5 %).
    channel.post(SIGNAL);
    await bob.waitForReply(/BTC\/USDT.*opened/s, { timeoutMs: 8_000 });
    const trade = (await h.app.db.selectFrom('trades').selectAll().where('user_id', '=', user.id).execute()).at(-1)!;
    const margin = (Number(trade.quantity) * Number(trade.entry_price)) / trade.leverage;
    expect(margin).toBeGreaterThan(150);
    expect(margin).toBeLessThan(250);
  });

  it('risk per trade is capped with a clear bound', async () => {
    await openSizePage();
    bob.press(/^Size mode: % of balance/);
    await h.emu.waitFor(() => last()?.plain.includes('Size: 1 % risk per trade'));
    bob.press(/^Size: /);
    await h.emu.waitFor(() => last()?.plain.includes('at most 10 % risk per trade'));
    const bad = bob.send('25');
    await bob.waitForReply('must be more than 0 and at most 10 % risk per trade', { after: bad });
    const user = (await h.app.users.findByTelegramId(bob.id))!;
    expect(await h.app.settings.getGlobal(user.id)).toMatchObject({ sizeMode: 'risk_pct', sizeValue: 1 });
  });

  it('a take-profit split must add up to 100 (acceptance P1.5)', async () => {
    const after = h.emu.lastMessageId(bob.id);
    bob.send('/settings');
    await bob.waitForReply((m) => !!m.keyboard?.flat().some((b) => b.text.includes('Entries')), { after });
    bob.press(/Entries, targets, stops/);
    await h.emu.waitFor(() => last()?.keyboard?.flat().some((b) => b.text.startsWith('Take-profit split')));
    bob.press(/^Take-profit split/);
    await h.emu.waitFor(() => last()?.plain.includes('add up to 100'));
    const prompt = last()!.messageId;
    const one = bob.send('6');
    await bob.waitForReply('Send 2 to 10 positive shares', { after: one });
    const short = bob.send('50 30');
    await bob.waitForReply('The shares add up to 80 %, not 100', { after: short });
    const user = (await h.app.users.findByTelegramId(bob.id))!;
    expect((await h.app.settings.getGlobal(user.id)).tpSplit).toBeNull();
    bob.send('50 30 20');
    await h.emu.waitFor(() => h.emu.message(bob.id, prompt)?.plain.includes('Take-profit split: 50 % / 30 % / 20 %'));
    expect((await h.app.settings.getGlobal(user.id)).tpSplit).toEqual([50, 30, 20]);
  });
});

describe('texts typed into the chat (acceptance P3.15, P3.18)', () => {
  it('a pasted signal gets the /parse preview and a hint, not "I did not understand that"', async () => {
    const trades = (await h.app.db.selectFrom('trades').selectAll().execute()).length;
    const id = bob.send('#ETH/USDT SHORT\nEntry: 3500\nTP1: 3400\nTP2: 3300\nSL: 3600');
    const r = await bob.waitForReply('A trade signal', { after: id });
    expect(r.plain).toContain('ETH/USDT');
    expect(r.plain).toContain('3400, 3300');
    expect(r.plain).toContain('forward the channel');
    expect(r.plain).not.toContain('did not understand');
    expect((await h.app.db.selectFrom('trades').selectAll().execute()).length).toBe(trades);
    const chat = bob.send('hello there');
    await bob.waitForReply('I did not understand that', { after: chat });
  });

  it('/sources shows the account a source trades on; help lists /language and /cancel', async () => {
    const a = h.emu.lastMessageId(bob.id);
    bob.send('/sources');
    const list = await bob.waitForReply((m) => m.plain.startsWith('Signal sources'), { after: a });
    expect(list.plain).toContain('Trades on: Paper (your default account)');
    bob.send('/help');
    const help = await bob.waitForReply('What I can do', { after: list.messageId });
    expect(help.plain).toContain('/language');
    expect(help.plain).toContain('/cancel');
  });

  it('the account screen shows its balance', async () => {
    const a = h.emu.lastMessageId(bob.id);
    bob.send('/accounts');
    const list = await bob.waitForReply((m) => !!m.keyboard?.flat().some((b) => b.text.includes('Paper')), { after: a });
    bob.press(/Paper/, { messageId: list.messageId });
    const screen = await h.emu.waitFor(() => {
      const m = h.emu.message(bob.id, list.messageId);
      return m?.plain.includes('Balance:') ? m : undefined;
    });
    expect(screen.plain).toMatch(/Balance: \d+\.\d\d USDT \(free/);
  });
});

