/**
 * What the admin menu reads: a user card (masked accounts, subscriptions,
 * open trades, license), sources with subscriber counts, and a health
 * snapshot (uptime, exchange breakers, limiter queues, last errors with ids,
 * signals and orders in the last hour, kill switch). Every read re-checks
 * admin rights; nothing here changes state (actions live in access.ts,
 * licenses.ts, entry-gate.ts, broadcast.ts).
 */
import { accounts as accountsRepo, sources as sourcesRepo, trades as tradesRepo, signals as signalsRepo, users as usersRepo, type Db } from '../db/index.js';
import type { UserRow } from '../db/database.js';
import * as accessRepo from '../db/repos/access.js';
import type { ExchangeHealth } from '../exchanges/index.js';
import { TargetNotFound, type AccessService, type Actor } from './access.js';
import type { EntryGate, KillSwitchState } from './entry-gate.js';
import type { LicensesService, LicenseStatus } from './licenses.js';

// ------------------------------------------------------------ error ring

export interface RecordedError {
  /** The error id shown to the user ("… error id abc123"). */
  id: string;
  code: string;
  /** Short, secret-free message (truncated). */
  message: string;
  at: number;
}

export interface ErrorRing {
  recordError(id: string, code: string, message: string): void;
  /** Newest first. */
  list(limit?: number): RecordedError[];
  /** Errors recorded since `since`. */
  countSince(since: number): number;
}

/** An in-memory ring of the last errors, fed by the logger / error boundary. */
export function createErrorRing(options: { size?: number; clock?: { now(): number } } = {}): ErrorRing {
  const size = options.size ?? 50;
  const now = () => options.clock?.now() ?? Date.now();
  const ring: RecordedError[] = [];
  return {
    recordError(id, code, message) {
      ring.push({ id: String(id).slice(0, 64), code: String(code).slice(0, 64), message: String(message).replace(/\s+/g, ' ').slice(0, 200), at: now() });
      if (ring.length > size) ring.splice(0, ring.length - size);
    },
    list(limit = 10) {
      return ring.slice(-limit).reverse();
    },
    countSince(since) {
      return ring.filter((e) => e.at >= since).length;
    },
  };
}

// ------------------------------------------------------------ user card

export interface MaskedAccount {
  id: number;
  exchange: string;
  environment: string;
  label: string;
  /** Masked key hint ("AbCd…9xYz"), never the key. */
  keyHint: string | null;
  status: string;
  isDefault: boolean;
}

export interface UserCard {
  user: { id: number; telegramId: number; username: string | null; firstName: string | null; role: string; status: string; tradingEnabled: boolean; language: string; createdAt: number };
  accounts: MaskedAccount[];
  subscriptions: { sourceId: number; title: string; enabled: boolean; mode: string }[];
  openTrades: { id: number; symbol: string; side: string; status: string; quantity: string; entryPrice: string | null; stopLoss: string | null; accountId: number }[];
  license: LicenseStatus;
}

export interface SourceSummary {
  id: number;
  kind: string;
  title: string;
  username: string | null;
  visibility: string;
  paused: boolean;
  ownerUserId: number | null;
  subscribers: number;
}

export interface HealthSnapshot {
  startedAt: number;
  uptimeMs: number;
  killSwitch: KillSwitchState;
  breakers: { scope: string; key: string; status: string; reason: string | null; openedAt: number | null; retryAt: number | null }[];
  limiter: { queued: number; buckets: { key: string; queued: number; used: number; limit: number }[] };
  lastErrors: RecordedError[];
  lastHour: { signals: number; orders: number; trades: number; errors: number };
  users: { active: number; pending: number; blocked: number };
}

export interface AdminService {
  /** By our id, Telegram id (numeric) or @username; null when nobody matches. */
  findUser(actor: Actor, query: string): Promise<UserCard | null>;
  userCard(actor: Actor, userId: number): Promise<UserCard>;
  listSources(actor: Actor): Promise<SourceSummary[]>;
  health(actor: Actor): Promise<HealthSnapshot>;
}

export interface AdminServiceDeps {
  db: Db;
  access: Pick<AccessService, 'assertAdmin'>;
  licenses: Pick<LicensesService, 'status'>;
  gate: Pick<EntryGate, 'killSwitch'>;
  errors: ErrorRing;
  /** The exchange registry's health (breakers, limiter, metrics); absent in tests without exchanges. */
  exchangeHealth?: () => ExchangeHealth;
  clock?: { now(): number };
  /** When the process started (default: when the service was created). */
  startedAt?: number;
}

const HOUR_MS = 3_600_000;

export function createAdminService(deps: AdminServiceDeps): AdminService {
  const { db } = deps;
  const now = () => deps.clock?.now() ?? Date.now();
  const startedAt = deps.startedAt ?? now();

  async function card(row: UserRow): Promise<UserCard> {
    const [accounts, subs, sources, open, license] = await Promise.all([
      accountsRepo.listAccountsOfUser(db, row.id),
      sourcesRepo.listSubscriptionsOfUser(db, row.id),
      sourcesRepo.listSources(db),
      tradesRepo.listOpenTrades(db, { userId: row.id }),
      deps.licenses.status(row.id),
    ]);
    const titles = new Map(sources.map((s) => [s.id, s.title]));
    return {
      user: {
        id: row.id,
        telegramId: Number(row.telegram_id),
        username: row.username,
        firstName: row.first_name,
        role: row.role,
        status: row.status,
        tradingEnabled: row.trading_enabled === 1,
        language: row.language,
        createdAt: Number(row.created_at),
      },
      accounts: accounts.map((a) => ({
        id: a.id,
        exchange: a.exchange,
        environment: a.environment,
        label: a.label,
        keyHint: a.key_hint,
        status: a.status,
        isDefault: row.default_account_id === a.id,
      })),
      subscriptions: subs.map((s) => ({ sourceId: s.source_id, title: titles.get(s.source_id) ?? `#${s.source_id}`, enabled: s.enabled === 1, mode: s.mode })),
      openTrades: open.map((t) => ({ id: t.id, symbol: t.symbol, side: t.side, status: t.status, quantity: t.quantity, entryPrice: t.entry_price, stopLoss: t.stop_loss, accountId: t.account_id })),
      license,
    };
  }

  return {
    async findUser(actor, query) {
      await deps.access.assertAdmin(actor);
      const q = query.trim();
      let row: UserRow | undefined;
      if (/^\d{1,15}$/.test(q)) {
        const n = Number(q);
        row = (await usersRepo.findUserByTelegramId(db, n)) ?? (await usersRepo.findUserById(db, n));
      } else if (/^@?[A-Za-z0-9_]{3,32}$/.test(q)) {
        row = await usersRepo.findUserByUsername(db, q);
        if (!row) {
          const lower = q.replace(/^@/, '').toLowerCase();
          row = (await usersRepo.listUsers(db)).find((u) => u.username?.toLowerCase() === lower);
        }
      }
      return row ? card(row) : null;
    },

    async userCard(actor, userId) {
      await deps.access.assertAdmin(actor);
      const row = await usersRepo.findUserById(db, userId);
      if (!row) throw new TargetNotFound(`user ${userId} not found`, { details: { userId } });
      return card(row);
    },

    async listSources(actor) {
      await deps.access.assertAdmin(actor);
      const [rows, counts] = await Promise.all([sourcesRepo.listSources(db), accessRepo.countSubscribersBySource(db)]);
      return rows.map((s) => ({
        id: s.id,
        kind: s.kind,
        title: s.title,
        username: s.username,
        visibility: s.visibility,
        paused: s.paused === 1,
        ownerUserId: s.added_by,
        subscribers: counts.get(s.id) ?? 0,
      }));
    },

    async health(actor) {
      await deps.access.assertAdmin(actor);
      const at = now();
      const since = at - HOUR_MS;
      const ex = deps.exchangeHealth?.();
      const [signals, orders, trades, killSwitch, users] = await Promise.all([
        signalsRepo.countSignalsSince(db, since),
        tradesRepo.countOrdersSince(db, since),
        accessRepo.countTradesOpenedSince(db, since),
        deps.gate.killSwitch(),
        usersRepo.listUsers(db),
      ]);
      return {
        startedAt,
        uptimeMs: Math.max(0, at - startedAt),
        killSwitch,
        breakers: (ex?.breakers ?? []).map((b) => ({ scope: b.scope, key: b.key, status: b.status, reason: b.reason, openedAt: b.openedAt, retryAt: b.retryAt })),
        limiter: {
          queued: ex?.limiter.queued ?? 0,
          buckets: (ex?.limiter.buckets ?? []).filter((b) => b.queued > 0).map((b) => ({ key: b.key, queued: b.queued, used: b.used, limit: b.limit })),
        },
        lastErrors: deps.errors.list(10),
        lastHour: { signals, orders, trades, errors: deps.errors.countSince(since) },
        users: {
          active: users.filter((u) => u.status === 'active').length,
          pending: users.filter((u) => u.status === 'pending').length,
          blocked: users.filter((u) => u.status === 'blocked').length,
        },
      };
    },
  };
}
