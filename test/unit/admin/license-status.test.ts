import { describe, expect, it } from 'vitest';
import { DAY_MS, GRACE_MS, licenseStatusAt } from '../../../services/licenses.js';

const T = 1_700_000_000_000;

describe('licenseStatusAt', () => {
  const cases: { name: string; role?: string; expiresAt: number | null; now: number; required?: boolean; state: string; entries: boolean; managed: boolean; daysLeft?: number }[] = [
    { name: 'admin', role: 'admin', expiresAt: null, now: T, required: true, state: 'unlimited', entries: true, managed: true },
    { name: 'never licensed, optional', expiresAt: null, now: T, state: 'none', entries: true, managed: true },
    { name: 'never licensed, required', expiresAt: null, now: T, required: true, state: 'none', entries: false, managed: true },
    { name: '2.5 days left', expiresAt: T + 2.5 * DAY_MS, now: T, state: 'active', entries: true, managed: true, daysLeft: 3 },
    { name: 'at expiry', expiresAt: T, now: T, state: 'grace', entries: false, managed: true },
    { name: 'grace last ms', expiresAt: T, now: T + GRACE_MS - 1, state: 'grace', entries: false, managed: true },
    { name: 'grace over', expiresAt: T, now: T + GRACE_MS, state: 'expired', entries: false, managed: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = licenseStatusAt({ role: c.role ?? 'trader', expiresAt: c.expiresAt, licenseRequired: c.required ?? false }, c.now);
      expect([s.state, s.entriesAllowed, s.managed]).toEqual([c.state, c.entries, c.managed]);
      if (c.daysLeft !== undefined) expect(s.daysLeft).toBe(c.daysLeft);
    });
  }
});
