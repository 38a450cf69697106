/**
 * The local sandbox (`npm run demo`, issue 7): the terminal chat over the Bot
 * API emulator, the demo channel, the whole product driven from the terminal
 * chat's input/output streams, and the entry points as child processes.
 * No network: prices come from the simulated walk (online: false / SANDBOX_OFFLINE=1).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { BotApiEmulator } from '../../bot/sandbox/bot-api-emulator.js';
import { DemoChannel, levelsFor, signalText, type PriceSource } from '../../bot/sandbox/demo-channel.js';
import { startSandbox, type Sandbox } from '../../bot/sandbox/demo.js';
import { TerminalChat } from '../../bot/sandbox/terminal-chat.js';
import { parseSignal } from '../../services/signals/parser.js';
import { tempDir } from '../helpers/db.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

/** What a person sees: everything written to the terminal, with helpers to wait on it. */
class Screen {
  text = '';
  constructor(stream: NodeJS.ReadableStream) {
    stream.on('data', (c: Buffer | string) => (this.text += c.toString()));
  }

  mark(): number {
    return this.text.length;
  }

  async waitFor(match: RegExp | string, from = 0, timeoutMs = 8_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const tail = this.text.slice(from);
      if (typeof match === 'string' ? tail.includes(match) : match.test(tail)) return tail;
      if (Date.now() > deadline) throw new Error(`screen never showed ${String(match)}; it shows:\n${tail.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The number drawn next to the newest button whose label matches (as a person would read it). */
  button(label: RegExp, from = 0): string {
    const re = /\[(\d+)\] ([^\n[]+)/g;
    let found: string | null = null;
    for (const m of this.text.slice(from).matchAll(re)) if (label.test(m[2]!.trim())) found = m[1]!;
    if (!found) throw new Error(`no button ${String(label)} on screen:\n${this.text.slice(from).slice(-2000)}`);
    return found;
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function api(emu: BotApiEmulator, method: string, payload: Record<string, unknown>): Promise<any> {
  const res = await fetch(`${emu.apiRoot}/bot${emu.token}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
  const body = (await res.json()) as { ok: boolean; result?: unknown; description?: string };
  if (!body.ok) throw new Error(body.description);
  return body.result;
}

describe('terminal chat over the emulator', () => {
  async function setup(mode: 'append' | 'redraw') {
    const emu = await BotApiEmulator.start({ maxPollMs: 50 });
    cleanups.push(() => emu.close());
    const user = emu.user({ id: 42, firstName: 'Ann' });
    const input = new PassThrough();
    const output = new PassThrough();
    const screen = new Screen(output);
    let quit: string | null = null;
    const chat = new TerminalChat({ emulator: emu, user, input, output, mode, color: false, refreshMs: 10, rows: 40, columns: 100, onQuit: (r) => (quit = r) });
    chat.start();
    cleanups.push(() => chat.stop());
    return { emu, user, input, screen, chat, quit: () => quit };
  }

  it('draws keyboards as numbered buttons, presses them by number, redraws edits and notes deletions', async () => {
    const { emu, input, screen } = await setup('append');
    input.write('/start\n');
    await screen.waitFor('you \u203a /start');
    const updates = (await api(emu, 'getUpdates', {})) as { update_id: number; message: { text: string } }[];
    expect(updates.at(-1)?.message.text).toBe('/start');

    const sent = await api(emu, 'sendMessage', {
      chat_id: 42,
      text: '<b>Main menu</b>',
      parse_mode: 'HTML',
      reply_markup: { inline_keyboard: [[{ text: 'Accounts', callback_data: 'm:acc' }, { text: 'Signals', callback_data: 'm:sig' }], [], [{ text: 'Stats', callback_data: 'm:st' }]] },
    });
    await screen.waitFor(/Main menu\n {2}\[1\] Accounts {3}\[2\] Signals\n {2}\[3\] Stats\n/);
    expect(screen.text).not.toContain('<b>');

    input.write('2\n');
    await screen.waitFor('you pressed [Signals]');
    const after = (await api(emu, 'getUpdates', { offset: updates.at(-1)!.update_id + 1 })) as { callback_query?: { data: string; message: { message_id: number } } }[];
    expect(after.at(-1)?.callback_query?.data).toBe('m:sig');
    expect(after.at(-1)?.callback_query?.message.message_id).toBe(sent.message_id);
    const cq = after.at(-1)!.callback_query as unknown as { id: string };
    await api(emu, 'answerCallbackQuery', { callback_query_id: cq.id, text: 'Opening signals' });
    await screen.waitFor('\ud83d\udcac Opening signals');

    await api(emu, 'editMessageText', { chat_id: 42, message_id: sent.message_id, text: 'Signal sources', reply_markup: { inline_keyboard: [[{ text: 'Back', callback_data: 'm:main' }]] } });
    await screen.waitFor(/\(edited\)\n {2}Signal sources\n {2}\[1\] Back\n/);

    await api(emu, 'deleteMessage', { chat_id: 42, message_id: sent.message_id });
    await screen.waitFor(`Bot message #${sent.message_id} was deleted.`);

    // A number beyond the buttons is text; ' forces text; #M.N addresses an older message.
    input.write('25\n');
    input.write("'1\n");
    await screen.waitFor('you \u203a 1\n');
    const texts = emu.transcript(42).filter((m) => m.from === 'user').map((m) => m.text);
    expect(texts).toEqual(['/start', '25', '1']);
  });

  it('in redraw mode shows the current state only: an edited message once, a deleted one not at all', async () => {
    const { emu, screen, input, quit } = await setup('redraw');
    const a = await api(emu, 'sendMessage', { chat_id: 42, text: 'first version', reply_markup: { inline_keyboard: [[{ text: 'Go', callback_data: 'go' }]] } });
    const b = await api(emu, 'sendMessage', { chat_id: 42, text: 'to be deleted' });
    await screen.waitFor('to be deleted');
    await api(emu, 'editMessageText', { chat_id: 42, message_id: a.message_id, text: 'second version' });
    await api(emu, 'deleteMessage', { chat_id: 42, message_id: b.message_id });
    await screen.waitFor('second version');
    await new Promise((r) => setTimeout(r, 60));
    const lastFrame = screen.text.slice(screen.text.lastIndexOf('\u001b[2J'));
    expect(lastFrame).toContain('second version');
    expect(lastFrame).not.toContain('first version');
    expect(lastFrame).not.toContain('to be deleted');
    expect(lastFrame).not.toContain('[1] Go'); // the edit removed the keyboard

    input.write(':q\n');
    await new Promise((r) => setTimeout(r, 50));
    expect(quit()).toBe('quit');
  });

  it('answers terminal commands and quits on end of input', async () => {
    const { input, screen, quit } = await setup('append');
    input.write(':help\n');
    await screen.waitFor(':q         quit');
    input.write(':nope\n');
    await screen.waitFor('Unknown terminal command :nope');
    input.write(':channel\n');
    await screen.waitFor('There is no demo channel in this session.');
    input.end();
    await new Promise((r) => setTimeout(r, 50));
    expect(quit()).toBe('eof');
  });
});

describe('demo channel', () => {
  const prices: Record<string, number> = { 'BTC/USDT': 67123.4, 'ETH/USDT': 3456.78, 'SOL/USDT': 145.67, 'XRP/USDT': 0.5234, 'DOGE/USDT': 0.12345, 'SUI/USDT': 1.742 };
  const feed: PriceSource = { price: (s) => prices[s] ?? null };

  it('writes every style of signal so that the parser reads it back exactly', () => {
    let checked = 0;
    for (const [symbol, price] of Object.entries(prices)) {
      for (const side of ['long', 'short'] as const) {
        for (const market of [true, false]) {
          for (let template = 0; template < 4; template++) {
            const { text, levels } = signalText({ symbol, side, price, market, leverage: 10, template });
            const r = parseSignal(text);
            expect(r.kind, text).toBe('signal');
            if (r.kind !== 'signal') continue;
            expect(r.symbol).toBe(symbol);
            expect(r.side).toBe(side);
            expect(r.entryMarket).toBe(market);
            expect(r.stopLoss).toBeCloseTo(levels.stopLoss, 8);
            expect(r.takeProfits).toEqual(levels.takeProfits);
            expect(r.leverage).toBe(10);
            checked++;
          }
        }
      }
    }
    expect(checked).toBe(Object.keys(prices).length * 16);
  });

  it('puts entries, targets and stop on the right sides of the price', () => {
    const long = levelsFor({ side: 'long', price: 100, market: false });
    expect(long.entries[0]).toBeGreaterThan(100);
    expect(long.entries[1]).toBeLessThan(100);
    expect(long.takeProfits.every((t) => t > 100)).toBe(true);
    expect(long.stopLoss).toBeLessThan(100);
    const short = levelsFor({ side: 'short', price: 100, market: true });
    expect(short.entries).toEqual([]);
    expect(short.takeProfits.every((t) => t < 100)).toBe(true);
    expect(short.stopLoss).toBeGreaterThan(100);
  });

  it('posts channel_post updates, follow-ups as replies the parser reads as updates, and continues ids after a restart', async () => {
    const emu = await BotApiEmulator.start({ maxPollMs: 50 });
    cleanups.push(() => emu.close());
    let saved: ReturnType<DemoChannel['exportState']> | null = null;
    const ch = new DemoChannel({ emulator: emu, prices: feed, intervalMs: 0, seed: 3, onState: (s) => (saved = s) });
    ch.start();
    const signal = ch.postSignal({ symbol: 'ETH/USDT', side: 'long', market: true })!;
    const follow = ch.postFollowUp('breakeven')!;
    const close = ch.postFollowUp('close')!;
    expect(ch.postFollowUp()).toBeNull(); // nothing left open

    const updates = (await api(emu, 'getUpdates', {})) as Record<string, any>[];
    expect(updates[0]!.my_chat_member.new_chat_member.status).toBe('administrator');
    expect(updates[0]!.my_chat_member.chat.type).toBe('channel');
    const posts = updates.filter((u) => u.channel_post).map((u) => u.channel_post);
    expect(posts.map((p) => p.message_id)).toEqual([signal.messageId, follow.messageId, close.messageId]);
    expect(posts[1].reply_to_message.message_id).toBe(signal.messageId);
    expect(parseSignal(follow.text)).toMatchObject({ kind: 'update', symbol: 'ETH/USDT', action: 'move_sl', breakeven: true });
    expect(parseSignal(close.text)).toMatchObject({ kind: 'update', symbol: 'ETH/USDT', action: 'close' });

    // A new emulator (a restart) with the saved state: ids go on, old posts are kept.
    const emu2 = await BotApiEmulator.start({ maxPollMs: 50 });
    cleanups.push(() => emu2.close());
    const ch2 = new DemoChannel({ emulator: emu2, prices: feed, intervalMs: 0, restore: saved });
    const next = ch2.postSignal()!;
    expect(next.messageId).toBe(close.messageId + 1);
    expect(ch2.posts().length).toBe(4);
  });

  it('follows up with a target hit or a stop-out when the price got there', async () => {
    const emu = await BotApiEmulator.start({ maxPollMs: 50 });
    cleanups.push(() => emu.close());
    const p: Record<string, number> = { 'SOL/USDT': 100 };
    const ch = new DemoChannel({ emulator: emu, prices: { price: (s) => p[s] ?? null }, intervalMs: 0 });
    const s = ch.postSignal({ symbol: 'SOL/USDT', side: 'short', market: true })!;
    p['SOL/USDT'] = 99.5; // below TP1 (99.6) of a short
    const tp = ch.postFollowUp()!;
    expect(parseSignal(tp.text)).toMatchObject({ kind: 'update', symbol: 'SOL/USDT', action: 'tp_hit' });
    p['SOL/USDT'] = 101; // above the stop (100.8)
    const sl = ch.postFollowUp()!;
    expect(parseSignal(sl.text)).toMatchObject({ kind: 'update', symbol: 'SOL/USDT', action: 'sl_hit' });
    expect(ch.signals().find((x) => x.messageId === s.messageId)?.state).toBe('closed');
  });
});

describe('sandbox end to end (terminal chat streams)', () => {
  it('starts, subscribes to the demo channel, changes a setting, opens a trade from a demo signal, closes it, shows stats, switches language, stops cleanly', async () => {
    const { dir, cleanup } = tempDir('sandbox-');
    cleanups.push(cleanup);
    const dataDir = path.join(dir, 'data', 'demo');
    const input = new PassThrough();
    const output = new PassThrough();
    const screen = new Screen(output);
    let sandbox: Sandbox | null = await startSandbox({
      dataDir,
      input,
      output,
      online: false,
      channelIntervalMs: 0,
      channelSeed: 11,
      language: 'en',
      firstName: 'Tess',
      mode: 'append',
      color: false,
      logLevel: 'warn',
      notifications: { coalesceMs: 20, perChatIntervalMs: 20 },
    });
    cleanups.push(() => sandbox?.stop());
    const type = (line: string) => input.write(`${line}\n`);

    await screen.waitFor('local sandbox');
    await screen.waitFor('simulated (offline)');
    // The demo channel made the bot an admin: it is a source before the user looks.
    for (let i = 0; i < 250 && !(await sandbox.app.sources.findByChat(sandbox.channel.id)); i++) await new Promise((r) => setTimeout(r, 20));

    let at = screen.mark();
    type('/start');
    await screen.waitFor(/Hi, Tess!/, at);
    await screen.waitFor(/\[\d+\] \S+ Signals/, at);

    at = screen.mark();
    type(screen.button(/Signals$/));
    await screen.waitFor(/Demo Signals[^\n]*\n {2}Not subscribed/, at);
    at = screen.mark();
    type(screen.button(/Demo Signals$/));
    await screen.waitFor(/Subscribe/, at);
    at = screen.mark();
    type(screen.button(/^\S+ Subscribe$/));
    await screen.waitFor(/Subscribed, mode: auto/, at);

    // Settings: a button opens a section, another asks for a value, the typed number is saved.
    at = screen.mark();
    type('/settings');
    await screen.waitFor(/Size and leverage/, at);
    at = screen.mark();
    type(screen.button(/Size and leverage$/));
    await screen.waitFor(/\[\d+\] Size: \d+/, at);
    at = screen.mark();
    type(screen.button(/^Size: \d+ USDT$/));
    await screen.waitFor(/Send a number/, at);
    at = screen.mark();
    type('15');
    await screen.waitFor(/Saved: Size[^]*\[\d+\] Size: 15 USDT\n/, at);

    // A demo signal arrives and the Paper account trades it.
    at = screen.mark();
    type(':post');
    const posted = await screen.waitFor(/Demo Signals posted #\d+: ([^\n]+)/, at);
    const symbol = /#?([A-Z0-9]+)\/USDT|\$([A-Z0-9]+)/.exec(posted)!.slice(1).find(Boolean)!;
    await screen.waitFor(new RegExp(`${symbol}/USDT [^\\n]*opened at`), at, 10_000);

    at = screen.mark();
    type('/positions');
    await screen.waitFor(/Open positions: 1/, at);
    await screen.waitFor(new RegExp(`${symbol}/USDT [^\\n]*Paper\\n[^]*\\[1\\] Close 100%`), at);
    at = screen.mark();
    type(screen.button(/^Close 100%$/));
    await screen.waitFor(new RegExp(`${symbol}/USDT: closed [\\d.]+ at [\\d.]+`), at);
    await screen.waitFor(/Realized PnL: [-+]?[\d.]+ USDT/, at);

    at = screen.mark();
    type('/positions');
    await screen.waitFor(/No open positions\./, at);

    at = screen.mark();
    type('/stats');
    await screen.waitFor(/Trades: 1 \(won \d, lost \d\)/, at);
    await screen.waitFor(/Demo Signals: /, at);

    at = screen.mark();
    type('/language');
    await screen.waitFor(/Choose your language/, at);
    type(screen.button(/^Русский$/, at));
    await screen.waitFor(/Главное меню/, at);
    at = screen.mark();
    type('/positions');
    await screen.waitFor(/Нет открытых позиций|позиц/i, at);

    // :q stops everything: the bot, the Paper state, the database; data stays in its folder.
    type(':q');
    await sandbox.done;
    sandbox = null;
    expect(fs.existsSync(path.join(dataDir, 'bot.sqlite'))).toBe(true);
    expect(fs.readdirSync(path.join(dataDir, 'paper')).some((f) => f.endsWith('.json'))).toBe(true);
    const state = JSON.parse(fs.readFileSync(path.join(dataDir, 'sandbox.json'), 'utf8')) as { userLastMessageId: number; channel: { lastMessageId: number } };
    expect(state.channel.lastMessageId).toBeGreaterThanOrEqual(1);
    expect(state.userLastMessageId).toBeGreaterThan(10);
  }, 30_000);
});

describe('entry points (child processes)', () => {
  const children: ChildProcessWithoutNullStreams[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  });

  function spawnTsx(script: string, cwd: string, extraEnv: Record<string, string> = {}) {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.TELEGRAM_BOT_TOKEN;
    Object.assign(env, extraEnv, { NO_COLOR: '1' });
    const child = spawn(TSX, [path.join(ROOT, script)], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, exited, out: new Screen(child.stdout), err: new Screen(child.stderr) };
  }

  it('npm start without TELEGRAM_BOT_TOKEN exits with a message pointing to npm run demo and the configuration table', async () => {
    const { dir, cleanup } = tempDir('nostart-');
    cleanups.push(cleanup);
    const { exited, err } = spawnTsx('bot/main.ts', dir);
    expect(await exited).toBe(1);
    expect(err.text).toContain('TELEGRAM_BOT_TOKEN');
    expect(err.text).toContain('npm run demo');
    expect(err.text).toMatch(/configuration table in README\.md/);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('npm start with a token starts everything (commands, jobs, grid loop, license job, restart alert) and stops cleanly on %s', async (signal) => {
    const emu = await BotApiEmulator.start({ maxPollMs: 200 });
    cleanups.push(() => emu.close());
    // The admin has a chat with the bot already: admin commands go to their chat's scope, the restart alert to them.
    const admin = emu.user({ id: 777, firstName: 'Root', languageCode: 'en' });
    const { dir, cleanup } = tempDir('start-');
    cleanups.push(cleanup);
    const dbFile = path.join(dir, 'data', 'bot.sqlite');
    const { child, exited, out } = spawnTsx('bot/main.ts', dir, {
      TELEGRAM_BOT_TOKEN: emu.token,
      TELEGRAM_API_ROOT: emu.apiRoot,
      ADMIN_IDS: '777',
      DATA_DIR: path.join(dir, 'data'),
      DATABASE_URL: dbFile,
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
    });
    await out.waitFor('bot started (long polling)', 0, 20_000);
    expect(out.text).toMatch(/"jobs":true,"gridLoop":true,"licenseJob":true,"dailySummary":true.*background jobs started/);
    expect(emu.commands.get('')?.map((c) => c.command)).toEqual(expect.arrayContaining(['start', 'grid', 'license']));
    expect(emu.commands.get('')?.map((c) => c.command)).not.toContain('admin');
    expect(emu.scopedCommands.get('chat:777|')?.map((c) => c.command)).toContain('admin');
    await admin.waitForReply(/The bot restarted/);
    admin.send('/start');
    await admin.waitForReply(/Hi, Root/);

    child.kill(signal);
    expect(await exited).toBe(0);
    expect(out.text).toMatch(new RegExp(`"signal":"${signal}".*signal received`));
    expect(out.text).toContain('"msg":"stopped"');
    expect(fs.existsSync(dbFile)).toBe(true);
    // Nothing polls the Bot API any more.
    const calls = emu.seq;
    await new Promise((r) => setTimeout(r, 400));
    expect(emu.seq).toBe(calls);
  }, 40_000);

  it.each(['SIGINT', 'SIGTERM'] as const)('the demo runs in data/demo of its working directory, ignores .env and stops cleanly on %s', async (signal) => {
    const { dir, cleanup } = tempDir('demo-');
    cleanups.push(cleanup);
    fs.writeFileSync(path.join(dir, '.env'), 'TELEGRAM_BOT_TOKEN=999:not-used-by-the-demo\nDATA_DIR=./elsewhere\n');
    const { child, exited, out } = spawnTsx('bot/sandbox/demo.ts', dir, { SANDBOX_OFFLINE: '1' });
    await out.waitFor('local sandbox', 0, 15_000);
    child.stdin.write('/start\n');
    await out.waitFor(/\[\d+\] \S+ Positions/, 0, 10_000);
    child.kill(signal);
    expect(await exited).toBe(0);
    expect(out.text).toContain('Sandbox stopped');
    expect(fs.existsSync(path.join(dir, 'data', 'demo', 'bot.sqlite'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'elsewhere'))).toBe(false);
  }, 30_000);
});
