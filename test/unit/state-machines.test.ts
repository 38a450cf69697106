import { describe, expect, it } from 'vitest';
import { IllegalTransitionError } from '../../models/errors.js';
import { ORDER_MACHINE, TRADE_MACHINE, transition } from '../../models/state-machines.js';

describe('state machines', () => {
  it('allows listed transitions and returns a record', () => {
    expect(transition(ORDER_MACHINE, 'pending', 'open', 5, 'ack')).toEqual({ machine: 'order', from: 'pending', to: 'open', at: 5, reason: 'ack' });
    expect(transition(TRADE_MACHINE, 'open', 'closed', 6).to).toBe('closed');
  });

  it.each([
    [ORDER_MACHINE, 'filled', 'open'],
    [ORDER_MACHINE, 'cancelled', 'filled'],
    [ORDER_MACHINE, 'rejected', 'open'],
    [TRADE_MACHINE, 'closed', 'open'],
    [TRADE_MACHINE, 'cancelled', 'opening'],
    [TRADE_MACHINE, 'planned', 'closed'],
  ] as const)('%s refuses %s -> %s', (machine, from, to) => {
    expect(() => transition(machine as any, from, to, 1)).toThrow(IllegalTransitionError);
  });

  it('every state in the tables is known', () => {
    for (const m of [ORDER_MACHINE, TRADE_MACHINE] as const) {
      const states = new Set(Object.keys(m.transitions));
      for (const targets of Object.values(m.transitions) as string[][]) for (const t of targets) expect(states.has(t)).toBe(true);
    }
  });
});
