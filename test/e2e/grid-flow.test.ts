/**
 * Grid bots end to end through the real wiring (createApp + startBot, the
 * grid service on the Paper exchange, grid notifications carried by the
 * notification queue and rendered by the bot's notifier): the /grid create
 * wizard with a preview, confirm, the bot listed, stop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserClient } from '../../bot/sandbox/bot-api-emulator.js';
import { startHarness, type Harness } from './harness.js';

const ADMIN = 4999;
let h: Harness;
let gina: UserClient;

beforeAll(async () => {
  h = await startHarness({ logLevel: 'warn', adminIds: [ADMIN] });
  gina = h.emu.user({ id: 4001, firstName: 'Gina', languageCode: 'en' });
});
afterAll(async () => {
  await h?.stop();
});

/** Sends one wizard answer and waits for the next question (or the preview). */
async function answer(text: string, next: RegExp) {
  const after = h.emu.lastMessageId(gina.id);
  gina.send(text);
  return gina.waitForReply(next, { after });
}

describe('grid bots', () => {
  it('/grid lists no bots and offers long and short grids', async () => {
    gina.send('/start');
    await gina.waitForReply(/Hi, Gina/);
    gina.send('/grid');
    const menu = await gina.waitForReply(/Grid bots/);
    expect(menu.plain).toContain('No grid bots yet');
    expect(menu.keyboard!.flat().map((b) => b.text)).toEqual(['➕ Long grid', '➕ Short grid']);
  });

  it('the wizard validates answers, previews the levels and margin, and starts the grid on confirm', async () => {
    gina.press('➕ Long grid');
    await gina.waitForReply(/Coin \(e\.g\. BTC/);
    await answer('BTC', /Deposit: the margin/);
    await answer('100', /Leverage\?/);
    // Out of range: asked again, nothing kept.
    await answer('500', /outside 1 … 125[\s\S]*Leverage\?/);
    await answer('5', /Number of grid levels/);
    await answer('3', /Coverage/);
    await answer('10', /Martingale multiplier/);
    await answer('1.5', /Take-profit, %/);
    await answer('1.5', /Stop-loss, %/);
    await answer('15', /Pause between cycles/);
    await answer('0', /Maximum number of cycles/);
    const preview = await answer('0', /Grid BTC\/USDT long/);
    expect(preview.plain).toContain('Current price: 65000');
    expect(preview.plain).toMatch(/Deposit 100(\.00)? USDT × 5/);
    expect(preview.plain).toMatch(/^0\. 65000 × [\d.]+ \(market\)$/m);
    expect(preview.plain.match(/^\d\. [\d.]+ × [\d.]+ \((market|limit)\)$/gm)).toHaveLength(3);
    expect(preview.plain).toMatch(/Margin if every level fills: [\d.]+ USDT/);
    expect(preview.keyboard!.flat().map((b) => b.text)).toEqual(['✅ Start the grid', 'Cancel']);
    expect(await h.app.grid.list((await h.app.users.findByTelegramId(gina.id))!.id)).toEqual([]);

    const after = h.emu.lastMessageId(gina.id);
    gina.press('✅ Start the grid', { messageId: preview.messageId });
    const created = await h.emu.waitFor(() => {
      const m = h.emu.message(gina.id, preview.messageId);
      return m && m.plain.includes('Grid started') ? m : undefined;
    });
    expect(created.plain).toMatch(/#\d+ BTC\/USDT long · running/);
    // The first cycle's notifications come through the notification queue and the bot's notifier.
    const note = await gina.waitForReply(/cycle 1 started at 65000 \(3 levels\)/, { after });
    expect(note.plain).toMatch(/level 0 filled/);
  });

  it('the grid is listed, and stopping it (with a confirmation) closes it', async () => {
    const userId = (await h.app.users.findByTelegramId(gina.id))!.id;
    const [bot] = await h.app.grid.list(userId);
    expect(bot).toMatchObject({ symbol: 'BTC/USDT', status: 'running' });
    expect(bot!.positionQty).toBeGreaterThan(0);

    let after = h.emu.lastMessageId(gina.id);
    gina.send('/grid');
    const menu = await gina.waitForReply(/Your grid bots: 1/, { after });
    const item = `#${bot!.id} BTC/USDT · running`;
    expect(menu.keyboard!.flat().map((b) => b.text)).toContain(item);

    gina.press(item, { messageId: menu.messageId });
    await h.emu.waitFor(() => h.emu.message(gina.id, menu.messageId)?.keyboard?.flat().some((b) => b.text === '⏹ Stop'));
    gina.press('⏹ Stop', { messageId: menu.messageId });
    await h.emu.waitFor(() => h.emu.message(gina.id, menu.messageId)?.plain.includes(`Stop grid #${bot!.id}?`));
    expect((await h.app.grid.get(userId, bot!.id)).status).toBe('running'); // the first tap changes nothing
    after = h.emu.lastMessageId(gina.id);
    gina.press('⏹ Yes, stop and close', { messageId: menu.messageId });
    await h.emu.waitFor(() => h.emu.message(gina.id, menu.messageId)?.plain.includes('· stopped'));
    await gina.waitForReply(/grid stopped \(stopped by you\)/, { after });
    const stopped = await h.app.grid.get(userId, bot!.id);
    expect(stopped.status).toBe('stopped');
    expect(stopped.positionQty).toBe(0);
  });

  it('with the kill switch on, a new grid is refused at confirm and the user is told why', async () => {
    const userId = (await h.app.users.findByTelegramId(gina.id))!.id;
    const after = h.emu.lastMessageId(gina.id);
    gina.send('/grid');
    const menu = await gina.waitForReply(/Grid bots/, { after });
    gina.press('➕ Short grid', { messageId: menu.messageId });
    await gina.waitForReply(/Coin \(e\.g\. BTC/, { after });
    for (const [text, next] of [
      ['ETH', /Deposit/],
      ['100', /Leverage/],
      ['3', /Number of grid levels/],
      ['2', /Coverage/],
      ['10', /Martingale/],
      ['1', /Take-profit/],
      ['1', /Stop-loss/],
      ['20', /Pause/],
      ['0', /Maximum number of cycles/],
    ] as const) {
      await answer(text, next);
    }
    const preview = await answer('1', /Grid ETH\/USDT short/);
    await h.app.gate.setKillSwitch({ telegramId: ADMIN }, 'maintenance');
    gina.press('✅ Start the grid', { messageId: preview.messageId });
    await h.emu.waitFor(() => h.emu.message(gina.id, preview.messageId)?.plain.includes('New grids cannot start now: new trades are paused for everyone'));
    expect((await h.app.grid.list(userId)).filter((b) => b.symbol === 'ETH/USDT')).toEqual([]);
    await h.app.gate.clearKillSwitch({ telegramId: ADMIN });
  });
});
