/**
 * User risk settings: global settings per user, a source's default settings,
 * and the user's per-source overrides (subscriptions.overrides), validated by
 * models/settings.ts. Effective = global, then source defaults, then overrides.
 */
import { settings as settingsRepo, sources, type Db } from '../db/index.js';
import {
  ValidationError,
  effectiveSettings,
  normalizeSizePatch,
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

/**
 * Size mode and size value stay consistent: a mode change without a value
 * starts the new mode at its default (the old number is never reinterpreted),
 * and a value must fit its mode's range.
 */
function sized(current: Settings, patch: Record<string, unknown>): Record<string, unknown> {
  const size: { sizeMode?: Settings['sizeMode']; sizeValue?: number } = {};
  if (patch.sizeMode !== undefined && patch.sizeMode !== null) size.sizeMode = patch.sizeMode as Settings['sizeMode'];
  if (patch.sizeValue !== undefined && patch.sizeValue !== null) size.sizeValue = patch.sizeValue as number;
  if (size.sizeMode === undefined && size.sizeValue === undefined) return patch;
  const r = normalizeSizePatch(current, size);
  if (!r.ok) {
    throw new ValidationError(`setting sizeValue: out of range for ${r.mode}`, { details: { key: 'sizeValue', issue: 'range', mode: r.mode, min: r.min, max: r.max } });
  }
  return { ...patch, ...r.patch };
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

  async function effectiveOf(userId: number, sourceId: number | null): Promise<Settings> {
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
  }

  return {
    getGlobal,
    async updateGlobal(userId, patch) {
      const current = await getGlobal(userId);
      const clean = sized(current, validated(patch, false));
      const next = { ...current, ...clean } as Settings;
      await settingsRepo.putUserSettingsJson(db, userId, JSON.stringify(next), now());
      return next;
    },
    getOverrides,
    async updateOverrides(userId, sourceId, patch) {
      const sub = await sources.findSubscription(db, userId, sourceId);
      if (!sub) throw new ValidationError(`user ${userId} is not subscribed to source ${sourceId}`, { details: { userId, sourceId } });
      const current = await getOverrides(userId, sourceId);
      const before = await effectiveOf(userId, sourceId);
      let clean = sized(before, validated(patch, true));
      // Clearing the source's own size mode clears its own size too (a USDT amount never becomes a %).
      if (clean.sizeMode === null) clean = { ...clean, sizeValue: null };
      // An own size is pinned to the mode it was typed for, so a later change of the general mode cannot reinterpret it.
      if (typeof clean.sizeValue === 'number' && clean.sizeMode === undefined && current.sizeMode === undefined) clean = { ...clean, sizeMode: before.sizeMode };
      const next: Record<string, unknown> = { ...current };
      for (const [k, v] of Object.entries(clean)) {
        if (v === null) delete next[k];
        else next[k] = v;
      }
      await sources.updateSubscription(db, sub.id, { overrides: JSON.stringify(next) }, now());
      return next as SettingsOverrides;
    },
    effective: effectiveOf,
  };
}
