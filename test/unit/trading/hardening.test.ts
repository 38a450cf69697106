import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type Market, type SignalParse } from '../../../models/index.js';
import { createJobs, DEFAULT_TRACK_SCHEDULES, type Scheduler } from '../../../services/jobs.js';
import { silentLogger } from '../../../services/logger.js';
import { checkEntryLimits, EMPTY_ACCOUNT_STATE, type AccountState } from '../../../services/trading/limits.js';
import { planTrade, summarize } from '../../../services/trading/plan.js';

const BTC: Market = {
  symbol: 'BTC/USDT', exchangeSymbol: 'BTC/USDT:USDT', base: 'BTC', quote: 'USDT', settle: 'USDT', tickSize: 0.1, stepSize: 0.001, minQty: 0.001,
  maxQty: 100, minNotional: 5, maxLeverage: 50, contractSize: 1, takerFee: 0.00055, makerFee: 0.0002, active: true,
};
const NOW = Date.UTC(2025, 0, 15, 12);
const zone = (o: Partial<SignalParse> = {}): SignalParse => ({
  kind: 'signal', symbol: 'BTC/USDT', side: 'long', entries: [49_900, 49_500], entryMarket: false, entryTrigger: null, takeProfits: [51_000, 52_000],
  takeProfitPercents: null, stopLoss: 49_000, leverage: 10, marginMode: null, warnings: [], ...o,
});

describe('multi-entry previews', () => {
  it('a zone signal plans and summarizes one leg per entry', () => {
    const r = planTrade({ signal: zone(), settings: { ...DEFAULT_SETTINGS, sizeValue: 20 }, market: BTC, price: 50_000, freeBalance: null, account: EMPTY_ACCOUNT_STATE, now: NOW, signalAt: NOW });
    if (!r.ok) throw new Error(r.reason);
    const s = summarize(r.plan, zone());
    expect(s).toMatchObject({ entryType: 'limit', quantity: 0.004, signalEntries: [49_900, 49_500], warnings: [] });
    expect(s.entries).toEqual([
      { price: 49_900, quantity: 0.002 },
      { price: 49_500, quantity: 0.002 },
    ]);
  });

  it('legs below the minimum order value are merged (not refused), and the summary says so and keeps the zone', () => {
    // 0.004 BTC: two 0.002 legs (~100 USDT each) are below a 150 USDT minimum order value; one 0.004 leg is not.
    const market = { ...BTC, minNotional: 150 };
    const r = planTrade({ signal: zone(), settings: { ...DEFAULT_SETTINGS, sizeValue: 20 }, market, price: 50_000, freeBalance: null, account: EMPTY_ACCOUNT_STATE, now: NOW, signalAt: NOW });
    if (!r.ok) throw new Error(`refused: ${r.reason}`);
    const s = summarize(r.plan, zone());
    expect(s.entries).toEqual([{ price: 49_500, quantity: 0.004 }]);
    expect(s.warnings).toContain('entries-merged');
    expect(s.signalEntries).toEqual([49_900, 49_500]);
  });
});

describe('one trade per account and symbol', () => {
  const state: AccountState = { ...EMPTY_ACCOUNT_STATE, openTrades: [{ symbol: 'BTC/USDT', margin: 20, accountId: 7 }] };
  const s = { ...DEFAULT_SETTINGS, onePerSymbol: false };
  it.each([
    ['same account, same symbol', 7, 'BTC/USDT', 'same-symbol-open'],
    ['same account, other symbol', 7, 'ETH/USDT', null],
    ['other account, same symbol', 8, 'BTC/USDT', null],
    ['account unknown (pure planning)', null, 'BTC/USDT', null],
  ] as const)('%s', (_n, accountId, symbol, reason) => {
    const r = checkEntryLimits(s, state, { symbol, now: NOW, signalAt: null, accountId });
    expect(r?.reason ?? null).toBe(reason);
  });
  it('onePerSymbol on still answers first with its own reason', () => {
    expect(checkEntryLimits(DEFAULT_SETTINGS, state, { symbol: 'BTC/USDT', now: NOW, signalAt: null, accountId: 7 })?.reason).toBe('one-per-symbol');
  });
});

describe('jobs: tracking schedules', () => {
  function fakeScheduler() {
    const scheduled: { expr: string; task: () => Promise<void>; stopped: boolean }[] = [];
    const scheduler: Scheduler = {
      schedule(expr, task) {
        const s = { expr, task, stopped: false };
        scheduled.push(s);
        return { stop: () => void (s.stopped = true) };
      },
    };
    return { scheduler, scheduled };
  }

  it('start-up reconciliation first, then reconciliation every 2 min and tracking per exchange group (Paper 5 s, Bybit/HyperLiquid 15 s)', async () => {
    const { scheduler, scheduled } = fakeScheduler();
    const log: string[] = [];
    const jobs = createJobs({
      log: silentLogger(),
      scheduler,
      reconcile: async ({ startup }) => {
        log.push(`reconcile:${startup}:${scheduled.length}`);
      },
      track: async ({ exchanges }) => void log.push(`track:${exchanges.join(',')}`),
    });
    await jobs.start();
    expect(log).toEqual(['reconcile:true:0']); // nothing scheduled before the start-up pass finished
    expect(scheduled.map((s) => s.expr)).toEqual(['*/2 * * * *', '*/5 * * * * *', '*/15 * * * * *']);
    expect(DEFAULT_TRACK_SCHEDULES.map((s) => s.exchanges)).toEqual([['paper'], ['bybit', 'hyperliquid']]);
    await scheduled[1]!.task();
    await scheduled[2]!.task();
    await scheduled[0]!.task();
    expect(log.slice(1)).toEqual(['track:paper', 'track:bybit,hyperliquid', 'reconcile:false:3']);
    jobs.stop();
    expect(scheduled.every((s) => s.stopped)).toBe(true);
  });

  it('a tracking tick still running makes the next one of that schedule a no-op; other schedules and errors are independent', async () => {
    const { scheduler, scheduled } = fakeScheduler();
    const calls: string[] = [];
    let release!: () => void;
    const jobs = createJobs({
      log: silentLogger(),
      scheduler,
      reconcile: async () => undefined,
      trackSchedules: [
        { exchanges: ['paper'], every: '*/1 * * * * *' },
        { exchanges: ['bybit'], every: '*/3 * * * * *' },
      ],
      track: async ({ exchanges }) => {
        calls.push(exchanges[0]!);
        if (exchanges[0] === 'paper') await new Promise<void>((r) => (release = r));
        else throw new Error('bybit down');
      },
    });
    await jobs.start();
    expect(scheduled.map((s) => s.expr)).toEqual(['*/2 * * * *', '*/1 * * * * *', '*/3 * * * * *']);
    const t1 = scheduled[1]!.task();
    const t2 = scheduled[1]!.task();
    await scheduled[2]!.task(); // fails, logged, does not throw
    await scheduled[2]!.task();
    expect(calls).toEqual(['paper', 'bybit', 'bybit']);
    release();
    await Promise.all([t1, t2]);
    const t3 = scheduled[1]!.task(); // the previous one finished: this one runs
    release();
    await t3;
    expect(calls.filter((c) => c === 'paper')).toHaveLength(2);
    jobs.stop();
  });

  it('without a track function there is no tracking schedule (reconciliation only)', async () => {
    const { scheduler, scheduled } = fakeScheduler();
    await createJobs({ log: silentLogger(), scheduler, reconcile: async () => undefined }).start();
    expect(scheduled.map((s) => s.expr)).toEqual(['*/2 * * * *']);
  });
});
