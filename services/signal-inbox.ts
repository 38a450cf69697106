/**
 * The bot's entry to signals: channel posts go to the intake (parse, store,
 * fan-out), forwarded posts become a per-user preview that can be executed or
 * ignored, and any text can be parsed to show how the bot reads it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { UserError } from '../models/errors.js';
import type { ParseResult, SignalParse } from '../models/signal.js';
import type { Logger } from './logger.js';
import type { PlanSummary, RefusalReason } from './notifications.js';
import type { Source, SourcesService } from './sources.js';

export class PreviewExpired extends UserError {
  override readonly code = 'preview-expired';
}

export interface ChannelPostInput {
  chatId: number | string;
  messageId: number;
  text: string;
  replyToMessageId?: number | null;
  edited: boolean;
  /** Epoch ms the post was made. */
  postedAt: number;
}

/** What the signal intake and execution services provide (wired in services/app.ts). */
export interface SignalPort {
  parse(text: string): ParseResult;
  /** A post in a source channel: store once, fan out to subscribers (auto: trade, confirm: preview event). */
  channelPost(source: Source, post: ChannelPostInput): Promise<void>;
  /** Plans a parsed signal for a user without sending anything. */
  preview(input: { userId: number; sourceId: number | null; signal: SignalParse }): Promise<{ ok: true; plan: PlanSummary } | { ok: false; reason: RefusalReason; details: Record<string, unknown> }>;
  /**
   * Executes a parsed signal for one user (forwarded post), stored as message `messageKey` of
   * source `sourceId` (null: the user's own "forwarded" source). `duplicate`: this user already
   * has the trade of that stored signal (nothing was sent).
   */
  executeParsed(input: { userId: number; sourceId: number | null; signal: SignalParse; messageKey: string }): Promise<ExecuteResult>;
  /** Executes a stored signal for one user (confirm mode). */
  executeStored(input: { userId: number; signalId: number }): Promise<ExecuteResult>;
  /** The user's trade of the signal stored as `messageKey` of `sourceId` (null: their "forwarded" source), if any. */
  executedTrade?(input: { userId: number; sourceId: number | null; messageKey: string }): Promise<number | null>;
  /** The user declined a stored signal (confirm mode). */
  ignoreStored?(input: { userId: number; signalId: number }): Promise<void>;
}

/** The trade of an executed signal; `duplicate`: it existed already (a second Execute, the same post forwarded again). */
export interface ExecuteResult {
  tradeId: number;
  duplicate?: boolean;
}

/** Where a forwarded message came from (Telegram's forward_origin). */
export interface ForwardOrigin {
  /** The channel (or the chat that sent it on its behalf), when known. */
  originChatId: number | null;
  /** The post's id in that channel (channel origins only). */
  originMessageId: number | null;
  /** Who sent it when there is no channel post id: a user id, a hidden user's name, a chat id. */
  originSender?: string | null;
  /** When the original was sent (epoch seconds). */
  originDate?: number | null;
}

export interface ForwardPreview {
  id: string;
  parse: ParseResult;
  source: Source | null;
  subscribed: boolean;
  plan: PlanSummary | null;
  refusal: { reason: RefusalReason; details: Record<string, unknown> } | null;
  /** This post was already executed for the user (the channel post itself, or the same forward): its trade. */
  executedTradeId: number | null;
}

export interface SignalInbox {
  parse(text: string): ParseResult;
  /** Returns false when the chat is not a known (active) source. */
  channelPost(post: ChannelPostInput): Promise<boolean>;
  previewForwarded(userId: number, input: ForwardOrigin & { text: string }): Promise<ForwardPreview>;
  executePreview(userId: number, previewId: string): Promise<ExecuteResult>;
  /** Drops the user's own preview; another user's (or an unknown) id changes nothing and throws PreviewExpired. */
  ignorePreview(userId: number, previewId: string): Promise<void>;
  /** Source of a preview (for the Subscribe button). */
  previewSource(userId: number, previewId: string): Source | null;
  executeSignal(userId: number, signalId: number): Promise<ExecuteResult>;
  ignoreSignal(userId: number, signalId: number): Promise<void>;
}

interface StoredPreview {
  userId: number;
  signal: SignalParse;
  source: Source | null;
  /** Where executing it stores the signal: the source's own post id, or a stable key of the forward's origin. */
  sourceId: number | null;
  messageKey: string;
  expiresAt: number;
}

/**
 * Where a forwarded post is stored, so that one post is one signal (and one trade per user):
 *  - a post of a known source channel: that source, message id = the post's id (the same row
 *    as the post the bot received directly);
 *  - a post of another channel: the user's "forwarded" source, `fwd:<chat>:<message>`;
 *  - no post id (forwarded from a user or a group): a hash of the origin, its date and the text.
 */
export function forwardKey(source: Source | null, input: ForwardOrigin & { text: string }): { sourceId: number | null; messageKey: string } {
  if (source && input.originMessageId !== null) return { sourceId: source.id, messageKey: String(input.originMessageId) };
  if (input.originChatId !== null && input.originMessageId !== null) return { sourceId: null, messageKey: `fwd:${input.originChatId}:${input.originMessageId}` };
  const hash = createHash('sha256')
    .update(JSON.stringify([input.originChatId, input.originSender ?? null, input.originDate ?? null, input.text]))
    .digest('hex')
    .slice(0, 32);
  return { sourceId: source?.id ?? null, messageKey: `fwd:h:${hash}` };
}

export function createSignalInbox(deps: { port: SignalPort; sources: SourcesService; log?: Logger; clock?: { now(): number }; previewTtlMs?: number }): SignalInbox {
  const now = () => deps.clock?.now() ?? Date.now();
  const ttl = deps.previewTtlMs ?? 30 * 60_000;
  const previews = new Map<string, StoredPreview>();

  function take(userId: number, id: string, remove: boolean): StoredPreview {
    const p = previews.get(id);
    if (!p || p.userId !== userId || p.expiresAt <= now()) {
      // Only an expired preview goes; another user's id leaves the owner's preview as it is.
      if (p && p.expiresAt <= now()) previews.delete(id);
      throw new PreviewExpired('this preview has expired; forward the post again');
    }
    if (remove) previews.delete(id);
    return p;
  }

  function sweep(): void {
    const t = now();
    for (const [k, v] of previews) if (v.expiresAt <= t) previews.delete(k);
  }

  return {
    parse: (text) => deps.port.parse(text),
    async channelPost(post) {
      const source = await deps.sources.findByChat(post.chatId);
      if (!source || source.paused) return false;
      await deps.port.channelPost(source, post);
      return true;
    },
    async previewForwarded(userId, input) {
      sweep();
      const parse = deps.port.parse(input.text);
      const source = input.originChatId !== null ? await deps.sources.findByChat(input.originChatId) : null;
      let subscribed = false;
      if (source) {
        try {
          subscribed = (await deps.sources.get(userId, source.id)).subscription?.enabled === true;
        } catch {
          subscribed = false;
        }
      }
      const id = randomBytes(6).toString('hex');
      if (parse.kind !== 'signal') return { id, parse, source, subscribed, plan: null, refusal: null, executedTradeId: null };
      const { sourceId, messageKey } = forwardKey(source, input);
      // The same post executed before: say so instead of planning a trade that would be a duplicate.
      const executedTradeId = (await deps.port.executedTrade?.({ userId, sourceId, messageKey })) ?? null;
      if (executedTradeId !== null) return { id, parse, source, subscribed, plan: null, refusal: null, executedTradeId };
      const r = await deps.port.preview({ userId, sourceId: source?.id ?? null, signal: parse });
      previews.set(id, { userId, signal: parse, source, sourceId, messageKey, expiresAt: now() + ttl });
      return r.ok
        ? { id, parse, source, subscribed, plan: r.plan, refusal: null, executedTradeId: null }
        : { id, parse, source, subscribed, plan: null, refusal: { reason: r.reason, details: r.details }, executedTradeId: null };
    },
    async executePreview(userId, previewId) {
      const p = take(userId, previewId, true);
      try {
        return await deps.port.executeParsed({ userId, sourceId: p.sourceId, signal: p.signal, messageKey: p.messageKey });
      } catch (e) {
        // Keep the preview so the user can retry after fixing the cause.
        previews.set(previewId, p);
        throw e;
      }
    },
    async ignorePreview(userId, previewId) {
      // take() checks the owner: another user's preview id is refused and stays as it is.
      take(userId, previewId, true);
    },
    previewSource(userId, previewId) {
      try {
        return take(userId, previewId, false).source;
      } catch {
        return null;
      }
    },
    executeSignal: (userId, signalId) => deps.port.executeStored({ userId, signalId }),
    async ignoreSignal(userId, signalId) {
      await deps.port.ignoreStored?.({ userId, signalId });
    },
  };
}
