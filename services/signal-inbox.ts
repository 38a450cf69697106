/**
 * The bot's entry to signals: channel posts go to the intake (parse, store,
 * fan-out), forwarded posts become a per-user preview that can be executed or
 * ignored, and any text can be parsed to show how the bot reads it.
 */
import { randomBytes } from 'node:crypto';
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
  /** Executes a parsed signal for one user (forwarded post). */
  executeParsed(input: { userId: number; sourceId: number | null; signal: SignalParse; messageKey: string }): Promise<{ tradeId: number }>;
  /** Executes a stored signal for one user (confirm mode). */
  executeStored(input: { userId: number; signalId: number }): Promise<{ tradeId: number }>;
  /** The user declined a stored signal (confirm mode). */
  ignoreStored?(input: { userId: number; signalId: number }): Promise<void>;
}

export interface ForwardPreview {
  id: string;
  parse: ParseResult;
  source: Source | null;
  subscribed: boolean;
  plan: PlanSummary | null;
  refusal: { reason: RefusalReason; details: Record<string, unknown> } | null;
}

export interface SignalInbox {
  parse(text: string): ParseResult;
  /** Returns false when the chat is not a known (active) source. */
  channelPost(post: ChannelPostInput): Promise<boolean>;
  previewForwarded(userId: number, input: { originChatId: number | null; originMessageId: number | null; text: string }): Promise<ForwardPreview>;
  executePreview(userId: number, previewId: string): Promise<{ tradeId: number }>;
  ignorePreview(userId: number, previewId: string): Promise<void>;
  /** Source of a preview (for the Subscribe button). */
  previewSource(userId: number, previewId: string): Source | null;
  executeSignal(userId: number, signalId: number): Promise<{ tradeId: number }>;
  ignoreSignal(userId: number, signalId: number): Promise<void>;
}

interface StoredPreview {
  userId: number;
  signal: SignalParse;
  source: Source | null;
  messageKey: string;
  expiresAt: number;
}

export function createSignalInbox(deps: { port: SignalPort; sources: SourcesService; log?: Logger; clock?: { now(): number }; previewTtlMs?: number }): SignalInbox {
  const now = () => deps.clock?.now() ?? Date.now();
  const ttl = deps.previewTtlMs ?? 30 * 60_000;
  const previews = new Map<string, StoredPreview>();

  function take(userId: number, id: string, remove: boolean): StoredPreview {
    const p = previews.get(id);
    if (!p || p.userId !== userId || p.expiresAt <= now()) {
      previews.delete(id);
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
      if (parse.kind !== 'signal') return { id, parse, source, subscribed, plan: null, refusal: null };
      const r = await deps.port.preview({ userId, sourceId: source?.id ?? null, signal: parse });
      const messageKey = input.originChatId !== null && input.originMessageId !== null ? `fwd:${input.originChatId}:${input.originMessageId}` : `fwd:${userId}:${id}`;
      previews.set(id, { userId, signal: parse, source, messageKey, expiresAt: now() + ttl });
      return r.ok
        ? { id, parse, source, subscribed, plan: r.plan, refusal: null }
        : { id, parse, source, subscribed, plan: null, refusal: { reason: r.reason, details: r.details } };
    },
    async executePreview(userId, previewId) {
      const p = take(userId, previewId, true);
      try {
        return await deps.port.executeParsed({ userId, sourceId: p.source?.id ?? null, signal: p.signal, messageKey: p.messageKey });
      } catch (e) {
        // Keep the preview so the user can retry after fixing the cause.
        previews.set(previewId, p);
        throw e;
      }
    },
    async ignorePreview(userId, previewId) {
      previews.delete(previewId);
      void userId;
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
