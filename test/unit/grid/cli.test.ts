/**
 * The grid:sim CLI's exit codes (services/cli/grid-sim.ts), run as a child
 * process on small candle files written to a temporary folder.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const dir = mkdtempSync(path.join(tmpdir(), 'grid-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, rows: [number, number, number, number][]): string {
  const f = path.join(dir, name);
  const lines = rows.map(([o, h, l, c], i) => `${1_700_000_000 + i * 60},${o},${h},${l},${c},1`);
  writeFileSync(f, ['time,open,high,low,close,volume', ...lines].join('\n') + '\n');
  return f;
}

function cli(args: string[]) {
  const r = spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, 'services/cli/grid-sim.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// BTC/USDT in the bundled snapshot: step 0.001, minQty 0.001, minNotional 5, tick 0.1.
const common = ['--side', 'long', '--leverage', '1', '--levels', '1', '--coverage', '0', '--multiplier', '1', '--tp', '1', '--sl', 'off', '--pause', '0'];

describe('grid:sim exit codes', () => {
  it('the very first cycle refused (level 0 under the minimum): reason on stderr, exit 1, no JSON line', () => {
    const f = file('first.csv', [
      [30000, 30400, 29900, 30350],
      [30350, 30500, 30300, 30400],
    ]);
    // 10 USDT at 30,000 = 0.00033 BTC → rounds to 0 < minQty 0.001
    const r = cli(['--candles', f, ...common, '--deposit', '10', '--symbol', 'BTC/USDT', '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot start a cycle/);
    expect(r.stderr).toMatch(/"minDeposit":30[,}]/);
    expect(r.stdout).not.toMatch(/^\{/m);
  }, 30_000);

  it('a later refused cycle ends the run normally: exit 0 and the JSON line of the cycles that ran', () => {
    // 31 USDT: 0.001 BTC at 30,000 (tp 30,300 reached on 30,000 -> 29,900 -> 30,400); at 31,100 the next
    // cycle's 31 / 31,100 = 0.000997 rounds to 0 and is refused.
    const f = file('later.csv', [
      [30000, 30400, 29900, 30350],
      [31100, 31200, 31000, 31150],
    ]);
    const r = cli(['--candles', f, ...common, '--deposit', '31', '--symbol', 'BTC/USDT', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/later cycle was refused/);
    const last = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { cycles: number; tpCycles: number; pnl: number };
    expect(last.cycles).toBe(1);
    expect(last.tpCycles).toBe(1);
    // 0.001 × (30,300 − 30,000) − fees (taker 0.055 % of 30, maker 0.02 % of 30.3)
    expect(last.pnl).toBeCloseTo(0.3 - 30 * 0.00055 - 30.3 * 0.0002, 9);
  }, 30_000);
});
