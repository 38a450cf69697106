/**
 * Access and admin end to end through the local Bot API emulator: invite-only
 * onboarding (code and approval), blocked users, no admin action for a normal
 * user, /license, broadcast to 100 users within the throttle, and the kill
 * switch stopping a channel signal through the trading service's entry gate
 * (and its undo letting the next one in). The harness is the product's own
 * wiring (createApp + startBot).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserClient } from '../../../bot/sandbox/bot-api-emulator.js';
import { ADMIN_ACTIONS, adminData } from '../../../bot/features/admin.js';
import { audit, users as usersRepo } from '../../../db/index.js';
import { ADMIN_ID, startAdminHarness, type AdminHarness } from './harness.js';

let h: AdminHarness;
let admin: UserClient;

beforeAll(async () => {
  h = await startAdminHarness({ access: 'invite' });
  admin = h.emu.user({ id: ADMIN_ID, firstName: 'Root', username: 'root', languageCode: 'en' });
});
afterAll(async () => {
  await h?.stop();
});

async function adminMenu(): Promise<void> {
  const after = h.emu.lastMessageId(admin.id);
  admin.send('/admin');
  await admin.waitForReply(/Admin/, { after });
}

/** Admin menu → Find user → query; resolves with the user card. */
async function openUserCard(query: string) {
  await adminMenu();
  const menuMsg = admin.lastBotMessage()!;
  admin.press('🔎 Find user');
  await h.emu.waitFor(() => h.emu.message(admin.id, menuMsg.messageId)?.plain.includes('Send a user id'));
  const after = h.emu.lastMessageId(admin.id);
  admin.send(query);
  return admin.waitForReply(/User #\d+/, { after });
}

/** Presses a button on a message and waits until that message is edited. */
async function pressAndWait(label: string, messageId: number, match: RegExp) {
  admin.press(label, { messageId });
  return h.emu.waitFor(() => {
    const m = h.emu.message(admin.id, messageId);
    return m && match.test(m.plain) ? m : undefined;
  });
}

describe('invite-only onboarding', () => {
  it('an admin creates a single-use invite; a new user gets in with it; a second user cannot reuse it', async () => {
    await adminMenu();
    admin.press('🎟 Invites');
    await h.emu.waitFor(() => admin.buttons().includes('Single use, 7 days'));
    admin.press('Single use, 7 days');
    const msg = await h.emu.waitFor(() => admin.lastBotMessage()?.plain.match(/Invite code: ([A-Z2-9]{10})/));
    const code = msg[1]!;

    const bob = h.emu.user({ id: 2001, firstName: 'Bob', languageCode: 'en' });
    bob.send('/start');
    const ask = await bob.waitForReply(/invite-only/);
    expect(ask.keyboard?.flat().map((b) => b.text)).toEqual(['🙋 Request access']);
    // Nothing else happened: no main menu, no Paper account yet.
    expect(h.emu.botMessages(bob.id)).toHaveLength(1);

    bob.send(code.toLowerCase());
    await bob.waitForReply(/invite code was accepted/);
    const after = h.emu.lastMessageId(bob.id);
    bob.send('/start');
    await bob.waitForReply(/Hi, Bob/, { after });

    const carol = h.emu.user({ id: 2002, firstName: 'Carol', languageCode: 'en' });
    carol.send(`/start ${code}`);
    await carol.waitForReply(/used up/);
    expect((await usersRepo.findUserByTelegramId(h.app.db, 2002))?.status).toBe('pending');
  });

  it('a user requests access; the admin gets Approve / Reject and approves; the user is told and gets in', async () => {
    const dave = h.emu.user({ id: 2003, firstName: 'Dave', username: 'dave', languageCode: 'en' });
    dave.send('/start');
    await dave.waitForReply(/invite-only/);
    const before = h.emu.lastMessageId(admin.id);
    dave.press('🙋 Request access');
    await dave.waitForReply(/request was sent/);
    const req = await admin.waitForReply(/Access request #\d+/, { after: before });
    expect(req.plain).toContain('@dave');
    expect(req.keyboard?.flat().map((b) => b.text)).toEqual(['✅ Approve', '❌ Reject']);
    dave.send('hello?');
    await dave.waitForReply(/waiting for an administrator/);

    admin.press('✅ Approve', { messageId: req.messageId });
    await dave.waitForReply(/approved your access/);
    await h.emu.waitFor(() => h.emu.message(admin.id, req.messageId)?.plain.includes('approved'));
    const after = h.emu.lastMessageId(dave.id);
    dave.send('/start');
    await dave.waitForReply(/Hi, Dave/, { after });
    const trail = await audit.listAudit(h.app.db, { entity: 'access_request' });
    expect(trail.map((r) => [r.action, r.actor])).toContainEqual(['access.approve', `admin:${ADMIN_ID}`]);
  });

  it('a blocked user gets one clear answer and nothing else', async () => {
    const bob = await usersRepo.findUserByTelegramId(h.app.db, 2001);
    const card = await openUserCard('2001');
    await pressAndWait('⛔ Block', card.messageId, /status: blocked/);
    const client = h.emu.user({ id: 2001, firstName: 'Bob', languageCode: 'en' });
    const after = h.emu.lastMessageId(client.id);
    client.send('/start');
    await client.waitForReply(/has been blocked/, { after });
    client.send('/positions');
    await h.emu.waitFor(() => h.emu.botMessages(client.id).filter((m) => m.messageId > after).length >= 2);
    await h.emu.settle();
    const replies = h.emu.botMessages(client.id).filter((m) => m.messageId > after);
    expect(replies.map((m) => m.plain)).toEqual([expect.stringMatching(/has been blocked/), expect.stringMatching(/has been blocked/)]);
    expect((await usersRepo.findUserById(h.app.db, bob!.id))?.status).toBe('blocked');
  });
});

describe('admin rights', () => {
  it('a normal user reaches no admin command or callback, whatever data they forge', async () => {
    const eve = h.emu.user({ id: 2004, firstName: 'Eve', languageCode: 'en' });
    await usersRepo.insertUser(h.app.db, { telegramId: 2004, language: 'en', now: Date.now() });
    const victim = await usersRepo.findUserByTelegramId(h.app.db, 2003);
    eve.send('/admin');
    const denied = await eve.waitForReply(/administrators only/);
    const auditBefore = (await audit.listAudit(h.app.db, { limit: 1000 })).length;
    const forged = [
      ...ADMIN_ACTIONS.map((a) => adminData.pack({ a, id: victim!.id, v: a === 'grant' ? 'year' : 7 })),
      'acc:ok:1',
      'acc:no:1',
      'acc:ok:999',
    ];
    for (const data of forged) {
      const id = eve.pressData(denied.messageId, data);
      await h.emu.waitFor(() => h.emu.callbackAnswers.get(id));
      expect(h.emu.callbackAnswers.get(id)).toEqual({ text: 'This is for administrators only.', show_alert: true });
    }
    // Typed text after a forged "find" is not taken as a search.
    eve.send('2003');
    await h.emu.settle();
    expect(h.emu.botMessages(eve.id).some((m) => m.plain.includes('User #'))).toBe(false);
    expect((await audit.listAudit(h.app.db, { limit: 1000 })).length).toBe(auditBefore);
    expect(await h.app.gate.killSwitch()).toMatchObject({ on: false });
    const v = await usersRepo.findUserById(h.app.db, victim!.id);
    expect([v?.status, v?.role, v?.license_expires_at]).toEqual(['active', 'trader', null]);
    expect(await h.app.access.isAdmin(2004)).toBe(false);
  });
});

describe('licenses', () => {
  it('/license shows the status; an admin grant and revoke change it', async () => {
    const dave = h.emu.user({ id: 2003, firstName: 'Dave', username: 'dave', languageCode: 'en' });
    let after = h.emu.lastMessageId(dave.id);
    dave.send('/license');
    await dave.waitForReply(/no license/, { after });

    const card = await openUserCard('@dave');
    expect(card.plain).toContain('Telegram 2003');
    await pressAndWait('🎫 Grant 30 days', card.messageId, /License active/);
    await dave.waitForReply(/extended by 30 days/);
    after = h.emu.lastMessageId(dave.id);
    dave.send('/license');
    await dave.waitForReply(/License active until .* \(30 days left\)/, { after });

    await pressAndWait('✖️ Revoke license', card.messageId, /License expired/);
    after = h.emu.lastMessageId(dave.id);
    dave.send('/license');
    await dave.waitForReply(/New trades are paused; your open trades are still managed until/, { after });
    const u = await usersRepo.findUserByTelegramId(h.app.db, 2003);
    expect(await h.app.gate.canOpenEntries(u!.id)).toEqual({ ok: false, reason: 'license-expired' });
    expect(await h.app.gate.canManage(u!.id)).toBe(true);
  });
});

describe('kill switch', () => {
  const SIGNAL = '#BTC/USDT LONG\nEntry: market\nTP1: 70000\nSL: 60000\nLeverage: 5x';

  it('stops a channel signal from opening trades; the undo lets the next one through', async () => {
    // An open-access trader subscribed to a channel (through the bot, as a user would).
    const trader = h.emu.user({ id: 2005, firstName: 'Tina', languageCode: 'en' });
    await usersRepo.insertUser(h.app.db, { telegramId: 2005, language: 'en', now: Date.now() });
    trader.send('/start');
    await trader.waitForReply(/Hi, Tina/);
    const channel = h.emu.channel({ id: -1009876543210, title: 'Calls', username: 'calls' });
    channel.promoteBot(trader);
    await trader.waitForReply(/is now a signal source/);

    await adminMenu();
    admin.press('🛑 Kill switch');
    await admin.waitForReply(/Tap again to confirm/);
    expect((await h.app.gate.killSwitch()).on).toBe(false); // the first tap changes nothing
    admin.press('🛑 Yes, pause all entries');
    await h.emu.waitFor(() => admin.lastBotMessage()?.plain.includes('Kill switch is ON'));
    expect((await h.app.gate.killSwitch()).on).toBe(true);

    const afterKill = h.emu.lastMessageId(trader.id);
    channel.post(SIGNAL);
    // The trading service's own entry gate refuses the entry, and the trader is told why.
    await trader.waitForReply(/BTC\/USDT: signal skipped — new trades are paused for everyone/, { after: afterKill });
    const stored = await h.app.db.selectFrom('signals').selectAll().execute();
    expect(stored.length).toBeGreaterThanOrEqual(1);
    expect(await h.app.db.selectFrom('trades').selectAll().execute()).toEqual([]);

    await adminMenu();
    admin.press('▶️ Resume entries');
    await admin.waitForReply(/Tap again to confirm/);
    admin.press('▶️ Yes, resume entries');
    await h.emu.waitFor(() => admin.lastBotMessage()?.plain.includes('Kill switch is off'));

    channel.post(SIGNAL.replace('70000', '71000'));
    await trader.waitForReply(/BTC\/USDT.*opened/s, { timeoutMs: 8_000 });
    expect(await h.app.db.selectFrom('trades').selectAll().execute()).toHaveLength(1);
    const trail = (await audit.listAudit(h.app.db, { entity: 'system' })).map((r) => [r.action, r.actor]).reverse();
    expect(trail).toEqual([
      ['kill-switch.on', `admin:${ADMIN_ID}`],
      ['kill-switch.off', `admin:${ADMIN_ID}`],
    ]);
  });

  it('admin health shows uptime, the kill switch, last-hour counts and the last handler error with its id', async () => {
    // A handler fails unexpectedly (Telegram refuses its reply): the user gets an error id, the admin sees it.
    const trader = h.emu.user({ id: 2005, firstName: 'Tina', languageCode: 'en' });
    const after = h.emu.lastMessageId(trader.id);
    h.emu.failNext({ method: 'sendMessage', errorCode: 400, description: 'Bad Request: chat is odd' });
    trader.send('/help');
    const failed = await trader.waitForReply(/error id: [0-9a-f]{8}/, { after });
    const errorId = /error id: ([0-9a-f]{8})/.exec(failed.plain)![1]!;

    await adminMenu();
    admin.press('🩺 Health');
    const m = await h.emu.waitFor(() => admin.lastBotMessage()?.plain.includes('Uptime') && admin.lastBotMessage());
    expect(m.plain).toMatch(/Last hour: 2 signals, \d+ orders, 1 trades/);
    expect(m.plain).toContain('Kill switch: off');
    expect(m.plain).toContain('Last unexpected errors: 1');
    expect(m.plain).toMatch(new RegExp(`${errorId} telegram-400 .*sendMessage: Bad Request: chat is odd`));
  });
});

describe('broadcast', () => {
  it('reaches 100 users within the throttle and counts the one who blocked the bot', async () => {
    const now = Date.now();
    const ids: number[] = [];
    for (let i = 0; i < 100; i++) {
      const id = 50_000 + i;
      ids.push(id);
      h.emu.user({ id, firstName: `U${i}` });
    }
    // Only these 100 are active (the admin never sent /start, so has no row): earlier test users are made inactive for a clean count.
    await h.app.db.updateTable('users').set({ status: 'inactive' }).where('telegram_id', '!=', ADMIN_ID).where('status', '=', 'active').execute();
    for (const id of ids) await usersRepo.insertUser(h.app.db, { telegramId: id, language: 'en', now });
    h.emu.setBlocked(50_042);

    await adminMenu();
    admin.press('📣 Broadcast');
    await h.emu.waitFor(() => admin.buttons().some((b) => b.startsWith('Everyone (')));
    expect(admin.buttons()).toContain('Everyone (100)');
    admin.press('Everyone (100)');
    await admin.waitForReply(/Send the text to broadcast to 100 users/);
    const seqBefore = h.emu.seq;
    admin.send('Maintenance tonight at 02:00 UTC <b>not bold</b>');
    const confirm = await admin.waitForReply(/Send this to 100 users\?/);
    // A double tap: one broadcast, and the confirmation is not overwritten with "Cancelled."
    const first = admin.press('✅ Send', { messageId: confirm.messageId });
    const second = admin.press('✅ Send', { messageId: confirm.messageId });
    await h.emu.waitFor(() => h.emu.callbackAnswers.get(first) && h.emu.callbackAnswers.get(second));
    const done = await admin.waitForReply(/Broadcast finished/, { timeoutMs: 15_000 });
    expect(h.emu.message(admin.id, confirm.messageId)!.plain).toMatch(/Broadcasting to 100 users/);
    expect(done.plain).toContain('99 delivered, 1 blocked the bot, 0 failed (of 100)');

    const sends = h.emu.calls.filter((c) => c.seq > seqBefore && c.method === 'sendMessage' && String(c.payload.text).startsWith('Maintenance tonight'));
    expect(sends).toHaveLength(100);
    const times = sends.map((c) => c.at).sort((a, b) => a - b);
    let worst = 0;
    for (let i = 0, lo = 0; i < times.length; i++) {
      while (times[i]! - times[lo]! >= 1_000) lo++;
      worst = Math.max(worst, i - lo + 1);
    }
    expect(worst).toBeLessThanOrEqual(25);
    // The admin's text went out as plain text, not HTML.
    expect(h.emu.lastBotMessage(50_001)?.text).toBe('Maintenance tonight at 02:00 UTC <b>not bold</b>');
    expect((await usersRepo.findUserByTelegramId(h.app.db, 50_042))?.status).toBe('inactive');
  }, 30_000);
});
