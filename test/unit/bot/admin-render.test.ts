import { describe, expect, it } from 'vitest';
import { adminName, fmtDuration, renderAlert } from '../../../bot/render/admin.js';
import { createI18n } from '../../../bot/i18n.js';

describe('admin texts (acceptance P3.17)', () => {
  it('names the admin who switched the kill switch', () => {
    const t = (k: string, v?: Record<string, string | number>) => `${k}:${v?.by}`;
    const env = { alert: { type: 'kill-switch' as const, on: true, by: 100000001 }, at: 0, suppressed: 0 };
    expect(renderAlert(t, env, { by: adminName({ username: 'boss', firstName: 'B' }, 100000001) })).toBe('admin-alert-kill-on:@boss (100000001)');
    expect(adminName({ username: null, firstName: 'Ann <x>' }, 5)).toBe('Ann &lt;x&gt; (5)');
    expect(adminName(null, 5)).toBe('5');
    expect(renderAlert(t, env)).toBe('admin-alert-kill-on:100000001');
  });

  it('localizes uptime units', () => {
    const i18n = createI18n();
    const ru = (k: string, v?: Record<string, string | number>) => i18n.t('ru', k, v);
    const en = (k: string, v?: Record<string, string | number>) => i18n.t('en', k, v);
    expect(fmtDuration(11 * 60_000, ru)).toBe('0 ч 11 мин');
    expect(fmtDuration((2 * 1440 + 3 * 60 + 5) * 60_000, en)).toBe('2d 3h 5m');
  });
});
