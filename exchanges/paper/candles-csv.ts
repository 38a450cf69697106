/**
 * Candle CSV files (header `time,open,high,low,close,volume`, time in epoch
 * milliseconds), used by the candle replay feed and the grid simulator.
 */
import { readFileSync } from 'node:fs';
import type { Candle } from '../../models/index.js';

export const CANDLE_CSV_HEADER = 'time,open,high,low,close,volume';

/** Parse a candle CSV; throws TypeError naming the line of anything malformed. */
export function parseCandleCsv(text: string): Candle[] {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').trim().toLowerCase();
  if (header !== CANDLE_CSV_HEADER) throw new TypeError(`candle CSV must start with "${CANDLE_CSV_HEADER}" (got "${header}")`);
  const out: Candle[] = [];
  let lastTime = -Infinity;
  for (let i = 1; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    const cells = line.split(',');
    const v = cells.map(Number);
    if (cells.length !== 6 || v.some((x) => !Number.isFinite(x))) throw new TypeError(`candle CSV line ${i + 1}: expected 6 numbers, got "${line}"`);
    const [time, open, high, low, close, volume] = v as [number, number, number, number, number, number];
    if (!(low <= Math.min(open, close) && high >= Math.max(open, close) && low > 0)) {
      throw new TypeError(`candle CSV line ${i + 1}: high/low do not contain open/close`);
    }
    if (time <= lastTime) throw new TypeError(`candle CSV line ${i + 1}: times must increase`);
    lastTime = time;
    out.push({ time, open, high, low, close, volume });
  }
  return out;
}

export function formatCandleCsv(candles: readonly Candle[]): string {
  const rows = candles.map((c) => `${c.time},${c.open},${c.high},${c.low},${c.close},${c.volume}`);
  return `${CANDLE_CSV_HEADER}\n${rows.join('\n')}\n`;
}

export function readCandleCsv(path: string): Candle[] {
  return parseCandleCsv(readFileSync(path, 'utf8'));
}
