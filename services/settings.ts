/**
 * User risk settings: global settings per user, a source's default settings,
 * and the user's per-source overrides (subscriptions.overrides), validated by
 * models/settings.ts. Effective = global, then source defaults, then overrides.
 */
import { settings as settingsRepo, sources, type Db } from '../db/index.js';
import {
  ValidationError,
  effectiveSettings,
  parseOverrides,
  parseSettings,
  validateSetting,
  type Settings,
  type SettingsOverrides,
} from '../models/index.js';

export interface SettingsService {
  getGlobal(userId: number): Promise<Settings>;
  /** Validates each field; throws ValidationError naming the first bad one. Returns the new settings. */
  updateGlobal(userId: number, patch: Record<string, unknown>): Promise<Settings>;
  getOverrides(userId: number, sourceId: number): Promise<SettingsOverrides>;
  /** Sets (value) or clears (null) per-source overrides. */
  updateOverrides(userId: number, sourceId: number, patch: Record<string, unknown>): Promise<SettingsOverrides>;
  effective(userId: number, sourceId: number | null): Promise<Settings>;
}

function validated(patch: Record<string, unknown>, allowNull: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (allowNull && value === null) {
      out[key] = null;
      continue;
    }
    const r = validateSetting(key as keyof Settings, value);
    if (!r.ok) throw new ValidationError(`setting ${key}: ${r.issue}`, { details: { key, issue: r.issue } });
    out[key] = r.value;
  }
  return out;
}

export function createSettingsService(deps: { db: Db; clock?: { now(): number } }): SettingsService {
  const { db } = deps;
  const now = () => deps.clock?.now() ?? Date.now();

  async function getGlobal(userId: number): Promise<Settings> {
    return parseSettings(await settingsRepo.getUserSettingsJson(db, userId));
  }

  async function getOverrides(userId: number, sourceId: number): Promise<SettingsOverrides> {
    const sub = await sources.findSubscription(db, userId, sourceId);
    if (!sub) return {};
    try {
      return parseOverrides(JSON.parse(sub.overrides));
    } catch {
      return {};
    }
  }

  return {
    getGlobal,
    async updateGlobal(userId, patch) {
      const clean = validated(patch, false);
      const next = { ...(await getGlobal(userId)), ...clean } as Settings;
      await settingsRepo.putUserSettingsJson(db, userId, JSON.stringify(next), now());
      return next;
    },
    getOverrides,
    async updateOverrides(userId, sourceId, patch) {
      const sub = await sources.findSubscription(db, userId, sourceId);
      if (!sub) throw new ValidationError(`user ${userId} is not subscribed to source ${sourceId}`, { details: { userId, sourceId } });
      const clean = validated(patch, true);
      const next: Record<string, unknown> = { ...(await getOverrides(userId, sourceId)) };
      for (const [k, v] of Object.entries(clean)) {
        if (v === null) delete next[k];
        else next[k] = v;
      }
      await sources.updateSubscription(db, sub.id, { overrides: JSON.stringify(next) }, now());
      return next as SettingsOverrides;
    },
    async effective(userId, sourceId) {
      const global = await getGlobal(userId);
      if (sourceId === null) return global;
      const source = await sources.findSource(db, sourceId);
      let defaults: SettingsOverrides;
      try {
        defaults = source ? parseOverrides(JSON.parse(source.default_settings)) : {};
      } catch {
        defaults = {};
      }
      return effectiveSettings(global, defaults, await getOverrides(userId, sourceId));
    },
  };
}
