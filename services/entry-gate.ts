/**
 * The one gate before any new entry. The trading service calls
 * `canOpenEntries(userId)` before opening a trade (signal fan-out, confirm
 * previews, manual trades, grid orders that add exposure) and
 * `canManage(userId)` before managing an open one (moving stops, re-sizing
 * targets, trailing). Managing is allowed while licensed and during the 48 h
 * grace; nothing here ever closes a position.
 *
 * The global kill switch pauses all new entries for everyone. It lives in
 * system_state (survives restarts); setting and clearing it is audited.
 */
import { audit, inTransaction, sources as sourcesRepo, users as usersRepo, type Db } from '../db/index.js';
import * as accessRepo from '../db/repos/access.js';
import { adminActor, type AccessService, type Actor } from './access.js';
import { licenseStatusAt } from './licenses.js';

export type GateRefusal =
  | 'kill-switch'
  | 'unknown-user'
  | 'user-blocked'
  | 'user-pending'
  | 'user-inactive'
  | 'paused-by-user'
  | 'license-expired'
  | 'license-none'
  | 'source-paused';

export type GateResult = { ok: true } | { ok: false; reason: GateRefusal };

export interface KillSwitchState {
  on: boolean;
  /** Telegram id of the admin who set or cleared it last. */
  by: number | null;
  at: number | null;
  reason: string | null;
}

export interface EntryGate {
  canOpenEntries(userId: number, options?: { sourceId?: number | null }): Promise<GateResult>;
  /** True while the user's trades are still managed (licensed, or within the 48 h grace). */
  canManage(userId: number): Promise<boolean>;
  killSwitch(): Promise<KillSwitchState>;
  /** Turns the kill switch on (admin only, audited). Returns the new state; `changed` false when it was on already. */
  setKillSwitch(actor: Actor, reason?: string | null): Promise<KillSwitchState & { changed: boolean }>;
  clearKillSwitch(actor: Actor): Promise<KillSwitchState & { changed: boolean }>;
}

export interface EntryGateDeps {
  db: Db;
  access: Pick<AccessService, 'assertAdmin'>;
  clock?: { now(): number };
  /** Entries need a license (same setting as the licenses service). */
  licenseRequired?: boolean;
  /** Told when the kill switch changes (e.g. to alert the other admins). */
  onKillSwitch?: (state: KillSwitchState) => void;
}

export const KILL_SWITCH_KEY = 'kill_switch';

const OFF: KillSwitchState = { on: false, by: null, at: null, reason: null };

function parseKill(raw: string | undefined): KillSwitchState {
  if (!raw) return OFF;
  try {
    const v = JSON.parse(raw) as Partial<KillSwitchState>;
    return { on: v.on === true, by: typeof v.by === 'number' ? v.by : null, at: typeof v.at === 'number' ? v.at : null, reason: typeof v.reason === 'string' ? v.reason : null };
  } catch {
    // A damaged value fails safe: entries stay paused until an admin clears it.
    return { on: true, by: null, at: null, reason: 'unreadable-state' };
  }
}

export function createEntryGate(deps: EntryGateDeps): EntryGate {
  const { db } = deps;
  const now = () => deps.clock?.now() ?? Date.now();
  const licenseRequired = deps.licenseRequired ?? false;

  async function killSwitch(): Promise<KillSwitchState> {
    return parseKill((await accessRepo.getSystemState(db, KILL_SWITCH_KEY))?.value);
  }

  async function change(actor: Actor, on: boolean, reason: string | null): Promise<KillSwitchState & { changed: boolean }> {
    await deps.access.assertAdmin(actor);
    const at = now();
    const next: KillSwitchState = { on, by: actor.telegramId, at, reason };
    const changed = await inTransaction(db, async (tx) => {
      const before = parseKill((await accessRepo.getSystemState(tx, KILL_SWITCH_KEY))?.value);
      if (before.on === on) return false;
      await accessRepo.putSystemState(tx, KILL_SWITCH_KEY, JSON.stringify(next), at);
      await audit.appendAudit(tx, { actor: adminActor(actor), action: on ? 'kill-switch.on' : 'kill-switch.off', entity: 'system', entityId: KILL_SWITCH_KEY, before, after: next, at });
      return true;
    });
    if (changed) deps.onKillSwitch?.(next);
    return { ...(changed ? next : await killSwitch()), changed };
  }

  return {
    async canOpenEntries(userId, options = {}) {
      if ((await killSwitch()).on) return { ok: false, reason: 'kill-switch' };
      const user = await usersRepo.findUserById(db, userId);
      if (!user) return { ok: false, reason: 'unknown-user' };
      if (user.status === 'blocked') return { ok: false, reason: 'user-blocked' };
      if (user.status === 'pending') return { ok: false, reason: 'user-pending' };
      if (user.status === 'inactive') return { ok: false, reason: 'user-inactive' };
      if (user.trading_enabled !== 1) return { ok: false, reason: 'paused-by-user' };
      const license = licenseStatusAt({ role: user.role, expiresAt: user.license_expires_at === null ? null : Number(user.license_expires_at), licenseRequired }, now());
      if (!license.entriesAllowed) return { ok: false, reason: license.state === 'none' ? 'license-none' : 'license-expired' };
      if (options.sourceId != null) {
        const source = await sourcesRepo.findSource(db, options.sourceId);
        if (source && source.paused === 1) return { ok: false, reason: 'source-paused' };
      }
      return { ok: true };
    },

    async canManage(userId) {
      const user = await usersRepo.findUserById(db, userId);
      if (!user) return false;
      // Blocked or inactive users' open trades keep their protection: only the license grace ends management.
      return licenseStatusAt({ role: user.role, expiresAt: user.license_expires_at === null ? null : Number(user.license_expires_at), licenseRequired }, now()).managed;
    },

    killSwitch,
    setKillSwitch: (actor, reason = null) => change(actor, true, reason ?? null),
    clearKillSwitch: (actor) => change(actor, false, null),
  };
}
