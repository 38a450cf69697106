/**
 * Channel owners control their source: the user who added the bot to a
 * channel (signal_sources.added_by) — or an admin — sets its visibility
 * (public: anyone can subscribe; private: only the owner and existing
 * subscribers see it), the default settings subscribers inherit unless they
 * override them (validated like user settings), and pauses/resumes it
 * (a paused source opens no new trades; the entry gate refuses 'source-paused').
 * Every change is audited ('user:<id>' for owners, 'admin:<telegram id>' for admins).
 */
import { audit, inTransaction, sources as sourcesRepo, users as usersRepo, type Db } from '../db/index.js';
import type { SourceRow } from '../db/database.js';
import { isSourceOwnerKey, parseOverrides, validateSetting, ValidationError, type Settings, type SettingsOverrides } from '../models/index.js';
import { NotAuthorized, TargetNotFound, type AccessService } from './access.js';

export type SourceVisibility = 'public' | 'private';

export interface OwnedSource {
  id: number;
  title: string;
  visibility: SourceVisibility;
  paused: boolean;
  ownerUserId: number | null;
  defaults: SettingsOverrides;
}

export interface SourceOwnerService {
  /** Sources the user owns (added the bot to). */
  listOwned(userId: number): Promise<OwnedSource[]>;
  /** Whether the user may control the source (owner or admin). */
  canControl(userId: number, sourceId: number): Promise<boolean>;
  get(userId: number, sourceId: number): Promise<OwnedSource>;
  setVisibility(userId: number, sourceId: number, visibility: SourceVisibility): Promise<OwnedSource>;
  /** Sets (value) or clears (null) default settings for subscribers; throws ValidationError naming a bad field. */
  updateDefaults(userId: number, sourceId: number, patch: Record<string, unknown>): Promise<OwnedSource>;
  setPaused(userId: number, sourceId: number, paused: boolean): Promise<OwnedSource>;
}

function rowToOwned(r: SourceRow): OwnedSource {
  let defaults: SettingsOverrides;
  try {
    defaults = parseOverrides(JSON.parse(r.default_settings));
  } catch {
    defaults = {};
  }
  return { id: r.id, title: r.title, visibility: r.visibility === 'private' ? 'private' : 'public', paused: r.paused === 1, ownerUserId: r.added_by, defaults };
}

export function createSourceOwnerService(deps: { db: Db; access: Pick<AccessService, 'isAdmin'>; clock?: { now(): number } }): SourceOwnerService {
  const { db } = deps;
  const now = () => deps.clock?.now() ?? Date.now();

  /** The source and the audit actor name, or NotAuthorized. */
  async function controlled(userId: number, sourceId: number): Promise<{ row: SourceRow; actor: string }> {
    const row = await sourcesRepo.findSource(db, sourceId);
    if (!row) throw new TargetNotFound(`source ${sourceId} not found`, { details: { sourceId } });
    if (row.added_by === userId) return { row, actor: `user:${userId}` };
    const user = await usersRepo.findUserById(db, userId);
    if (user && (await deps.access.isAdmin(Number(user.telegram_id)))) return { row, actor: `admin:${Number(user.telegram_id)}` };
    throw new NotAuthorized('only the owner of the source or an admin may change it', { details: { sourceId } });
  }

  async function change(userId: number, sourceId: number, action: string, patch: Partial<Pick<SourceRow, 'visibility' | 'paused' | 'default_settings'>>): Promise<OwnedSource> {
    const { row, actor } = await controlled(userId, sourceId);
    const before = rowToOwned(row);
    await inTransaction(db, async (tx) => {
      await sourcesRepo.updateSource(tx, sourceId, patch, now());
      const after = rowToOwned({ ...row, ...patch });
      await audit.appendAudit(tx, {
        actor,
        action,
        entity: 'source',
        entityId: sourceId,
        before: { visibility: before.visibility, paused: before.paused, defaults: before.defaults },
        after: { visibility: after.visibility, paused: after.paused, defaults: after.defaults },
        at: now(),
      });
    });
    return rowToOwned((await sourcesRepo.findSource(db, sourceId))!);
  }

  return {
    async listOwned(userId) {
      return (await sourcesRepo.listSources(db)).filter((s) => s.added_by === userId).map(rowToOwned);
    },
    async canControl(userId, sourceId) {
      try {
        await controlled(userId, sourceId);
        return true;
      } catch (e) {
        if (e instanceof NotAuthorized || e instanceof TargetNotFound) return false;
        throw e;
      }
    },
    async get(userId, sourceId) {
      return rowToOwned((await controlled(userId, sourceId)).row);
    },
    setVisibility(userId, sourceId, visibility) {
      if (visibility !== 'public' && visibility !== 'private') throw new ValidationError(`visibility must be public or private`, { details: { visibility } });
      return change(userId, sourceId, 'source.visibility', { visibility });
    },
    async updateDefaults(userId, sourceId, patch) {
      const { row } = await controlled(userId, sourceId);
      const next: Record<string, unknown> = { ...rowToOwned(row).defaults };
      for (const [key, value] of Object.entries(patch)) {
        if (value === null) {
          delete next[key];
          continue;
        }
        if (!isSourceOwnerKey(key)) {
          throw new ValidationError(`setting ${key} is the subscriber's own and cannot be set by the channel owner`, { details: { key, issue: 'not-owner-setting' } });
        }
        const r = validateSetting(key as keyof Settings, value);
        if (!r.ok) throw new ValidationError(`setting ${key}: ${r.issue}`, { details: { key, issue: r.issue } });
        next[key] = r.value;
      }
      return change(userId, sourceId, 'source.defaults', { default_settings: JSON.stringify(next) });
    },
    setPaused(userId, sourceId, paused) {
      return change(userId, sourceId, paused ? 'source.pause' : 'source.resume', { paused: paused ? 1 : 0 });
    },
  };
}
