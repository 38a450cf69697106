import type { AdapterContext, AdapterInternalOp } from './types.js';

/**
 * An AdapterContext whose throttle is bound to a client after the adapter is
 * built (the adapter comes first: the client wraps it). Until bound — or for
 * an adapter used on its own — requests run unthrottled.
 */
export interface BindableAdapterContext extends AdapterContext {
  bind(runner: <T>(op: AdapterInternalOp, fn: () => Promise<T>) => Promise<T>): void;
}

export function createAdapterContext(): BindableAdapterContext {
  let runner: (<T>(op: AdapterInternalOp, fn: () => Promise<T>) => Promise<T>) | null = null;
  return {
    throttle: (op, fn) => (runner ? runner(op, fn) : fn()),
    bind(r) {
      runner = r;
    },
  };
}
