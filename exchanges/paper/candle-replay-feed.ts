/**
 * Replays candle series (e.g. a candle CSV) as a price feed: each `next()`
 * emits one candle per symbol, and the Paper engine walks its path.
 */
import type { Candle } from '../../models/index.js';
import { readCandleCsv } from './candles-csv.js';
import { FeedEmitter, sliceCandles, type PriceFeed } from './price-feed.js';

export class CandleReplayFeed extends FeedEmitter implements PriceFeed {
  private readonly series: Map<string, Candle[]>;
  private index = -1;

  constructor(series: Record<string, readonly Candle[]>) {
    super();
    this.series = new Map(Object.entries(series).map(([s, list]) => [s, [...list]]));
  }

  static fromCsvFile(symbol: string, path: string): CandleReplayFeed {
    return new CandleReplayFeed({ [symbol]: readCandleCsv(path) });
  }

  /** Candles replayed so far (the first candle's open before the replay starts). */
  price(symbol: string): number | null {
    const list = this.series.get(symbol);
    if (!list || list.length === 0) return null;
    if (this.index < 0) return (list[0] as Candle).open;
    return (list[Math.min(this.index, list.length - 1)] as Candle).close;
  }

  /** The time of the current candle, or null before the replay starts. */
  time(): number | null {
    for (const list of this.series.values()) {
      const c = list[Math.min(this.index, list.length - 1)];
      if (this.index >= 0 && c) return c.time;
    }
    return null;
  }

  /** Emit the next candle of every symbol; false when every series is exhausted. */
  next(): boolean {
    this.index++;
    let any = false;
    for (const [symbol, list] of this.series) {
      const c = list[this.index];
      if (!c) continue;
      any = true;
      this.emit({ symbol, price: c.close, candle: c, timestamp: c.time });
    }
    return any;
  }

  /** Replay everything left; returns how many steps ran. */
  runToEnd(): number {
    let n = 0;
    while (this.next()) n++;
    return n;
  }

  candles(symbol: string, _timeframe: string, since?: number, limit?: number): Candle[] {
    const list = this.series.get(symbol) ?? [];
    return sliceCandles(list.slice(0, this.index + 1), since, limit);
  }
}
