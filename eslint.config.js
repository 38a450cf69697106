// ESLint flat config. The `layers/boundaries` rule below enforces the import
// boundaries of DEVELOPERS.md; a crossing is an error, so `npm test` fails.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ROOT = path.dirname(fileURLToPath(import.meta.url));

/** Which of our top-level folders each layer may import (besides itself). */
const LAYER_IMPORTS = {
  models: [],
  exchanges: ['models'],
  db: ['models'],
  services: ['exchanges', 'db', 'models'],
  bot: ['services', 'models'],
};

/** Packages that belong to exactly one layer (plus tests and tooling). */
const PACKAGE_OWNERS = [
  { test: (p) => p === 'grammy' || p.startsWith('grammy/') || p.startsWith('@grammyjs/'), layers: ['bot'] },
  { test: (p) => p === 'ccxt' || p.startsWith('ccxt/'), layers: ['exchanges'] },
  { test: (p) => p === 'kysely' || p === 'better-sqlite3', layers: ['db'] },
  { test: (p) => p === 'libsodium-wrappers', layers: ['services'] },
  { test: (p) => p === 'node-cron', layers: ['services'] },
];

/** models/ is pure: the only packages it may use. */
const MODELS_PACKAGES = new Set(['zod']);

function layerOf(file) {
  const rel = path.relative(ROOT, file);
  if (rel.startsWith('..')) return null;
  const top = rel.split(path.sep)[0];
  return Object.hasOwn(LAYER_IMPORTS, top) ? top : null;
}

export const boundariesRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Enforce the layer import boundaries of DEVELOPERS.md' },
    schema: [],
    messages: {
      layer: "'{{from}}/' may not import from '{{to}}/' (allowed: {{allowed}}).",
      pkg: "'{{pkg}}' may only be imported in {{owners}}, not in '{{from}}/'.",
      pure: "models/ is pure domain logic and may not import '{{pkg}}'.",
    },
  },
  create(context) {
    const filename = context.filename ?? context.getFilename();
    const from = layerOf(path.resolve(ROOT, filename));
    if (!from) return {};
    function check(node, source) {
      if (!source || typeof source.value !== 'string') return;
      const spec = source.value;
      if (spec.startsWith('.') || spec.startsWith('/')) {
        const target = path.resolve(path.dirname(path.resolve(ROOT, filename)), spec);
        const rel = path.relative(ROOT, target);
        const top = rel.split(path.sep)[0];
        if (top === from) return;
        const allowed = LAYER_IMPORTS[from];
        if (!allowed.includes(top)) {
          context.report({ node, messageId: 'layer', data: { from, to: top, allowed: allowed.join(', ') || 'nothing of ours' } });
        }
        return;
      }
      if (spec.startsWith('node:')) {
        if (from === 'models') context.report({ node, messageId: 'pure', data: { pkg: spec } });
        return;
      }
      if (from === 'models' && !MODELS_PACKAGES.has(spec)) {
        context.report({ node, messageId: 'pure', data: { pkg: spec } });
        return;
      }
      for (const owner of PACKAGE_OWNERS) {
        if (owner.test(spec) && !owner.layers.includes(from)) {
          context.report({ node, messageId: 'pkg', data: { pkg: spec, from, owners: owner.layers.map((l) => `${l}/`).join(', ') } });
        }
      }
    }
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source.type === 'Literal' ? node.source : null),
      TSImportType: (node) => check(node, node.argument?.literal ?? node.argument),
    };
  },
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'coverage/**', 'test/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { layers: { rules: { boundaries: boundariesRule } } },
    rules: {
      'layers/boundaries': 'error',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    files: ['test/**', '**/cli/**', 'eslint.config.js', 'vitest.config.ts'],
    rules: { 'no-console': 'off' },
  },
);
