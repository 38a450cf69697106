/**
 * Adapter factories in the registry's shape: (account, credentials) -> adapter.
 * The composition root passes BYBIT_API_URL / HYPERLIQUID_API_URL here.
 */
import { AuthFailed, NotSupported } from '../../models/index.js';
import type { AccountRef, AdapterContext, Credentials, ExchangeAdapter } from '../types.js';
import type { AdapterLog, FetchLike } from './base.js';
import { createBybitAdapter, createBybitMarketSource, type BybitAccountTypeCache } from './bybit.js';
import { createHyperliquidAdapter, createHyperliquidMarketSource } from './hyperliquid.js';
import { SharedMarketsRegistry } from './market-store.js';

export { mapCcxtError, isBenignNoChange, httpStatusOf, type AdapterLog, type FetchLike, type ErrorContext } from './base.js';
export {
  createBybitAdapter,
  createBybitMarketSource,
  bybitSignature,
  parseKeyAudit,
  accountTypeOf,
  bybitAccountTypeKey,
  BYBIT_MAX_BATCH,
  BYBIT_DEFAULT_BATCH,
  BYBIT_MAX_ORDER_LINK_ID,
  type BybitAccountType,
  type BybitAccountTypeCache,
  type BybitAdapterOptions,
} from './bybit.js';
export { createSharedMarkets, SharedMarketsRegistry, type SharedMarkets, type SharedMarketsOptions, type CcxtMarketSource } from './market-store.js';
export {
  createHyperliquidAdapter,
  createHyperliquidMarketSource,
  toHyperliquidCloid,
  triggerKind,
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
  /** Refresh shared markets older than this on the next use (default 15 min). */
  marketMaxAgeMs?: number;
}

/** `context` (from the registry) routes the adapter's own start-up requests through the client's limiter. */
export type AdapterFactory = (ref: AccountRef, credentials: Credentials, context?: AdapterContext) => ExchangeAdapter;

export interface CcxtAdapterFactories {
  bybit: AdapterFactory;
  hyperliquid: AdapterFactory;
}

/**
 * The factories share, across every account they build: loaded markets per
 * (exchange, environment, API URL) — one load, handed to each instance with
 * ccxt's setMarketsFromExchange — and Bybit account types per account (so a
 * rebuilt instance, e.g. after idle eviction, does not probe again).
 */
export function ccxtAdapterFactories(o: CcxtFactoryOptions = {}): CcxtAdapterFactories {
  const markets = new SharedMarketsRegistry(o.marketMaxAgeMs === undefined ? {} : { maxAgeMs: o.marketMaxAgeMs });
  const accountTypes: BybitAccountTypeCache = new Map();
  const instance = {
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    ...(o.fetchImpl ? { fetchImpl: o.fetchImpl } : {}),
  };
  const common = {
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    ...(o.fetchImpl ? { fetchImpl: o.fetchImpl } : {}),
    ...(o.log ? { log: o.log } : {}),
  };
  return {
    bybit(ref, c, context) {
      if (!c.apiKey || !c.secret) throw new AuthFailed('bybit needs an API key and secret', { exchange: 'bybit', operation: 'create' });
      const apiUrl = o.bybitApiUrl;
      const sharedMarkets = markets.get(`bybit|${ref.environment}|${apiUrl ?? ''}`, () =>
        createBybitMarketSource({ environment: ref.environment, apiUrl, ...instance }),
      );
      return createBybitAdapter({
        accountId: ref.accountId,
        environment: ref.environment,
        credentials: { apiKey: c.apiKey, secret: c.secret },
        ...(apiUrl ? { apiUrl } : {}),
        ...(c.unifiedAccount !== undefined ? { unifiedAccount: c.unifiedAccount } : {}),
        sharedMarkets,
        accountTypes,
        ...(context ? { context } : {}),
        ...common,
      });
    },
    hyperliquid(ref, c, context) {
      if (!c.walletAddress || !c.privateKey) {
        throw new AuthFailed('hyperliquid needs a wallet address and an API-wallet private key', { exchange: 'hyperliquid', operation: 'create' });
      }
      if (ref.environment === 'demo') throw new NotSupported('hyperliquid has no demo environment (use testnet)', { exchange: 'hyperliquid', operation: 'create' });
      const environment = ref.environment;
      const apiUrl = o.hyperliquidApiUrl;
      const sharedMarkets = markets.get(`hyperliquid|${environment}|${apiUrl ?? ''}`, () =>
        createHyperliquidMarketSource({ environment, apiUrl, ...instance }),
      );
      return createHyperliquidAdapter({
        accountId: ref.accountId,
        environment,
        credentials: { walletAddress: c.walletAddress, privateKey: c.privateKey },
        ...(apiUrl ? { apiUrl } : {}),
        sharedMarkets,
        ...(context ? { context } : {}),
        ...(o.hyperliquidSlippage !== undefined ? { slippage: o.hyperliquidSlippage } : {}),
        ...common,
      });
    },
  };
}
