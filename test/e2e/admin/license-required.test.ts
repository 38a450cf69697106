/**
 * LICENSE_REQUIRED=true end to end: a trader who was never licensed gets no
 * trade from a channel signal (and is told a license is needed); once an
 * admin grants one through /admin, the next signal opens a trade.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelClient, UserClient } from '../../../bot/sandbox/bot-api-emulator.js';
import { ADMIN_ID, startAdminHarness, type AdminHarness } from './harness.js';

const SIGNAL = '#BTC/USDT LONG\nEntry: market\nTP1: 70000\nSL: 60000\nLeverage: 5x';

let h: AdminHarness;
let admin: UserClient;
let rita: UserClient;
let channel: ChannelClient;

beforeAll(async () => {
  h = await startAdminHarness({ access: 'open', licenseRequired: true });
  admin = h.emu.user({ id: ADMIN_ID, firstName: 'Root', languageCode: 'en' });
  rita = h.emu.user({ id: 3101, firstName: 'Rita', languageCode: 'en' });
  channel = h.emu.channel({ id: -1005550002, title: 'Licensed Calls' });
});
afterAll(async () => {
  await h?.stop();
});

describe('LICENSE_REQUIRED=true', () => {
  it('a trader without a license gets no trade and is told a license is needed; a grant through /admin lets the next signal in', async () => {
    rita.send('/start');
    await rita.waitForReply(/Hi, Rita/);
    channel.promoteBot(rita);
    await rita.waitForReply(/is now a signal source/);

    let after = h.emu.lastMessageId(rita.id);
    channel.post(SIGNAL);
    await rita.waitForReply(/BTC\/USDT: signal skipped — a license is needed for new trades/, { after });
    expect(await h.app.db.selectFrom('trades').selectAll().execute()).toEqual([]);

    // The admin grants 30 days from the user card.
    admin.send('/admin');
    const menu = await admin.waitForReply(/Admin/);
    admin.press('🔎 Find user', { messageId: menu.messageId });
    await h.emu.waitFor(() => h.emu.message(admin.id, menu.messageId)?.plain.includes('Send a user id'));
    const beforeCard = h.emu.lastMessageId(admin.id);
    admin.send('3101');
    const card = await admin.waitForReply(/User #\d+/, { after: beforeCard });
    admin.press('🎫 Grant 30 days', { messageId: card.messageId });
    await rita.waitForReply(/extended by 30 days/);

    after = h.emu.lastMessageId(rita.id);
    channel.post(SIGNAL.replace('70000', '71000'));
    await rita.waitForReply(/BTC\/USDT.*opened/s, { after });
    expect(await h.app.db.selectFrom('trades').selectAll().execute()).toHaveLength(1);
  });
});
