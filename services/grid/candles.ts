/**
 * Candle files for the grid simulator: CSV with the columns time, open, high,
 * low, close, volume. Lenient on purpose (files come from many tools):
 * - an optional header row (detected: a row whose price cells are not
 *   numbers); with a header, columns are found by name (time/timestamp/date/
 *   datetime/open_time, open, high, low, close), otherwise by position;
 * - `,` `;` or tab separated; empty lines and lines starting with `#` skipped;
 * - time as epoch seconds, milliseconds or microseconds (detected once per
 *   file from the first row's magnitude: < 1e11 seconds, < 1e14 milliseconds,
 *   else microseconds) or ISO-8601 strings (no zone designator = UTC).
 * Every time is converted to epoch milliseconds.
 * Columnar storage (Float64Array) keeps a year of 1-minute candles small and fast.
 */
import { ValidationError } from '../../models/index.js';

export interface CandleSeries {
  length: number;
  /** Epoch milliseconds. */
  time: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
}

const TIME_NAMES = new Set(['time', 'timestamp', 'date', 'datetime', 'open_time', 'opentime', 'ts', 't']);

function parseTimeCell(cell: string): { value: number; numeric: boolean } {
  const n = Number(cell);
  if (cell !== '' && Number.isFinite(n)) return { value: n, numeric: true };
  let iso = cell.trim().replace(/^"|"$/g, '');
  if (/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(iso)) iso = `${iso.replace(' ', 'T')}Z`;
  else if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) iso = `${iso}T00:00:00Z`;
  return { value: Date.parse(iso), numeric: false };
}

function bad(line: number, reason: string, text: string): ValidationError {
  return new ValidationError(`candle file line ${line}: ${reason} (${JSON.stringify(text.slice(0, 80))})`, { details: { field: 'candles', reason, line } });
}

export function parseCandles(text: string): CandleSeries {
  const lines = text.split('\n');
  const cap = lines.length;
  const time = new Float64Array(cap);
  const open = new Float64Array(cap);
  const high = new Float64Array(cap);
  const low = new Float64Array(cap);
  const close = new Float64Array(cap);
  let n = 0;
  let sep: string | null = null;
  let cols = [0, 1, 2, 3, 4];
  let headerSeen = false;
  let unit: number | null = null; // multiplier to milliseconds for numeric times
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i] as string;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim() === '' || line.startsWith('#')) continue;
    if (sep === null) sep = line.includes(',') ? ',' : line.includes(';') ? ';' : '\t';
    const cells = line.split(sep);
    if (n === 0 && !headerSeen) {
      const priceCells = cells.slice(1, 5).map((c) => Number(c));
      if (cells.length < 5 || priceCells.some((v, k) => !Number.isFinite(v) || (cells[k + 1] as string).trim() === '')) {
        headerSeen = true;
        const names = cells.map((c) => c.trim().replace(/^"|"$/g, '').toLowerCase());
        const find = (pred: (s: string) => boolean) => names.findIndex(pred);
        const mapped = [
          find((s) => TIME_NAMES.has(s)),
          find((s) => s === 'open' || s === 'o'),
          find((s) => s === 'high' || s === 'h'),
          find((s) => s === 'low' || s === 'l'),
          find((s) => s === 'close' || s === 'c'),
        ];
        if (mapped.every((k) => k >= 0)) cols = mapped;
        continue;
      }
    }
    const t = parseTimeCell((cells[cols[0] as number] ?? '').trim());
    const o = Number(cells[cols[1] as number]);
    const h = Number(cells[cols[2] as number]);
    const l = Number(cells[cols[3] as number]);
    const c = Number(cells[cols[4] as number]);
    if (!Number.isFinite(t.value)) throw bad(i + 1, 'bad-time', line);
    if (!(o > 0 && h > 0 && l > 0 && c > 0) || !Number.isFinite(o + h + l + c)) throw bad(i + 1, 'bad-price', line);
    if (t.numeric && unit === null) {
      const a = Math.abs(t.value);
      unit = a < 1e11 ? 1000 : a < 1e14 ? 1 : 0.001;
    }
    time[n] = t.numeric ? t.value * (unit as number) : t.value;
    open[n] = o;
    high[n] = h; // taken as given: the path is open, low, high, close whatever their order
    low[n] = l;
    close[n] = c;
    n++;
  }
  return { length: n, time: time.subarray(0, n), open: open.subarray(0, n), high: high.subarray(0, n), low: low.subarray(0, n), close: close.subarray(0, n) };
}

/** Builds a series from candle objects (tests, benchmark). */
export function seriesOf(candles: readonly { time: number; open: number; high: number; low: number; close: number }[]): CandleSeries {
  const n = candles.length;
  const s: CandleSeries = {
    length: n,
    time: new Float64Array(n),
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
  };
  candles.forEach((c, i) => {
    s.time[i] = c.time;
    s.open[i] = c.open;
    s.high[i] = c.high;
    s.low[i] = c.low;
    s.close[i] = c.close;
  });
  return s;
}
