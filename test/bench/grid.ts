/**
 * npm run bench:grid — a year of 1-minute candles (525,600) through the grid
 * simulator: generated deterministically (seeded random walk), written to a
 * temporary CSV, then parsed and simulated exactly as `grid:sim` does.
 * Prints candles/s and the total time; the target is under 5 s.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { parseCandles } from '../../services/grid/candles.js';
import { simulateGrid } from '../../services/grid/sim.js';
import type { GridParams } from '../../services/grid/plan.js';

const N = 525_600;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generateCsv(n: number, seed: number): string {
  const rnd = mulberry32(seed);
  const lines: string[] = ['time,open,high,low,close,volume'];
  let price = 30_000;
  let t = Date.UTC(2023, 0, 1);
  for (let i = 0; i < n; i++) {
    const open = price;
    const close = open * Math.exp((rnd() - 0.5) * 0.004);
    const high = Math.max(open, close) * (1 + rnd() * 0.001);
    const low = Math.min(open, close) * (1 - rnd() * 0.001);
    lines.push(`${t},${open.toFixed(2)},${high.toFixed(2)},${low.toFixed(2)},${close.toFixed(2)},${(rnd() * 100).toFixed(3)}`);
    price = Number(close.toFixed(2));
    t += 60_000;
  }
  return lines.join('\n') + '\n';
}

const params: GridParams = {
  side: 'long',
  deposit: 100,
  leverage: 10,
  levels: 10,
  coverage: 20,
  multiplier: 1.3,
  takeProfit: 1,
  stopLoss: 15,
  pauseMs: 60_000,
  maxCycles: null,
  afterStopLoss: 'continue',
};

const dir = mkdtempSync(path.join(tmpdir(), 'grid-bench-'));
try {
  const t0 = performance.now();
  const file = path.join(dir, 'year-1m.csv');
  writeFileSync(file, generateCsv(N, 20240601));
  const t1 = performance.now();
  const series = parseCandles(readFileSync(file, 'utf8'));
  const t2 = performance.now();
  const report = simulateGrid(series, { params, market: null, feeMaker: 0.0002, feeTaker: 0.00055 });
  const t3 = performance.now();
  const total = t3 - t1;
  console.log(`candles           ${series.length}`);
  console.log(`generate+write    ${(t1 - t0).toFixed(0)} ms (not counted)`);
  console.log(`parse CSV         ${(t2 - t1).toFixed(0)} ms`);
  console.log(`simulate          ${(t3 - t2).toFixed(0)} ms (${Math.round(series.length / ((t3 - t2) / 1000)).toLocaleString('en')} candles/s)`);
  console.log(`total             ${(total / 1000).toFixed(2)} s (${Math.round(series.length / (total / 1000)).toLocaleString('en')} candles/s, target < 5 s)`);
  console.log(`cycles            ${report.cycles} (tp ${report.tpCycles}, sl ${report.slCycles}), pnl ${report.pnl.toFixed(2)}, fees ${report.fees.toFixed(2)}`);
  if (total >= 5000) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
