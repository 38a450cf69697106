/**
 * Shared plumbing of the ccxt adapters: the ONE place where ccxt exceptions
 * (and the exchange codes inside them) become models/errors.ts classes, the
 * HTTP seam used by tests, and the final precision guard.
 *
 * ccxt puts the exchange's raw response body into its error messages
 * ("bybit {\"retCode\":110007,...}", "hyperliquid {\"status\":\"err\",...}").
 * We read the exchange code/reason from there, so the typed error can carry
 * the exchange's own reason without ever including request headers (where the
 * signatures and API key live).
 */
import ccxt from 'ccxt';
import {
  AppError,
  AuthFailed,
  ExchangeError,
  ExchangeUnavailable,
  InsufficientFunds,
  InvalidOrderSize,
  MarketNotFound,
  NetworkTimeout,
  NotSupported,
  OrderNotFound,
  OrderRejected,
  PermissionDenied,
  RateLimited,
  SlippageExceeded,
  type ExchangeId,
  type Market,
} from '../../models/index.js';

const E = ccxt as unknown as Record<string, new (...args: any[]) => Error>;

/** A WHATWG-style fetch: what ccxt calls when `fetchImplementation` is set (tests, proxies). */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<Response>;

/** Minimal pino-compatible logger; adapters never log payloads or headers. */
export interface AdapterLog {
  warn(obj: Record<string, unknown>, msg: string): void;
  debug?(obj: Record<string, unknown>, msg: string): void;
}

export interface ErrorContext {
  exchange: ExchangeId;
  operation: string;
  /** The market the call was about; its limits go into InvalidOrderSize messages. */
  market?: Market;
}

/** The exchange's own code and message, parsed from a ccxt error message. */
export interface ExchangeReason {
  code: string | null;
  message: string | null;
}

/** Extract the JSON body ccxt appended to its message (`"<id> {json}"`). */
export function responseBodyOf(e: unknown): unknown {
  const msg = e instanceof Error ? e.message : typeof e === 'string' ? e : '';
  const start = msg.indexOf('{');
  if (start < 0) return undefined;
  const end = msg.lastIndexOf('}');
  if (end <= start) return undefined;
  try {
    return JSON.parse(msg.slice(start, end + 1));
  } catch {
    return undefined;
  }
}

/** Exchange code and reason: Bybit retCode/retMsg, HyperLiquid status error strings. */
export function exchangeReason(e: unknown): ExchangeReason {
  const body = responseBodyOf(e) as Record<string, any> | undefined;
  if (!body || typeof body !== 'object') return { code: null, message: null };
  if ('retCode' in body || 'ret_code' in body) {
    const code = body.retCode ?? body.ret_code;
    return { code: code == null ? null : String(code), message: String(body.retMsg ?? body.ret_msg ?? '') || null };
  }
  // HyperLiquid: {"status":"err","response":"..."} or statuses[i].error
  if (body.status === 'err' && typeof body.response === 'string') return { code: null, message: body.response };
  const statuses = body.response?.data?.statuses;
  if (Array.isArray(statuses)) {
    for (const s of statuses) {
      if (s && typeof s === 'object' && typeof s.error === 'string') return { code: null, message: s.error };
    }
  }
  if (typeof body.error === 'string') return { code: null, message: body.error };
  return { code: null, message: null };
}

function limitsText(m: Market): string {
  const parts = [`min qty ${m.minQty}`, `step ${m.stepSize}`];
  if (m.maxQty !== null) parts.push(`max qty ${m.maxQty}`);
  parts.push(`tick ${m.tickSize}`, `min notional ${m.minNotional} ${m.quote}`);
  return parts.join(', ');
}

function limitsDetails(m: Market | undefined): Record<string, unknown> {
  if (!m) return {};
  return {
    symbol: m.symbol,
    stepSize: m.stepSize,
    tickSize: m.tickSize,
    minQty: m.minQty,
    maxQty: m.maxQty,
    minNotional: m.minNotional,
  };
}

const BYBIT_AUTH = new Set(['10003', '10004', '10007', '10009', '33004']);
const BYBIT_PERMISSION = new Set(['10005', '10010', '10024', '10027', '10028', '10029', '110065', '110067', '110068']);
/** Per-account (UID) request limits. */
const BYBIT_RATE = new Set(['10006', '10429', '170005', '170222']);
/** The IP's budget is spent (10018 "Exceeded the IP Rate Limit"): everyone on this server must stop. */
const BYBIT_IP_RATE = new Set(['10018']);
const BYBIT_FUNDS = new Set(['110004', '110006', '110007', '110012', '110014', '110044', '110045', '110051', '110052', '110053']);
/** Order does not exist / already finished: "gone" for cancel purposes. */
const BYBIT_GONE = new Set(['110001', '110008', '110010', '170213']);
/** Size/price/precision problems. 10001 only when its message is about qty/price. */
const BYBIT_SIZE = new Set(['110094', '12137', '110003', '170132', '170133', '170134', '170135', '170136', '170137', '170140']);
const SIZE_WORDS = /(qty|quantity|price|decimal|minimum|min_|maximum|notional|too large|too small|step|precision|lot size)/i;

/** HyperLiquid reasons (status error strings) by what the caller should do. */
const HL_RULES: { test: RegExp; make: 'auth' | 'funds' | 'size' | 'slippage' | 'notfound' | 'rate' | 'rejected' }[] = [
  { test: /User or API Wallet .* does not exist/i, make: 'auth' },
  { test: /Insufficient margin|Insufficient spot balance|Insufficient balance/i, make: 'funds' },
  { test: /minimum value of \$10|invalid size|zero size|divisible by tick size|invalid price|Order has invalid|too many decimals/i, make: 'size' },
  { test: /could not immediately match|No liquidity available for market order/i, make: 'slippage' },
  { test: /never placed, already canceled, or filled/i, make: 'notfound' },
  { test: /Too many cumulative requests|rate limit/i, make: 'rate' },
];

/** The HTTP status ccxt put in its message ("<id> <METHOD> <url> <status> <reason> <body>"), if any. */
export function httpStatusOf(e: unknown): number | null {
  const msg = e instanceof Error ? e.message : typeof e === 'string' ? e : '';
  const m = /^\S+ (?:GET|POST|PUT|DELETE|PATCH) \S+ (\d{3})\b/.exec(msg);
  return m ? Number(m[1]) : null;
}

function isA(e: unknown, name: string): boolean {
  const cls = E[name];
  return typeof cls === 'function' && e instanceof cls;
}

/**
 * Translate anything a ccxt call threw into one of our typed errors. Already
 * typed errors pass through. The message names the exchange, the operation
 * and the exchange's reason; the ccxt error is kept as `cause`.
 */
export function mapCcxtError(e: unknown, ctx: ErrorContext): AppError {
  if (e instanceof AppError) return e;
  const { exchange, operation, market } = ctx;
  const reason = exchangeReason(e);
  const raw = e instanceof Error ? e.message : String(e);
  const why = reason.message ?? stripBody(raw);
  const codePart = reason.code ? ` (code ${reason.code})` : '';
  const where = market ? ` on ${market.symbol}` : '';
  const base = { exchange, operation, cause: e, details: { exchangeCode: reason.code, reason: why, ...limitsDetails(market) } };
  const msg = (text: string) => `${exchange} ${operation}${where}: ${text}`;

  // 0. IP-level refusals: the client holds the whole host (details.scope 'ip').
  //    Bybit: HTTP 403 = "access too frequent" (the IP broke 600 requests / 5 s;
  //    banned ~10 minutes; Bybit's error table lists the only other 403 cause as
  //    a GET with a JSON body, which we never send) and retCode 10018.
  //    HyperLiquid: HTTP 429 (its REST limits are per IP).
  const status = httpStatusOf(e);
  if (
    (exchange === 'bybit' && (status === 403 || (reason.code !== null && BYBIT_IP_RATE.has(reason.code)))) ||
    (exchange === 'hyperliquid' && status === 429)
  ) {
    const text = status === 403 ? 'HTTP 403 access too frequent: the IP is over its request limit' : status === 429 ? 'HTTP 429 too many requests from this IP' : why;
    return new RateLimited(msg(`IP rate limit: ${text}${codePart}`), { ...base, details: { ...base.details, scope: 'ip', httpStatus: status } });
  }

  // 1. Exchange codes we know better than ccxt's generic class.
  if (exchange === 'bybit' && reason.code) {
    const c = reason.code;
    if (BYBIT_AUTH.has(c)) return new AuthFailed(msg(`API key or signature rejected: ${why}${codePart}`), base);
    if (BYBIT_PERMISSION.has(c)) return new PermissionDenied(msg(`permission denied: ${why}${codePart}`), base);
    if (BYBIT_RATE.has(c)) return new RateLimited(msg(`rate limited: ${why}${codePart}`), { ...base, details: { ...base.details, scope: 'account' } });
    if (BYBIT_FUNDS.has(c)) return new InsufficientFunds(msg(`insufficient funds: ${why}${codePart}`), base);
    if (BYBIT_GONE.has(c)) return new OrderNotFound(msg(`order not found or no longer open: ${why}${codePart}`), base);
    if (BYBIT_SIZE.has(c) || (c === '10001' && SIZE_WORDS.test(why))) return sizeError(msg, why, codePart, market, base);
    if (c === '110072' || c === '110030' || c === '12141') {
      return new OrderRejected(msg(`duplicate client order id: ${why}${codePart}`), {
        ...base,
        details: { ...base.details, duplicateClientOrderId: true },
      });
    }
    if (c === '10002') return new ExchangeUnavailable(msg(`request outside the receive window (clock skew or slow network): ${why}${codePart}`), base);
    if (c === '10016' || c === '10000' || c === '5004') return new ExchangeUnavailable(msg(`exchange error, try again: ${why}${codePart}`), base);
  }
  if (exchange === 'hyperliquid' && reason.message) {
    for (const rule of HL_RULES) {
      if (!rule.test.test(reason.message)) continue;
      switch (rule.make) {
        case 'auth':
          return new AuthFailed(msg(`wallet or API wallet not recognised: ${why}`), base);
        case 'funds':
          return new InsufficientFunds(msg(`insufficient margin: ${why}`), base);
        case 'size':
          return sizeError(msg, why, '', market, base);
        case 'slippage':
          return new SlippageExceeded(msg(`market order could not fill within the slippage bound: ${why}`), base);
        case 'notfound':
          return new OrderNotFound(msg(`order not found or no longer open: ${why}`), base);
        case 'rate':
          return new RateLimited(msg(`rate limited: ${why}`), base);
        default:
          break;
      }
    }
    // Any other per-order status error is the exchange refusing the order, with its reason.
    if (!isA(e, 'NetworkError')) return new OrderRejected(msg(`rejected: ${why}`), base);
  }

  // 2. ccxt's class tree, most specific first.
  if (isA(e, 'RequestTimeout')) return new NetworkTimeout(msg(`request timed out`), base);
  if (isA(e, 'RateLimitExceeded') || isA(e, 'DDoSProtection')) return new RateLimited(msg(`rate limited: ${why}`), base);
  if (isA(e, 'OnMaintenance') || isA(e, 'ExchangeNotAvailable')) return new ExchangeUnavailable(msg(`exchange unavailable: ${why}`), base);
  if (isA(e, 'InvalidNonce')) return new ExchangeUnavailable(msg(`nonce/timestamp rejected (clock skew?): ${why}`), base);
  if (isA(e, 'NetworkError')) return new ExchangeUnavailable(msg(`network error: ${why}`), base);
  if (isA(e, 'BadResponse') || isA(e, 'NullResponse')) return new ExchangeUnavailable(msg(`unreadable response: ${why}`), base);
  if (isA(e, 'OperationFailed')) return new ExchangeUnavailable(msg(why), base);
  if (isA(e, 'PermissionDenied') || isA(e, 'AccountSuspended') || isA(e, 'RestrictedLocation')) {
    return new PermissionDenied(msg(`permission denied: ${why}`), base);
  }
  if (isA(e, 'AuthenticationError')) return new AuthFailed(msg(`authentication failed: ${why}`), base);
  if (isA(e, 'BadSymbol')) return new MarketNotFound(msg(`market not found: ${why}`), base);
  if (isA(e, 'InsufficientFunds')) return new InsufficientFunds(msg(`insufficient funds: ${why}`), base);
  if (isA(e, 'OrderNotFound')) return new OrderNotFound(msg(`order not found: ${why}`), base);
  if (isA(e, 'DuplicateOrderId')) {
    return new OrderRejected(msg(`duplicate client order id: ${why}`), { ...base, details: { ...base.details, duplicateClientOrderId: true } });
  }
  if (isA(e, 'NotSupported')) return new NotSupported(msg(`not supported: ${why}`), base);
  if (isA(e, 'InvalidOrder') || isA(e, 'OperationRejected') || isA(e, 'BadRequest') || isA(e, 'ArgumentsRequired')) {
    // Without an exchange code, the words are all we have (e.g. ccxt's own precision checks).
    if (isA(e, 'InvalidOrder') && !reason.code && SIZE_WORDS.test(why) && market) return sizeError(msg, why, codePart, market, base);
    return new OrderRejected(msg(`rejected: ${why}${codePart}`), base);
  }
  if (isA(e, 'ExchangeError')) return new ExchangeError(msg(`${why}${codePart}`), base);
  // Not a ccxt error at all (a bug in a mapper, a TypeError from bad data...).
  return new ExchangeError(msg(`unexpected error: ${raw}`), base);
}

function sizeError(
  msg: (t: string) => string,
  why: string,
  codePart: string,
  market: Market | undefined,
  base: ConstructorParameters<typeof InvalidOrderSize>[1] & object,
): InvalidOrderSize {
  const limits = market ? ` [${limitsText(market)}]` : '';
  return new InvalidOrderSize(msg(`invalid quantity or price: ${why}${codePart}${limits}`), base);
}

/** ccxt messages end with the raw body; keep only the words before it for the reason. */
function stripBody(raw: string): string {
  const i = raw.indexOf('{');
  return (i > 0 ? raw.slice(0, i) : raw).trim() || raw;
}

/**
 * Benign answers: the exchange says the state is already what we asked for.
 * Bybit: 110043 leverage not modified, 110026 margin mode not modified,
 * 110025 position mode not modified, 34040 TP/SL not modified.
 */
export function isBenignNoChange(e: unknown): boolean {
  if (isA(e, 'NoChange') || isA(e, 'MarginModeAlreadySet')) return true;
  const { code, message } = exchangeReason(e);
  if (code && ['110043', '110026', '110025', '34040', '140043', '140026'].includes(code)) return true;
  return !!message && /not modified/i.test(message) && !!code;
}

/** `value` after ccxt's own precision conversion, refusing a silent change. */
export function guardPrecision(
  kind: 'amount' | 'price',
  value: number,
  converted: string,
  ctx: ErrorContext & { market: Market },
): string {
  const n = Number(converted);
  const tolerance = Math.max(Math.abs(value) * 1e-9, 1e-12);
  if (!Number.isFinite(n) || Math.abs(n - value) > tolerance) {
    const what = kind === 'amount' ? 'quantity' : 'price';
    throw new InvalidOrderSize(
      `${ctx.exchange} ${ctx.operation} on ${ctx.market.symbol}: ${what} ${value} is not on the market's precision (would be sent as ${converted}) [${limitsText(ctx.market)}]`,
      { exchange: ctx.exchange, operation: ctx.operation, details: { ...limitsDetails(ctx.market), [what]: value, converted } },
    );
  }
  return converted;
}

/** `qty` as ccxt's amountToPrecision writes it, guarded (a ccxt refusal is mapped; a silent change is refused). */
export function amountString(ex: any, exchange: ExchangeId, m: Market, qty: number, operation: string): string {
  let s: string;
  try {
    s = ex.amountToPrecision(m.exchangeSymbol, qty);
  } catch (e) {
    throw mapCcxtError(e, { exchange, operation, market: m });
  }
  return guardPrecision('amount', qty, s, { exchange, operation, market: m });
}

/** `price` as ccxt's priceToPrecision writes it, guarded (a silent change is refused). */
export function priceString(ex: any, exchange: ExchangeId, m: Market, price: number, operation: string): string {
  const s: string = ex.priceToPrecision(m.exchangeSymbol, price);
  return guardPrecision('price', price, s, { exchange, operation, market: m });
}

/** scheme://host[:port] of a URL (for per-host rate limits). */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/** Point every REST entry of a ccxt url table at `apiUrl` (BYBIT_API_URL / HYPERLIQUID_API_URL). */
export function overrideApiUrls(urls: Record<string, any>, apiUrl: string): void {
  const base = apiUrl.replace(/\/+$/, '');
  for (const table of ['api', 'test', 'demotrading', 'apiBackup', 'apiBackupDemoTrading']) {
    const t = urls[table];
    if (t && typeof t === 'object') for (const k of Object.keys(t)) t[k] = base;
  }
}

/** Case-insensitive header lookup in ccxt's last_response_headers. */
export function headerValue(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === lower && v != null) return String(v);
  return undefined;
}
