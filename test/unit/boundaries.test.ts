import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// Lints source text as if it lived at `filePath`, with the project's real config.
const eslint = new ESLint({ cwd: process.cwd() });
async function lintAs(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'layers/boundaries').map((m) => m.message);
}

describe('layer boundaries (DEVELOPERS.md)', () => {
  it.each([
    ['exchanges/bad.ts', "import { x } from '../bot/x.js';\nexport const y = x;\n"],
    ['exchanges/sub/bad.ts', "import { x } from '../../services/x.js';\nexport const y = x;\n"],
    ['services/bad.ts', "import { Bot } from 'grammy';\nexport const b = Bot;\n"],
    ['services/bad.ts', "import { InlineKeyboard } from '@grammyjs/menu';\nexport const b = InlineKeyboard;\n"],
    ['bot/bad.ts', "import { x } from '../exchanges/x.js';\nexport const y = x;\n"],
    ['bot/bad.ts', "import { x } from '../db/x.js';\nexport const y = x;\n"],
    ['bot/bad.ts', "import ccxt from 'ccxt';\nexport const y = ccxt;\n"],
    ['models/bad.ts', "import { x } from '../services/x.js';\nexport const y = x;\n"],
    ['models/bad.ts', "import fs from 'node:fs';\nexport const y = fs;\n"],
    ['db/bad.ts', "import { x } from '../exchanges/x.js';\nexport const y = x;\n"],
    ['exchanges/bad.ts', "import { x } from '../db/x.js';\nexport const y = x;\n"],
    ['services/bad.ts', "import { Kysely } from 'kysely';\nexport const y = Kysely;\n"],
    ['services/bad.ts', "export { x } from '../bot/x.js';\n"],
    ['exchanges/bad.ts', "export async function f() { return import('../services/x.js'); }\n"],
  ])('%s: %s is refused', async (file, code) => {
    const messages = await lintAs(file, code);
    expect(messages.length).toBeGreaterThan(0);
  });

  it.each([
    ['bot/ok.ts', "import { x } from '../services/x.js';\nimport type { Order } from '../models/order.js';\nimport { Bot } from 'grammy';\nexport const y: [unknown, Order | null, unknown] = [x, null, Bot];\n"],
    ['services/ok.ts', "import { a } from '../exchanges/a.js';\nimport { b } from '../db/b.js';\nimport { c } from './c.js';\nexport const y = [a, b, c];\n"],
    ['exchanges/ok.ts', "import ccxt from 'ccxt';\nimport type { Market } from '../models/market.js';\nexport const y: [unknown, Market | null] = [ccxt, null];\n"],
    ['db/ok.ts', "import { Kysely } from 'kysely';\nexport const y = Kysely;\n"],
    ['test/ok.test.ts', "import { x } from '../bot/x.js';\nimport { y } from '../exchanges/y.js';\nexport const z = [x, y];\n"],
  ])('%s: allowed imports pass', async (file, code) => {
    expect(await lintAs(file, code)).toEqual([]);
  });
});
