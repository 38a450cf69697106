/**
 * Locale checks: en and ru have the same keys (and attributes), every key the
 * bot code uses exists, every error code has an err-<code> message, and every
 * message formats without Fluent errors.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FluentBundle, FluentResource } from '@fluent/bundle';
import { COMMANDS, ftlKeys, LOCALES_DIR } from '../../../bot/i18n.js';
import { MENU_ITEMS } from '../../../bot/keyboards/menu.js';
import { GROUPS, ITEMS } from '../../../bot/features/settings.js';
import { STAT_PERIODS } from '../../../services/stats.js';
import { ENVIRONMENTS } from '../../../models/market.js';
import { NONE_REASONS } from '../../../services/signals/parser.js';

const ROOT = path.resolve(LOCALES_DIR, '..');
const read = (p: string) => fs.readFileSync(path.join(ROOT, p), 'utf8');
const en = read('locales/en.ftl');
const ru = read('locales/ru.ftl');
const enKeys = ftlKeys(en);
const ruKeys = ftlKeys(ru);

function attributes(src: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const line of src.split('\n')) {
    const m = /^([a-z][a-z0-9-]*)\s*=/.exec(line);
    if (m) current = m[1]!;
    const a = /^\s+\.([a-z-]+)\s*=/.exec(line);
    if (a) out.push(`${current}.${a[1]}`);
  }
  return out.sort();
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

const botSources = walk(path.join(ROOT, 'bot')).map((f) => ({ file: path.relative(ROOT, f), text: fs.readFileSync(f, 'utf8') }));

describe('locales', () => {
  it('en and ru define the same keys and attributes', () => {
    expect([...enKeys].filter((k) => !ruKeys.has(k))).toEqual([]);
    expect([...ruKeys].filter((k) => !enKeys.has(k))).toEqual([]);
    expect(attributes(en)).toEqual(attributes(ru));
  });

  it('ftlKeys finds keys and would catch a missing one', () => {
    const keys = ftlKeys('## X\na-b = 1\n    .description = d\nc = 2\n');
    expect([...keys]).toEqual(['a-b', 'c']);
  });

  it('every message of both languages parses and formats', () => {
    for (const [lang, src] of [['en', en], ['ru', ru]] as const) {
      const bundle = new FluentBundle(lang, { useIsolating: false });
      const errors = bundle.addResource(new FluentResource(src));
      expect(errors.map(String), lang).toEqual([]);
      for (const key of lang === 'en' ? enKeys : ruKeys) {
        const msg = bundle.getMessage(key);
        expect(msg?.value, `${lang}:${key}`).toBeTruthy();
        const fmtErrors: Error[] = [];
        const vars = new Proxy({}, { get: () => 'x', has: () => true, getOwnPropertyDescriptor: () => ({ value: 'x', enumerable: true, configurable: true }) }) as Record<string, string>;
        bundle.formatPattern(msg!.value!, vars, fmtErrors);
        expect(fmtErrors.map(String), `${lang}:${key}`).toEqual([]);
      }
    }
  });

  it('every literal key used in bot/ exists', () => {
    const missing: string[] = [];
    const literal = /\bt\(\s*'([a-z0-9-]+)'|\.t\([^,()'`]+,\s*'([a-z0-9-]+)'|\bkey\s*=\s*'([a-z][a-z0-9-]+)'|\bkey:\s*'([a-z][a-z0-9-]*-[a-z0-9-]+)'/g;
    for (const { file, text } of botSources) {
      if (file.includes('sandbox')) continue;
      for (const m of text.matchAll(literal)) {
        const key = m[1] ?? m[2] ?? m[3] ?? m[4]!;
        if (!enKeys.has(key)) missing.push(`${file}: ${key}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('every template key prefix used in bot/ matches some key', () => {
    const missing: string[] = [];
    for (const { file, text } of botSources) {
      for (const m of text.matchAll(/\bt\(\s*`([a-z0-9-]+)\$\{/g)) {
        if (![...enKeys].some((k) => k.startsWith(m[1]!))) missing.push(`${file}: ${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('keys built from data exist for every value', () => {
    const kebab = (s: string) => s.replace(/_/g, '-').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    const need = [
      ...COMMANDS.map((c) => `cmd-${c}`),
      ...MENU_ITEMS.map((i) => `btn-menu-${i}`),
      ...ITEMS.map((i) => `settings-item-${kebab(i.key)}`),
      ...ITEMS.filter((i) => i.kind === 'choice').flatMap((i) => i.options!.map((o) => `settings-opt-${kebab(o)}`)),
      ...GROUPS.map((g) => `settings-group-${g.id}`),
      ...STAT_PERIODS.map((p) => `stats-period-${p}`),
      ...ENVIRONMENTS.map((e) => `env-${e}`),
      ...['en', 'ru'].map((l) => `language-name-${l}`),
      ...['auto', 'confirm'].map((m) => `sources-mode-${m}`),
      ...['active', 'invalid', 'removed'].map((s) => `accounts-status-${s}`),
      ...['close', 'cancel', 'move-sl', 'tp-hit', 'sl-hit', 'other'].map((a) => `parse-action-${a}`),
      ...NONE_REASONS.map((r) => `parse-reason-${r.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`),
    ];
    // Refusal reasons, close reasons and event sub-kinds, read from the notifications port's types.
    const port = read('services/notifications.ts');
    const union = (name: string) => [...(new RegExp(`type ${name} =([^;]+);`).exec(port)?.[1] ?? '').matchAll(/'([a-z-]+)'/g)].map((m) => m[1]!);
    expect(union('RefusalReason').length).toBeGreaterThan(10);
    need.push(...union('RefusalReason').map((r) => `refusal-${r}`), ...union('CloseReason').map((r) => `notify-close-${r}`));
    const whyOf = (type: string) => [...(new RegExp(`type: '${type}';[^)]*why: ([^;)]+)`).exec(port)?.[1] ?? '').matchAll(/'([a-z-]+)'/g)].map((m) => m[1]!);
    expect(whyOf('sl-moved')).toContain('breakeven');
    need.push(...whyOf('sl-moved').map((w) => `notify-why-${w}`), ...whyOf('trade-cancelled').map((w) => `notify-cancel-${w}`));
    expect(need.filter((k) => !enKeys.has(k))).toEqual([]);
  });

  it('every error code has an err-<code> message', () => {
    const files = ['models/errors.ts', 'services/accounts.ts', 'services/sources.ts', 'services/portfolio.ts', 'services/signal-inbox.ts', 'services/app.ts'];
    const codes = files.flatMap((f) => [...read(f).matchAll(/readonly code(?::\s*string)?\s*=\s*'([a-z-]+)'/g)].map((m) => m[1]!));
    expect(codes).toContain('auth-failed');
    expect(codes).toContain('key-can-withdraw');
    expect(codes.filter((c) => !enKeys.has(`err-${c}`))).toEqual([]);
    expect(enKeys.has('err-generic')).toBe(true);
  });
});
