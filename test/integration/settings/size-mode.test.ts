/**
 * Acceptance P1.1 / P1.5 in the settings service: a size mode change never
 * reinterprets the old number, sizes are checked per mode, a source's own
 * size is pinned to the mode it was typed for, and a take-profit split must
 * add up to 100.
 */
import { describe, expect, it } from 'vitest';
import { sources } from '../../../db/index.js';
import { createSettingsService } from '../../../services/settings.js';
import { isValidTpSplit, normalizeSizePatch, parseSettings } from '../../../models/settings.js';
import { memoryDb } from '../../helpers/db.js';
import { addUser } from '../admin/helpers.js';

async function setup() {
  const db = await memoryDb();
  const u = await addUser(db, 4242);
  const src = await sources.upsertSource(db, { kind: 'channel', chatId: '-5', title: 'S', now: 0 });
  await sources.upsertSubscription(db, { userId: u.id, sourceId: src.id, now: 0 });
  return { db, userId: u.id, sourceId: src.id, svc: createSettingsService({ db }) };
}

describe('size mode and value', () => {
  it('a mode change starts the new mode at its default', async () => {
    const { svc, userId } = await setup();
    await svc.updateGlobal(userId, { sizeValue: 15.5 });
    expect(await svc.updateGlobal(userId, { sizeMode: 'balance_pct' })).toMatchObject({ sizeMode: 'balance_pct', sizeValue: 2 });
    expect(await svc.updateGlobal(userId, { sizeMode: 'risk_pct' })).toMatchObject({ sizeMode: 'risk_pct', sizeValue: 1 });
    expect(await svc.updateGlobal(userId, { sizeMode: 'fixed' })).toMatchObject({ sizeMode: 'fixed', sizeValue: 20 });
    // Mode and value together: the value given is kept (and checked against the new mode).
    expect(await svc.updateGlobal(userId, { sizeMode: 'balance_pct', sizeValue: 5 })).toMatchObject({ sizeMode: 'balance_pct', sizeValue: 5 });
    await expect(svc.updateGlobal(userId, { sizeMode: 'risk_pct', sizeValue: 50 })).rejects.toMatchObject({ code: 'validation', details: { key: 'sizeValue', issue: 'range', max: 10 } });
  });

  it('checks the value against the current mode', async () => {
    const { svc, userId } = await setup();
    await svc.updateGlobal(userId, { sizeMode: 'balance_pct' });
    await expect(svc.updateGlobal(userId, { sizeValue: 150 })).rejects.toMatchObject({ details: { issue: 'range', max: 100 } });
    expect((await svc.getGlobal(userId)).sizeValue).toBe(2);
    await svc.updateGlobal(userId, { sizeMode: 'fixed' });
    expect((await svc.updateGlobal(userId, { sizeValue: 150 })).sizeValue).toBe(150);
    await expect(svc.updateGlobal(userId, { sizeValue: 1_000_001 })).rejects.toMatchObject({ code: 'validation' });
  });

  it("a source's own size is pinned to its mode; clearing the mode clears the size", async () => {
    const { svc, userId, sourceId } = await setup();
    expect(await svc.updateOverrides(userId, sourceId, { sizeValue: 500 })).toEqual({ sizeValue: 500, sizeMode: 'fixed' });
    // The general mode changes later: the source still trades 500 USDT, never 500 % of the balance.
    await svc.updateGlobal(userId, { sizeMode: 'balance_pct' });
    expect(await svc.effective(userId, sourceId)).toMatchObject({ sizeMode: 'fixed', sizeValue: 500 });
    // A mode change for the source resets its size to that mode's default.
    expect(await svc.updateOverrides(userId, sourceId, { sizeMode: 'risk_pct' })).toEqual({ sizeValue: 1, sizeMode: 'risk_pct' });
    expect(await svc.updateOverrides(userId, sourceId, { sizeMode: null })).toEqual({});
    expect(await svc.effective(userId, sourceId)).toMatchObject({ sizeMode: 'balance_pct', sizeValue: 2 });
  });

  it('normalizeSizePatch leaves an unchanged mode alone', () => {
    expect(normalizeSizePatch({ sizeMode: 'fixed', sizeValue: 30 }, { sizeMode: 'fixed' })).toEqual({ ok: true, patch: { sizeMode: 'fixed' }, reset: false });
    expect(normalizeSizePatch({ sizeMode: 'fixed', sizeValue: 30 }, { sizeValue: 0 })).toMatchObject({ ok: false, max: 1_000_000 });
  });
});

describe('take-profit split', () => {
  it('2 to 10 positive shares adding up to 100 (± 0.5), else refused', async () => {
    expect(isValidTpSplit([50, 30, 20])).toBe(true);
    expect(isValidTpSplit([33.3, 33.3, 33.3])).toBe(true);
    expect(isValidTpSplit([6])).toBe(false);
    expect(isValidTpSplit([50, 30])).toBe(false);
    expect(isValidTpSplit([101, -1])).toBe(false);
    const { svc, userId } = await setup();
    await expect(svc.updateGlobal(userId, { tpSplit: [6] })).rejects.toMatchObject({ code: 'validation' });
    await expect(svc.updateGlobal(userId, { tpSplit: [50, 30] })).rejects.toMatchObject({ code: 'validation' });
    expect((await svc.updateGlobal(userId, { tpSplit: [50, 30, 20] })).tpSplit).toEqual([50, 30, 20]);
  });

  it('a stored split that does not add up to 100 is read as even', () => {
    expect(parseSettings(JSON.stringify({ tpSplit: [6] })).tpSplit).toBeNull();
    expect(parseSettings(JSON.stringify({ tpSplit: [50, 30] })).tpSplit).toBeNull();
  });
});
