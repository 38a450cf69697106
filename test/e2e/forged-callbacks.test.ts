/**
 * Callback data is never trusted: a user who presses forged buttons (another
 * user's account, grid bot, private source or preview; out-of-range values)
 * gets a refusal and nothing changes. Also: an admin promoted at runtime gets
 * /admin in their command menu at once, and loses it when demoted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';
import type { UserClient } from '../../bot/sandbox/bot-api-emulator.js';
import { adminData } from '../../bot/features/admin.js';
import { gridData } from '../../bot/features/grid.js';

const ADMIN_ID = 7900;

let h: Harness;
let alice: UserClient;
let mallory: UserClient;
let aliceId: number;
let aliceAccount: number;

beforeAll(async () => {
  h = await startHarness({ adminIds: [ADMIN_ID] });
  alice = h.emu.user({ id: 7001, firstName: 'Alice', languageCode: 'en' });
  mallory = h.emu.user({ id: 7002, firstName: 'Mallory', languageCode: 'en' });
  for (const u of [alice, mallory]) {
    u.send('/start');
    await u.waitForReply(/Hi, /);
  }
  aliceId = (await h.app.users.findByTelegramId(alice.id))!.id;
  aliceAccount = (await h.app.accounts.list(aliceId))[0]!.id;
});

afterAll(async () => {
  await h?.stop();
});

/** Mallory presses `data` on her newest bot message; resolves with the toast and the replies after it. */
async function forge(data: string): Promise<{ toast: string | undefined; replies: string[] }> {
  const msg = h.emu.lastBotMessage(mallory.id)!;
  const before = h.emu.lastMessageId(mallory.id);
  const id = mallory.pressData(msg.messageId, data);
  await h.emu.waitFor(() => h.emu.callbackAnswers.has(id));
  await h.emu.settle(25);
  return { toast: h.emu.callbackAnswers.get(id)?.text, replies: h.emu.botMessages(mallory.id).filter((m) => m.messageId > before).map((m) => m.plain) };
}

const snapshot = async () => ({
  accounts: await h.app.accounts.list(aliceId),
  trades: await h.app.db.selectFrom('trades').selectAll().execute(),
  subs: await h.app.db.selectFrom('subscriptions').selectAll().execute(),
  grids: (await h.app.grid.list(aliceId)).map((b) => [b.id, b.status, b.phase]),
});

describe('forged callback data', () => {
  it("another user's account: positions, rename, default and remove are refused and change nothing", async () => {
    await h.app.accounts.rename(aliceId, aliceAccount, 'Alice paper');
    const before = await snapshot();
    for (const data of [`ps:cl:${aliceAccount}:BTC/USDT:100`, `ps:be:${aliceAccount}:BTC/USDT:0`, `ac:rm:${aliceAccount}`, `ac:def:${aliceAccount}`, `ac:del:${aliceAccount}`, `ac:open:${aliceAccount}`]) {
      const r = await forge(data);
      expect(r.replies.join('\n'), data).toMatch(/Account not found/);
      expect(r.replies.join('\n'), data).not.toContain('Alice paper');
    }
    // Rename: refused before a step is even set, so Mallory's next text renames nothing.
    const r = await forge(`ac:ren:${aliceAccount}`);
    expect(r.replies.join('\n')).toMatch(/Account not found/);
    const t = mallory.send('Owned by Mallory');
    await mallory.waitForReply(() => true, { after: t });
    expect(await snapshot()).toEqual(before);
  });

  it("another user's grid bot: show, pause, stop and stats are refused", async () => {
    const bot = await h.app.grid.create(aliceId, {
      accountId: aliceAccount,
      symbol: 'ETH/USDT',
      params: { side: 'long', deposit: 100, leverage: 2, levels: 3, coverage: 5, multiplier: 1.5, takeProfit: 1, stopLoss: 10, pauseMs: 0, maxCycles: null, afterStopLoss: 'stop' },
    });
    const before = await snapshot();
    for (const action of ['show', 'pause', 'resume', 'stop', 'stats']) {
      const r = await forge(gridData.pack({ action, id: bot.id }));
      expect(r.replies.join('\n'), action).toMatch(/not valid/);
    }
    expect(await snapshot()).toEqual(before);
    expect((await h.app.grid.get(aliceId, bot.id)).status).toBe('running');
    await h.app.grid.stop(aliceId, bot.id);
  });

  it("another user's private source and its overrides are refused", async () => {
    // Alice's "forwarded" source is private to her.
    const f = alice.forward(h.emu.channel({ id: -1007000000009, title: 'Elsewhere' }), '#BTC/USDT LONG\nEntry: market\nTP1: 70000\nSL: 60000', 3);
    const preview = await alice.waitForReply('Signal preview', { after: f });
    alice.press('✅ Execute', { messageId: preview.messageId });
    await h.emu.waitFor(() => h.emu.message(alice.id, preview.messageId)?.plain.includes('Sent (trade #'));
    const src = (await h.app.db.selectFrom('signal_sources').selectAll().where('kind', '=', 'forwarded').execute())[0]!;
    const before = await snapshot();
    for (const data of [`sr:tog:${src.id}`, `sr:mode:${src.id}`, `sr:open:${src.id}`, `st:page:${src.id}:1:-`, `st:cyc:${src.id}:5:1`, `st:ask:${src.id}:3:1`, `st:reset:${src.id}:0:-`, `pv:s:${src.id}`]) {
      const r = await forge(data);
      expect(r.replies.join('\n'), data).toMatch(/Source not found/);
    }
    expect(await snapshot()).toEqual(before);
  });

  it("another user's preview: Execute and Ignore are refused, and the owner's preview still works", async () => {
    const f = alice.forward(h.emu.channel({ id: -1007000000010, title: 'Other' }), '#ETH/USDT LONG\nEntry: market\nTP1: 3300\nSL: 2800', 4);
    const preview = await alice.waitForReply('Signal preview', { after: f });
    const execute = preview.keyboard!.flat().find((b) => b.text === '✅ Execute')!.callback_data!;
    const ignore = preview.keyboard!.flat().find((b) => b.text === '✖ Ignore')!.callback_data!;
    const before = await snapshot();
    for (const data of [ignore, execute]) {
      const r = await forge(data);
      expect(r.replies.join('\n'), data).toMatch(/preview has expired/);
    }
    expect(await snapshot()).toEqual(before);
    // The forged Ignore did not remove Alice's preview: her Execute works.
    alice.press('✅ Execute', { messageId: preview.messageId });
    await h.emu.waitFor(() => h.emu.message(alice.id, preview.messageId)?.plain.includes('Sent (trade #'));
  });

  it('out-of-range values: a side other than long/short, margins beyond the caps, percents, settings items', async () => {
    const userId = (await h.app.users.findByTelegramId(mallory.id))!.id;
    const settingsBefore = await h.app.settings.getGlobal(userId);
    const after = h.emu.lastMessageId(mallory.id);
    mallory.send('/trade BTC');
    const prompt = await mallory.waitForReply(/Manual trade on/, { after });
    await h.emu.waitFor(() => h.emu.message(mallory.id, prompt.messageId)?.keyboard?.flat().some((b) => b.text === '🟢 Long'));
    const sideToast = await forge('tr:side:sideways');
    expect(sideToast.toast).toBe('This button is no longer active.');
    expect(h.emu.message(mallory.id, prompt.messageId)!.plain).toContain('BTC/USDT');
    mallory.press('🔴 Short', { messageId: prompt.messageId });
    await h.emu.waitFor(() => h.emu.message(mallory.id, prompt.messageId)?.plain.includes('how much margin'));
    for (const v of ['1000000000', '-5', 'abc', '1e9', 'Infinity']) {
      const r = await forge(`tr:margin:${v}`);
      expect(r.toast, v).toMatch(/positive number of USDT/);
      expect(h.emu.message(mallory.id, prompt.messageId)!.plain, v).toContain('how much margin');
    }
    mallory.press('Cancel', { messageId: prompt.messageId });
    await h.emu.waitFor(() => h.emu.message(mallory.id, prompt.messageId)?.plain.includes('cancelled'));

    const account = (await h.app.accounts.list(userId))[0]!.id;
    for (const data of [`ps:cl:${account}:BTC/USDT:1000`, `ps:cl:${account}:BTC/USDT:0`, `ps:cl:${account}:BTC/USDT:-50`, `ps:cl:${account}:../../x:100`, 'cx:ex:constructor', 'cx:env:constructor.x', 'cx:env:__proto__.mainnet', 'st:cyc:0:1:1', 'st:ask:0:0:1', 'st:cyc:0:999:1', 'st:page:abc:1:-', 'lg:xx', 'sx:forever']) {
      const r = await forge(data);
      expect(r.replies.join('\n'), data).not.toMatch(/Something went wrong/);
    }
    expect(await h.app.settings.getGlobal(userId)).toEqual(settingsBefore);
    expect(await h.app.accounts.list(userId)).toHaveLength(1);
    expect((await h.app.users.get(userId)).language).toBe('en');
  });

  it('admin actions from a normal user are refused', async () => {
    const r = await forge(adminData.pack({ a: 'prom', id: (await h.app.users.findByTelegramId(mallory.id))!.id, v: '' }));
    expect(r.toast).toBe('This is for administrators only.');
    expect(await h.app.access.isAdmin(mallory.id)).toBe(false);
  });
});

describe('admin commands follow promotion at runtime', () => {
  it('a promoted user gets /admin in their own chat at once, and loses it on demotion', async () => {
    const admin = h.emu.user({ id: ADMIN_ID, firstName: 'Root', languageCode: 'en' });
    admin.send('/start');
    await admin.waitForReply(/Hi, Root/);
    const scoped = () => h.emu.scopedCommands.get(`chat:${alice.id}|`)?.map((c) => c.command) ?? [];
    expect(scoped()).not.toContain('admin');

    let after = h.emu.lastMessageId(admin.id);
    admin.send('/admin');
    await admin.waitForReply(/Admin/, { after });
    admin.press('🔎 Find user');
    await h.emu.waitFor(() => admin.lastBotMessage()?.plain.includes('Send a user id'));
    after = h.emu.lastMessageId(admin.id);
    admin.send(String(alice.id));
    const card = await admin.waitForReply(/User #\d+/, { after });
    admin.press('⭐ Make admin', { messageId: card.messageId });
    await h.emu.waitFor(() => scoped().includes('admin'));
    expect(await h.app.access.isAdmin(alice.id)).toBe(true);
    expect(scoped()).toEqual(expect.arrayContaining(['start', 'grid', 'admin']));

    await h.emu.waitFor(() => h.emu.message(admin.id, card.messageId)?.keyboard?.flat().some((b) => b.text === 'Remove admin'));
    admin.press('Remove admin', { messageId: card.messageId });
    await h.emu.waitFor(() => !h.emu.scopedCommands.has(`chat:${alice.id}|`));
    expect(await h.app.access.isAdmin(alice.id)).toBe(false);
  });
});
