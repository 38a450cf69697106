/**
 * The client's leverage / margin-mode cache: a value we set is trusted for
 * `leverageTtl` ms (ClientOptions.leverageTtlMs, default 10 min) and not
 * sent again; a margin-mode call also sets the leverage; forget() drops what
 * we know (e.g. the user changed it on the exchange).
 */
import type { MarginMode } from '../models/index.js';
import type { Clock } from './limiter.js';

export interface LeverageCache {
  setLeverage(symbol: string, leverage: number, send: () => Promise<void>): Promise<void>;
  setMarginMode(symbol: string, mode: MarginMode, leverage: number, send: () => Promise<void>): Promise<void>;
  forget(symbol?: string): void;
}

export function createLeverageCache(clock: Clock, leverageTtl: number): LeverageCache {
  const leverageSet = new Map<string, { leverage: number; at: number }>();
  const marginSet = new Map<string, { mode: MarginMode; leverage: number; at: number }>();
  const fresh = (at: number): boolean => clock.now() - at < leverageTtl;

  return {
    async setLeverage(symbol, leverage, send) {
      const known = leverageSet.get(symbol);
      if (known && known.leverage === leverage && fresh(known.at)) return;
      leverageSet.delete(symbol);
      await send();
      leverageSet.set(symbol, { leverage, at: clock.now() });
    },

    async setMarginMode(symbol, mode, leverage, send) {
      const known = marginSet.get(symbol);
      if (known && known.mode === mode && known.leverage === leverage && fresh(known.at)) return;
      marginSet.delete(symbol);
      leverageSet.delete(symbol);
      await send();
      const at = clock.now();
      marginSet.set(symbol, { mode, leverage, at });
      leverageSet.set(symbol, { leverage, at });
    },

    forget(symbol) {
      if (symbol === undefined) {
        leverageSet.clear();
        marginSet.clear();
      } else {
        leverageSet.delete(symbol);
        marginSet.delete(symbol);
      }
    },
  };
}
