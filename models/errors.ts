/**
 * One error hierarchy for the whole product. Every class has a stable `code`
 * (bot/ maps it to an `err-<code>` locale key) and says whether the caller
 * may retry. Raw ccxt, kysely or grammY errors never cross a layer.
 */
export interface ErrorOptions {
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class AppError extends Error {
  readonly code: string = 'internal';
  readonly retryable: boolean = false;
  readonly details: Record<string, unknown>;

  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = options.details ?? {};
  }
}

/** Bad input from a user: out-of-range value, unknown symbol, missing account. */
export class UserError extends AppError {
  override readonly code: string = 'user-input';
}

export class ValidationError extends UserError {
  override readonly code: string = 'validation';
}

export class ConfigError extends AppError {
  override readonly code = 'config';
}

export class IllegalTransitionError extends AppError {
  override readonly code = 'illegal-transition';
  constructor(
    readonly machine: string,
    readonly from: string,
    readonly to: string,
  ) {
    super(`${machine}: illegal transition ${from} -> ${to}`, { details: { machine, from, to } });
  }
}

export class VaultError extends AppError {
  override readonly code: string = 'vault';
}

/** Ciphertext failed authentication: tampered, wrong master key, or bound to another row. */
export class DecryptionError extends VaultError {
  override readonly code = 'vault-decrypt';
}

export interface ExchangeErrorOptions extends ErrorOptions {
  exchange?: string;
  operation?: string;
}

/** Anything that went wrong talking to an exchange. */
export class ExchangeError extends AppError {
  override readonly code: string = 'exchange';
  readonly exchange: string | undefined;
  readonly operation: string | undefined;
  constructor(message: string, options: ExchangeErrorOptions = {}) {
    super(message, options);
    this.exchange = options.exchange;
    this.operation = options.operation;
  }
}

export class AuthFailed extends ExchangeError {
  override readonly code = 'auth-failed';
}
export class PermissionDenied extends ExchangeError {
  override readonly code = 'permission-denied';
}
export class InsufficientFunds extends ExchangeError {
  override readonly code = 'insufficient-funds';
}
/** Quantity/price outside the market's precision or limits; details carry the limits. */
export class InvalidOrderSize extends ExchangeError {
  override readonly code = 'invalid-order-size';
}
export class OrderRejected extends ExchangeError {
  override readonly code = 'order-rejected';
}
export class OrderNotFound extends ExchangeError {
  override readonly code = 'order-not-found';
}
/** We sent an order and do not know whether it exists; reconcile by client order id. */
export class OrderStateUnknown extends ExchangeError {
  override readonly code = 'order-state-unknown';
}
export class RateLimited extends ExchangeError {
  override readonly code = 'rate-limited';
  override readonly retryable = true;
}
export class ExchangeUnavailable extends ExchangeError {
  override readonly code: string = 'exchange-unavailable';
  override readonly retryable: boolean = true;
}
/** The circuit breaker is open for this exchange or account. */
export class CircuitOpen extends ExchangeUnavailable {
  override readonly code = 'circuit-open';
  override readonly retryable = false;
}
export class NetworkTimeout extends ExchangeError {
  override readonly code = 'network-timeout';
  override readonly retryable = true;
}
export class MarketNotFound extends ExchangeError {
  override readonly code = 'market-not-found';
}
export class SlippageExceeded extends OrderRejected {}
export class NotSupported extends ExchangeError {
  override readonly code = 'not-supported';
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
