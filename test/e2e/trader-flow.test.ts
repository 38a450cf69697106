/**
 * The whole trader flow through the real bot, the local Bot API emulator and
 * the real services: start, connect Paper/Bybit, subscribe to a channel, a
 * channel post opens a trade, /positions shows it, a button closes it, /stats
 * shows the result; bad inputs get a clear answer and change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../exchanges/ccxt/fake-http.js';
import { BYBIT_KEY, BYBIT_SECRET, FLOOD_MAX, startHarness, type Harness } from './harness.js';
import type { ChannelClient, UserClient } from '../../bot/sandbox/bot-api-emulator.js';

const SIGNAL = '#BTC/USDT LONG\nEntry: market\nTP1: 70000\nTP2: 72000\nSL: 60000\nLeverage: 10x';

let h: Harness;
let alice: UserClient;
let channel: ChannelClient;

beforeAll(async () => {
  h = await startHarness();
  alice = h.emu.user({ id: 1001, firstName: 'Alice', languageCode: 'en' });
  channel = h.emu.channel({ id: -1001234567890, title: 'Pro <Signals>', username: 'prosignals' });
});

afterAll(async () => {
  if (process.env.E2E_DUMP) for (const m of h.emu.transcript(1001).slice(-12)) console.log(m.messageId, m.from, m.deleted, JSON.stringify(m.plain).slice(0, 300));
  if (process.env.E2E_DUMP) console.log(h.emu.calls.slice(-40).map((c) => `${c.method} ${c.errorCode ?? ''} ${JSON.stringify(c.payload).slice(0, 200)}`).join('\n'));
  if (process.env.E2E_DUMP) console.log(h.logs.filter((l) => (l.level as number) >= 40).map((l) => JSON.stringify(l).slice(0, 400)).join('\n'));
  await h?.stop();
});

function buttonAppears(label: string) {
  return h.emu.waitFor(() => alice.buttons().includes(label));
}

async function accountsOf(telegramId: number) {
  const user = await h.app.users.findByTelegramId(telegramId);
  return user ? h.app.accounts.list(user.id) : [];
}

describe('trader flow', () => {
  it('registers commands per language at start: grid and license for everyone, admin for no one by default', () => {
    const names = h.emu.commands.get('')?.map((c) => c.command);
    expect(names).toEqual(expect.arrayContaining(['connect', 'grid', 'license']));
    expect(names).not.toContain('admin');
    expect(h.emu.commands.get('ru')?.find((c) => c.command === 'stats')?.description).toBe('Статистика торговли');
    expect(h.emu.commands.get('ru')?.find((c) => c.command === 'grid')?.description).toBe('Сеточные (DCA) боты');
  });

  it('starts the background jobs at start: reconciliation and the tracking schedules', () => {
    expect(h.scheduled).toEqual(expect.arrayContaining(['*/2 * * * *', '*/5 * * * * *']));
  });

  it('/start greets in the user language with the main menu, and the Paper account exists', async () => {
    alice.send('/start');
    const m = await alice.waitForReply(/Hi, Alice/);
    expect(m.plain).toContain('Paper');
    expect(m.keyboard!.flat().map((b) => b.text)).toEqual(['🔑 Accounts', '📡 Signals', '⚙️ Settings', '📊 Positions', '📈 Stats', '❓ Help']);
    const accounts = await accountsOf(alice.id);
    expect(accounts.map((a) => [a.exchange, a.isDefault])).toEqual([['paper', true]]);

    const boris = h.emu.user({ id: 1002, firstName: 'Борис', languageCode: 'ru' });
    boris.send('/start');
    await boris.waitForReply(/Привет, Борис/);
  });

  it('connects Bybit testnet: both secret messages are deleted, the answer has label, masked key and balance', async () => {
    alice.send('/connect');
    await alice.waitForReply('Which exchange');
    alice.press('Bybit');
    await alice.waitForReply((m) => m.plain.includes('which environment'));
    alice.press('Testnet');
    await alice.waitForReply((m) => m.plain.includes('API key'));
    const keyMsg = alice.send(BYBIT_KEY);
    await h.emu.waitFor(() => h.emu.message(alice.id, keyMsg)?.deleted);
    await alice.waitForReply((m) => m.plain.includes('API secret'));
    const secretMsg = alice.send(BYBIT_SECRET);
    const done = await alice.waitForReply((m) => m.plain.includes('Connected'));
    expect(h.emu.message(alice.id, secretMsg)!.deleted).toBe(true);
    const deletes = h.emu.callsOf('deleteMessage').map((c) => Number(c.payload.message_id));
    expect(deletes).toEqual(expect.arrayContaining([keyMsg, secretMsg]));
    expect(done.plain).toContain('Bybit Testnet');
    expect(done.plain).toContain('TEST…0000');
    expect(done.plain).toMatch(/Balance: 1249\.62 USDT/);
    expect(done.plain).toContain('not bound to an IP'); // the fixture key has ips ["*"]
    const accounts = await accountsOf(alice.id);
    expect(accounts.map((a) => a.label)).toEqual(['Paper', 'Bybit Testnet']);
    // No secret in any log line or stored row.
    expect(h.logText()).not.toContain(BYBIT_SECRET);
    const rows = await h.app.db.selectFrom('exchange_accounts').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(BYBIT_SECRET);
    expect(JSON.stringify(rows)).not.toContain(BYBIT_KEY);
  });

  it('refuses a key that can withdraw, deletes it, and stores nothing', async () => {
    const withdraw = fixture('bybit/query-api.json');
    withdraw.result.permissions.Wallet = ['AccountTransfer', 'Withdraw'];
    h.bybit.route({ method: 'GET', path: '/v5/user/query-api', reply: { body: withdraw } });
    const before = (await accountsOf(alice.id)).length;
    const c = alice.send('/connect');
    await alice.waitForReply('Which exchange', { after: c });
    alice.press('Bybit');
    await buttonAppears('Mainnet');
    alice.press('Mainnet');
    await h.emu.waitFor(() => h.emu.lastBotMessage(alice.id)?.plain.includes('derivatives'));
    const k = alice.send('OTHERKEY00000000');
    await h.emu.waitFor(() => h.emu.lastBotMessage(alice.id)?.plain.includes('API secret'));
    const s = alice.send('OTHERSECRET000000000000000000000');
    const failed = await alice.waitForReply((m) => m.plain.includes('Could not connect'), { after: c });
    expect(failed.plain).toContain('can withdraw');
    expect(failed.plain).toContain('Nothing was stored');
    expect(h.emu.message(alice.id, k)!.deleted).toBe(true);
    expect(h.emu.message(alice.id, s)!.deleted).toBe(true);
    expect((await accountsOf(alice.id)).length).toBe(before);
  });

  it('rejects wrong keys with a clear reason and stores nothing', async () => {
    h.bybit.route({ method: 'GET', path: '/v5/user/query-api', reply: { status: 401, body: { retCode: 10003, retMsg: 'API key is invalid.', result: {}, retExtInfo: {}, time: 1 } } });
    h.bybit.route({ method: 'GET', path: '/v5/account/wallet-balance', reply: { status: 401, body: { retCode: 10003, retMsg: 'API key is invalid.', result: {}, retExtInfo: {}, time: 1 } } });
    const before = (await accountsOf(alice.id)).length;
    const c = alice.send('/connect');
    await alice.waitForReply('Which exchange', { after: c });
    alice.press('Bybit');
    await buttonAppears('Demo');
    alice.press('Demo');
    await h.emu.waitFor(() => h.emu.lastBotMessage(alice.id)?.plain.includes('derivatives'));
    const k = alice.send('WRONGKEY00000000');
    await h.emu.waitFor(() => h.emu.lastBotMessage(alice.id)?.plain.includes('API secret'));
    const s = alice.send('WRONGSECRET00000000000000000000');
    const failed = await alice.waitForReply((m) => m.plain.includes('Could not connect'), { after: c });
    expect(failed.plain).toContain('rejected the keys');
    expect(h.emu.message(alice.id, k)!.deleted && h.emu.message(alice.id, s)!.deleted).toBe(true);
    expect((await accountsOf(alice.id)).length).toBe(before);
  });

  it('makes Paper the default again through /accounts', async () => {
    const paper = (await accountsOf(alice.id)).find((a) => a.exchange === 'paper')!;
    expect(paper.isDefault).toBe(true);
    alice.send('/accounts');
    const list = await alice.waitForReply((m) => m.plain.includes('Your accounts') && m.from === 'bot', { after: h.emu.lastMessageId(alice.id) });
    expect(list.keyboard!.flat().map((b) => b.text)).toEqual(expect.arrayContaining(['⭐ Paper', 'Bybit Testnet']));
  });

  it('a channel becomes a source when the bot is made admin; the adder is told and subscribed', async () => {
    channel.promoteBot(alice);
    const note = await alice.waitForReply(/is now a signal source/);
    expect(note.text).toContain('Pro &lt;Signals&gt;'); // escaped
    alice.send('/sources');
    const list = await alice.waitForReply((m) => m.plain.startsWith('Signal sources'));
    expect(list.plain).toContain('Subscribed, mode: auto');
  });

  it('the subscribe / unsubscribe toast shows on the button press', async () => {
    alice.send('/sources');
    const list = await alice.waitForReply((m) => m.plain.startsWith('Signal sources'));
    alice.press(/Pro <Signals>/, { messageId: list.messageId });
    await h.emu.waitFor(() => h.emu.message(alice.id, list.messageId)?.keyboard?.flat().some((b) => b.text === '🚫 Unsubscribe'));
    const off = alice.press('🚫 Unsubscribe', { messageId: list.messageId });
    await h.emu.waitFor(() => h.emu.callbackAnswers.get(off));
    expect(h.emu.callbackAnswers.get(off)).toMatchObject({ text: 'Unsubscribed' });
    await h.emu.waitFor(() => h.emu.message(alice.id, list.messageId)?.keyboard?.flat().some((b) => b.text === '✅ Subscribe'));
    const on = alice.press('✅ Subscribe', { messageId: list.messageId });
    await h.emu.waitFor(() => h.emu.callbackAnswers.get(on));
    expect(h.emu.callbackAnswers.get(on)).toMatchObject({ text: 'Subscribed' });
    await h.emu.waitFor(() => h.emu.message(alice.id, list.messageId)?.keyboard?.flat().some((b) => b.text === '🚫 Unsubscribe'));
  });

  it('a channel post opens a trade that appears in /positions; a button closes it; /stats shows the result', async () => {
    channel.post(SIGNAL);
    const opened = await alice.waitForReply(/BTC\/USDT.*opened/s, { timeoutMs: 8_000 });
    expect(opened.plain).toContain('LONG');
    const after = h.emu.lastMessageId(alice.id);
    alice.send('/positions');
    const pos = await alice.waitForReply((m) => m.plain.includes('BTC/USDT') && !!m.keyboard, { after });
    expect(pos.plain).toContain('Paper');
    expect(pos.keyboard!.flat().map((b) => b.text)).toEqual(['Close 100%', 'Close 50%', '🛡 Stop to breakeven']);

    h.feed.set('BTC/USDT', 66_000);
    alice.press('Close 100%', { messageId: pos.messageId });
    const closed = await h.emu.waitFor(() => {
      const m = h.emu.message(alice.id, pos.messageId);
      return m && m.plain.includes('closed') ? m : undefined;
    });
    expect(closed.plain).toMatch(/Realized PnL: \+\d/);

    alice.send('/positions');
    await alice.waitForReply('No open positions', { after: closed.messageId });

    alice.send('/stats');
    const stats = await alice.waitForReply((m) => m.plain.includes('Stats: 7 days'));
    expect(stats.plain).toMatch(/Trades: 1 \(won 1, lost 0\)/);
    expect(stats.plain).toContain('Pro <Signals>');
    expect(stats.plain).toContain('BTC/USDT');
  });

  it('/trade: a double tap on Confirm opens one trade, and the second tap only gets a toast', async () => {
    const userId = (await h.app.users.findByTelegramId(alice.id))!.id;
    const before = (await h.app.db.selectFrom('trades').selectAll().where('user_id', '=', userId).execute()).length;
    const after = h.emu.lastMessageId(alice.id);
    alice.send('/trade ETH');
    const prompt = await alice.waitForReply(/Manual trade on/, { after });
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
    await h.emu.waitFor(() => h.emu.message(alice.id, prompt.messageId)?.plain.includes('Confirm the trade'));
    const first = alice.press('✅ Confirm', { messageId: prompt.messageId });
    const second = alice.press('✅ Confirm', { messageId: prompt.messageId });
    await h.emu.waitFor(() => h.emu.callbackAnswers.get(first) && h.emu.callbackAnswers.get(second));
    const opened = await h.emu.waitFor(() => h.emu.message(alice.id, prompt.messageId)?.plain.match(/Trade #(\d+) on ETH\/USDT sent/));
    expect(h.emu.callbackAnswers.get(second)).toMatchObject({ text: 'This trade was already sent.' });
    await h.emu.settle();
    const trades = await h.app.db.selectFrom('trades').selectAll().where('user_id', '=', userId).execute();
    expect(trades.length).toBe(before + 1);
    expect(trades.at(-1)!.id).toBe(Number(opened[1]));
    // The confirmation message still says the trade was sent (the second tap did not overwrite it).
    expect(h.emu.message(alice.id, prompt.messageId)!.plain).toMatch(/Trade #\d+ on ETH\/USDT sent/);
    // The trade is idempotent on the service side too: the same request id returns the same trade.
    const again = await h.app.trading.openManual({ userId, symbol: 'ETH/USDT', side: 'long', entryType: 'market', marginUsdt: 25, requestId: `trade:${alice.id}:${alice.id}:${prompt.messageId}` });
    expect(again).toEqual({ ok: true, tradeId: Number(opened[1]), status: 'duplicate' });
    // Close it again so later tests start without an ETH position (and wait for the notification).
    const beforeClose = h.emu.lastMessageId(alice.id);
    expect(await h.app.trading.closeTrade(userId, Number(opened[1]))).toMatchObject({ ok: true });
    await alice.waitForReply(/ETH\/USDT.*closed/s, { after: beforeClose });
    await h.emu.settle();
  });

  it('/positions: a double tap on Close 50% closes half once, not three quarters', async () => {
    const userId = (await h.app.users.findByTelegramId(alice.id))!.id;
    const r = await h.app.trading.openManual({ userId, symbol: 'ETH/USDT', side: 'long', entryType: 'market', marginUsdt: 40, requestId: 'double-close-test' });
    expect(r).toMatchObject({ ok: true });
    const tradeId = (r as { tradeId: number }).tradeId;
    const qty = Number((await h.app.db.selectFrom('trades').select('quantity').where('id', '=', tradeId).executeTakeFirstOrThrow()).quantity);
    expect(qty).toBeGreaterThan(0);
    await h.emu.settle();
    const after = h.emu.lastMessageId(alice.id);
    alice.send('/positions');
    const pos = await alice.waitForReply((m) => m.plain.includes('ETH/USDT') && !!m.keyboard, { after });
    const first = alice.press('Close 50%', { messageId: pos.messageId });
    const second = alice.press('Close 50%', { messageId: pos.messageId });
    await h.emu.waitFor(() => h.emu.callbackAnswers.get(first) && h.emu.callbackAnswers.get(second));
    await h.emu.settle();
    const closes = await h.app.db.selectFrom('orders').selectAll().where('trade_id', '=', tradeId).where('role', '=', 'close').execute();
    expect(closes).toHaveLength(1);
    const ref = await h.app.accounts.getDefault(userId);
    const client = await h.app.registry.client(h.app.accounts.refOf(ref));
    const left = (await client.fetchPositions(['ETH/USDT'])).find((p) => p.symbol === 'ETH/USDT');
    expect(left?.quantity).toBeCloseTo(qty / 2, 6);
    expect(await h.app.trading.closeTrade(userId, tradeId)).toMatchObject({ ok: true });
    await h.emu.settle();
  });

  it('bad inputs get a clear answer and change nothing', async () => {
    const user = (await h.app.users.findByTelegramId(alice.id))!;
    const before = await h.app.settings.getGlobal(user.id);

    // A non-numeric value for a setting.
    alice.send('/settings');
    await alice.waitForReply((m) => m.plain.includes('Settings') && !!m.keyboard?.flat().some((b) => b.text.includes('Size and leverage')));
    alice.press('💰 Size and leverage');
    await h.emu.waitFor(() => h.emu.lastBotMessage(alice.id)?.keyboard?.flat().some((b) => b.text.startsWith('Fixed leverage')));
    alice.press(/^Fixed leverage/);
    await h.emu.waitFor(() => h.emu.lastBotMessage(alice.id)?.plain.includes('Send a number from 1 to 125'));
    const bad = alice.send('ten');
    await alice.waitForReply('That is not a number', { after: bad });
    const tooHigh = alice.send('500');
    await alice.waitForReply('must be from 1 to 125', { after: tooHigh });
    expect(await h.app.settings.getGlobal(user.id)).toEqual(before);
    const ok = alice.send('7');
    await h.emu.waitFor(() => h.emu.botMessages(alice.id).find((m) => m.plain.includes('Saved: Fixed leverage')));
    expect((await h.app.settings.getGlobal(user.id)).leverage).toBe(7);
    void ok;

    // Unknown command.
    const u = alice.send('/frobnicate');
    await alice.waitForReply('I don\'t know the command /frobnicate', { after: u });

    // A forwarded post that is not a signal.
    const trades = await h.app.db.selectFrom('trades').selectAll().execute();
    const f = alice.forward(channel, 'Good morning traders! Market looks calm today.', 77);
    const answer = await alice.waitForReply('not a trade signal', { after: f });
    expect(answer.plain).toContain('Reason: no coin found');
    expect((await h.app.db.selectFrom('trades').selectAll().execute()).length).toBe(trades.length);
  });

  it('a forwarded signal shows a preview with Execute / Ignore', async () => {
    const f = alice.forward(channel, '#ETH/USDT SHORT\nEntry: market\nTP1: 2800\nSL: 3200', 78);
    const preview = await alice.waitForReply('Signal preview', { after: f });
    expect(preview.keyboard!.flat().map((b) => b.text)).toEqual(['✅ Execute', '✖ Ignore']);
    alice.press('✖ Ignore', { messageId: preview.messageId });
    await h.emu.waitFor(() => h.emu.message(alice.id, preview.messageId)?.plain.includes('Ignored'));
  });

  it('/parse shows how a text is read; HTML in it is escaped', async () => {
    const p = alice.send('/parse <b>hi</b> #BTC LONG Entry 65000 TP 70000 SL 60000');
    const r = await alice.waitForReply('A trade signal', { after: p });
    expect(r.plain).toContain('BTC/USDT');
  });

  it('one failing account does not hide the others in /balance', async () => {
    h.bybit.route({ method: 'GET', path: '/v5/account/wallet-balance', reply: 'connection-refused' });
    const b = alice.send('/balance');
    const r = await alice.waitForReply('Balances', { after: b, timeoutMs: 10_000 });
    expect(r.plain).toMatch(/Paper: [\d.]+ USDT/);
    expect(r.plain).toMatch(/Bybit Testnet: unavailable \(/);
  });

  it('an unexpected handler error is answered with an error id that is in the logs', async () => {
    const original = h.app.stats.report;
    h.app.stats.report = async () => {
      throw new Error('boom');
    };
    try {
      const m = alice.send('/stats');
      const r = await alice.waitForReply('Something went wrong', { after: m });
      const id = /error id: ([0-9a-f]{8})/.exec(r.plain)?.[1];
      expect(id).toBeDefined();
      const line = h.logs.find((l) => l.errorId === id && l.level === 50);
      expect((line?.err as { message?: string } | undefined)?.message).toBe('boom');
    } finally {
      h.app.stats.report = original;
    }
  });

  it('Russian users get Russian texts', async () => {
    const boris = h.emu.user({ id: 1002, firstName: 'Борис', languageCode: 'ru' });
    const m = boris.send('/positions');
    await boris.waitForReply('Открытых позиций нет', { after: m });
  });

  it('confirm mode: a channel post becomes a preview notification; Execute opens the trade', async () => {
    alice.send('/sources');
    await alice.waitForReply((m) => m.plain.startsWith('Signal sources') && m.messageId > h.emu.lastMessageId(alice.id) - 1);
    alice.press(/Pro <Signals>/);
    await buttonAppears('Mode: auto');
    alice.press('Mode: auto');
    await buttonAppears('Mode: confirm');
    const src = (await h.app.sources.list((await h.app.users.findByTelegramId(alice.id))!.id))[0]!;
    expect(src.subscription?.mode).toBe('confirm');
    const before = h.emu.lastMessageId(alice.id);
    channel.post('#ETH/USDT LONG\nEntry: market\nTP1: 3300\nSL: 2800');
    const preview = await alice.waitForReply('New signal', { after: before, timeoutMs: 8_000 });
    expect(preview.keyboard!.flat().map((b) => b.text)).toEqual(['✅ Execute', '✖ Ignore']);
    alice.press('✅ Execute', { messageId: preview.messageId });
    await h.emu.waitFor(() => h.emu.message(alice.id, preview.messageId)?.plain.includes('Sent (trade #'));
    await alice.waitForReply(/ETH\/USDT.*opened/s, { after: preview.messageId, timeoutMs: 8_000 });
    const positions = await h.app.portfolio.positions((await h.app.users.findByTelegramId(alice.id))!.id);
    expect(positions.map((p) => p.position.symbol)).toEqual(['ETH/USDT']);
  });

  it('per-source overrides edit in place and show what is inherited', async () => {
    alice.press('⚙️ Settings for this source');
    await buttonAppears('💰 Size and leverage');
    alice.press('💰 Size and leverage');
    await h.emu.waitFor(() => alice.buttons().some((b) => b.startsWith('Margin: isolated (general)')));
    alice.press(/^Margin: isolated/);
    await h.emu.waitFor(() => alice.buttons().includes('Margin: cross'));
    const user = (await h.app.users.findByTelegramId(alice.id))!;
    const src = (await h.app.sources.list(user.id))[0]!;
    expect(await h.app.settings.getOverrides(user.id, src.id)).toEqual({ marginMode: 'cross' });
    expect((await h.app.settings.getGlobal(user.id)).marginMode).toBe('isolated');
  });

  it('accounts: rename, Paper cannot be removed, Bybit can', async () => {
    const a = alice.send('/accounts');
    await alice.waitForReply('Your accounts', { after: a });
    alice.press('Bybit Testnet');
    await buttonAppears('🗑 Remove');
    alice.press('✏️ Rename');
    await alice.waitForReply('Send a new name');
    const n = alice.send('My <Bybit>');
    await alice.waitForReply('Renamed to', { after: n });
    expect(h.emu.lastBotMessage(alice.id)!.text).toContain('My &lt;Bybit&gt;');
    alice.press('🗑 Remove');
    await buttonAppears('Yes, remove');
    alice.press('Yes, remove');
    await alice.waitForReply('Account removed');
    const accounts = await accountsOf(alice.id);
    expect(accounts.map((x) => x.exchange)).toEqual(['paper']);
    const list = await alice.waitForReply('Your accounts', { after: n });
    expect(list.keyboard!.flat().map((b) => b.text)).toEqual(['⭐ Paper', '➕ Connect an exchange', '« Menu']);
  });

  it('per-user flood control drops the excess and says so once', async () => {
    const spammer = h.emu.user({ id: 1003, firstName: 'Spam', languageCode: 'en' });
    for (let i = 0; i < FLOOD_MAX + 10; i++) spammer.send(`hello ${i}`);
    await h.emu.waitFor(() => h.emu.pendingUpdates === 0);
    await h.emu.settle(100);
    const replies = h.emu.botMessages(spammer.id);
    expect(replies.filter((m) => m.plain.includes('Too many requests'))).toHaveLength(1);
    expect(replies.length).toBe(FLOOD_MAX + 1);
  });
});
