/** Public surface of exchanges/: services import from here. */
export type {
  AccountRef,
  AdapterContext,
  AdapterInternalOp,
  BatchItemResult,
  CallEvent,
  CallObserver,
  Credentials,
  ExchangeAdapter,
  KeyAudit,
  PositionProtection,
  RateLimitStatus,
} from './types.js';
export {
  createAdapterContext,
  createExchangeClient,
  createMarketCache,
  normalizeRequest,
  checkedPrice,
  toAppError,
  type BindableAdapterContext,
  type ClientActivity,
  type ClientDeps,
  type ClientOptions,
  type ExchangeClient,
  type MarketCache,
  type PrecisionHelpers,
} from './client.js';
export {
  createExchangeRegistry,
  type AdapterFactory,
  type ExchangeHealth,
  type ExchangeRegistry,
  type ExchangeRegistryOptions,
} from './registry.js';
export {
  createRateLimiter,
  systemClock,
  sleep,
  type AcquireRequest,
  type BucketRequest,
  type BucketSnapshot,
  type Clock,
  type RateLimiter,
  type WindowLimit,
} from './limiter.js';
export {
  BYBIT_LIMITS,
  DEFAULT_LIMITS,
  HYPERLIQUID_LIMITS,
  OP_CLASS,
  PAPER_LIMITS,
  resolveLimits,
  type ClientOp,
  type CostContext,
  type ExchangeLimits,
  type LimitsOverrides,
  type OpClass,
  type OpCost,
} from './limits.js';
export {
  createBreakers,
  isCredentialError,
  isOutageError,
  type BreakerEvent,
  type BreakerListener,
  type BreakerOptions,
  type BreakerPermit,
  type BreakerScope,
  type BreakerState,
  type BreakerStatus,
  type Breakers,
} from './breaker.js';
export { DEFAULT_RETRY, backoffDelay, isRetryable, withRetry, type RetryDeps, type RetryOptions } from './retry.js';
export {
  DUPLICATE_CLIENT_ORDER_ID,
  isDuplicateClientOrderId,
  isUnknownOutcome,
  placeBatchIdempotent,
  placeIdempotent,
  type PlacementDeps,
  type PlacementOptions,
} from './placement.js';
export { combineObservers, createMetrics, percentile, type CallMetrics, type OpMetrics } from './metrics.js';
