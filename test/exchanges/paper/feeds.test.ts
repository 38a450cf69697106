import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createPaperAdapter } from '../../../exchanges/paper/adapter.js';
import { CandleReplayFeed } from '../../../exchanges/paper/candle-replay-feed.js';
import { formatCandleCsv, parseCandleCsv, readCandleCsv } from '../../../exchanges/paper/candles-csv.js';
import { candlePath } from '../../../exchanges/paper/fill-rules.js';
import { bundledMarkets } from '../../../exchanges/paper/markets.js';
import { SimulatedPriceFeed, type PriceUpdate } from '../../../exchanges/paper/price-feed.js';
import { PublicPriceFeed, type FetchLike } from '../../../exchanges/paper/public-price-feed.js';
import { isOnStep } from '../../../exchanges/paper/validate.js';
import type { Candle } from '../../../models/index.js';
import { fixedClock } from './helpers.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/candles/btc-usdt-1m.csv', import.meta.url));

function walk(seed: number | string, symbol: string, steps: number, feed = new SimulatedPriceFeed({ seed })): number[] {
  const out: number[] = [];
  feed.price(symbol);
  for (let i = 0; i < steps; i++) {
    feed.step([symbol]);
    out.push(feed.price(symbol) as number);
  }
  return out;
}

describe('bundled markets', () => {
  it('has the popular linear USDT perpetuals with sane limits', () => {
    const markets = bundledMarkets();
    expect(markets.length).toBeGreaterThanOrEqual(60);
    const symbols = new Set(markets.map((m) => m.symbol));
    for (const s of ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', '1000PEPE/USDT', '1000SHIB/USDT', '1000BONK/USDT', 'POL/USDT', 'SUI/USDT']) expect(symbols.has(s)).toBe(true);
    expect(symbols.size).toBe(markets.length);
    for (const m of markets) {
      expect(m.exchangeSymbol).toBe(`${m.symbol}:USDT`);
      expect(m.tickSize).toBeGreaterThan(0);
      expect(isOnStep(m.minQty, m.stepSize)).toBe(true);
      expect(m.maxQty === null || isOnStep(m.maxQty, m.stepSize)).toBe(true);
      expect(m).toMatchObject({ minNotional: 5, takerFee: 0.00055, makerFee: 0.0002, contractSize: 1, settle: 'USDT' });
      expect(m.maxLeverage).toBeGreaterThanOrEqual(10);
    }
  });
});

describe('SimulatedPriceFeed', () => {
  it('gives the same prices for the same seed and symbol, whatever else walks', () => {
    const a = walk(7, 'BTC/USDT', 200);
    const busy = new SimulatedPriceFeed({ seed: 7 });
    busy.price('ETH/USDT');
    const b = walk(7, 'BTC/USDT', 200, busy); // ETH is walking too but only BTC is stepped here
    busy.step();
    expect(b).toEqual(a);
    expect(walk(8, 'BTC/USDT', 200)).not.toEqual(a);
    expect(walk(7, 'ETH/USDT', 5)).not.toEqual(a.slice(0, 5));
    expect(a.every((p) => isOnStep(p, 0.1))).toBe(true);
    expect(Math.abs(Math.log((a.at(-1) as number) / 95_000))).toBeLessThan(0.1);
  });

  it('notifies subscribers on each step and knows nothing of unknown symbols', () => {
    const feed = new SimulatedPriceFeed({ seed: 1 });
    const seen: PriceUpdate[] = [];
    feed.subscribe((u) => seen.push(u));
    feed.price('SOL/USDT');
    feed.step();
    feed.step();
    expect(seen.map((u) => u.symbol)).toEqual(['SOL/USDT', 'SOL/USDT']);
    expect(feed.price('NOPE/USDT')).toBeNull();
  });

  it('makes deterministic synthetic candles that end at the current price', () => {
    const clock = fixedClock(Date.UTC(2025, 0, 1, 12, 0, 30));
    const feed = new SimulatedPriceFeed({ seed: 3, now: clock.now });
    const candles = feed.candles('BTC/USDT', '1m', undefined, 50);
    expect(candles).toHaveLength(50);
    expect(candles.at(-1)?.close).toBe(95_000);
    expect(candles.at(-1)?.time).toBe(Date.UTC(2025, 0, 1, 12, 0));
    for (const c of candles) expect(c.low <= Math.min(c.open, c.close) && c.high >= Math.max(c.open, c.close)).toBe(true);
    expect(new SimulatedPriceFeed({ seed: 3, now: clock.now }).candles('BTC/USDT', '1m', undefined, 50)).toEqual(candles);
  });
});

describe('candle CSV and replay', () => {
  it('reads the bundled fixture and round-trips the format', () => {
    const candles = readCandleCsv(FIXTURE);
    expect(candles.length).toBeGreaterThanOrEqual(300);
    expect(candles[1]!.time - candles[0]!.time).toBe(60_000);
    expect(parseCandleCsv(formatCandleCsv(candles))).toEqual(candles);
  });

  it('rejects malformed CSV with the line number', () => {
    expect(() => parseCandleCsv('t,o,h,l,c,v\n')).toThrow(/must start with/);
    expect(() => parseCandleCsv('time,open,high,low,close,volume\n1,10,9,8,9,1\n')).toThrow(/line 2: high\/low/);
    expect(() => parseCandleCsv('time,open,high,low,close,volume\n1,10,11,9,10,1\n1,10,11,9,10,1\n')).toThrow(/line 3: times must increase/);
  });

  it('walks an up candle open-low-high-close and a down candle open-high-low-close', () => {
    expect(candlePath({ open: 10, high: 12, low: 9, close: 11 })).toEqual([10, 9, 12, 11]);
    expect(candlePath({ open: 10, high: 12, low: 9, close: 9.5 })).toEqual([10, 12, 9, 9.5]);
  });

  it('replays candles through the Paper engine in path order', async () => {
    const candles: Candle[] = [
      { time: 0, open: 60_000, high: 60_100, low: 59_900, close: 60_000, volume: 1 },
      { time: 60_000, open: 60_000, high: 60_600, low: 59_400, close: 60_300, volume: 1 }, // up: low first
      { time: 120_000, open: 60_300, high: 60_700, low: 59_300, close: 59_600, volume: 1 }, // down: high first
    ];
    const feed = new CandleReplayFeed({ 'BTC/USDT': candles });
    const paper = createPaperAdapter({ accountId: 'replay', feed, now: () => 0 });
    await paper.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: 0.1, price: 59_500, clientOrderId: 'b1' });
    await paper.placeOrder({ symbol: 'BTC/USDT', side: 'sell', type: 'limit', quantity: 0.1, price: 60_500, clientOrderId: 's1' });
    feed.next();
    expect(paper.fills()).toEqual([]);
    feed.next();
    expect(paper.fills().map((f) => f.clientOrderId)).toEqual(['b1', 's1']);
    await paper.placeOrder({ symbol: 'BTC/USDT', side: 'buy', type: 'limit', quantity: 0.1, price: 59_500, clientOrderId: 'b2' });
    await paper.placeOrder({ symbol: 'BTC/USDT', side: 'sell', type: 'limit', quantity: 0.1, price: 60_500, clientOrderId: 's2' });
    feed.next();
    expect(paper.fills().map((f) => f.clientOrderId)).toEqual(['b1', 's1', 's2', 'b2']);
    expect(feed.next()).toBe(false);
    expect((await paper.fetchCandles('BTC/USDT', '1m')).length).toBe(3);
  });

  it('replays the fixture file from a CSV', async () => {
    const feed = CandleReplayFeed.fromCsvFile('BTC/USDT', FIXTURE);
    const paper = createPaperAdapter({ accountId: 'fixture', feed, now: () => 0 });
    await paper.ready();
    const steps = feed.runToEnd();
    expect(steps).toBe(readCandleCsv(FIXTURE).length);
    expect((await paper.fetchTicker('BTC/USDT')).last).toBe(readCandleCsv(FIXTURE).at(-1)?.close);
  });
});

describe('PublicPriceFeed', () => {
  const body = {
    retCode: 0,
    result: {
      category: 'linear',
      list: [
        { symbol: 'BTCUSDT', lastPrice: '65000.5' },
        { symbol: 'SHIB1000USDT', lastPrice: '0.012345' },
        { symbol: 'NOTAMARKETUSDT', lastPrice: '1' },
      ],
    },
  };
  const okFetch: FetchLike = async () => ({ ok: true, status: 200, json: async () => body });

  it('uses public prices when reachable', async () => {
    const calls: string[] = [];
    const feed = new PublicPriceFeed({ fetch: async (url) => (calls.push(url), okFetch(url)) });
    const seen: string[] = [];
    feed.subscribe((u) => seen.push(`${u.symbol}=${u.price}`));
    await expect(feed.refresh()).resolves.toBe(true);
    expect(calls).toEqual(['https://api.bybit.com/v5/market/tickers?category=linear']);
    expect(feed.price('BTC/USDT')).toBe(65_000.5);
    expect(feed.price('1000SHIB/USDT')).toBe(0.012345);
    expect(seen).toEqual(['BTC/USDT=65000.5', '1000SHIB/USDT=0.012345']);
    expect(feed.live).toBe(true);
  });

  it('falls back to the simulated walk from the last real price on any failure, never throwing', async () => {
    let fail: 'throw' | 'http' | 'body' | null = null;
    const fetch: FetchLike = async (url) => {
      if (fail === 'throw') throw new TypeError('fetch failed');
      if (fail === 'http') return { ok: false, status: 503, json: async () => ({}) };
      if (fail === 'body') return { ok: true, status: 200, json: async () => ({ retCode: 10006, retMsg: 'Too many visits' }) };
      return okFetch(url);
    };
    const feed = new PublicPriceFeed({ fetch, fallback: new SimulatedPriceFeed({ seed: 9 }) });
    await feed.refresh();
    for (const mode of ['throw', 'http', 'body'] as const) {
      fail = mode;
      await expect(feed.refresh()).resolves.toBe(false);
      expect(feed.live).toBe(false);
    }
    const p = feed.price('BTC/USDT') as number;
    expect(p).not.toBe(65_000.5);
    expect(Math.abs(p / 65_000.5 - 1)).toBeLessThan(0.02); // continued from the real price, not from the snapshot's 95,000
    fail = null;
    await expect(feed.refresh()).resolves.toBe(true);
    expect(feed.price('BTC/USDT')).toBe(65_000.5);
  });

  it('works without any fetch at all (simulated only)', async () => {
    const feed = new PublicPriceFeed({ fetch: async () => Promise.reject(new Error('offline')) });
    await expect(feed.refresh()).resolves.toBe(false);
    expect(feed.price('ETH/USDT')).toBe(3500);
  });
});
