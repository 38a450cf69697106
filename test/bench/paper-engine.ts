/**
 * Benchmark: a year of 1-minute candles (525,600) through the Paper engine
 * with a 10-order grid resting on BTC/USDT, re-placing each filled level on
 * the other side (like the grid simulator). Prints the figures.
 * Run: npx tsx test/bench/paper-engine.ts
 */
import { PaperEngine } from '../../exchanges/paper/engine.js';
import { bundledMarkets } from '../../exchanges/paper/markets.js';
import { gaussian, seededStream } from '../../exchanges/paper/random.js';
import { roundToStep, type Candle, type Side } from '../../models/index.js';

const COUNT = 525_600;
const SYMBOL = 'BTC/USDT';
const TICK = 0.1;
const STEP = 0.005; // 0.5% between grid levels

function candles(): Candle[] {
  const rng = seededStream('bench', SYMBOL);
  const r = (v: number): number => roundToStep(v, TICK);
  const out: Candle[] = new Array(COUNT);
  let open = 60_000;
  for (let i = 0; i < COUNT; i++) {
    // Mean-reverting around 60,000 so the grid keeps trading all year.
    const drift = Math.log(60_000 / open) * 0.002;
    const close = r(open * Math.exp(drift + 0.0008 * gaussian(rng)));
    const high = r(Math.max(open, close) * (1 + Math.abs(gaussian(rng)) * 0.0005));
    const low = r(Math.min(open, close) * (1 - Math.abs(gaussian(rng)) * 0.0005));
    out[i] = { time: i * 60_000, open, high, low, close, volume: 1 };
    open = close;
  }
  return out;
}

const series = candles();
const engine = new PaperEngine({ markets: bundledMarkets(), startingBalance: 1e9, now: () => 0 });
engine.setLeverage(SYMBOL, 5);
engine.applyPrice(SYMBOL, 60_000);
let n = 0;
const place = (side: Side, price: number): void => {
  engine.placeOrder({ symbol: SYMBOL, side, type: 'limit', quantity: 0.01, price: roundToStep(price, TICK), clientOrderId: `g-${++n}` });
};
for (let k = 1; k <= 5; k++) {
  place('buy', 60_000 * (1 - k * STEP));
  place('sell', 60_000 * (1 + k * STEP));
}
const pending: { side: Side; price: number }[] = [];
let fills = 0;
engine.onFill((f) => {
  fills++;
  pending.push(f.side === 'buy' ? { side: 'sell', price: f.price * (1 + STEP) } : { side: 'buy', price: f.price * (1 - STEP) });
});

const t0 = performance.now();
for (let i = 0; i < COUNT; i++) {
  engine.applyCandle(SYMBOL, series[i] as Candle);
  if (pending.length > 0) {
    const mark = (series[i] as Candle).close;
    for (const p of pending.splice(0)) {
      // A level the price already passed goes back in at the close's side.
      const price = p.side === 'buy' ? Math.min(p.price, mark - TICK) : Math.max(p.price, mark + TICK);
      place(p.side, price);
    }
  }
}
const ms = performance.now() - t0;
console.log(`paper engine: ${COUNT} candles, 10 resting orders, ${fills} fills in ${ms.toFixed(0)} ms (${Math.round(COUNT / (ms / 1000)).toLocaleString('en')} candles/s); open orders at end ${engine.openOrders(SYMBOL).length}`);
