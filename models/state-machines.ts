import { IllegalTransitionError } from './errors.js';
import type { OrderStatus } from './order.js';
import type { TradeStatus } from './trade.js';

/** An explicit state machine: every allowed transition in one table. */
export interface StateMachine<S extends string> {
  name: string;
  transitions: Readonly<Record<S, readonly S[]>>;
}

export interface TransitionRecord<S extends string> {
  machine: string;
  from: S;
  to: S;
  at: number;
  reason?: string;
}

export function canTransition<S extends string>(m: StateMachine<S>, from: S, to: S): boolean {
  return from === to || (m.transitions[from]?.includes(to) ?? false);
}

/** Returns the record of the transition; throws IllegalTransitionError when not allowed. */
export function transition<S extends string>(
  m: StateMachine<S>,
  from: S,
  to: S,
  at: number,
  reason?: string,
): TransitionRecord<S> {
  if (!canTransition(m, from, to)) throw new IllegalTransitionError(m.name, from, to);
  return reason === undefined ? { machine: m.name, from, to, at } : { machine: m.name, from, to, at, reason };
}

export const ORDER_MACHINE: StateMachine<OrderStatus> = {
  name: 'order',
  transitions: {
    pending: ['open', 'partially_filled', 'filled', 'rejected', 'cancelled', 'unknown'],
    unknown: ['open', 'partially_filled', 'filled', 'rejected', 'cancelled', 'expired'],
    open: ['partially_filled', 'filled', 'cancelled', 'expired'],
    partially_filled: ['filled', 'cancelled', 'expired'],
    filled: [],
    cancelled: [],
    rejected: [],
    expired: [],
  },
};

export const TRADE_MACHINE: StateMachine<TradeStatus> = {
  name: 'trade',
  transitions: {
    planned: ['opening', 'open', 'cancelled', 'failed'],
    opening: ['open', 'cancelled', 'failed', 'closing', 'closed'],
    open: ['closing', 'closed'],
    closing: ['closed', 'open'],
    closed: [],
    cancelled: [],
    failed: [],
  },
};

export function isTerminalTrade(s: TradeStatus): boolean {
  return TRADE_MACHINE.transitions[s].length === 0;
}
export function isTerminalOrder(s: OrderStatus): boolean {
  return ORDER_MACHINE.transitions[s].length === 0;
}
