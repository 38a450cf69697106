/**
 * License expiry end to end, through the real wiring (createApp + startBot,
 * the trading service behind the entry gate, the tracking job, the license
 * job and its notice sink): an expired license pauses new entries (the user
 * is told why), while the 48 h grace keeps managing the trades already open
 * (breakeven after TP1). Past the grace the bot leaves the trade alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelClient, UserClient } from '../../../bot/sandbox/bot-api-emulator.js';
import { sources as sourcesRepo, users as usersRepo } from '../../../db/index.js';
import { ADMIN_ID, startAdminHarness, type AdminHarness } from './harness.js';

const BTC = '#BTC/USDT LONG\nEntry: market\nTP1: 70000\nTP2: 72000\nSL: 60000\nLeverage: 10x';
const ETH = '#ETH/USDT LONG\nEntry: market\nTP1: 3300\nSL: 2800\nLeverage: 5x';
const HOUR = 3_600_000;

let h: AdminHarness;
let lena: UserClient;
let max: UserClient;
let channel: ChannelClient;

beforeAll(async () => {
  h = await startAdminHarness({ access: 'open' });
  lena = h.emu.user({ id: 3001, firstName: 'Lena', languageCode: 'en' });
  max = h.emu.user({ id: 3002, firstName: 'Max', languageCode: 'en' });
  channel = h.emu.channel({ id: -1005550001, title: 'Grace Calls', username: 'gracecalls' });
});
afterAll(async () => {
  await h?.stop();
});

async function userId(telegramId: number): Promise<number> {
  return (await usersRepo.findUserByTelegramId(h.app.db, telegramId))!.id;
}

async function tradeOf(telegramId: number, symbol: string) {
  const id = await userId(telegramId);
  return h.app.db.selectFrom('trades').selectAll().where('user_id', '=', id).where('symbol', '=', symbol).executeTakeFirst();
}

describe('license expiry and the 48 h grace', () => {
  it('both traders get a BTC trade while licensed', async () => {
    lena.send('/start');
    await lena.waitForReply(/Hi, Lena/);
    max.send('/start');
    await max.waitForReply(/Hi, Max/);
    channel.promoteBot(lena);
    await lena.waitForReply(/is now a signal source/);
    const source = await sourcesRepo.findSourceByChat(h.app.db, 'channel', String(channel.id));
    await sourcesRepo.upsertSubscription(h.app.db, { userId: await userId(max.id), sourceId: source!.id, enabled: true, mode: 'auto', now: Date.now() });

    channel.post(BTC);
    await lena.waitForReply(/BTC\/USDT.*opened/s);
    await max.waitForReply(/BTC\/USDT.*opened/s);
    expect(Number((await tradeOf(lena.id, 'BTC/USDT'))!.stop_loss)).toBe(60_000);
    expect(Number((await tradeOf(max.id, 'BTC/USDT'))!.stop_loss)).toBe(60_000);
  });

  it('an expired license pauses new entries: the channel signal opens nothing for them, and they are told why', async () => {
    // Lena: revoked by an admin just now (in the grace). Max: expired 49 h ago (grace over).
    await h.app.licenses.revoke({ telegramId: ADMIN_ID }, await userId(lena.id));
    await usersRepo.updateUser(h.app.db, await userId(max.id), { license_expires_at: Date.now() - 49 * HOUR }, Date.now());

    // The license job tells each of them where they stand (through the bot's license sink).
    const job = await h.app.licenses.runJob();
    expect(job).toMatchObject({ expired: 1, graceEnded: 1 });
    await lena.waitForReply(/license has expired.*1 open trades are still managed/s);
    await max.waitForReply(/grace period is over/);

    const afterLena = h.emu.lastMessageId(lena.id);
    const afterMax = h.emu.lastMessageId(max.id);
    channel.post(ETH);
    await lena.waitForReply(/ETH\/USDT: signal skipped — your license has expired/, { after: afterLena });
    await max.waitForReply(/ETH\/USDT: signal skipped — your license has expired/, { after: afterMax });
    expect(await tradeOf(lena.id, 'ETH/USDT')).toBeUndefined();
    expect(await tradeOf(max.id, 'ETH/USDT')).toBeUndefined();
  });

  it('within the grace the open trade is still managed (breakeven after TP1); past it, it is left alone', async () => {
    const after = h.emu.lastMessageId(lena.id);
    const entry = Number((await tradeOf(lena.id, 'BTC/USDT'))!.entry_price);
    h.feed.set('BTC/USDT', 70_500);
    // The tracking job's tick (what node-cron runs every few seconds in production).
    await h.runJobs();
    const moved = await lena.waitForReply(/stop moved to .*\(breakeven\)/, { after });
    expect(moved.plain).toContain('BTC/USDT');
    const lenaTrade = (await tradeOf(lena.id, 'BTC/USDT'))!;
    expect(Number(lenaTrade.stop_loss)).toBeCloseTo(entry, 0);
    expect(Number(lenaTrade.stop_loss)).toBeGreaterThan(60_000);

    // Max's grace is over: the bot does not move his stop (nothing is closed either).
    const maxTrade = (await tradeOf(max.id, 'BTC/USDT'))!;
    expect(Number(maxTrade.stop_loss)).toBe(60_000);
    expect(maxTrade.status).not.toBe('closed');
    expect(h.emu.botMessages(max.id).some((m) => /breakeven/.test(m.plain))).toBe(false);
  });

  it('/license shows the grace to the user', async () => {
    const after = h.emu.lastMessageId(lena.id);
    lena.send('/license');
    await lena.waitForReply(/New trades are paused; your open trades are still managed until/, { after });
  });
});
