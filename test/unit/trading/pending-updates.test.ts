import { describe, expect, it } from 'vitest';
import type { SignalParse, UpdateParse } from '../../../models/index.js';
import { foldUpdates } from '../../../services/trading/pending-updates.js';

const SIG: SignalParse = {
  kind: 'signal', symbol: 'BTC/USDT', side: 'long', entries: [], entryMarket: true, entryTrigger: null, takeProfits: [51_000],
  takeProfitPercents: null, stopLoss: 49_000, leverage: 10, marginMode: null, warnings: [],
};
const row = { id: 1, message_id: '100', received_at: 1_000 };
let n = 1;
const upd = (u: Partial<UpdateParse>, o: { reply?: string | null; at?: number } = {}) => ({
  id: ++n,
  parse_result: JSON.stringify({ kind: 'update', symbol: null, action: 'move_sl', stopLoss: null, breakeven: false, ...u }),
  reply_to_message_id: o.reply === undefined ? '100' : o.reply,
  received_at: o.at ?? 2_000 + n,
});

describe('foldUpdates', () => {
  it.each([
    ['nothing stored', [], { stop: 49_000, closed: false, breakeven: false, applied: 0 }],
    ['a reply moving the stop', [upd({ stopLoss: 49_500 })], { stop: 49_500, closed: false, breakeven: false, applied: 1 }],
    ['two moves: the last wins', [upd({ stopLoss: 49_500 }), upd({ stopLoss: 49_700 })], { stop: 49_700, closed: false, breakeven: false, applied: 2 }],
    ['breakeven after a move', [upd({ stopLoss: 49_500 }), upd({ breakeven: true, action: 'other' as never })], { stop: 49_500, closed: false, breakeven: true, applied: 2 }],
    ['a move after breakeven cancels it', [upd({ breakeven: true }), upd({ stopLoss: 49_600 })], { stop: 49_600, closed: false, breakeven: false, applied: 2 }],
    ['close naming the symbol (no reply)', [upd({ action: 'close', symbol: 'BTC/USDT' }, { reply: null })], { stop: 49_000, closed: true, breakeven: false, applied: 1 }],
    ['cancel as a reply', [upd({ action: 'cancel' })], { stop: 49_000, closed: true, breakeven: false, applied: 1 }],
    ['another symbol', [upd({ stopLoss: 2_900, symbol: 'ETH/USDT' }, { reply: null })], { stop: 49_000, closed: false, breakeven: false, applied: 0 }],
    ['a reply to another post', [upd({ action: 'close' }, { reply: '99' })], { stop: 49_000, closed: false, breakeven: false, applied: 0 }],
    ['posted before the signal', [upd({ stopLoss: 49_500 }, { at: 500 })], { stop: 49_000, closed: false, breakeven: false, applied: 0 }],
  ] as const)('%s', (_n, rows, expected) => {
    const r = foldUpdates(row, SIG, rows);
    expect({ stop: r.signal.stopLoss, closed: r.closed, breakeven: r.breakeven, applied: r.applied.length }).toEqual(expected);
    expect(SIG.stopLoss).toBe(49_000);
  });
});
