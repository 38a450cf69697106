import { describe, expect, it } from 'vitest';
import { SymbolMap, parseUnifiedSymbol } from '../../../exchanges/ccxt/symbols.js';

const bybit = new SymbolMap('bybit', [
  { symbol: 'BTC/USDT:USDT', base: 'BTC', quote: 'USDT', settle: 'USDT' },
  { symbol: '1000PEPE/USDT:USDT', base: '1000PEPE', quote: 'USDT', settle: 'USDT' },
  { symbol: 'SHIB1000/USDT:USDT', base: 'SHIB1000', quote: 'USDT', settle: 'USDT' },
  { symbol: '1000BONK/USDT:USDT', base: '1000BONK', quote: 'USDT', settle: 'USDT' },
  { symbol: 'BTC/USDC:USDC', base: 'BTC', quote: 'USDC', settle: 'USDC' },
]);
const hl = new SymbolMap('hyperliquid', [
  { symbol: 'BTC/USDC:USDC', base: 'BTC', quote: 'USDC', settle: 'USDC', baseName: 'BTC' },
  { symbol: 'KPEPE/USDC:USDC', base: 'KPEPE', quote: 'USDC', settle: 'USDC', baseName: 'kPEPE' },
  { symbol: 'KSHIB/USDC:USDC', base: 'KSHIB', quote: 'USDC', settle: 'USDC', baseName: 'kSHIB' },
  { symbol: 'KBONK/USDC:USDC', base: 'KBONK', quote: 'USDC', settle: 'USDC', baseName: 'kBONK' },
  { symbol: 'KAVA/USDC:USDC', base: 'KAVA', quote: 'USDC', settle: 'USDC', baseName: 'KAVA' },
]);

describe('parseUnifiedSymbol', () => {
  it.each([
    ['BTC/USDT', { base: 'BTC', quote: 'USDT' }],
    ['btc/usdt', { base: 'BTC', quote: 'USDT' }],
    ['BTCUSDT', { base: 'BTC', quote: 'USDT' }],
    ['BTC-USDT', { base: 'BTC', quote: 'USDT' }],
    ['BTC/USDT:USDT', { base: 'BTC', quote: 'USDT' }],
    ['1000PEPEUSDT', { base: '1000PEPE', quote: 'USDT' }],
    ['', null],
    ['BTC', null],
  ])('%s', (input, expected) => expect(parseUnifiedSymbol(input)).toEqual(expected));
});

describe('SymbolMap', () => {
  it.each([
    ['BTC/USDT', 'BTC/USDT:USDT'],
    ['1000PEPE/USDT', '1000PEPE/USDT:USDT'],
    ['KPEPE/USDT', '1000PEPE/USDT:USDT'],
    ['1000SHIB/USDT', 'SHIB1000/USDT:USDT'],
    ['SHIB1000/USDT', 'SHIB1000/USDT:USDT'],
    ['BTC/USDC', null],
    ['ETH/USDT', null],
  ])('bybit %s -> %s', (unified, expected) => expect(bybit.toExchange(unified)).toBe(expected));

  it.each([
    ['BTC/USDT', 'BTC/USDC:USDC'],
    ['BTC/USDC', 'BTC/USDC:USDC'],
    ['1000PEPE/USDT', 'KPEPE/USDC:USDC'],
    ['1000SHIB/USDT', 'KSHIB/USDC:USDC'],
    ['1000BONK/USDT', 'KBONK/USDC:USDC'],
    ['kPEPE/USDT', 'KPEPE/USDC:USDC'],
    ['KAVA/USDT', 'KAVA/USDC:USDC'],
    ['1000AVA/USDT', null],
    ['PEPE/USDT', null],
    ['BTC/EUR', null],
  ])('hyperliquid %s -> %s', (unified, expected) => expect(hl.toExchange(unified)).toBe(expected));

  it('unified names of exchange markets are BASE/USDT, thousands normalised', () => {
    expect(bybit.toUnified('SHIB1000/USDT:USDT')).toBe('1000SHIB/USDT');
    expect(bybit.toUnified('1000PEPE/USDT:USDT')).toBe('1000PEPE/USDT');
    expect(hl.toUnified('KPEPE/USDC:USDC')).toBe('1000PEPE/USDT');
    expect(hl.toUnified('KAVA/USDC:USDC')).toBe('KAVA/USDT');
    expect(hl.toUnified('BTC/USDC:USDC')).toBe('BTC/USDT');
  });

  it('round-trips every market', () => {
    for (const m of ['BTC/USDT:USDT', '1000PEPE/USDT:USDT', 'SHIB1000/USDT:USDT', '1000BONK/USDT:USDT']) expect(bybit.toExchange(bybit.toUnified(m))).toBe(m);
    for (const m of ['BTC/USDC:USDC', 'KPEPE/USDC:USDC', 'KSHIB/USDC:USDC', 'KBONK/USDC:USDC', 'KAVA/USDC:USDC']) expect(hl.toExchange(hl.toUnified(m))).toBe(m);
  });
});
