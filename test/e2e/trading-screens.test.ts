/**
 * The trading screens after the acceptance tour (P1.3, P2.6–P2.8, P2.10–P2.12,
 * P3.14), through the real wiring and the Bot API emulator: the position card
 * shows the protection really on the exchange, position actions say the real
 * reason and do not spam, the /trade and /grid wizards check each answer at its
 * step, HyperLiquid connect checks the address and the key format.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserClient } from '../../bot/sandbox/bot-api-emulator.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
let tom: UserClient;
let userId: number;

beforeAll(async () => {
  h = await startHarness({ logLevel: 'warn' });
  tom = h.emu.user({ id: 6001, firstName: 'Tom', languageCode: 'en' });
  tom.send('/start');
  await tom.waitForReply(/Hi, Tom/);
  userId = (await h.app.users.findByTelegramId(tom.id))!.id;
});
afterAll(async () => {
  if (process.env.E2E_DUMP) for (const m of h.emu.transcript(6001).slice(-14)) console.log(m.messageId, m.from, JSON.stringify(m.plain).slice(0, 300));
  await h?.stop();
});

async function client() {
  return h.app.registry.client(h.app.accounts.refOf(await h.app.accounts.getDefault(userId)));
}

/** Sends /positions and returns the card of `symbol` (after the last message). */
async function card(symbol: string) {
  const after = h.emu.lastMessageId(tom.id);
  tom.send('/positions');
  return tom.waitForReply((m) => m.plain.startsWith(symbol) && !!m.keyboard, { after });
}

const buttons = (messageId: number) => h.emu.message(tom.id, messageId)?.keyboard?.flat().map((b) => b.text) ?? [];

async function press(label: string | RegExp, messageId: number) {
  const id = tom.press(label, { messageId });
  await h.emu.waitFor(() => h.emu.callbackAnswers.has(id));
  await h.emu.settle(25);
  return h.emu.callbackAnswers.get(id)!;
}

describe('position cards and actions', () => {
  it('shows the stop and the take-profit ladder resting on the exchange, and marks a position without a stop', async () => {
    h.feed.set('BTC/USDT', 65_000);
    const r = await h.app.trading.openManual({ userId, symbol: 'BTC/USDT', side: 'long', entryType: 'market', marginUsdt: 200, leverage: 5, stopLoss: 62_000, takeProfits: [66_000, 67_000, 68_000], requestId: 'screens-btc' });
    expect(r).toMatchObject({ ok: true });
    await h.emu.settle();
    const btc = await card('BTC/USDT');
    expect(btc.plain).toMatch(/SL 62000 · TP 66000 \/ 67000 \/ 68000/);
    expect(btc.plain).not.toContain('no stop-loss');

    // A position opened outside the bot, with no stop at all.
    const c = await client();
    await c.placeOrder({ symbol: 'ETH/USDT', side: 'buy', type: 'market', quantity: 0.01, clientOrderId: 'screens-eth-naked' });
    const eth = await card('ETH/USDT');
    expect(eth.plain).toMatch(/SL none · TP none/);
    expect(eth.plain).toContain('⚠️ no stop-loss');
  });

  it('Close 50% below the exchange minimum says so with the numbers; the card stays', async () => {
    const eth = await card('ETH/USDT');
    const before = h.emu.lastMessageId(tom.id);
    const toast = await press('Close 50%', eth.messageId);
    expect(toast.text).toMatch(/would be 0\.005 ETH, below the exchange minimum of 0\.01 ETH: close 100 % instead/);
    expect(toast.show_alert).toBe(true);
    expect(h.emu.lastMessageId(tom.id)).toBe(before);
    expect(h.emu.message(tom.id, eth.messageId)!.plain).toContain('ETH/USDT');
    expect((await (await client()).fetchPositions(['ETH/USDT']))[0]?.quantity).toBeCloseTo(0.01, 8);
  });

  it('breakeven: refused with the reason below the entry; done with a toast and the card updated in place; again: already there', async () => {
    h.feed.set('BTC/USDT', 64_000);
    await h.emu.settle();
    const btc = await card('BTC/USDT');
    const refused = await press('🛡 Stop to breakeven', btc.messageId);
    expect(refused.text).toMatch(/below your entry \(65000\): a stop at breakeven would trigger at once/);

    h.feed.set('BTC/USDT', 65_500);
    await h.emu.settle();
    const before = h.emu.lastMessageId(tom.id);
    const done = await press('🛡 Stop to breakeven', btc.messageId);
    expect(done.text).toMatch(/Stop moved to breakeven: 65000/);
    await h.emu.waitFor(() => h.emu.message(tom.id, btc.messageId)?.plain.includes('SL 65000'));
    expect(buttons(btc.messageId)).toEqual(['Close 100%', 'Close 50%', '🛡 Stop to breakeven']);
    // No reply of the button's own (a notification of the move may still come).
    expect(h.emu.botMessages(tom.id).filter((m) => m.messageId > before).map((m) => m.plain).join('\n')).not.toMatch(/Stop moved to breakeven/);

    const again = await press('🛡 Stop to breakeven', btc.messageId);
    expect(again.text).toMatch(/already at breakeven \(65000\)/);
  });

  it('Close 50% keeps the card with buttons for the rest; Close 100% pressed again only gets a toast', async () => {
    const c = await client();
    const qty = (await c.fetchPositions(['BTC/USDT']))[0]!.quantity;
    const btc = await card('BTC/USDT');
    await press('Close 50%', btc.messageId);
    const half = await h.emu.waitFor(() => {
      const m = h.emu.message(tom.id, btc.messageId);
      return m?.plain.includes('closed') && m.keyboard ? m : undefined;
    });
    expect(half.plain).toMatch(/BTC\/USDT .*LONG/);
    const closed = Number(half.plain.match(/closed ([\d.]+) at/)![1]);
    expect(buttons(btc.messageId)).toEqual(['Close 100%', 'Close 50%', '🛡 Stop to breakeven']);
    expect(closed).toBeGreaterThan(0);
    expect(closed).toBeLessThanOrEqual(qty / 2);
    expect((await c.fetchPositions(['BTC/USDT']))[0]!.quantity).toBeCloseTo(qty - closed, 8);
    expect(half.plain).toContain(`Size ${qty - closed}`);

    const before = h.emu.lastMessageId(tom.id);
    await press('Close 100%', btc.messageId);
    await h.emu.waitFor(() => {
      const m = h.emu.message(tom.id, btc.messageId);
      return m && !m.keyboard?.length && m.plain.includes('closed') ? m : undefined;
    });
    // The old keyboard pressed again (a double tap that arrives late): a toast, nothing else.
    for (let i = 0; i < 3; i++) {
      const id = tom.pressData(btc.messageId, `ps:cl:${(await h.app.accounts.getDefault(userId)).id}:BTC/USDT:100g1`);
      await h.emu.waitFor(() => h.emu.callbackAnswers.has(id));
      expect(h.emu.callbackAnswers.get(id)!.text).toMatch(/Already done|no open position/);
    }
    await h.emu.settle();
    const replies = h.emu.botMessages(tom.id).filter((m) => m.messageId > before).map((m) => m.plain);
    expect(replies.join('\n')).not.toContain('There is no open position');
    expect((await c.fetchPositions(['BTC/USDT'])).filter((p) => p.quantity > 0)).toEqual([]);
    await c.closePosition('ETH/USDT', 'long', { clientOrderId: 'screens-eth-close' });
  });
});

describe('/close SYMBOL', () => {
  it('answers a close with one message', async () => {
    const r = await h.app.trading.openManual({ userId, symbol: 'ETH/USDT', side: 'long', entryType: 'market', marginUsdt: 50, requestId: 'screens-close-cmd' });
    expect(r).toMatchObject({ ok: true });
    await h.emu.settle();
    const after = h.emu.lastMessageId(tom.id);
    tom.send('/close eth');
    await tom.waitForReply(/ETH\/USDT.*closed/s, { after });
    await h.emu.settle();
    const replies = h.emu.botMessages(tom.id).filter((m) => m.messageId > after);
    expect(replies.map((m) => m.plain)).toHaveLength(1);
  });
});

describe('/trade wizard', () => {
  it('checks the coin, leverage, stop and targets at their steps; works with "skip signals without a stop"', async () => {
    await h.app.settings.updateGlobal(userId, { stopPolicy: 'skip_without' });
    h.feed.set('BTC/USDT', 65_000);
    const after = h.emu.lastMessageId(tom.id);
    tom.send('/trade');
    const prompt = await tom.waitForReply(/Manual trade on/, { after });
    const reply = async (text: string, re: RegExp) => {
      const a = h.emu.lastMessageId(tom.id);
      tom.send(text);
      return tom.waitForReply(re, { after: a });
    };
    const promptHas = (re: RegExp) => h.emu.waitFor(() => re.test(h.emu.message(tom.id, prompt.messageId)?.plain ?? ''));
    await reply('FOOBAR', /FOOBAR\/USDT is not traded on this account's exchange/);
    tom.send('BTC');
    await promptHas(/BTC\/USDT: long or short/);
    await press('🟢 Long', prompt.messageId);
    await promptHas(/how much margin/);
    await reply('lots', /positive number of USDT/);
    tom.send('30');
    await promptHas(/Leverage\? Your default is ×\d+/);
    await reply('500', /whole number from 1 to \d+/);
    tom.send('4');
    await promptHas(/a long's stop-loss must be below it/);
    expect(buttons(prompt.messageId).some((b) => /^Default \d+ % → \d+/.test(b))).toBe(true);
    await reply('70000', /must be below the current price \(65000\)/);
    await reply('abc', /That is not a price/);
    tom.send('61000');
    await promptHas(/Take-profit targets\?/);
    await reply('64000', /The target 64000 is not above the current price/);
    tom.send('69000 67000');
    const preview = await promptHas(/Confirm the trade/);
    expect(preview).toBe(true);
    const text = h.emu.message(tom.id, prompt.messageId)!.plain;
    expect(text).toContain('(manual trade)');
    expect(text).toContain('Stop-loss: 61000');
    expect(text).toMatch(/Targets: 67000 \(\d+%\), 69000 \(\d+%\)/);
    expect(text).toMatch(/Loss at the stop-loss: ≈ \d+\.\d\d USDT \([\d.]+ % of the balance of [\d.]+ USDT\)/);
    expect(text).not.toContain('signal');
    await press('✅ Confirm', prompt.messageId);
    const opened = await h.emu.waitFor(() => h.emu.message(tom.id, prompt.messageId)?.plain.match(/Trade #(\d+) on BTC\/USDT sent/));
    const trade = await h.app.db.selectFrom('trades').selectAll().where('id', '=', Number(opened[1])).executeTakeFirstOrThrow();
    expect(Number(trade.stop_loss)).toBe(61_000);
    expect(trade.leverage === null ? null : Number(trade.leverage)).toBe(4);
    expect(await h.app.trading.closeTrade(userId, trade.id)).toMatchObject({ ok: true });
    await h.app.settings.updateGlobal(userId, { stopPolicy: 'signal_or_default' });
    await h.emu.settle();
  });
});

describe('/grid wizard', () => {
  async function answer(text: string, next: RegExp) {
    const after = h.emu.lastMessageId(tom.id);
    tom.send(text);
    return tom.waitForReply(next, { after });
  }

  it('checks the coin and the deposit at their steps, tells "not a number" from a range, Back keeps the answers, a second Start only gets a toast', async () => {
    const after = h.emu.lastMessageId(tom.id);
    tom.send('/grid');
    const menu = await tom.waitForReply(/Grid bots/, { after });
    tom.press('➕ Long grid', { messageId: menu.messageId });
    await tom.waitForReply(/Coin \(e\.g\. BTC/, { after });
    await answer('NOPE', /NOPE\/USDT is not traded[\s\S]*Coin \(e\.g\./);
    await answer('BTC', /Deposit: the margin/);
    await answer('1e9', /That is not a number[\s\S]*Deposit/);
    await answer('0', /must be above 0 and at most 1,?000,?000,?000[\s\S]*Deposit/);
    await answer('999999', /more than the free balance of [\d.]+ USDT[\s\S]*Deposit/);
    await answer('100', /Leverage\?/);
    await answer('five', /That is not a number[\s\S]*Leverage\?/);
    const levels = await answer('5', /Number of grid levels/);
    // Back: the leverage again; the deposit is kept.
    await press('⬅️ Previous question', levels.messageId);
    await tom.waitForReply(/^Leverage\?/m, { after: levels.messageId });
    await answer('4', /Number of grid levels/);
    for (const [text, next] of [
      ['3', /Coverage/],
      ['5', /Martingale/],
      ['1.5', /Take-profit/],
      ['1', /Stop-loss/],
      ['10', /Pause/],
      ['0', /Maximum number of cycles/],
    ] as const) {
      await answer(text, next);
    }
    const preview = await answer('0', /Grid BTC\/USDT long/);
    expect(preview.plain).toMatch(/Deposit 100(\.00)? USDT × 4/);
    const first = await press('✅ Start the grid', preview.messageId);
    await h.emu.waitFor(() => h.emu.message(tom.id, preview.messageId)?.plain.includes('Grid started'));
    expect(first.text ?? '').not.toMatch(/already/);
    // The second tap of the same button (it arrives after the message was edited).
    const secondId = tom.pressData(preview.messageId, 'gd:create:0');
    await h.emu.waitFor(() => h.emu.callbackAnswers.has(secondId));
    await h.emu.settle(25);
    const second = h.emu.callbackAnswers.get(secondId)!;
    expect(second.text).toBe('The grid has already been started.');
    expect(h.emu.message(tom.id, preview.messageId)!.plain).toContain('Grid started');
  });

  it("/positions labels the grid's position and offers no close or breakeven for it; /close refuses it", async () => {
    const [bot] = (await h.app.grid.list(userId)).filter((b) => b.status === 'running');
    expect(bot).toBeDefined();
    await h.emu.settle();
    const after = h.emu.lastMessageId(tom.id);
    tom.send('/positions');
    const c = await tom.waitForReply((m) => m.plain.startsWith('BTC/USDT'), { after });
    expect(c.plain).toContain(`grid #${bot!.id}`);
    expect(c.plain).toContain(`belongs to grid #${bot!.id}`);
    expect(c.keyboard!.flat().map((b) => b.text)).toEqual([`🤖 Grid #${bot!.id}`]);
    // A forged Close on the grid's position: refused, nothing closed.
    const qty = (await (await client()).fetchPositions(['BTC/USDT']))[0]!.quantity;
    const account = (await h.app.accounts.getDefault(userId)).id;
    const id = tom.pressData(c.messageId, `ps:cl:${account}:BTC/USDT:50`);
    await h.emu.waitFor(() => h.emu.callbackAnswers.has(id));
    expect(h.emu.callbackAnswers.get(id)!.text).toMatch(new RegExp(`belongs to grid #${bot!.id}`));
    const a2 = h.emu.lastMessageId(tom.id);
    tom.send('/close btc');
    await tom.waitForReply(new RegExp(`belongs to grid #${bot!.id}`), { after: a2 });
    expect((await (await client()).fetchPositions(['BTC/USDT']))[0]!.quantity).toBe(qty);
    await h.app.grid.stop(userId, bot!.id);
  });
});

describe('/connect HyperLiquid', () => {
  it('checks the wallet address and the private key format at their steps', async () => {
    const after = h.emu.lastMessageId(tom.id);
    tom.send('/connect');
    const prompt = await tom.waitForReply('Which exchange', { after });
    await press('HyperLiquid', prompt.messageId);
    await h.emu.waitFor(() => h.emu.message(tom.id, prompt.messageId)?.plain.includes('which environment'));
    await press('Testnet', prompt.messageId);
    const promptHas = (s: string) => h.emu.waitFor(() => h.emu.message(tom.id, prompt.messageId)?.plain.includes(s));
    await promptHas('wallet address');
    const bad = tom.send('notanaddress');
    await promptHas('That is not a wallet address');
    expect(h.emu.message(tom.id, bad)!.deleted).toBe(true);
    tom.send(`0x${'ab'.repeat(20)}`);
    await promptHas('private key of the API wallet');
    const badKey = tom.send('0x1234');
    await promptHas('That is not a private key');
    expect(h.emu.message(tom.id, badKey)!.deleted).toBe(true);
    expect(h.emu.message(tom.id, prompt.messageId)!.plain).toContain('private key of the API wallet');
    tom.send('/cancel');
    await h.emu.settle();
    expect((await h.app.accounts.list(userId)).map((a) => a.exchange)).toEqual(['paper']);
  });
});
