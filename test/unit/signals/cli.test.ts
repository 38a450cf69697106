// The signal:parse command as a child process: single, --batch, bad input.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function run(input: string, args: string[] = []): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('npx', ['tsx', 'services/cli/parse-signal.ts', ...args], {
    cwd: ROOT,
    input,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('signal:parse CLI', () => {
  it('parses one message from stdin and prints one JSON object', () => {
    const r = run('#ADA/USDT LONG\nEntry: 0.3810 - 0.3720\nTargets: 0.3890, 0.3960\nStop: 0.3610\nLeverage: 10x\n');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as unknown;
    expect(out).toEqual({
      kind: 'signal',
      symbol: 'ADA/USDT',
      side: 'long',
      entries: [0.381, 0.372],
      entryMarket: false,
      entryTrigger: null,
      takeProfits: [0.389, 0.396],
      takeProfitPercents: null,
      stopLoss: 0.361,
      leverage: 10,
      marginMode: null,
      warnings: [],
    });
  });

  it('--batch reads a JSON array of texts and prints an array in the same order', () => {
    const r = run(JSON.stringify(['TP2 reached ✅', 'Good morning traders ☕', 'Стоп в безубыток по ETH']), ['--batch']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { kind: string; action?: string; symbol?: string | null }[];
    expect(out.map((o) => o.kind)).toEqual(['update', 'none', 'update']);
    expect(out[0]).toMatchObject({ action: 'tp_hit', symbol: null });
    expect(out[2]).toMatchObject({ action: 'move_sl', symbol: 'ETH/USDT', breakeven: true });
  });

  it('--batch with invalid JSON prints a clear error to stderr and exits 2', () => {
    const r = run('["unterminated', ['--batch']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/--batch expects a JSON array of strings/);
  });

  it('--batch with a non-array or non-string elements exits 2', () => {
    expect(run('{"text":"x"}', ['--batch']).status).toBe(2);
    const r = run('["ok", 42]', ['--batch']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/element 1 is number/);
  });

  it('an unknown flag exits 2 with usage', () => {
    const r = run('x', ['--nope']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/usage/);
  });
});
