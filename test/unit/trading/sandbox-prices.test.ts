/**
 * The sandbox's offline price walk resumes from the last run's prices
 * (services/sandbox-prices.ts with a state file), so saved Paper positions
 * see no price jump at start (acceptance P1.2).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bundledReferencePrices } from '../../../exchanges/paper/index.js';
import { createSandboxPriceFeed, loadSavedPrices } from '../../../services/sandbox-prices.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const tmp = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-prices-'));
  dirs.push(d);
  return path.join(d, 'demo', 'prices.json');
};

describe('sandbox price continuity', () => {
  it('start, move prices, stop, start again: resumes from the saved price (within one step)', async () => {
    const file = tmp();
    const ref = bundledReferencePrices()['BTC/USDT']!;
    const first = createSandboxPriceFeed({ online: false, stateFile: file, volatility: 0.01 });
    // The walk moves the symbols in use (the Paper adapter reads them).
    first.price('BTC/USDT');
    first.price('ETH/USDT');
    first.start(60_000);
    for (let i = 0; i < 40; i++) await first.refresh();
    const last = first.price('BTC/USDT')!;
    const eth = first.price('ETH/USDT')!;
    expect(last).not.toBe(ref);
    first.stop();
    expect(loadSavedPrices(file)).toMatchObject({ 'BTC/USDT': last, 'ETH/USDT': eth });

    const second = createSandboxPriceFeed({ online: false, stateFile: file, volatility: 0.01 });
    expect(second.price('BTC/USDT')).toBe(last);
    second.start(60_000);
    await Promise.resolve();
    await second.refresh();
    const next = second.price('BTC/USDT')!;
    // One step of a 1 % walk moves far less than the jump back to the reference price would.
    expect(Math.abs(Math.log(next / last))).toBeLessThan(0.06);
    expect(Math.abs(next - last)).toBeLessThan(Math.abs(ref - last));
    second.stop();
  });

  it('no state file, or an unreadable one: starts from the bundled reference prices', () => {
    const ref = bundledReferencePrices()['BTC/USDT']!;
    expect(createSandboxPriceFeed({ online: false }).price('BTC/USDT')).toBeCloseTo(ref, 0);
    const file = tmp();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{not json');
    expect(loadSavedPrices(file)).toEqual({});
    expect(createSandboxPriceFeed({ online: false, stateFile: file }).price('BTC/USDT')).toBeCloseTo(ref, 0);
    fs.writeFileSync(file, JSON.stringify({ version: 1, savedAt: 0, prices: { 'BTC/USDT': -5, 'ETH/USDT': 'x' } }));
    expect(loadSavedPrices(file)).toEqual({});
  });

  it('save() writes the current prices at any time', async () => {
    const file = tmp();
    const feed = createSandboxPriceFeed({ online: false, stateFile: file });
    feed.price('BTC/USDT');
    await feed.refresh();
    await feed.refresh();
    feed.save();
    expect(loadSavedPrices(file)['BTC/USDT']).toBe(feed.price('BTC/USDT'));
  });
});
