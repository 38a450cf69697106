/**
 * A terminal chat over the Bot API emulator: the person at the keyboard is a
 * Telegram user. Typed lines go to the bot as that user's messages and
 * /commands; the bot's messages are drawn as they would appear, with inline
 * keyboards as numbered buttons (`[1] Accounts  [2] Signals`) pressed by
 * typing the number. Edited messages are redrawn and deleted ones disappear.
 *
 * Two ways of drawing, chosen by the output:
 * - `redraw` (a terminal): the screen shows the tail of the chat and is drawn
 *   again after every change, so edits replace and deletions remove in place;
 * - `append` (a pipe, a test): a plain log — new messages, then "(edited)"
 *   copies and "(deleted)" notes — easy to read back and to assert on.
 *
 * It only uses the emulator's client API (UserClient, transcripts, callback
 * answers), never the bot, so it works with any bot behind the emulator.
 */
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { BotApiEmulator, ChannelClient, InlineButton, TranscriptMessage, UserClient } from './bot-api-emulator.js';

/** What the chat needs from a demo channel (bot/sandbox/demo-channel.ts implements it). */
export interface ChannelView {
  readonly title: string;
  /** The channel as an emulator actor (for forwarding its posts). */
  readonly client: ChannelClient;
  /** The channel's posts, oldest first. */
  posts(): readonly { messageId: number; text: string; date: number; replyTo?: number | null }[];
  /** Posts a new signal now; returns its text (null when no price is known). */
  postSignal(): { messageId: number; text: string } | null;
  /** Posts a follow-up about an earlier signal now (null when there is none to follow up). */
  postFollowUp(): { messageId: number; text: string } | null;
  /** Tells the listener about each new post; returns the unsubscribe function. */
  onPost(listener: (post: { messageId: number; text: string }) => void): () => void;
}

export type DrawMode = 'redraw' | 'append';

export interface TerminalChatOptions {
  emulator: BotApiEmulator;
  /** The user the person at the keyboard acts as. */
  user: UserClient;
  input: Readable;
  output: Writable;
  /** Default: `redraw` when the output is a TTY, else `append`. */
  mode?: DrawMode;
  /** ANSI colours; default: when the output is a TTY and NO_COLOR is unset. */
  color?: boolean;
  /** The demo channel, for `:channel`, `:post`, `:follow`, `:forward`. */
  channel?: ChannelView;
  /** How often the transcript is checked for changes (ms); default 40. */
  refreshMs?: number;
  /** Lines printed at the top (redraw) or once at the start (append). */
  banner?: string;
  /** Called once when the person quits (`:q`, Ctrl+C, Ctrl+D / end of input). */
  onQuit?: (reason: 'quit' | 'sigint' | 'eof') => void;
  /** Screen size for `redraw` when the output does not tell; default 24×80. */
  rows?: number;
  columns?: number;
}

type Entry = { kind: 'msg'; messageId: number } | { kind: 'note'; text: string; style: NoteStyle };
type NoteStyle = 'info' | 'toast' | 'alert' | 'channel' | 'error';

interface Seen {
  signature: string;
  deleted: boolean;
}

const ESC = '\u001b[';
const STYLES = {
  bot: '36;1',
  user: '32;1',
  button: '33',
  oldButton: '2',
  dim: '2',
  toast: '35',
  alert: '31;1',
  channel: '34;1',
  error: '31',
} as const;

export const TERMINAL_HELP = [
  'Type as a Telegram user: plain text, or /commands such as /start, /positions, /stats, /language.',
  'Buttons: type a button\u2019s number to press it on the newest message with buttons;',
  '  #M.N presses button N of message #M (e.g. #4.2).',
  "  A number larger than the button count is sent as text; start with ' to always send text ('25).",
  'Terminal commands:',
  '  :help      this help',
  '  :channel   show the demo channel\u2019s posts',
  '  :post      make the demo channel post a signal now',
  '  :follow    make the demo channel post a follow-up now',
  '  :forward N forward channel post N to the bot',
  '  :buttons   list the buttons you can press',
  '  :redraw    draw the screen again',
  '  :q         quit (also Ctrl+C or Ctrl+D)',
].join('\n');

function signatureOf(m: TranscriptMessage): string {
  return `${m.edits}\u0000${m.text}\u0000${JSON.stringify(m.keyboard)}`;
}

function time(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** Visible width of a line (ANSI codes removed; every code point counts 1). */
function visibleLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  return [...s.replace(/\u001b\[[0-9;]*m/g, '')].length;
}

export class TerminalChat {
  readonly mode: DrawMode;
  private readonly emu: BotApiEmulator;
  private readonly user: UserClient;
  private readonly output: Writable;
  private readonly input: Readable;
  private readonly color: boolean;
  private readonly channel: ChannelView | undefined;
  private readonly refreshMs: number;
  private readonly banner: string;
  private readonly onQuit: TerminalChatOptions['onQuit'];
  private readonly rowsDefault: number;
  private readonly columnsDefault: number;
  private readonly timeline: Entry[] = [];
  private readonly seen = new Map<number, Seen>();
  private readonly pendingAnswers = new Map<string, { label: string; at: number }>();
  /** Ids of the user's messages that were forwards, with the channel's title. */
  private readonly forwarded = new Map<number, string>();
  private rl: readline.Interface | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private unsubscribeChannel: (() => void) | null = null;
  private dirty = false;
  private stopped = false;

  constructor(options: TerminalChatOptions) {
    this.emu = options.emulator;
    this.user = options.user;
    this.input = options.input;
    this.output = options.output;
    const tty = (options.output as { isTTY?: boolean }).isTTY === true;
    this.mode = options.mode ?? (tty ? 'redraw' : 'append');
    this.color = options.color ?? (tty && !process.env.NO_COLOR);
    this.channel = options.channel;
    this.refreshMs = options.refreshMs ?? 40;
    this.banner = options.banner ?? '';
    this.onQuit = options.onQuit;
    this.rowsDefault = options.rows ?? 24;
    this.columnsDefault = options.columns ?? 80;
  }

  /** Starts reading input and drawing the chat. */
  start(): void {
    if (this.rl) return;
    const tty = (this.input as { isTTY?: boolean }).isTTY === true && (this.output as { isTTY?: boolean }).isTTY === true;
    this.rl = readline.createInterface({ input: this.input, ...(tty ? { output: this.output, terminal: true } : { terminal: false }) });
    if (tty) this.rl.setPrompt(this.paint('user', 'you \u203a '));
    this.rl.on('line', (line) => this.handleLine(line));
    this.rl.on('SIGINT', () => this.quit('sigint'));
    this.rl.on('close', () => this.quit('eof'));
    if (this.channel) {
      this.unsubscribeChannel = this.channel.onPost((post) => {
        const first = post.text.split('\n').find((l) => l.trim()) ?? '';
        this.note(`\ud83d\udce3 ${this.channel!.title} posted #${post.messageId}: ${first.trim()}  (:channel to read it)`, 'channel');
      });
    }
    if (this.mode === 'append' && this.banner) this.write(`${this.banner}\n`);
    this.sync();
    if (this.mode === 'redraw') this.draw();
    this.timer = setInterval(() => this.tick(), this.refreshMs);
    this.timer.unref?.();
    if (this.mode === 'redraw') this.output.on('resize', this.onResize);
  }

  private readonly onResize = (): void => this.draw();

  /** Stops drawing and reading (idempotent). Does not close the streams. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribeChannel?.();
    this.unsubscribeChannel = null;
    this.output.off('resize', this.onResize);
    this.sync();
    const rl = this.rl;
    this.rl = null;
    rl?.close();
  }

  /** Adds a line of the terminal's own (not from the bot). */
  note(text: string, style: NoteStyle = 'info'): void {
    if (this.stopped) return;
    this.timeline.push({ kind: 'note', text, style });
    if (this.mode === 'append') this.write(`${this.renderNote(text, style)}\n`);
    else this.dirty = true;
  }

  /** Handles one typed line, as if typed at the prompt (tests may call it directly). */
  handleLine(raw: string): void {
    if (this.stopped) return;
    const line = raw.replace(/\r$/, '');
    const text = line.trim();
    if (!text) {
      if (this.mode === 'redraw') this.draw();
      return;
    }
    if (text.startsWith("'")) return this.sendText(line.slice(line.indexOf("'") + 1));
    if (text.startsWith(':')) return this.command(text);
    const ref = /^#(\d+)[.:](\d+)$/.exec(text);
    if (ref) return this.pressOn(Number(ref[1]), Number(ref[2]));
    if (/^\d+$/.test(text)) {
      const n = Number(text);
      const target = this.newestKeyboardMessage();
      const count = target ? this.flatButtons(target).length : 0;
      if (target && n >= 1 && n <= count) return this.pressOn(target.messageId, n);
    }
    this.sendText(line);
  }

  /** The buttons of a message in press order (row by row). */
  private flatButtons(m: TranscriptMessage): InlineButton[] {
    return m.keyboard?.flat() ?? [];
  }

  private newestKeyboardMessage(): TranscriptMessage | undefined {
    const list = this.emu.botMessages(this.user.id).filter((m) => m.keyboard && m.keyboard.length);
    return list[list.length - 1];
  }

  private sendText(text: string): void {
    if (!text.trim()) return;
    this.user.send(text);
    this.tick();
  }

  private pressOn(messageId: number, n: number): void {
    const m = this.emu.message(this.user.id, messageId);
    if (!m || m.deleted || m.from !== 'bot') {
      this.note(`There is no message #${messageId}.`, 'error');
      return;
    }
    const button = this.flatButtons(m)[n - 1];
    if (!button) {
      this.note(`Message #${messageId} has no button ${n}.`, 'error');
      return;
    }
    if (button.callback_data === undefined) {
      this.note(button.url ? `\ud83d\udd17 ${button.text}: ${button.url}` : `The button \u201c${button.text}\u201d does nothing here.`, 'info');
      return;
    }
    this.note(`\u203a you pressed [${button.text}]`, 'info');
    const id = this.user.pressData(messageId, button.callback_data);
    this.pendingAnswers.set(id, { label: button.text, at: Date.now() });
    this.tick();
  }

  private command(text: string): void {
    const [name = '', ...args] = text.slice(1).trim().split(/\s+/);
    switch (name.toLowerCase()) {
      case 'q':
      case 'quit':
      case 'exit':
        this.quit('quit');
        return;
      case 'h':
      case 'help':
      case '?':
        this.note(TERMINAL_HELP);
        return;
      case 'r':
      case 'redraw':
        if (this.mode === 'redraw') this.draw();
        else this.replay();
        return;
      case 'buttons':
      case 'b':
        this.note(this.buttonList());
        return;
      case 'channel':
      case 'c':
        this.note(this.channelText(), 'channel');
        return;
      case 'post':
      case 'follow': {
        if (!this.channel) return this.note('There is no demo channel in this session.', 'error');
        const post = name.toLowerCase() === 'post' ? this.channel.postSignal() : this.channel.postFollowUp();
        if (!post) this.note(name.toLowerCase() === 'post' ? 'No price yet; try again in a moment.' : 'No open demo signal to follow up yet; try :post first.', 'error');
        return;
      }
      case 'forward':
      case 'fwd': {
        if (!this.channel) return this.note('There is no demo channel in this session.', 'error');
        const posts = this.channel.posts();
        const id = args[0] ? Number(args[0].replace(/^#/, '')) : posts[posts.length - 1]?.messageId;
        const post = posts.find((p) => p.messageId === id);
        if (!post) return this.note(args[0] ? `The channel has no post #${args[0]}.` : 'The channel has no posts yet.', 'error');
        this.forwarded.set(this.user.forward(this.channel.client, post.text, post.messageId), this.channel.title);
        this.tick();
        return;
      }
      default:
        this.note(`Unknown terminal command :${name}. Type :help.`, 'error');
    }
  }

  private quit(reason: 'quit' | 'sigint' | 'eof'): void {
    if (this.stopped) return; // includes the 'close' of our own rl.close()
    this.stop();
    this.onQuit?.(reason);
  }

  private buttonList(): string {
    const newest = this.newestKeyboardMessage();
    const msgs = this.emu.botMessages(this.user.id).filter((m) => m.keyboard && m.keyboard.length);
    if (!msgs.length) return 'No buttons right now.';
    return msgs
      .map((m) => {
        const prefix = m === newest ? '' : `#${m.messageId}.`;
        return `#${m.messageId}: ${this.flatButtons(m)
          .map((b, i) => `[${prefix}${i + 1}] ${b.text}`)
          .join('  ')}`;
      })
      .join('\n');
  }

  private channelText(): string {
    if (!this.channel) return 'There is no demo channel in this session.';
    const posts = this.channel.posts();
    if (!posts.length) return `${this.channel.title}: no posts yet (:post makes one).`;
    const shown = posts.slice(-8);
    const parts = shown.map((p) => `\u2500\u2500 #${p.messageId} ${time(p.date)}${p.replyTo ? ` (reply to #${p.replyTo})` : ''}\n${p.text}`);
    return `\ud83d\udce3 ${this.channel.title} \u2014 last ${shown.length} of ${posts.length} posts\n${parts.join('\n')}`;
  }

  // ----------------------------------------------------------------- drawing

  private tick(): void {
    if (this.stopped) return;
    this.sync();
    if (this.mode === 'redraw' && this.dirty) this.draw();
  }

  /** Compares the transcript with what was drawn; appends or marks dirty. */
  private sync(): void {
    for (const m of this.emu.transcript(this.user.id)) {
      const prev = this.seen.get(m.messageId);
      const sig = signatureOf(m);
      if (!prev) {
        this.seen.set(m.messageId, { signature: sig, deleted: m.deleted });
        if (m.deleted) continue;
        this.timeline.push({ kind: 'msg', messageId: m.messageId });
        if (this.mode === 'append') this.write(this.renderMessage(m, 'new'));
        else this.dirty = true;
        continue;
      }
      if (m.deleted && !prev.deleted) {
        prev.deleted = true;
        if (this.mode === 'append') {
          const who = m.from === 'bot' ? 'Bot message' : 'Your message';
          this.write(`${this.paint('dim', `\ud83d\uddd1  ${who} #${m.messageId} was deleted.`)}\n`);
        } else this.dirty = true;
        continue;
      }
      if (!m.deleted && prev.signature !== sig) {
        prev.signature = sig;
        if (this.mode === 'append') this.write(this.renderMessage(m, 'edited'));
        else this.dirty = true;
      }
    }
    const now = Date.now();
    for (const [id, p] of this.pendingAnswers) {
      const a = this.emu.callbackAnswers.get(id);
      if (a) {
        this.pendingAnswers.delete(id);
        if (a.text) this.note(a.show_alert ? `\u26a0 ${a.text}` : `\ud83d\udcac ${a.text}`, a.show_alert ? 'alert' : 'toast');
      } else if (now - p.at > 15_000) {
        this.pendingAnswers.delete(id);
        this.note(`The bot did not answer the button [${p.label}].`, 'error');
      }
    }
  }

  private renderMessage(m: TranscriptMessage, state: 'new' | 'edited' | 'screen'): string {
    if (m.from !== 'bot') {
      const origin = this.forwarded.get(m.messageId);
      const lines = m.text.split('\n');
      if (origin) return `${this.paint('user', 'you \u203a')} ${this.paint('dim', `\u21aa forwarded from ${origin}`)}\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
      return `${this.paint('user', 'you \u203a')} ${lines.join('\n  ')}\n`;
    }
    const newest = this.newestKeyboardMessage();
    const tag = state === 'edited' || (state === 'screen' && m.edits > 0) ? ' (edited)' : '';
    const head = this.paint('bot', `\ud83e\udd16 Bot`) + this.paint('dim', ` #${m.messageId} \u00b7 ${time(m.date)}${tag}`);
    const body = m.plain
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n');
    const lines = [head, body];
    if (m.keyboard && m.keyboard.length) {
      // In the log every keyboard is drawn with plain numbers (its message id is in the header);
      // on the screen only the newest one, the others as #M.N.
      const old = state === 'screen' && newest?.messageId !== m.messageId;
      let i = 0;
      for (const row of m.keyboard) {
        if (!row.length) continue; // an empty row draws nothing in Telegram either
        const cells = row.map((b) => {
          i++;
          const label = old ? `#${m.messageId}.${i}` : String(i);
          const text = `[${label}] ${b.text}${b.url ? ' \ud83d\udd17' : ''}`;
          return this.paint(old ? 'oldButton' : 'button', text);
        });
        lines.push(`  ${cells.join('   ')}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }

  private renderNote(text: string, style: NoteStyle): string {
    const key = style === 'info' ? 'dim' : style;
    return text
      .split('\n')
      .map((l) => this.paint(key, l))
      .join('\n');
  }

  /** Append mode: print the whole visible chat again. */
  private replay(): void {
    for (const e of this.timeline) {
      if (e.kind === 'note') continue;
      const m = this.emu.message(this.user.id, e.messageId);
      if (m && !m.deleted) this.write(this.renderMessage(m, 'screen'));
    }
  }

  /** Redraw mode: clear the screen and draw the tail of the chat that fits. */
  private draw(): void {
    if (this.stopped) return;
    this.dirty = false;
    const out = this.output as { rows?: number; columns?: number };
    const rows = out.rows ?? this.rowsDefault;
    const cols = out.columns ?? this.columnsDefault;
    const blocks: string[] = [];
    for (const e of this.timeline) {
      if (e.kind === 'note') {
        blocks.push(this.renderNote(e.text, e.style));
        continue;
      }
      const m = this.emu.message(this.user.id, e.messageId);
      if (!m || m.deleted) continue;
      blocks.push(this.renderMessage(m, 'screen').replace(/\n$/, ''));
    }
    const header = this.banner ? this.banner.split('\n') : [];
    const budget = Math.max(4, rows - header.length - 2);
    const lines: string[] = [];
    let used = 0;
    for (let i = blocks.length - 1; i >= 0; i--) {
      const blockLines = blocks[i]!.split('\n');
      const height = blockLines.reduce((n, l) => n + Math.max(1, Math.ceil(visibleLength(l) / cols)), 0) + 1;
      if (used + height > budget && lines.length) break;
      used += height;
      lines.unshift(...blockLines, '');
    }
    let screen = `${ESC}2J${ESC}H`;
    if (header.length) screen += `${header.map((l) => this.paint('dim', l)).join('\n')}\n`;
    screen += `${lines.join('\n')}\n`;
    this.write(screen);
    this.rl?.prompt(true);
  }

  private paint(style: keyof typeof STYLES, text: string): string {
    return this.color ? `${ESC}${STYLES[style]}m${text}${ESC}0m` : text;
  }

  private write(text: string): void {
    if (!this.output.writableEnded && !this.output.destroyed) this.output.write(text);
  }
}

export function startTerminalChat(options: TerminalChatOptions): TerminalChat {
  const chat = new TerminalChat(options);
  chat.start();
  return chat;
}
