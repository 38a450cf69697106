/**
 * Signal sources and subscriptions. A channel becomes a source when the bot is
 * made an admin there (my_chat_member); the user who added it is subscribed.
 * Users subscribe/unsubscribe, choose auto or confirm mode, and keep
 * per-source setting overrides (validated by the settings service).
 */
import { sources as sourcesRepo, users as usersRepo, type Db } from '../db/index.js';
import type { SourceRow, SubscriptionRow } from '../db/database.js';
import { UserError } from '../models/errors.js';
import { parseOverrides, type SettingsOverrides } from '../models/settings.js';
import type { SourceKind } from '../models/signal.js';
import type { Logger } from './logger.js';

export type SubscriptionMode = 'auto' | 'confirm';

export class SourceNotFound extends UserError {
  override readonly code = 'source-not-found';
}

export interface Source {
  id: number;
  kind: SourceKind;
  chatId: string;
  title: string;
  username: string | null;
  addedBy: number | null;
  paused: boolean;
}

export interface Subscription {
  sourceId: number;
  enabled: boolean;
  mode: SubscriptionMode;
  accountId: number | null;
  overrides: SettingsOverrides;
}

export interface SourceWithSubscription extends Source {
  subscription: Subscription | null;
}

export interface PromotionInput {
  chatId: number | string;
  title: string;
  username?: string | null;
  /** Telegram id of the user who changed the bot's status. */
  byTelegramId: number;
  /** The bot's new status in the chat. */
  status: 'administrator' | 'member' | 'left' | 'kicked' | 'restricted' | 'creator';
}

export interface PromotionResult {
  source: Source;
  /** Our user id of who added the bot, when they are a user of the bot. */
  addedByUserId: number | null;
  created: boolean;
  /** True when the bot lost admin rights (the source is paused). */
  removed: boolean;
}

export interface SourcesService {
  /** my_chat_member in a channel: admin → source (created or resumed), subscribed for the adder; else paused. */
  onBotStatusChanged(input: PromotionInput): Promise<PromotionResult | null>;
  /** Sources a user can see: public ones and the ones they added, with their subscription. */
  list(userId: number): Promise<SourceWithSubscription[]>;
  get(userId: number, sourceId: number): Promise<SourceWithSubscription>;
  findByChat(chatId: number | string): Promise<Source | null>;
  subscribe(userId: number, sourceId: number): Promise<Subscription>;
  unsubscribe(userId: number, sourceId: number): Promise<Subscription>;
  toggle(userId: number, sourceId: number): Promise<Subscription>;
  setMode(userId: number, sourceId: number, mode: SubscriptionMode): Promise<Subscription>;
  setAccount(userId: number, sourceId: number, accountId: number | null): Promise<Subscription>;
}

function rowToSource(r: SourceRow): Source {
  return { id: r.id, kind: r.kind as SourceKind, chatId: r.chat_id, title: r.title, username: r.username, addedBy: r.added_by, paused: r.paused === 1 };
}

function rowToSubscription(r: SubscriptionRow): Subscription {
  let overrides: SettingsOverrides;
  try {
    overrides = parseOverrides(JSON.parse(r.overrides));
  } catch {
    overrides = {};
  }
  return { sourceId: r.source_id, enabled: r.enabled === 1, mode: r.mode === 'confirm' ? 'confirm' : 'auto', accountId: r.account_id, overrides };
}

export function createSourcesService(deps: { db: Db; log?: Logger; clock?: { now(): number } }): SourcesService {
  const { db } = deps;
  const now = () => deps.clock?.now() ?? Date.now();

  async function visibleSource(userId: number, sourceId: number): Promise<SourceRow> {
    const row = await sourcesRepo.findSource(db, sourceId);
    if (!row || (row.visibility !== 'public' && row.added_by !== userId)) {
      throw new SourceNotFound(`source ${sourceId} not found`, { details: { sourceId } });
    }
    return row;
  }

  async function upsert(userId: number, sourceId: number, patch: { enabled?: boolean; mode?: string; accountId?: number | null }): Promise<Subscription> {
    await visibleSource(userId, sourceId);
    return rowToSubscription(await sourcesRepo.upsertSubscription(db, { userId, sourceId, ...patch, now: now() }));
  }

  const service: SourcesService = {
    async onBotStatusChanged(input) {
      const chatId = String(input.chatId);
      const adder = await usersRepo.findUserByTelegramId(db, input.byTelegramId);
      const isAdmin = input.status === 'administrator' || input.status === 'creator';
      const existing = await sourcesRepo.findSourceByChat(db, 'channel', chatId);
      if (!isAdmin) {
        if (!existing) return null;
        await sourcesRepo.updateSource(db, existing.id, { paused: 1 }, now());
        deps.log?.info({ sourceId: existing.id }, 'bot lost admin rights in a source channel: paused');
        return { source: { ...rowToSource(existing), paused: true }, addedByUserId: adder?.id ?? null, created: false, removed: true };
      }
      const row = await sourcesRepo.upsertSource(db, {
        kind: 'channel',
        chatId,
        title: input.title || chatId,
        username: input.username ?? null,
        addedBy: adder?.id ?? null,
        now: now(),
      });
      if (row.paused === 1) await sourcesRepo.updateSource(db, row.id, { paused: 0 }, now());
      if (adder) {
        const sub = await sourcesRepo.findSubscription(db, adder.id, row.id);
        if (!sub) await sourcesRepo.upsertSubscription(db, { userId: adder.id, sourceId: row.id, enabled: true, mode: 'auto', now: now() });
      }
      deps.log?.info({ sourceId: row.id, created: !existing }, 'channel source registered');
      return { source: { ...rowToSource(row), paused: false }, addedByUserId: adder?.id ?? null, created: !existing, removed: false };
    },

    async list(userId) {
      const rows = await sourcesRepo.listSources(db);
      const subs = new Map((await sourcesRepo.listSubscriptionsOfUser(db, userId)).map((s) => [s.source_id, s]));
      return rows
        .filter((r) => r.visibility === 'public' || r.added_by === userId || subs.has(r.id))
        .map((r) => {
          const s = subs.get(r.id);
          return { ...rowToSource(r), subscription: s ? rowToSubscription(s) : null };
        });
    },

    async get(userId, sourceId) {
      const row = await visibleSource(userId, sourceId);
      const s = await sourcesRepo.findSubscription(db, userId, sourceId);
      return { ...rowToSource(row), subscription: s ? rowToSubscription(s) : null };
    },

    async findByChat(chatId) {
      const row = await sourcesRepo.findSourceByChat(db, 'channel', String(chatId));
      return row ? rowToSource(row) : null;
    },

    subscribe: (userId, sourceId) => upsert(userId, sourceId, { enabled: true }),
    unsubscribe: (userId, sourceId) => upsert(userId, sourceId, { enabled: false }),
    async toggle(userId, sourceId) {
      const s = await sourcesRepo.findSubscription(db, userId, sourceId);
      return upsert(userId, sourceId, { enabled: !(s?.enabled === 1) });
    },
    setMode: (userId, sourceId, mode) => upsert(userId, sourceId, { mode }),
    setAccount: (userId, sourceId, accountId) => upsert(userId, sourceId, { accountId }),
  };
  return service;
}
