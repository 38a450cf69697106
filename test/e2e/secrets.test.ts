/**
 * Pasted keys outside key entry: in a rename, a /trade symbol or margin, a
 * settings value, a command argument, no step at all, or an edited message —
 * the message is deleted at once, the user is told why, it is never echoed,
 * stored or logged, and the step keeps waiting. When Telegram refuses the
 * delete, the user is asked to delete it themselves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';
import type { UserClient } from '../../bot/sandbox/bot-api-emulator.js';

const KEY = 'Xk7pQ2mZ9vR4tY8wLs3N'; // 20 letters and digits: looks like a Bybit API key
const SECRET = 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'; // 36: looks like an API secret
const PRIVATE_KEY = `0x${'4f'.repeat(32)}`;

let h: Harness;
let alice: UserClient;
let userId: number;

beforeAll(async () => {
  h = await startHarness();
  alice = h.emu.user({ id: 6001, firstName: 'Alice', languageCode: 'en' });
  alice.send('/start');
  await alice.waitForReply(/Hi, Alice/);
  userId = (await h.app.users.findByTelegramId(alice.id))!.id;
});

afterAll(async () => {
  await h?.stop();
});

/** Sends `text`, waits for its deletion and the explanation after it. */
async function sendKeyExpectDeleted(text: string): Promise<number> {
  const id = alice.send(text);
  await h.emu.waitFor(() => h.emu.message(alice.id, id)?.deleted);
  await alice.waitForReply('That looked like a key, so I deleted it', { after: id });
  return id;
}

function neverEchoed(): void {
  const botTexts = h.emu.botMessages(alice.id).map((m) => m.text);
  for (const k of [KEY, SECRET, PRIVATE_KEY]) {
    expect(botTexts.some((t) => t.includes(k))).toBe(false);
    expect(h.logText()).not.toContain(k);
  }
}

describe('keys pasted outside key entry', () => {
  it('rename step: the key is deleted, not used as the label, and the step still waits', async () => {
    const a = alice.send('/accounts');
    await alice.waitForReply('Your accounts', { after: a });
    alice.press('⭐ Paper');
    await h.emu.waitFor(() => alice.buttons().includes('✏️ Rename'));
    alice.press('✏️ Rename');
    await alice.waitForReply('Send a new name');
    await sendKeyExpectDeleted(KEY);
    expect((await h.app.accounts.list(userId)).map((x) => x.label)).toEqual(['Paper']);
    // A key pasted with a label around it goes too.
    await sendKeyExpectDeleted(`key: ${SECRET}`);
    expect((await h.app.accounts.list(userId)).map((x) => x.label)).toEqual(['Paper']);
    const n = alice.send('Main paper');
    await alice.waitForReply('Renamed to', { after: n });
    expect((await h.app.accounts.list(userId)).map((x) => x.label)).toEqual(['Main paper']);
    neverEchoed();
  });

  it('/trade symbol and margin steps: deleted, never echoed, the wizard still waits', async () => {
    const after = h.emu.lastMessageId(alice.id);
    alice.send('/trade');
    const prompt = await alice.waitForReply(/Manual trade on/, { after });
    await sendKeyExpectDeleted(KEY);
    // The prompt was not turned into a side question for a "coin" made of the key.
    expect(h.emu.message(alice.id, prompt.messageId)!.plain).toContain('Which coin?');
    const s = alice.send('eth');
    await h.emu.waitFor(() => h.emu.message(alice.id, prompt.messageId)?.keyboard?.flat().some((b) => b.text === '🟢 Long'));
    void s;
    alice.press('🟢 Long', { messageId: prompt.messageId });
    await h.emu.waitFor(() => h.emu.message(alice.id, prompt.messageId)?.plain.includes('how much margin'));
    await sendKeyExpectDeleted(PRIVATE_KEY);
    expect(h.emu.message(alice.id, prompt.messageId)!.plain).toContain('how much margin');
    alice.press('Cancel', { messageId: prompt.messageId });
    await h.emu.waitFor(() => h.emu.message(alice.id, prompt.messageId)?.plain.includes('cancelled'));
    neverEchoed();
  });

  it('a key as a command argument (/trade KEY) is deleted and never echoed', async () => {
    const trades = (await h.app.db.selectFrom('trades').selectAll().execute()).length;
    await sendKeyExpectDeleted(`/trade ${KEY}`);
    await h.emu.settle();
    expect((await h.app.db.selectFrom('trades').selectAll().execute()).length).toBe(trades);
    neverEchoed();
  });

  it('settings number step: deleted and nothing saved', async () => {
    const before = await h.app.settings.getGlobal(userId);
    alice.send('/settings');
    await h.emu.waitFor(() => alice.buttons().includes('💰 Size and leverage'));
    alice.press('💰 Size and leverage');
    await h.emu.waitFor(() => alice.buttons().some((b) => b.startsWith('Fixed leverage')));
    alice.press(/^Fixed leverage/);
    await h.emu.waitFor(() => h.emu.lastBotMessage(alice.id)?.plain.includes('Send a number'));
    await sendKeyExpectDeleted(SECRET);
    expect(await h.app.settings.getGlobal(userId)).toEqual(before);
    alice.send('3');
    await h.emu.waitFor(() => h.emu.botMessages(alice.id).some((m) => m.plain.includes('Saved: Fixed leverage')));
    expect((await h.app.settings.getGlobal(userId)).leverage).toBe(3);
    neverEchoed();
  });

  it('an edited message that now holds a key is deleted too', async () => {
    const id = alice.send('hello there');
    await alice.waitForReply('I did not understand that', { after: id });
    alice.edit(id, SECRET);
    await h.emu.waitFor(() => h.emu.message(alice.id, id)?.deleted);
    await alice.waitForReply('That looked like a key, so I deleted it', { after: id });
    neverEchoed();
  });

  it('when the delete fails, the user is asked to delete the key themselves', async () => {
    h.emu.failNext({ method: 'deleteMessage', errorCode: 400, description: "Bad Request: message can't be deleted" });
    const id = alice.send(KEY);
    await alice.waitForReply('could not delete it: please delete that message yourself', { after: id });
    expect(h.emu.message(alice.id, id)!.deleted).toBe(false);
    neverEchoed();
  });

  it('key entry itself: a key whose delete fails is still used, and the user is asked to delete it', async () => {
    alice.send('/connect');
    await h.emu.waitFor(() => alice.buttons().includes('Bybit'));
    alice.press('Bybit');
    await h.emu.waitFor(() => alice.buttons().includes('Testnet'));
    alice.press('Testnet');
    await h.emu.waitFor(() => h.emu.lastBotMessage(alice.id)?.plain.includes('API key'));
    h.emu.failNext({ method: 'deleteMessage', errorCode: 400, description: "Bad Request: message can't be deleted" });
    const k = alice.send('TESTKEY000000000');
    await alice.waitForReply('please delete that message yourself', { after: k });
    await h.emu.waitFor(() => h.emu.botMessages(alice.id).some((m) => m.plain.includes('API secret')));
    alice.send('/cancel');
    await alice.waitForReply('Cancelled', { after: k });
  });
});
