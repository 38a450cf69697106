/**
 * A demo signals channel for the sandbox: posts a realistic signal every
 * minute or so (around the current simulated price, in formats the parser
 * understands) and now and then a follow-up about one of its open signals
 * (target hit, stopped out, stop to breakeven, close), as channel_post
 * updates through the Bot API emulator. The bot is made an admin of the
 * channel by its owner, so it becomes a signal source through the same
 * my_chat_member path a real channel takes.
 */
import { parseSignal } from '../../services/signals/parser.js';
import type { BotApiEmulator, ChannelClient } from './bot-api-emulator.js';
import type { ChannelView } from './terminal-chat.js';

/** Anything that knows the current price of a unified symbol (a Paper price feed does). */
export interface PriceSource {
  price(symbol: string): number | null;
}

export type Side = 'long' | 'short';

export interface DemoSignal {
  messageId: number;
  symbol: string;
  side: Side;
  /** The price when it was posted. */
  reference: number;
  entries: number[];
  market: boolean;
  takeProfits: number[];
  stopLoss: number;
  leverage: number;
  lang: 'en' | 'ru';
  /** Targets announced as hit so far. */
  targetsHit: number;
  state: 'open' | 'breakeven' | 'closed';
}

export interface DemoPost {
  messageId: number;
  text: string;
  date: number;
  replyTo: number | null;
  kind: 'signal' | 'follow-up';
}

export interface DemoChannelOptions {
  emulator: BotApiEmulator;
  prices: PriceSource;
  /** Time between posts (ms); default 60 000. 0: no timer (post with postNow()). */
  intervalMs?: number;
  /** Chance that a timed post is a follow-up when signals are open; default 0.35. */
  followUpChance?: number;
  /** Same seed: same sequence of choices. Default 7. */
  seed?: number;
  /** Symbols to pick from; default a few large ones. */
  symbols?: readonly string[];
  channelId?: number;
  title?: string;
  username?: string;
  /** Telegram id of the channel's owner (who makes the bot an admin). */
  ownerId?: number;
  /** At most this many open signals; more timed posts become follow-ups. Default 3. */
  maxOpen?: number;
  /** State saved by an earlier run (exportState()): posts, open signals, message ids. */
  restore?: DemoChannelState | null;
  /** Called after every post with the state to save. */
  onState?: (state: DemoChannelState) => void;
}

/** What a restart needs: the bot remembers message ids, so new posts must not reuse them. */
export interface DemoChannelState {
  version: 1;
  lastMessageId: number;
  posts: DemoPost[];
  signals: DemoSignal[];
}

const KEEP_POSTS = 50;
const KEEP_SIGNALS = 20;

/** Makes the emulator's next message id in `chatId` greater than `lastId` (ids a previous run used). */
export function continueMessageIds(emulator: BotApiEmulator, chatId: number, lastId: number): void {
  if (lastId > emulator.lastMessageId(chatId)) emulator.setNextMessageId(chatId, lastId + 1);
}

/** Checks a loaded state loosely; anything odd means starting afresh. */
export function isDemoChannelState(v: unknown): v is DemoChannelState {
  const s = v as Partial<DemoChannelState> | null;
  return !!s && s.version === 1 && Number.isInteger(s.lastMessageId) && Array.isArray(s.posts) && Array.isArray(s.signals);
}

export const DEMO_CHANNEL_ID = -1001000000001;
export const DEMO_CHANNEL_TITLE = 'Demo Signals';
export const DEMO_OWNER_ID = 700000001;
export const DEMO_SYMBOLS = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'XRP/USDT', 'DOGE/USDT', 'LINK/USDT', 'AVAX/USDT', 'ADA/USDT', 'BNB/USDT', 'SUI/USDT'] as const;

/** mulberry32: a small deterministic generator in [0, 1). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Decimals that give about 5 significant digits (67123, 3456.7, 145.67, 0.52341). */
export function decimalsFor(price: number): number {
  if (!(price > 0)) return 2;
  return Math.min(8, Math.max(0, 4 - Math.floor(Math.log10(price))));
}

function fmt(value: number, decimals: number): string {
  return value.toFixed(decimals);
}

function base(symbol: string): string {
  return symbol.split('/')[0]!;
}

export interface SignalDraft {
  symbol: string;
  side: Side;
  price: number;
  market: boolean;
  leverage: number;
  template: number;
}

/** Entries, targets and stop around `price`, rounded like a channel would. */
export function levelsFor(draft: Pick<SignalDraft, 'side' | 'price' | 'market'>): { entries: number[]; takeProfits: number[]; stopLoss: number; decimals: number } {
  const d = decimalsFor(draft.price);
  const dir = draft.side === 'long' ? 1 : -1;
  const r = (x: number) => Number(x.toFixed(d));
  // A zone that straddles the price (so it fills soon), targets at +0.4/0.8/1.5 %, stop at -0.8 %.
  const entries = draft.market ? [] : [r(draft.price * (1 + dir * 0.0008)), r(draft.price * (1 - dir * 0.0015))];
  const takeProfits = [0.004, 0.008, 0.015].map((p) => r(draft.price * (1 + dir * p)));
  const stopLoss = r(draft.price * (1 - dir * 0.008));
  return { entries, takeProfits, stopLoss, decimals: d };
}

/** The text of a signal in one of several channel styles (all understood by the parser). */
export function signalText(draft: SignalDraft): { text: string; lang: 'en' | 'ru'; levels: ReturnType<typeof levelsFor> } {
  const levels = levelsFor(draft);
  const { entries, takeProfits: tp, stopLoss: sl, decimals: d } = levels;
  const f = (x: number) => fmt(x, d);
  const b = base(draft.symbol);
  const long = draft.side === 'long';
  const entryEn = draft.market ? 'market (now)' : `${f(entries[0]!)} - ${f(entries[1]!)}`;
  let text: string;
  let lang: 'en' | 'ru' = 'en';
  switch (draft.template % 4) {
    case 0:
      text = `#${draft.symbol} ${long ? 'LONG' : 'SHORT'}\nEntry: ${entryEn}\nTargets: ${tp.map(f).join(', ')}\nStop: ${f(sl)}\nLeverage: ${draft.leverage}x`;
      break;
    case 1:
      text =
        `${long ? '\ud83d\udcc8 LONG' : '\ud83d\udcc9 SHORT'} $${b}\nEnter: ${draft.market ? 'market' : `${f(entries[0]!)} - ${f(entries[1]!)}`}\n` +
        `${tp.map((x, i) => `TP${i + 1}: ${f(x)}`).join('\n')}\nSL: ${f(sl)}\nLev: Cross ${draft.leverage}x`;
      break;
    case 2:
      text =
        `\ud83d\udd25 #${draft.symbol} (${long ? 'Long' : 'Short'})\n\nEntry Zone: ${entryEn}\n\nTake Profit Targets:\n` +
        `${tp.map((x, i) => `${i + 1}) ${f(x)}`).join('\n')}\n\nStop Loss: ${f(sl)}\n\nLeverage: ${draft.leverage}x`;
      break;
    default:
      lang = 'ru';
      text =
        `${long ? '\ud83d\udfe2 \u041b\u041e\u041d\u0413' : '\ud83d\udd34 \u0428\u041e\u0420\u0422'} #${draft.symbol}\n` +
        `\u0412\u0445\u043e\u0434: ${draft.market ? '\u043f\u043e \u0440\u044b\u043d\u043a\u0443' : `${f(entries[0]!)} - ${f(entries[1]!)}`}\n` +
        `\u0426\u0435\u043b\u0438: ${tp.map(f).join(' / ')}\n\u0421\u0442\u043e\u043f: ${f(sl)}\n\u041f\u043b\u0435\u0447\u043e: x${draft.leverage}`;
  }
  return { text, lang, levels };
}

/** True when the parser reads `text` as this draft's signal. */
export function parsesAs(text: string, symbol: string, side: Side): boolean {
  const r = parseSignal(text);
  return r.kind === 'signal' && r.symbol === symbol && r.side === side;
}

export class DemoChannel implements ChannelView {
  readonly client: ChannelClient;
  readonly title: string;
  private readonly emu: BotApiEmulator;
  private readonly prices: PriceSource;
  private readonly intervalMs: number;
  private readonly followUpChance: number;
  private readonly symbols: readonly string[];
  private readonly ownerId: number;
  private readonly maxOpen: number;
  private readonly random: () => number;
  private readonly all: DemoPost[] = [];
  private readonly signalsById = new Map<number, DemoSignal>();
  private readonly listeners = new Set<(post: DemoPost) => void>();
  private readonly onState: ((state: DemoChannelState) => void) | undefined;
  private timer: ReturnType<typeof setInterval> | null = null;
  private promoted = false;
  private template = 0;

  constructor(options: DemoChannelOptions) {
    this.emu = options.emulator;
    this.prices = options.prices;
    this.intervalMs = options.intervalMs ?? 60_000;
    this.followUpChance = options.followUpChance ?? 0.35;
    this.symbols = options.symbols ?? DEMO_SYMBOLS;
    this.ownerId = options.ownerId ?? DEMO_OWNER_ID;
    this.maxOpen = options.maxOpen ?? 3;
    this.random = rng(options.seed ?? 7);
    this.title = options.title ?? DEMO_CHANNEL_TITLE;
    this.client = this.emu.channel({ id: options.channelId ?? DEMO_CHANNEL_ID, title: this.title, username: options.username ?? 'demo_signals' });
    this.template = Math.floor(this.random() * 4);
    this.onState = options.onState;
    const r = options.restore;
    if (r && isDemoChannelState(r)) {
      continueMessageIds(this.emu, this.client.id, r.lastMessageId);
      this.all.push(...r.posts.slice(-KEEP_POSTS));
      for (const sig of r.signals) this.signalsById.set(sig.messageId, sig);
    }
  }

  /** Everything a later run needs to continue (see DemoChannelOptions.restore). */
  exportState(): DemoChannelState {
    const signals = this.signals();
    return {
      version: 1,
      lastMessageId: this.emu.lastMessageId(this.client.id),
      posts: this.all.slice(-KEEP_POSTS),
      signals: signals.filter((x) => x.state !== 'closed').concat(signals.filter((x) => x.state === 'closed').slice(-KEEP_SIGNALS)),
    };
  }

  get id(): number {
    return this.client.id;
  }

  /**
   * The channel's owner makes the bot an admin (my_chat_member): the channel
   * becomes a source (again after a restart: the bot treats it as idempotent).
   */
  promoteBot(): void {
    if (this.promoted) return;
    this.promoted = true;
    const owner = this.emu.user({ id: this.ownerId, firstName: 'Demo channel owner', username: 'demo_channel_owner' });
    this.client.promoteBot(owner);
    this.saved(undefined);
  }

  /** Promotes the bot (once) and starts posting every `intervalMs`. */
  start(): void {
    this.promoteBot();
    if (this.timer || this.intervalMs <= 0) return;
    this.timer = setInterval(() => this.postNow(), this.intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  onPost(listener: (post: DemoPost) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  posts(): readonly DemoPost[] {
    return this.all;
  }

  signals(): DemoSignal[] {
    return [...this.signalsById.values()];
  }

  openSignals(): DemoSignal[] {
    return this.signals().filter((s) => s.state !== 'closed');
  }

  /** What the timer does: a new signal, or now and then a follow-up. */
  postNow(): DemoPost | null {
    const open = this.openSignals().length;
    if (open > 0 && (open >= this.maxOpen || this.random() < this.followUpChance)) {
      const f = this.postFollowUp();
      if (f) return f;
    }
    return this.postSignal();
  }

  /** Posts a new signal around the current price (null when no symbol has a price). */
  postSignal(opts: { symbol?: string; side?: Side; market?: boolean; leverage?: number; template?: number } = {}): DemoPost | null {
    const busy = new Set(this.openSignals().map((s) => s.symbol));
    const candidates = opts.symbol ? [opts.symbol] : this.symbols.filter((s) => !busy.has(s));
    const pool = candidates.length ? candidates : [...this.symbols];
    const start = Math.floor(this.random() * pool.length);
    let symbol: string | undefined;
    let price: number | null = null;
    for (let i = 0; i < pool.length; i++) {
      const s = pool[(start + i) % pool.length]!;
      const p = this.prices.price(s);
      if (p !== null && p > 0 && Number.isFinite(p)) {
        symbol = s;
        price = p;
        break;
      }
    }
    if (!symbol || price === null) return null;
    const side: Side = opts.side ?? (this.random() < 0.5 ? 'long' : 'short');
    const market = opts.market ?? this.random() < 0.5;
    const leverage = opts.leverage ?? [5, 10, 10, 15, 20][Math.floor(this.random() * 5)]!;
    const template = opts.template ?? this.template++;
    let draft: SignalDraft = { symbol, side, price, market, leverage, template };
    let made = signalText(draft);
    if (!parsesAs(made.text, symbol, side)) {
      // Never post something the parser would not read as this signal: use the plainest style.
      draft = { ...draft, template: 0 };
      made = signalText(draft);
    }
    const post = this.post(made.text, null, 'signal');
    this.signalsById.set(post.messageId, {
      messageId: post.messageId,
      symbol,
      side,
      reference: price,
      entries: made.levels.entries,
      market,
      takeProfits: made.levels.takeProfits,
      stopLoss: made.levels.stopLoss,
      leverage,
      lang: made.lang,
      targetsHit: 0,
      state: 'open',
    });
    return this.saved(post);
  }

  /**
   * Posts a follow-up (a reply) about an open signal, newest first, chosen by
   * where the price is: a target reached, the stop reached, else stop to
   * breakeven when in profit, else close. Null when no signal is open.
   */
  postFollowUp(action?: 'tp' | 'sl' | 'breakeven' | 'close', messageId?: number): DemoPost | null {
    const open = this.openSignals();
    const s = messageId !== undefined ? this.signalsById.get(messageId) : open[open.length - 1];
    if (!s || s.state === 'closed') return null;
    const p = this.prices.price(s.symbol) ?? s.reference;
    const dir = s.side === 'long' ? 1 : -1;
    const nextTp = s.takeProfits[s.targetsHit];
    const chosen =
      action ??
      (nextTp !== undefined && dir * (p - nextTp) >= 0
        ? 'tp'
        : dir * (s.stopLoss - p) >= 0
          ? 'sl'
          : s.state === 'open' && dir * (p - s.reference) > 0
            ? 'breakeven'
            : 'close');
    const b = base(s.symbol);
    const ru = s.lang === 'ru';
    let text: string;
    switch (chosen) {
      case 'tp': {
        const k = Math.min(s.targetsHit + 1, s.takeProfits.length);
        const target = s.takeProfits[k - 1] ?? p;
        const profit = ((dir * (target - s.reference)) / s.reference) * 100 * s.leverage;
        text = ru
          ? `\u2705 #${s.symbol} \u0422\u0435\u0439\u043a ${k} \u0432\u0437\u044f\u0442 \u2705\n\u041f\u0440\u0438\u0431\u044b\u043b\u044c: ${profit.toFixed(1)}%`
          : `\u2705 #${s.symbol} Take-Profit target ${k} \u2705\nProfit: ${profit.toFixed(1)}% \ud83d\udcc8`;
        s.targetsHit = k;
        if (k >= s.takeProfits.length) s.state = 'closed';
        break;
      }
      case 'sl':
        text = ru ? `\u274c ${b} \u0432\u044b\u0431\u0438\u043b\u043e \u043f\u043e \u0441\u0442\u043e\u043f\u0443` : `\u274c ${b} stopped out`;
        s.state = 'closed';
        break;
      case 'breakeven':
        text = ru ? `\u0421\u0442\u043e\u043f \u0432 \u0431\u0435\u0437\u0443\u0431\u044b\u0442\u043e\u043a \u043f\u043e ${b}` : `Move SL to entry on ${b}`;
        s.state = 'breakeven';
        break;
      default:
        text = ru ? `\u0417\u0430\u043a\u0440\u044b\u0432\u0430\u0435\u043c ${b} \u043f\u043e \u0440\u044b\u043d\u043a\u0443` : `Close ${b} now, market is turning`;
        s.state = 'closed';
    }
    return this.saved(this.post(text, s.messageId, 'follow-up'));
  }

  private post(text: string, replyTo: number | null, kind: DemoPost['kind']): DemoPost {
    const messageId = this.client.post(text, replyTo !== null ? { replyTo } : {});
    const post: DemoPost = { messageId, text, date: Math.floor(Date.now() / 1000), replyTo, kind };
    this.all.push(post);
    if (this.all.length > KEEP_POSTS * 2) this.all.splice(0, this.all.length - KEEP_POSTS);
    for (const l of this.listeners) {
      try {
        l(post);
      } catch {
        // a listener's failure never stops the channel
      }
    }
    return post;
  }

  /** Saves after the signal bookkeeping of a post is done. */
  private saved<T>(value: T): T {
    try {
      this.onState?.(this.exportState());
    } catch {
      // saving is best effort: the next post tries again
    }
    return value;
  }
}
