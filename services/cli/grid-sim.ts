/**
 * npm run grid:sim -- --candles FILE --side long --deposit 100 --leverage 10 --levels 10
 *   --coverage 20 --multiplier 1.3 --tp 1 --sl 15 --pause 60
 *   [--fee-maker 0.02 --fee-taker 0.055] [--symbol BTC/USDT] [--max-cycles N] [--cycles] [--json]
 *
 * Replays a candle CSV through the grid strategy (services/grid/sim.ts).
 * Percentages are numbers (20 = 20 %), the pause is in seconds. `--sl off`
 * (or leaving --sl out) runs without a stop-loss. With --json the last line
 * printed is one JSON object {cycles, tpCycles, slCycles, pnl, fees, maxDrawdown, maxCapital}.
 * Exit codes: 0 done (a later cycle refused by the market's minimums ends the run
 * normally, noted on stderr); 1 invalid parameters or the very first cycle refused
 * (reason and minimum deposit on stderr, nothing on stdout); 2 usage errors.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { bundledMarkets } from '../../exchanges/paper/markets.js';
import { isAppError } from '../../models/index.js';
import { parseCandles } from '../grid/candles.js';
import { validateGridParams, type GridMarket, type GridParams } from '../grid/plan.js';
import { simSummary, simulateGrid } from '../grid/sim.js';

const USAGE =
  'usage: grid-sim --candles FILE --side long|short --deposit USDT --leverage X --levels N --coverage PCT ' +
  '--multiplier M --tp PCT [--sl PCT|off] [--pause SECONDS] [--fee-maker PCT] [--fee-taker PCT] [--symbol SYMBOL] [--max-cycles N] [--cycles] [--json]';

function fail(message: string): never {
  console.error(message);
  console.error(USAGE);
  process.exit(2);
}

function num(name: string, value: string | undefined, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) fail(`missing --${name}`);
    return fallback;
  }
  const v = Number(value);
  if (value.trim() === '' || !Number.isFinite(v)) fail(`--${name} must be a number (got ${JSON.stringify(value)})`);
  return v;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      candles: { type: 'string' },
      side: { type: 'string' },
      deposit: { type: 'string' },
      leverage: { type: 'string' },
      levels: { type: 'string' },
      coverage: { type: 'string' },
      multiplier: { type: 'string' },
      tp: { type: 'string' },
      sl: { type: 'string' },
      pause: { type: 'string' },
      'fee-maker': { type: 'string' },
      'fee-taker': { type: 'string' },
      symbol: { type: 'string' },
      'max-cycles': { type: 'string' },
      cycles: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.candles) fail('missing --candles');
  const side = values.side ?? 'long';
  if (side !== 'long' && side !== 'short') fail(`--side must be long or short (got ${JSON.stringify(side)})`);
  const slRaw = values.sl;
  const stopLoss = slRaw === undefined || slRaw === 'off' || slRaw === 'none' ? null : num('sl', slRaw);
  if (stopLoss === null) console.error('warning: running without a stop-loss');
  const maxCycles = values['max-cycles'] === undefined ? null : num('max-cycles', values['max-cycles']);

  let market: GridMarket | null = null;
  if (values.symbol) {
    const wanted = values.symbol.toUpperCase();
    market = bundledMarkets().find((m) => m.symbol === wanted || m.exchangeSymbol === wanted || m.base === wanted) ?? null;
    if (!market) fail(`unknown --symbol ${values.symbol}: not in the bundled market snapshot (exchanges/paper/markets.json)`);
  }

  const params: GridParams = {
    side,
    deposit: num('deposit', values.deposit),
    leverage: num('leverage', values.leverage),
    levels: num('levels', values.levels),
    coverage: num('coverage', values.coverage, 0),
    multiplier: num('multiplier', values.multiplier),
    takeProfit: num('tp', values.tp),
    stopLoss,
    pauseMs: num('pause', values.pause, 0) * 1000,
    maxCycles,
    afterStopLoss: 'continue',
  };
  const feeMaker = num('fee-maker', values['fee-maker'], 0.02) / 100;
  const feeTaker = num('fee-taker', values['fee-taker'], 0.055) / 100;

  let text: string;
  try {
    text = readFileSync(values.candles, 'utf8');
  } catch (e) {
    fail(`cannot read ${values.candles}: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    validateGridParams(params, market);
    const series = parseCandles(text);
    if (series.length === 0) fail(`${values.candles}: no candles`);
    const started = performance.now();
    const report = simulateGrid(series, { params, market, feeMaker, feeTaker, keepCycles: values.cycles });
    const ms = performance.now() - started;
    if (report.refusal !== null && report.cyclesStarted === 0) {
      // The very first cycle was refused (e.g. level 0 under the minimum order size): nothing ran.
      const r = report.refusal;
      console.error(`cannot start a cycle: ${r instanceof Error ? r.message : String(r)}`);
      if (isAppError(r)) console.error(JSON.stringify(r.details));
      process.exit(1);
    }
    // A later refused cycle (the price moved so a level fell under the minimum) ends the run there.
    if (report.refusal !== null) {
      const r = report.refusal;
      console.error(`stopped: a later cycle was refused: ${r instanceof Error ? r.message : String(r)}`);
    }
    const f = (v: number, d = 4) => v.toFixed(d);
    if (values.cycles) {
      for (const c of report.cycleRecords) {
        console.log(
          `cycle ${c.cycle} ${c.reason} ${new Date(c.startedAt).toISOString()} -> ${new Date(c.endedAt).toISOString()} ` +
            `levels ${c.levelsUsed} avg ${c.averageEntry} exit ${c.exitPrice} pnl ${f(c.pnl)} fees ${f(c.fees)}`,
        );
      }
    }
    console.log(`candles        ${report.candles} (${f(ms, 0)} ms)`);
    console.log(`cycles         ${report.cycles} (take-profit ${report.tpCycles}, stop-loss ${report.slCycles})`);
    console.log(`realized pnl   ${f(report.pnl)} USDT after fees`);
    console.log(`fees           ${f(report.fees)} USDT`);
    console.log(`max drawdown   ${f(report.maxDrawdown)} USDT`);
    console.log(`max capital    ${f(report.maxCapital)} USDT`);
    if (report.averageCycleMs !== null) console.log(`avg cycle      ${f(report.averageCycleMs / 60_000, 1)} min`);
    if (report.openCycle) {
      const o = report.openCycle;
      console.log(`open cycle     #${o.cycle}: ${o.positionQty} @ ${o.averageEntry}, unrealized ${f(o.unrealizedPnl)}, fees ${f(o.fees)}`);
    }
    if (report.stoppedReason) console.log(`stopped        ${report.stoppedReason}`);
    console.log(`final equity   ${f(report.finalEquity)} USDT`);
    if (values.json) console.log(JSON.stringify(simSummary(report)));
  } catch (e) {
    if (isAppError(e)) {
      console.error(`error: ${e.message}`);
      console.error(JSON.stringify(e.details));
      process.exit(1);
    }
    throw e;
  }
}

main();
