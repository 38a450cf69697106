/** Renders admin screens, license statuses and admin alerts (HTML, through locales). */
import type { Language } from '../../services/users.js';
import type { HealthSnapshot, UserCard } from '../../services/admin.js';
import type { AlertEnvelope } from '../../services/alerts.js';
import type { LicenseEvent, LicenseStatus } from '../../services/licenses.js';
import { esc } from './format.js';

export type T = (key: string, vars?: Record<string, string | number>) => string;

export function fmtDate(ms: number | null): string {
  if (ms === null) return '—';
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

/** A duration in the reader's language (`2d 3h 5m`, `0 ч 11 мин`); without `t`, the English short form. */
export function fmtDuration(ms: number, t?: T): string {
  const m = Math.floor(ms / 60_000);
  const d = Math.floor(m / 1440);
  const h = Math.floor((m % 1440) / 60);
  if (t) return d > 0 ? t('admin-duration-dhm', { d, h, m: m % 60 }) : t('admin-duration-hm', { h, m: m % 60 });
  return d > 0 ? `${d}d ${h}h ${m % 60}m` : `${h}h ${m % 60}m`;
}

/** How an admin is named in texts: @username, else the first name, with the Telegram id. */
export function adminName(user: { username: string | null; firstName: string | null } | null, telegramId: number): string {
  if (user?.username) return `@${esc(user.username)} (${telegramId})`;
  if (user?.firstName) return `${esc(user.firstName)} (${telegramId})`;
  return String(telegramId);
}

const LICENSE_KEYS: Record<LicenseStatus['state'], string> = {
  unlimited: 'license-status-unlimited',
  none: 'license-status-none',
  active: 'license-status-active',
  grace: 'license-status-grace',
  expired: 'license-status-expired',
};

export function renderLicense(t: T, s: LicenseStatus): string {
  const text = t(LICENSE_KEYS[s.state], { expires: fmtDate(s.expiresAt), days: s.daysLeft, grace: fmtDate(s.graceEndsAt) });
  return s.plan ? `${text}\n${t('license-plan', { plan: esc(s.plan) })}` : text;
}

export function renderUserCard(t: T, c: UserCard): string {
  const none = t('admin-none');
  const accounts = c.accounts.map((a) => t('admin-user-account', { exchange: a.exchange, env: a.environment, label: esc(a.label), hint: esc(a.keyHint ?? '—'), status: a.status })).join('\n') || none;
  const subs = c.subscriptions.map((s) => t('admin-user-sub', { title: esc(s.title), state: s.enabled ? s.mode : t('admin-sub-off') })).join('\n') || none;
  const trades =
    c.openTrades.map((tr) => t('admin-user-trade', { id: String(tr.id), symbol: esc(tr.symbol), side: tr.side, qty: tr.quantity, entry: tr.entryPrice ?? '—', status: tr.status })).join('\n') || none;
  return t('admin-user-card', {
    id: String(c.user.id),
    tg: String(c.user.telegramId),
    username: esc(c.user.username ?? '—'),
    role: c.user.role,
    status: c.user.status,
    license: renderLicense(t, c.license),
    accounts,
    subs,
    trades,
  });
}

export function renderHealth(t: T, h: HealthSnapshot): string {
  const breakers = h.breakers.filter((b) => b.status !== 'closed');
  const lines = [
    t('admin-health', {
      uptime: fmtDuration(h.uptimeMs, t),
      kill: h.killSwitch.on ? t('admin-kill-on') : t('admin-kill-off'),
      queued: h.limiter.queued,
      signals: h.lastHour.signals,
      orders: h.lastHour.orders,
      trades: h.lastHour.trades,
      errors: h.lastHour.errors,
      active: h.users.active,
      pending: h.users.pending,
      blocked: h.users.blocked,
    }),
    t('admin-health-breakers', { count: breakers.length }),
    ...breakers.map((b) => t('admin-health-breaker', { key: esc(b.key), status: b.status, reason: esc(b.reason ?? '—') })),
    ...h.limiter.buckets.map((b) => t('admin-health-queue', { key: esc(b.key), queued: b.queued })),
    t('admin-health-errors', { count: h.lastErrors.length }),
    ...h.lastErrors.map((e) => t('admin-health-error', { id: esc(e.id), code: esc(e.code), message: esc(e.message), at: fmtDate(e.at) })),
  ];
  return lines.join('\n');
}

export function renderLicenseEvent(t: T, e: LicenseEvent): string {
  switch (e.type) {
    case 'license-expiring':
      return t('license-expiring', { days: e.daysBefore, expires: fmtDate(e.expiresAt) });
    case 'license-expired':
      return t('license-expired', { grace: fmtDate(e.graceEndsAt), trades: e.openTrades });
    case 'license-grace-ended':
      return t('license-grace-ended', { trades: e.openTrades });
    case 'license-granted':
      return t('license-granted', { expires: fmtDate(e.expiresAt), days: e.days });
  }
}

/** An admin alert; `names.by` is how the admin who acted is shown (else their Telegram id). */
export function renderAlert(t: T, env: AlertEnvelope, names: { by?: string } = {}): string {
  const a = env.alert;
  let text: string;
  switch (a.type) {
    case 'breaker-opened':
      text = t('admin-alert-breaker', { key: esc(a.key), reason: esc(a.reason ?? '—') });
      break;
    case 'repeated-errors':
      text = t('admin-alert-errors', { count: a.count, account: esc(a.accountId), code: esc(a.lastCode) });
      break;
    case 'reconcile-discrepancy':
      text = t('admin-alert-recon', { kind: esc(a.kind), user: String(a.userId), symbol: esc(a.symbol ?? '—') });
      break;
    case 'process-restarted':
      text = t('admin-alert-restart', { previous: fmtDate(a.previousStartAt) });
      break;
    case 'kill-switch':
      text = t(a.on ? 'admin-alert-kill-on' : 'admin-alert-kill-off', { by: names.by ?? (a.by === null ? '—' : String(a.by)) });
      break;
  }
  return env.suppressed > 0 ? `${text}\n${t('admin-alert-suppressed', { count: env.suppressed })}` : text;
}

export type { Language };
