/**
 * Adapter factories in the registry's shape: (account, credentials) -> adapter.
 * The composition root passes BYBIT_API_URL / HYPERLIQUID_API_URL here.
 */
import { AuthFailed, NotSupported } from '../../models/index.js';
import type { AccountRef, Credentials, ExchangeAdapter } from '../types.js';
import type { AdapterLog, FetchLike } from './base.js';
import { createBybitAdapter } from './bybit.js';
import { createHyperliquidAdapter } from './hyperliquid.js';

export { mapCcxtError, isBenignNoChange, type AdapterLog, type FetchLike, type ErrorContext } from './base.js';
export { createBybitAdapter, bybitSignature, parseKeyAudit, BYBIT_MAX_BATCH, BYBIT_MAX_ORDER_LINK_ID, type BybitAdapterOptions } from './bybit.js';
export {
  createHyperliquidAdapter,
  toHyperliquidCloid,
  HYPERLIQUID_DEFAULT_SLIPPAGE,
  HYPERLIQUID_MIN_ORDER_VALUE,
  type HyperliquidAdapterOptions,
} from './hyperliquid.js';
export { SymbolMap, parseUnifiedSymbol } from './symbols.js';

export interface CcxtFactoryOptions {
  bybitApiUrl?: string;
  hyperliquidApiUrl?: string;
  /** HyperLiquid market-order slippage bound (default 0.05). */
  hyperliquidSlippage?: number;
  timeoutMs?: number;
  fetchImpl?: FetchLike;
  log?: AdapterLog;
}

export type AdapterFactory = (ref: AccountRef, credentials: Credentials) => ExchangeAdapter;

export function ccxtAdapterFactories(o: CcxtFactoryOptions = {}): { bybit: AdapterFactory; hyperliquid: AdapterFactory } {
  const common = {
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    ...(o.fetchImpl ? { fetchImpl: o.fetchImpl } : {}),
    ...(o.log ? { log: o.log } : {}),
  };
  return {
    bybit(ref, c) {
      if (!c.apiKey || !c.secret) throw new AuthFailed('bybit needs an API key and secret', { exchange: 'bybit', operation: 'create' });
      return createBybitAdapter({
        accountId: ref.accountId,
        environment: ref.environment,
        credentials: { apiKey: c.apiKey, secret: c.secret },
        ...(o.bybitApiUrl ? { apiUrl: o.bybitApiUrl } : {}),
        ...common,
      });
    },
    hyperliquid(ref, c) {
      if (!c.walletAddress || !c.privateKey) {
        throw new AuthFailed('hyperliquid needs a wallet address and an API-wallet private key', { exchange: 'hyperliquid', operation: 'create' });
      }
      if (ref.environment === 'demo') throw new NotSupported('hyperliquid has no demo environment (use testnet)', { exchange: 'hyperliquid', operation: 'create' });
      return createHyperliquidAdapter({
        accountId: ref.accountId,
        environment: ref.environment,
        credentials: { walletAddress: c.walletAddress, privateKey: c.privateKey },
        ...(o.hyperliquidApiUrl ? { apiUrl: o.hyperliquidApiUrl } : {}),
        ...(o.hyperliquidSlippage !== undefined ? { slippage: o.hyperliquidSlippage } : {}),
        ...common,
      });
    },
  };
}
