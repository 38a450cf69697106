/**
 * A small local Telegram Bot API server on 127.0.0.1 for tests and the local
 * sandbox. It implements the methods the bot uses, keeps a transcript per chat
 * (messages, inline keyboards, edits, deletions) and a log of every call, and
 * lets a test act as users and channels: send text and commands, press inline
 * buttons, forward channel posts, post in channels, promote the bot.
 *
 * No grammY import: it speaks plain HTTP + JSON, like api.telegram.org.
 */
import http from 'node:http';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';

export interface TgUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  username?: string;
  language_code?: string;
}

export interface TgChat {
  id: number;
  type: 'private' | 'group' | 'supergroup' | 'channel';
  title?: string;
  username?: string;
  first_name?: string;
}

export interface InlineButton {
  text: string;
  callback_data?: string;
  url?: string;
}

export interface TranscriptMessage {
  messageId: number;
  chatId: number;
  /** 'bot' for messages the bot sent, else the sender kind. */
  from: 'bot' | 'user' | 'channel';
  /** Text as sent (may contain HTML when parse_mode is HTML). */
  text: string;
  /** Text with HTML tags stripped and entities decoded: what a person reads. */
  plain: string;
  parseMode: string | null;
  keyboard: InlineButton[][] | null;
  edits: number;
  deleted: boolean;
  date: number;
  /** A photo (or other media) message: `text` is its caption. */
  media?: 'photo';
}

const PHOTO = [{ file_id: 'AgACAgIAAxkBAAIBpho', file_unique_id: 'AQADpho', width: 1280, height: 720, file_size: 123456 }];

export interface ApiCall {
  seq: number;
  method: string;
  payload: Record<string, unknown>;
  at: number;
  ok: boolean;
  errorCode?: number;
}

export interface EmulatorOptions {
  token?: string;
  port?: number;
  botUser?: Partial<TgUser>;
  /** Longest time a getUpdates request is held open (ms), whatever its `timeout`. */
  maxPollMs?: number;
}

export interface WaitOptions {
  timeoutMs?: number;
}

export interface ScheduledFailure {
  method: string;
  errorCode: number;
  description: string;
  retryAfter?: number;
  /** How many calls to fail (default 1). */
  times?: number;
}

type Update = Record<string, unknown> & { update_id: number };

const DEFAULT_TOKEN = '123456789:EMULATOR_TOKEN_abcdefghijklmnopqrstu';

export function stripHtml(text: string): string {
  return text
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

function commandEntities(text: string): { type: string; offset: number; length: number }[] | undefined {
  const m = /^\/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?/.exec(text);
  return m ? [{ type: 'bot_command', offset: 0, length: m[0].length }] : undefined;
}

export class BotApiEmulator {
  readonly token: string;
  readonly bot: TgUser;
  /** Every API call the bot made, in order. */
  readonly calls: ApiCall[] = [];
  /** Commands registered with setMyCommands in the default scope, by language code ('' = default). */
  readonly commands = new Map<string, { command: string; description: string }[]>();
  /** Commands registered for other scopes, by `<scope>|<language code>`, e.g. `chat:42|` (see scopeKey). */
  readonly scopedCommands = new Map<string, { command: string; description: string }[]>();
  /** Answers to callback queries (toasts), by callback query id. */
  readonly callbackAnswers = new Map<string, { text?: string; show_alert?: boolean }>();
  webhook: { url: string; secretToken?: string } | null = null;
  /** Webhook mode: every delivery attempt and the HTTP status it got (0: no answer). */
  readonly webhookDeliveries: { updateId: number; status: number }[] = [];
  private delivering = false;

  private server: http.Server | null = null;
  private port = 0;
  private readonly maxPollMs: number;
  private readonly events = new EventEmitter();
  private readonly transcripts = new Map<number, TranscriptMessage[]>();
  private readonly chats = new Map<number, TgChat>();
  private readonly users = new Map<number, TgUser>();
  private readonly admins = new Map<number, Set<number>>();
  private readonly blocked = new Set<number>();
  private readonly queue: Update[] = [];
  private readonly failures: ScheduledFailure[] = [];
  private nextUpdateId = 1;
  private nextMessageId = new Map<number, number>();
  private nextCallbackId = 1;
  private callSeq = 0;
  private readonly pollers = new Set<() => void>();

  constructor(options: EmulatorOptions = {}) {
    this.token = options.token ?? DEFAULT_TOKEN;
    const id = Number(this.token.split(':')[0]);
    this.bot = { id, is_bot: true, first_name: 'Signal Trader', username: 'signal_trader_test_bot', ...options.botUser };
    this.maxPollMs = options.maxPollMs ?? 1_000;
    this.port = options.port ?? 0;
    this.events.setMaxListeners(1000);
  }

  /** Starts a server on 127.0.0.1 (a free port unless one was given). */
  static async start(options: EmulatorOptions = {}): Promise<BotApiEmulator> {
    const emu = new BotApiEmulator(options);
    await emu.listen();
    return emu;
  }

  async listen(): Promise<void> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Base URL to pass as grammY's `client.apiRoot` (TELEGRAM_API_ROOT). */
  get apiRoot(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const wake of this.pollers) wake();
    if (!this.server) return;
    const s = this.server;
    this.server = null;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  // ---------------------------------------------------------------- actors

  /** A private-chat user (chat id = user id). */
  user(init: { id: number; firstName?: string; username?: string; languageCode?: string }): UserClient {
    const u: TgUser = { id: init.id, is_bot: false, first_name: init.firstName ?? `User${init.id}` };
    if (init.username) u.username = init.username;
    if (init.languageCode) u.language_code = init.languageCode;
    this.users.set(u.id, u);
    this.chats.set(u.id, { id: u.id, type: 'private', first_name: u.first_name, ...(u.username ? { username: u.username } : {}) });
    return new UserClient(this, u);
  }

  /** A channel (ids are negative, like -100…). */
  channel(init: { id: number; title: string; username?: string }): ChannelClient {
    const chat: TgChat = { id: init.id, type: 'channel', title: init.title, ...(init.username ? { username: init.username } : {}) };
    this.chats.set(chat.id, chat);
    return new ChannelClient(this, chat);
  }

  /** Makes sendMessage & co. to this chat answer 403 (the user blocked the bot). */
  setBlocked(chatId: number, blocked = true): void {
    if (blocked) this.blocked.add(chatId);
    else this.blocked.delete(chatId);
  }

  /** The next `times` calls of `method` fail with this error (e.g. 429 with retry_after). */
  failNext(failure: ScheduledFailure): void {
    this.failures.push({ times: 1, ...failure });
  }

  /** Queues an update for getUpdates (and returns it). */
  injectUpdate<T extends Record<string, unknown>>(body: T): T & { update_id: number } {
    const update = { update_id: this.nextUpdateId++, ...body };
    this.queue.push(update);
    for (const wake of [...this.pollers]) wake();
    this.emit();
    this.deliverWebhook();
    return update;
  }

  /**
   * With a webhook set (setWebhook), queued updates are POSTed to it one at a time,
   * in order, with the X-Telegram-Bot-Api-Secret-Token header when a secret was given
   * (like Telegram). Each attempt is recorded in `webhookDeliveries`; an update leaves
   * the queue after its attempt, whatever the answer.
   */
  private deliverWebhook(): void {
    if (this.delivering || !this.webhook || !this.server) return;
    this.delivering = true;
    void (async () => {
      try {
        while (this.webhook && this.server && this.queue.length) {
          const update = this.queue[0]!;
          const hook = this.webhook;
          let status = 0;
          try {
            const r = await fetch(hook.url, {
              method: 'POST',
              headers: { 'content-type': 'application/json', ...(hook.secretToken ? { 'X-Telegram-Bot-Api-Secret-Token': hook.secretToken } : {}) },
              body: JSON.stringify(update),
            });
            status = r.status;
            await r.arrayBuffer().catch(() => undefined);
          } catch {
            status = 0;
          }
          this.webhookDeliveries.push({ updateId: update.update_id, status });
          if (this.queue[0] === update) this.queue.shift();
          this.emit();
        }
      } finally {
        this.delivering = false;
      }
    })();
  }

  /** Updates not yet confirmed by the bot. */
  get pendingUpdates(): number {
    return this.queue.length;
  }

  chatOf(id: number): TgChat | undefined {
    return this.chats.get(id);
  }

  setAdmins(chatId: number, userIds: number[]): void {
    this.admins.set(chatId, new Set(userIds));
  }

  // ------------------------------------------------------------ transcript

  /** All messages of a chat, oldest first (deleted ones included, flagged). */
  transcript(chatId: number): TranscriptMessage[] {
    return this.transcripts.get(chatId) ?? [];
  }

  /** Messages the bot sent to a chat that are still there. */
  botMessages(chatId: number): TranscriptMessage[] {
    return this.transcript(chatId).filter((m) => m.from === 'bot' && !m.deleted);
  }

  lastBotMessage(chatId: number): TranscriptMessage | undefined {
    const list = this.botMessages(chatId);
    return list[list.length - 1];
  }

  message(chatId: number, messageId: number): TranscriptMessage | undefined {
    return this.transcript(chatId).find((m) => m.messageId === messageId);
  }

  callsOf(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Resolves with the predicate's first truthy value, re-checked after every change. */
  waitFor<T>(predicate: () => T | undefined | null | false, options: WaitOptions = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? 5_000;
    return new Promise<T>((resolve, reject) => {
      const check = (): boolean => {
        let v: T | undefined | null | false;
        try {
          v = predicate();
        } catch (e) {
          cleanup();
          reject(e instanceof Error ? e : new Error(String(e)));
          return true;
        }
        if (v) {
          cleanup();
          resolve(v);
          return true;
        }
        return false;
      };
      const onChange = () => void check();
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`waitFor timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.events.off('change', onChange);
      };
      this.events.on('change', onChange);
      check();
    });
  }

  /** Waits for a bot message in `chatId` (sent after `afterSeq` calls, if given) whose plain text matches. */
  waitForBotMessage(chatId: number, match: RegExp | string | ((m: TranscriptMessage) => boolean) = () => true, options: WaitOptions & { after?: number } = {}): Promise<TranscriptMessage> {
    const test = typeof match === 'function' ? match : (m: TranscriptMessage) => (typeof match === 'string' ? m.plain.includes(match) : match.test(m.plain));
    const after = options.after ?? 0;
    return this.waitFor(() => this.botMessages(chatId).find((m) => m.messageId > after && test(m)), options);
  }

  /** Waits until the bot has made a call matching `method` (and the predicate) after call number `afterSeq`. */
  waitForCall(method: string, predicate: (c: ApiCall) => boolean = () => true, options: WaitOptions & { afterSeq?: number } = {}): Promise<ApiCall> {
    const afterSeq = options.afterSeq ?? 0;
    return this.waitFor(() => this.calls.find((c) => c.seq > afterSeq && c.method === method && predicate(c)), options);
  }

  /** Waits until the bot has confirmed every queued update and no call is in flight for a quiet period. */
  async settle(quietMs = 60, options: WaitOptions = {}): Promise<void> {
    const deadline = Date.now() + (options.timeoutMs ?? 5_000);
    let lastSeq = -1;
    for (;;) {
      if (Date.now() > deadline) throw new Error('settle timed out');
      const seq = this.callSeq;
      await new Promise((r) => setTimeout(r, quietMs));
      if (this.queue.length === 0 && seq === this.callSeq && seq === lastSeq) return;
      lastSeq = seq;
    }
  }

  get seq(): number {
    return this.callSeq;
  }

  lastMessageId(chatId: number): number {
    return (this.nextMessageId.get(chatId) ?? 1) - 1;
  }

  /**
   * The id the next message in this chat gets (the sandbox continues a chat's
   * ids after a restart: the bot's database remembers the old ones). Ids only
   * grow: an id at or below one already used is refused.
   */
  setNextMessageId(chatId: number, id: number): void {
    if (!Number.isInteger(id) || id < 1) throw new Error(`message id must be a positive integer, got ${id}`);
    if (id <= this.lastMessageId(chatId)) throw new Error(`chat ${chatId} already has message ${this.lastMessageId(chatId)}; the next id must be above it`);
    this.nextMessageId.set(chatId, id);
  }

  /** `chat:<id>` for a chat scope, `<type>` for other scopes, '' for the default scope. */
  private scopeOf(scope: unknown): string {
    const sc = (scope ?? {}) as { type?: unknown; chat_id?: unknown; user_id?: unknown };
    if (!sc.type || sc.type === 'default') return '';
    if (sc.type === 'chat' || sc.type === 'chat_administrators') {
      const chat = this.chatOrThrow(sc.chat_id);
      return `${String(sc.type)}:${chat.id}`;
    }
    if (sc.type === 'chat_member') return `chat_member:${String(sc.chat_id)}:${String(sc.user_id)}`;
    return String(sc.type);
  }

  // -------------------------------------------------------------- internal

  /** Adds a message to a chat's transcript (used by the actors). */
  addMessage(chatId: number, from: TranscriptMessage['from'], text: string, extra: Partial<TranscriptMessage> = {}): TranscriptMessage {
    const id = this.nextMessageId.get(chatId) ?? 1;
    this.nextMessageId.set(chatId, id + 1);
    const m: TranscriptMessage = {
      messageId: id,
      chatId,
      from,
      text,
      plain: text,
      parseMode: null,
      keyboard: null,
      edits: 0,
      deleted: false,
      date: Math.floor(Date.now() / 1000),
      ...extra,
    };
    const list = this.transcripts.get(chatId) ?? [];
    list.push(m);
    this.transcripts.set(chatId, list);
    return m;
  }

  nextCallbackQueryId(): string {
    return String(this.nextCallbackId++);
  }

  private emit(): void {
    this.events.emit('change');
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const m = /^\/bot([^/]+)\/(?:test\/)?([A-Za-z]+)$/.exec(url.pathname);
    const send = (status: number, body: unknown) => {
      if (res.writableEnded || res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!m) return send(404, { ok: false, error_code: 404, description: 'Not Found' });
    if (m[1] !== this.token) return send(401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const method = m[2]!;
    let payload: Record<string, unknown> = Object.fromEntries(url.searchParams);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    if (raw) {
      try {
        payload = { ...payload, ...(JSON.parse(raw) as Record<string, unknown>) };
      } catch {
        return send(400, { ok: false, error_code: 400, description: 'Bad Request: cannot parse JSON body' });
      }
    }
    const call: ApiCall = { seq: ++this.callSeq, method, payload, at: Date.now(), ok: true };
    if (method !== 'getUpdates') this.calls.push(call);

    const failure = this.failures.find((f) => f.method === method);
    if (failure) {
      failure.times = (failure.times ?? 1) - 1;
      if (failure.times <= 0) this.failures.splice(this.failures.indexOf(failure), 1);
      call.ok = false;
      call.errorCode = failure.errorCode;
      this.emit();
      return send(failure.errorCode, {
        ok: false,
        error_code: failure.errorCode,
        description: failure.description,
        ...(failure.retryAfter !== undefined ? { parameters: { retry_after: failure.retryAfter } } : {}),
      });
    }

    try {
      const result = method === 'getUpdates' ? await this.getUpdates(payload, req) : this.dispatch(method, payload);
      send(200, { ok: true, result });
    } catch (e) {
      const err = e instanceof ApiFailure ? e : new ApiFailure(500, `Internal Server Error: ${(e as Error).message}`);
      call.ok = false;
      call.errorCode = err.code;
      send(err.code, { ok: false, error_code: err.code, description: err.message });
    } finally {
      if (method !== 'getUpdates') this.emit();
    }
  }

  private async getUpdates(p: Record<string, unknown>, req: http.IncomingMessage): Promise<Update[]> {
    const offset = Number(p.offset ?? 0);
    if (offset > 0) {
      while (this.queue.length && this.queue[0]!.update_id < offset) this.queue.shift();
      this.emit();
    }
    const limit = Math.max(1, Math.min(100, Number(p.limit ?? 100)));
    const take = () => this.queue.slice(0, limit);
    if (this.queue.length) return take();
    const waitMs = Math.min(Number(p.timeout ?? 0) * 1000, this.maxPollMs);
    if (waitMs > 0) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.pollers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, waitMs);
        this.pollers.add(wake);
        req.once('close', wake);
      });
    }
    return take();
  }

  private chatOrThrow(id: unknown): TgChat {
    const chat = this.chats.get(Number(id));
    if (!chat) throw new ApiFailure(400, 'Bad Request: chat not found');
    return chat;
  }

  private botMessageObject(chat: TgChat, m: TranscriptMessage): Record<string, unknown> {
    return {
      message_id: m.messageId,
      date: m.date,
      chat,
      from: this.bot,
      // Like Telegram: the text without markup (formatting would be in entities).
      text: m.plain,
      ...(m.keyboard ? { reply_markup: { inline_keyboard: m.keyboard } } : {}),
      ...(m.edits ? { edit_date: Math.floor(Date.now() / 1000) } : {}),
    };
  }

  private dispatch(method: string, p: Record<string, unknown>): unknown {
    switch (method) {
      case 'getMe':
        return { ...this.bot, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false };
      case 'deleteWebhook':
        this.webhook = null;
        return true;
      case 'setWebhook':
        this.webhook = { url: String(p.url), ...(p.secret_token ? { secretToken: String(p.secret_token) } : {}) };
        // Updates waiting from before go out once the call has been answered.
        setImmediate(() => this.deliverWebhook());
        return true;
      case 'getWebhookInfo':
        return { url: this.webhook?.url ?? '', has_custom_certificate: false, pending_update_count: this.queue.length };
      case 'setMyCommands': {
        const lang = typeof p.language_code === 'string' ? p.language_code : '';
        const scope = this.scopeOf(p.scope);
        const list = (p.commands as { command: string; description: string }[]) ?? [];
        if (scope === '') this.commands.set(lang, list);
        else this.scopedCommands.set(`${scope}|${lang}`, list);
        return true;
      }
      case 'getMyCommands': {
        const lang = typeof p.language_code === 'string' ? p.language_code : '';
        const scope = this.scopeOf(p.scope);
        return (scope === '' ? this.commands.get(lang) : this.scopedCommands.get(`${scope}|${lang}`)) ?? [];
      }
      case 'deleteMyCommands': {
        const lang = typeof p.language_code === 'string' ? p.language_code : '';
        const scope = this.scopeOf(p.scope);
        if (scope === '') this.commands.delete(lang);
        else this.scopedCommands.delete(`${scope}|${lang}`);
        return true;
      }
      case 'setChatMenuButton':
      case 'setMyDescription':
      case 'setMyShortDescription':
      case 'sendChatAction':
        return true;
      case 'sendMessage': {
        const chat = this.chatOrThrow(p.chat_id);
        if (this.blocked.has(chat.id)) throw new ApiFailure(403, 'Forbidden: bot was blocked by the user');
        const text = String(p.text ?? '');
        if (!text.trim()) throw new ApiFailure(400, 'Bad Request: message text is empty');
        if (text.length > 4096) throw new ApiFailure(400, 'Bad Request: message is too long');
        const keyboard = this.keyboardOf(p.reply_markup);
        const parseMode = typeof p.parse_mode === 'string' ? p.parse_mode : null;
        const m = this.addMessage(chat.id, 'bot', text, { parseMode, plain: parseMode === 'HTML' ? stripHtml(text) : text, keyboard });
        return this.botMessageObject(chat, m);
      }
      case 'editMessageText': {
        const chat = this.chatOrThrow(p.chat_id);
        const m = this.editable(chat.id, p.message_id);
        const text = String(p.text ?? '');
        if (!text.trim()) throw new ApiFailure(400, 'Bad Request: message text is empty');
        const keyboard = this.keyboardOf(p.reply_markup);
        if (text === m.text && JSON.stringify(keyboard) === JSON.stringify(m.keyboard)) {
          throw new ApiFailure(400, 'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
        }
        const parseMode = typeof p.parse_mode === 'string' ? p.parse_mode : null;
        Object.assign(m, { text, parseMode, plain: parseMode === 'HTML' ? stripHtml(text) : text, keyboard, edits: m.edits + 1 });
        return this.botMessageObject(chat, m);
      }
      case 'editMessageReplyMarkup': {
        const chat = this.chatOrThrow(p.chat_id);
        const m = this.editable(chat.id, p.message_id);
        const keyboard = this.keyboardOf(p.reply_markup);
        if (JSON.stringify(keyboard) === JSON.stringify(m.keyboard)) throw new ApiFailure(400, 'Bad Request: message is not modified');
        Object.assign(m, { keyboard, edits: m.edits + 1 });
        return this.botMessageObject(chat, m);
      }
      case 'deleteMessage': {
        const chat = this.chatOrThrow(p.chat_id);
        const m = this.message(chat.id, Number(p.message_id));
        if (!m || m.deleted) throw new ApiFailure(400, 'Bad Request: message to delete not found');
        m.deleted = true;
        return true;
      }
      case 'answerCallbackQuery': {
        const id = String(p.callback_query_id ?? '');
        this.callbackAnswers.set(id, { ...(p.text ? { text: String(p.text) } : {}), ...(p.show_alert ? { show_alert: true } : {}) });
        return true;
      }
      case 'getChat':
        return this.chatOrThrow(p.chat_id);
      case 'getChatMember': {
        const chat = this.chatOrThrow(p.chat_id);
        const userId = Number(p.user_id);
        const user = userId === this.bot.id ? this.bot : (this.users.get(userId) ?? { id: userId, is_bot: false, first_name: 'Unknown' });
        const status = this.admins.get(chat.id)?.has(userId) ? 'administrator' : chat.type === 'private' && chat.id === userId ? 'member' : 'left';
        return { status, user };
      }
      case 'getChatAdministrators': {
        const chat = this.chatOrThrow(p.chat_id);
        return [...(this.admins.get(chat.id) ?? [])].map((id) => ({
          status: 'administrator',
          user: id === this.bot.id ? this.bot : (this.users.get(id) ?? { id, is_bot: false, first_name: 'Unknown' }),
        }));
      }
      case 'leaveChat':
        this.admins.get(Number(p.chat_id))?.delete(this.bot.id);
        return true;
      default:
        throw new ApiFailure(404, `Not Found: method ${method} is not implemented by the emulator`);
    }
  }

  private editable(chatId: number, messageId: unknown): TranscriptMessage {
    const m = this.message(chatId, Number(messageId));
    if (!m || m.deleted) throw new ApiFailure(400, 'Bad Request: message to edit not found');
    if (m.from !== 'bot') throw new ApiFailure(400, "Bad Request: message can't be edited");
    return m;
  }

  private keyboardOf(markup: unknown): InlineButton[][] | null {
    if (!markup || typeof markup !== 'object') return null;
    const all = (markup as { inline_keyboard?: InlineButton[][] }).inline_keyboard;
    if (!Array.isArray(all)) return null;
    const rows = all.filter((r) => Array.isArray(r) && r.length > 0);
    for (const row of rows) {
      for (const b of row) {
        if (b.callback_data !== undefined && (Buffer.byteLength(b.callback_data, 'utf8') > 64 || b.callback_data.length === 0)) {
          throw new ApiFailure(400, 'Bad Request: BUTTON_DATA_INVALID');
        }
      }
    }
    return rows.length ? rows : null;
  }
}

class ApiFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Acts as one Telegram user in a private chat with the bot. */
export class UserClient {
  constructor(
    private readonly emu: BotApiEmulator,
    readonly info: TgUser,
  ) {}

  get id(): number {
    return this.info.id;
  }

  private chat(): TgChat {
    return this.emu.chatOf(this.info.id)!;
  }

  /** Edits one of this user's messages (an edited_message update). */
  edit(messageId: number, text: string): void {
    const m = this.emu.message(this.info.id, messageId);
    if (!m || m.from !== 'user') throw new Error(`no message ${messageId} of user ${this.info.id}`);
    m.text = text;
    m.plain = text;
    m.edits += 1;
    this.emu.injectUpdate({
      edited_message: { message_id: messageId, date: m.date, edit_date: Math.floor(Date.now() / 1000), chat: this.chat(), from: this.info, text },
    });
  }

  /** Sends a text (a leading /command gets a bot_command entity). Returns the message id. */
  send(text: string): number {
    const m = this.emu.addMessage(this.info.id, 'user', text);
    const entities = commandEntities(text);
    this.emu.injectUpdate({
      message: { message_id: m.messageId, date: m.date, chat: this.chat(), from: this.info, text, ...(entities ? { entities } : {}) },
    });
    return m.messageId;
  }

  /** Forwards a channel post to the bot (forward_origin of type channel); `photo`: a photo post with `text` as its caption. */
  forward(channel: ChannelClient, text: string, channelMessageId = 1, options: { photo?: boolean } = {}): number {
    const m = this.emu.addMessage(this.info.id, 'user', text, options.photo ? { media: 'photo' } : {});
    const date = m.date;
    this.emu.injectUpdate({
      message: {
        message_id: m.messageId,
        date,
        chat: this.chat(),
        from: this.info,
        ...(options.photo ? { photo: PHOTO, caption: text } : { text }),
        forward_origin: { type: 'channel', chat: channel.chat, message_id: channelMessageId, date },
        forward_from_chat: channel.chat,
        forward_from_message_id: channelMessageId,
        forward_date: date,
      },
    });
    return m.messageId;
  }

  /**
   * Presses an inline button: by label (exact text, or a RegExp) on the newest
   * bot message that has it, or on a given message; or by [row, column].
   * Returns the callback query id.
   */
  press(label: string | RegExp | [number, number], options: { messageId?: number } = {}): string {
    const msgs = this.emu.botMessages(this.info.id).filter((m) => m.keyboard && (options.messageId === undefined || m.messageId === options.messageId));
    for (let i = msgs.length - 1; i >= 0; i--) {
      const m = msgs[i]!;
      let button: InlineButton | undefined;
      if (Array.isArray(label)) button = m.keyboard![label[0]]?.[label[1]];
      else button = m.keyboard!.flat().find((b) => (typeof label === 'string' ? b.text === label : label.test(b.text)));
      if (button?.callback_data !== undefined) return this.pressData(m.messageId, button.callback_data);
      if (options.messageId !== undefined || Array.isArray(label)) break;
    }
    const labels = msgs.flatMap((m) => m.keyboard!.flat().map((b) => b.text));
    throw new Error(`no button ${String(label)} for user ${this.info.id}; buttons: ${labels.join(' | ') || '(none)'}`);
  }

  /** Presses a button with raw callback data on a message. */
  pressData(messageId: number, data: string): string {
    const m = this.emu.message(this.info.id, messageId);
    if (!m) throw new Error(`no message ${messageId} in chat ${this.info.id}`);
    const id = this.emu.nextCallbackQueryId();
    this.emu.injectUpdate({
      callback_query: {
        id,
        from: this.info,
        chat_instance: String(this.info.id),
        data,
        message: {
          message_id: m.messageId,
          date: m.date,
          chat: this.chat(),
          from: this.emu.bot,
          text: m.plain,
          ...(m.keyboard ? { reply_markup: { inline_keyboard: m.keyboard } } : {}),
        },
      },
    });
    return id;
  }

  /** Button labels of the newest bot message with a keyboard. */
  buttons(): string[] {
    const msgs = this.emu.botMessages(this.info.id).filter((m) => m.keyboard);
    return msgs[msgs.length - 1]?.keyboard?.flat().map((b) => b.text) ?? [];
  }

  lastBotMessage(): TranscriptMessage | undefined {
    return this.emu.lastBotMessage(this.info.id);
  }

  /** Waits for a bot message newer than `after` (default: any) matching. */
  waitForReply(match?: RegExp | string | ((m: TranscriptMessage) => boolean), options: WaitOptions & { after?: number } = {}): Promise<TranscriptMessage> {
    return this.emu.waitForBotMessage(this.info.id, match, options);
  }

  /** Blocks (403) or unblocks the bot. */
  block(blocked = true): void {
    this.emu.setBlocked(this.info.id, blocked);
  }
}

/** Acts as a channel: posts, edits, and the bot's promotion by a user. */
export class ChannelClient {
  constructor(
    private readonly emu: BotApiEmulator,
    readonly chat: TgChat,
  ) {}

  get id(): number {
    return this.chat.id;
  }

  /** A text post; with `photo`, a photo post whose caption is `text`. */
  post(text: string, options: { replyTo?: number; photo?: boolean } = {}): number {
    const m = this.emu.addMessage(this.chat.id, 'channel', text, options.photo ? { media: 'photo' } : {});
    const reply = options.replyTo !== undefined ? this.emu.message(this.chat.id, options.replyTo) : undefined;
    const body = (x: TranscriptMessage) => (x.media === 'photo' ? { photo: PHOTO, caption: x.text } : { text: x.text });
    this.emu.injectUpdate({
      channel_post: {
        message_id: m.messageId,
        date: m.date,
        chat: this.chat,
        sender_chat: this.chat,
        ...body(m),
        ...(reply ? { reply_to_message: { message_id: reply.messageId, date: reply.date, chat: this.chat, ...body(reply) } } : {}),
      },
    });
    return m.messageId;
  }

  edit(messageId: number, text: string): void {
    const m = this.emu.message(this.chat.id, messageId);
    if (!m) throw new Error(`no post ${messageId} in channel ${this.chat.id}`);
    m.text = text;
    m.plain = text;
    m.edits += 1;
    this.emu.injectUpdate({
      edited_channel_post: { message_id: messageId, date: m.date, edit_date: Math.floor(Date.now() / 1000), chat: this.chat, sender_chat: this.chat, ...(m.media === 'photo' ? { photo: PHOTO, caption: text } : { text }) },
    });
  }

  /** `by` adds the bot as an administrator of this channel (my_chat_member). */
  promoteBot(by: UserClient): void {
    this.emu.setAdmins(this.chat.id, [by.id, this.emu.bot.id]);
    this.memberUpdate(by, 'left', 'administrator');
  }

  /** `by` removes the bot from the channel. */
  removeBot(by: UserClient): void {
    this.emu.setAdmins(this.chat.id, [by.id]);
    this.memberUpdate(by, 'administrator', 'left');
  }

  private memberUpdate(by: UserClient, oldStatus: string, newStatus: string): void {
    const admin = (status: string) =>
      status === 'administrator'
        ? { status, user: this.emu.bot, can_be_edited: false, can_manage_chat: true, can_post_messages: true, can_edit_messages: true, can_delete_messages: true, can_invite_users: true, can_restrict_members: true, can_promote_members: false, can_change_info: true, is_anonymous: false, can_manage_video_chats: false, can_post_stories: false, can_edit_stories: false, can_delete_stories: false }
        : { status, user: this.emu.bot };
    this.emu.injectUpdate({
      my_chat_member: {
        chat: this.chat,
        from: by.info,
        date: Math.floor(Date.now() / 1000),
        old_chat_member: admin(oldStatus),
        new_chat_member: admin(newStatus),
      },
    });
  }
}
