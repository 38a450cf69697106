/**
 * Licenses: an admin grants days or a plan, extends or revokes. A license is
 * a single expiry instant (users.license_expires_at) plus a history
 * (license_grants). States for a user at an instant:
 *   unlimited  admins (never expire)
 *   none       never licensed (entries allowed only when licenses are not required)
 *   active     before expiry
 *   grace      expired less than 48 h ago: no new entries, open trades still managed
 *   expired    grace over: no entries, open trades stay on the exchange unmanaged
 * Nothing is ever closed because a license ran out.
 *
 * The reminder job (node-cron) sends, once each per expiry instant: reminders
 * 3 days and 1 day before, an "expired, grace until …" notice, and a
 * "grace ended, your open trades are unmanaged" notice.
 */
import cron from 'node-cron';
import { audit, inTransaction, trades as tradesRepo, users as usersRepo, type Db } from '../db/index.js';
import * as accessRepo from '../db/repos/access.js';
import { UserError } from '../models/errors.js';
import { adminActor, TargetNotFound, type AccessService, type Actor } from './access.js';
import type { Logger } from './logger.js';

export const DAY_MS = 86_400_000;
export const GRACE_MS = 48 * 3_600_000;
/** Days before expiry when a reminder goes out (each once). */
export const REMINDER_DAYS = [3, 1] as const;

export const LICENSE_PLANS = { trial: 7, month: 30, quarter: 90, year: 365 } as const;
export type LicensePlan = keyof typeof LICENSE_PLANS;
export const isLicensePlan = (v: string): v is LicensePlan => Object.hasOwn(LICENSE_PLANS, v);

export type LicenseState = 'unlimited' | 'none' | 'active' | 'grace' | 'expired';

export interface LicenseStatus {
  state: LicenseState;
  expiresAt: number | null;
  /** End of the 48 h grace (expiresAt + 48 h); null without an expiry. */
  graceEndsAt: number | null;
  /** Whole days left (rounded up) while active; 0 otherwise. */
  daysLeft: number;
  /** Plan of the last grant or extension, when it named one. */
  plan: string | null;
  /** Whether new entries are allowed by the license. */
  entriesAllowed: boolean;
  /** Whether open trades are still managed (stops moved, targets re-sized, ...). */
  managed: boolean;
}

/** Pure: the license state of a user at `now`. */
export function licenseStatusAt(input: { role: string; expiresAt: number | null; plan?: string | null; licenseRequired: boolean }, now: number): LicenseStatus {
  const plan = input.plan ?? null;
  if (input.role === 'admin') return { state: 'unlimited', expiresAt: input.expiresAt, graceEndsAt: null, daysLeft: 0, plan, entriesAllowed: true, managed: true };
  if (input.expiresAt === null) {
    return { state: 'none', expiresAt: null, graceEndsAt: null, daysLeft: 0, plan, entriesAllowed: !input.licenseRequired, managed: true };
  }
  const graceEndsAt = input.expiresAt + GRACE_MS;
  if (now < input.expiresAt) {
    return { state: 'active', expiresAt: input.expiresAt, graceEndsAt, daysLeft: Math.ceil((input.expiresAt - now) / DAY_MS), plan, entriesAllowed: true, managed: true };
  }
  if (now < graceEndsAt) return { state: 'grace', expiresAt: input.expiresAt, graceEndsAt, daysLeft: 0, plan, entriesAllowed: false, managed: true };
  return { state: 'expired', expiresAt: input.expiresAt, graceEndsAt, daysLeft: 0, plan, entriesAllowed: false, managed: false };
}

/** Typed notices for the user (bot/ renders them). */
export type LicenseEvent =
  | { type: 'license-expiring'; userId: number; telegramId: number; expiresAt: number; daysBefore: number }
  | { type: 'license-expired'; userId: number; telegramId: number; expiresAt: number; graceEndsAt: number; openTrades: number }
  | { type: 'license-grace-ended'; userId: number; telegramId: number; expiresAt: number; openTrades: number }
  | { type: 'license-granted'; userId: number; telegramId: number; expiresAt: number; plan: string | null; days: number };

export interface LicenseNotifier {
  notify(event: LicenseEvent): void;
}

export interface LicenseJobResult {
  reminders: number;
  expired: number;
  graceEnded: number;
}

export interface LicensesService {
  readonly licenseRequired: boolean;
  status(userId: number): Promise<LicenseStatus>;
  /** Sets the license to now + days (or the plan's days), replacing the previous expiry. */
  grant(actor: Actor, userId: number, what: { days: number } | { plan: string }): Promise<LicenseStatus>;
  /** Adds days (or a plan) to the current expiry, or to now when there is none or it has passed. */
  extend(actor: Actor, userId: number, what: { days: number } | { plan: string }): Promise<LicenseStatus>;
  /** Ends the license now: new entries stop, open trades get the 48 h grace. */
  revoke(actor: Actor, userId: number): Promise<LicenseStatus>;
  /** Grant from an invite redemption (actor 'system'); extends an existing license. */
  grantFromInvite(userId: number, days: number): Promise<LicenseStatus>;
  /** Sends due reminders and expiry notices (each once). Safe to run at any interval. */
  runJob(): Promise<LicenseJobResult>;
  /** Schedules runJob with node-cron (default every 10 minutes); returns a stop function. */
  schedule(expression?: string): () => void;
}

export interface LicensesDeps {
  db: Db;
  access: Pick<AccessService, 'assertAdmin'>;
  notifier: LicenseNotifier;
  clock?: { now(): number };
  /** Entries need a license (default false: users never licensed may trade; an expired license always pauses entries). */
  licenseRequired?: boolean;
  log?: Logger;
}

function daysOf(what: { days: number } | { plan: string }): { days: number; plan: string | null } {
  if ('plan' in what) {
    if (!isLicensePlan(what.plan)) throw new UserError(`unknown plan ${what.plan}`, { details: { plan: what.plan, plans: Object.keys(LICENSE_PLANS) } });
    return { days: LICENSE_PLANS[what.plan], plan: what.plan };
  }
  if (!Number.isInteger(what.days) || what.days < 1 || what.days > 3650) throw new UserError('days must be a whole number 1..3650', { details: { days: what.days } });
  return { days: what.days, plan: null };
}

export function createLicensesService(deps: LicensesDeps): LicensesService {
  const { db } = deps;
  const now = () => deps.clock?.now() ?? Date.now();
  const licenseRequired = deps.licenseRequired ?? false;

  async function status(userId: number): Promise<LicenseStatus> {
    const row = await usersRepo.findUserById(db, userId);
    if (!row) throw new TargetNotFound(`user ${userId} not found`, { details: { userId } });
    const last = (await accessRepo.listLicenseGrants(db, userId, 5)).find((g) => g.action !== 'revoke');
    return licenseStatusAt(
      { role: row.role, expiresAt: row.license_expires_at === null ? null : Number(row.license_expires_at), plan: last?.plan ?? null, licenseRequired },
      now(),
    );
  }

  async function apply(actorName: string, userId: number, action: 'grant' | 'extend' | 'revoke', compute: (current: number | null, at: number) => { expiresAt: number; days: number | null; plan: string | null }): Promise<LicenseStatus> {
    const row = await usersRepo.findUserById(db, userId);
    if (!row) throw new TargetNotFound(`user ${userId} not found`, { details: { userId } });
    const at = now();
    const before = row.license_expires_at === null ? null : Number(row.license_expires_at);
    const next = compute(before, at);
    await inTransaction(db, async (tx) => {
      await usersRepo.updateUser(tx, userId, { license_expires_at: next.expiresAt }, at);
      await accessRepo.insertLicenseGrant(tx, { userId, action, plan: next.plan, days: next.days, expiresBefore: before, expiresAfter: next.expiresAt, actor: actorName, at });
      await audit.appendAudit(tx, {
        actor: actorName,
        action: `license.${action}`,
        entity: 'user',
        entityId: userId,
        before: { licenseExpiresAt: before },
        after: { licenseExpiresAt: next.expiresAt, days: next.days, plan: next.plan },
        at,
      });
    });
    if (action !== 'revoke' && next.days !== null) {
      deps.notifier.notify({ type: 'license-granted', userId, telegramId: Number(row.telegram_id), expiresAt: next.expiresAt, plan: next.plan, days: next.days });
    }
    return status(userId);
  }

  const extendFrom = (current: number | null, at: number) => (current !== null && current > at ? current : at);

  async function sendOnce(userId: number, kind: string, expiresAt: number, event: () => Promise<LicenseEvent>): Promise<boolean> {
    if (!(await accessRepo.claimLicenseNotice(db, userId, kind, expiresAt, now()))) return false;
    deps.notifier.notify(await event());
    return true;
  }

  const service: LicensesService = {
    licenseRequired,
    status,

    async grant(actor, userId, what) {
      await deps.access.assertAdmin(actor);
      const { days, plan } = daysOf(what);
      return apply(adminActor(actor), userId, 'grant', (_current, at) => ({ expiresAt: at + days * DAY_MS, days, plan }));
    },

    async extend(actor, userId, what) {
      await deps.access.assertAdmin(actor);
      const { days, plan } = daysOf(what);
      return apply(adminActor(actor), userId, 'extend', (current, at) => ({ expiresAt: extendFrom(current, at) + days * DAY_MS, days, plan }));
    },

    async revoke(actor, userId) {
      await deps.access.assertAdmin(actor);
      return apply(adminActor(actor), userId, 'revoke', (current, at) => ({ expiresAt: current !== null && current < at ? current : at, days: null, plan: null }));
    },

    async grantFromInvite(userId, days) {
      const d = daysOf({ days });
      return apply('system', userId, 'extend', (current, at) => ({ expiresAt: extendFrom(current, at) + d.days * DAY_MS, days: d.days, plan: null }));
    },

    async runJob() {
      const at = now();
      const result: LicenseJobResult = { reminders: 0, expired: 0, graceEnded: 0 };
      // Anything whose grace ended more than a week ago was handled long since.
      const rows = await accessRepo.listUsersWithExpirySince(db, at - GRACE_MS - 7 * DAY_MS);
      for (const r of rows) {
        if (r.role === 'admin' || r.status === 'blocked') continue;
        const expiresAt = Number(r.license_expires_at);
        const telegramId = Number(r.telegram_id);
        const openTrades = async () => (await tradesRepo.listOpenTrades(db, { userId: r.id })).length;
        try {
          if (at < expiresAt) {
            const left = expiresAt - at;
            const due = [...REMINDER_DAYS].sort((a, b) => a - b).find((d) => left <= d * DAY_MS);
            if (due !== undefined && (await sendOnce(r.id, `remind-${due}d`, expiresAt, async () => ({ type: 'license-expiring', userId: r.id, telegramId, expiresAt, daysBefore: due })))) {
              result.reminders++;
            }
          } else if (at < expiresAt + GRACE_MS) {
            if (await sendOnce(r.id, 'expired', expiresAt, async () => ({ type: 'license-expired', userId: r.id, telegramId, expiresAt, graceEndsAt: expiresAt + GRACE_MS, openTrades: await openTrades() }))) {
              result.expired++;
            }
          } else if (await sendOnce(r.id, 'grace-ended', expiresAt, async () => ({ type: 'license-grace-ended', userId: r.id, telegramId, expiresAt, openTrades: await openTrades() }))) {
            result.graceEnded++;
          }
        } catch (e) {
          deps.log?.warn({ userId: r.id, err: e instanceof Error ? { name: e.name, message: e.message } : String(e) }, 'license notice failed');
        }
      }
      return result;
    },

    schedule(expression = '*/10 * * * *') {
      const task = cron.schedule(
        expression,
        async () => {
          try {
            const r = await service.runJob();
            if (r.reminders + r.expired + r.graceEnded > 0) deps.log?.info(r, 'license notices sent');
          } catch (e) {
            deps.log?.error({ err: e instanceof Error ? { name: e.name, message: e.message } : String(e) }, 'license job failed');
          }
        },
        { name: 'licenses', noOverlap: true },
      );
      return () => void task.stop();
    },
  };
  return service;
}

/** Redeems an invite and applies the license days it carries (an invite with 0 days grants none). */
export async function redeemInviteWithLicense(
  access: Pick<AccessService, 'redeem'>,
  licenses: Pick<LicensesService, 'grantFromInvite'>,
  profile: Parameters<AccessService['redeem']>[0],
  code: string,
): ReturnType<AccessService['redeem']> {
  const r = await access.redeem(profile, code);
  if (r.ok && r.licenseDays > 0) await licenses.grantFromInvite(r.userId, r.licenseDays);
  return r;
}
