/**
 * HyperLiquid perpetuals (USDC-margined) through ccxt.hyperliquid.
 *
 * Reads go through ccxt's methods (POST /info). Signed actions are built,
 * signed and sent by hyperliquid-wire.ts (never through ccxt's
 * initializeClient: no builder fee, no referrer). Client order ids and the
 * position-protection cloids: hyperliquid-ids.ts; the order path:
 * hyperliquid-orders.ts; the position's stop-loss / take-profit:
 * hyperliquid-protection.ts. This file builds the ccxt instance and the
 * adapter: markets, positions, leverage, credentials.
 */
import {
  AuthFailed,
  ValidationError,
  type Balance,
  type Fill,
  type MarginMode,
  type Order,
  type Position,
  type PositionSide,
} from '../../models/index.js';
import type { AdapterContext, ExchangeAdapter, KeyAudit } from '../types.js';
import { adapterMarkets, closePositionWith, failFor, marketReads, newCcxtInstance, throttleVia, type CcxtInstanceOptions } from './adapter-core.js';
import { originOf, type AdapterLog, type FetchLike } from './base.js';
import { triggerKind } from './hyperliquid-ids.js';
import { hyperliquidOrders } from './hyperliquid-orders.js';
import { hyperliquidProtection, positionProtection } from './hyperliquid-protection.js';
import { hyperliquidWire } from './hyperliquid-wire.js';
import { toBalance, toMarket, toPosition, type CcxtMarketLike } from './map.js';
import { createSharedMarkets, type CcxtMarketSource, type SharedMarkets } from './market-store.js';

export {
  PROTECTION_CLOID_TAG,
  isProtectionClientOrderId,
  isProtectionCloid,
  protectionClientOrderId,
  toHyperliquidCloid,
  triggerKind,
  triggerTpsl,
} from './hyperliquid-ids.js';

export interface HyperliquidAdapterOptions {
  accountId: string;
  environment: 'mainnet' | 'testnet';
  credentials: { walletAddress: string; privateKey: string };
  /** HYPERLIQUID_API_URL: replaces the base of every REST endpoint. */
  apiUrl?: string;
  /** Slippage bound of market orders (fraction of the reference price). Default 0.05. */
  slippage?: number;
  /** Orders per `order` action (one action costs ~1 weight per 40 orders). */
  batchSize?: number;
  fetchImpl?: FetchLike;
  timeoutMs?: number;
  /** Markets shared with other instances (ccxtAdapterFactories passes one per environment + URL); default: this instance's own. */
  sharedMarkets?: SharedMarkets;
  /** Runs the adapter's own start-up requests (the market load) through the client's limiter. */
  context?: AdapterContext;
  log?: AdapterLog;
}

export const HYPERLIQUID_DEFAULT_SLIPPAGE = 0.05;
export const HYPERLIQUID_MIN_ORDER_VALUE = 10;

interface HyperliquidInstanceOptions extends CcxtInstanceOptions {
  environment: 'mainnet' | 'testnet';
  slippage?: number | undefined;
}

/** A ccxt.hyperliquid for USDC perps (credentials optional: the market loader has none). */
function newHyperliquid(o: HyperliquidInstanceOptions, credentials?: { walletAddress: string; privateKey: string }): any {
  return newCcxtInstance('hyperliquid', o, credentials ? { walletAddress: credentials.walletAddress, privateKey: credentials.privateKey } : {}, {
    defaultType: 'swap',
    defaultSlippage: o.slippage ?? HYPERLIQUID_DEFAULT_SLIPPAGE,
    // Never approve a builder fee or set a referrer on the user's account.
    builderFee: false,
    approvedBuilderFee: false,
    refSet: true,
    fetchMarkets: { types: ['swap'] },
  });
}

/** The credential-less ccxt.hyperliquid that loads markets for a SharedMarkets store (one info metaAndAssetCtxs, weight 20). */
export function createHyperliquidMarketSource(o: HyperliquidInstanceOptions): CcxtMarketSource {
  return newHyperliquid(o) as CcxtMarketSource;
}

export function createHyperliquidAdapter(opts: HyperliquidAdapterOptions): ExchangeAdapter & {
  auditKey(): Promise<KeyAudit>;
  verifyCredentials(): Promise<KeyAudit>;
  prepare(op: string): Promise<void>;
} {
  const slippage = opts.slippage ?? HYPERLIQUID_DEFAULT_SLIPPAGE;
  if (!(slippage > 0 && slippage < 0.5)) throw new ValidationError(`hyperliquid slippage must be in (0, 0.5), got ${slippage}`);
  const wallet = opts.credentials.walletAddress;
  const ex: any = newHyperliquid(opts, opts.credentials);
  const shared = opts.sharedMarkets ?? createSharedMarkets(`hyperliquid|${opts.environment}|${opts.apiUrl ?? ''}|own`, ex as CcxtMarketSource);
  const throttle = throttleVia(opts.context);
  const host = originOf(opts.apiUrl ?? ex.implodeHostname(ex.urls.api.private));
  const batchSize = Math.min(Math.max(1, opts.batchSize ?? 40), 200);

  /** Margin mode last set per market (updateLeverage carries both); default cross. */
  const marginModes = new Map<string, MarginMode>();
  const fail = failFor('hyperliquid');

  const { loadMarkets, market, unifiedOf, refreshFor } = adapterMarkets<CcxtMarketLike & { swap?: boolean }>({
    exchange: 'hyperliquid',
    ex,
    shared,
    viewKey: 'hyperliquid-perps',
    select: (all) => all.filter((m) => m.swap && m.settle === 'USDC' && !m.info?.hip3),
    entry: (m) => ({ symbol: m.symbol, base: m.base, quote: m.quote, settle: m.settle ?? 'USDC', baseName: m.info?.name }),
    toMarket: (m, unified) => toMarket(m, unified, { minNotional: HYPERLIQUID_MIN_ORDER_VALUE, minQty: m.precision.amount ?? 0 }),
    kind: 'perpetual',
    fail,
    throttle,
    log: opts.log,
  });

  let detecting: Promise<void> | null = null;

  /**
   * Before the client throttles `op`: this instance's markets (loaded once
   * for every instance, through the limiter) and, before the first balance
   * read, the account's abstraction state (ccxt's `userAbstraction` probe,
   * weight 20, once per instance) — also through the limiter.
   */
  async function prepare(op: string): Promise<void> {
    await refreshFor(op);
    if (op === 'fetchBalance' && ex.options.enableUnifiedMargin === undefined) {
      detecting ??= throttle('detectAccount', () => ex.isUnifiedEnabled('fetchBalance', wallet, false, {}).catch(fail('detectAccount')))
        .then(() => undefined)
        .finally(() => {
          detecting = null;
        });
      await detecting;
    }
  }

  const core = { ex, wallet, slippage, batchSize, fail, loadMarkets, market, unifiedOf };
  const w = hyperliquidWire(core);
  const { coinOf, sendAction, cancelByRefs } = w;
  const { placeOrder, placeOrders, fetchOrder, rawOpenOrders, fetchOpenOrders, amendOrder } = hyperliquidOrders(core, w);
  const { setPositionProtection } = hyperliquidProtection(core, w, rawOpenOrders);

  async function setLeverageWithMode(symbol: string, mode: MarginMode, leverage: number, operation: string): Promise<void> {
    const m = await market(symbol);
    if (!Number.isInteger(leverage) || leverage < 1 || leverage > m.maxLeverage) {
      throw new ValidationError(`hyperliquid leverage for ${m.symbol} must be an integer 1..${m.maxLeverage} (got ${leverage})`);
    }
    const asset = Number(ex.market(m.exchangeSymbol).baseId);
    // Same value again is simply "ok" on HyperLiquid.
    await sendAction({ type: 'updateLeverage', asset, isCross: mode === 'cross', leverage }, operation, m);
    marginModes.set(m.symbol, mode);
  }

  async function fetchPositions(syms?: string[]): Promise<Position[]> {
    await loadMarkets();
    const wanted = syms?.length ? new Set(await Promise.all(syms.map(async (s) => (await market(s)).exchangeSymbol))) : null;
    const [raw, open] = await Promise.all([ex.fetchPositions().catch(fail('fetchPositions')) as Promise<any[]>, rawOpenOrders()]);
    const out: Position[] = [];
    for (const p of raw) {
      if (wanted && !wanted.has(p.symbol)) continue;
      const coin = ex.market(p.symbol).baseName;
      const side: PositionSide = p.side === 'short' ? 'short' : 'long';
      const triggers = positionProtection(open, coin, side);
      // Several of a kind (a move in progress): the one closest to the price protects first.
      const find = (kind: 'sl' | 'tp') => {
        const px = triggers.filter((x) => triggerKind(x.orderType) === kind).map((x) => Number(x.triggerPx));
        if (!px.length) return undefined;
        return (kind === 'sl') === (side === 'long') ? Math.max(...px) : Math.min(...px);
      };
      const pos = toPosition({ ...p, stopLossPrice: find('sl'), takeProfitPrice: find('tp') }, unifiedOf(p.symbol), 'cross');
      if (pos) out.push(pos);
    }
    return out;
  }

  const closePosition = closePositionWith({ exchange: 'hyperliquid', market, fetchPositions, placeOrder });

  /**
   * Info `userFillsByTime` for the wallet from `since` (weight 20, up to 2,000
   * fills per answer), the coin's fills oldest first. `dir` "Close Long" /
   * "Close Short" (and liquidations) reduced a position.
   */
  async function fetchFills(symbol: string, since: number): Promise<Fill[]> {
    const m = await market(symbol);
    const coin = coinOf(m);
    const raw: unknown = await ex
      .publicPostInfo({ type: 'userFillsByTime', user: wallet, startTime: Math.max(0, Math.floor(since)), aggregateByTime: false })
      .catch(fail('fetchFills', m));
    const list: any[] = Array.isArray(raw) ? raw : [];
    return list
      .filter((f) => f?.coin === coin)
      .map((f): Fill => {
        const cloid = typeof f.cloid === 'string' ? f.cloid : null;
        const ours = cloid ? w.withClientId({ clientOrderId: cloid } as Order).clientOrderId : null;
        return {
          orderId: String(f.oid ?? ''),
          clientOrderId: ours,
          symbol: m.symbol,
          side: f.side === 'A' ? 'sell' : 'buy',
          price: Number(f.px),
          quantity: Number(f.sz),
          fee: Number(f.fee ?? 0) + Number(f.builderFee ?? 0),
          reduceOnly: /^close/i.test(String(f.dir ?? '')) || f.liquidation != null,
          timestamp: Number(f.time),
        };
      })
      .filter((f) => f.quantity > 0 && f.price > 0)
      .sort((a, b) => a.timestamp - b.timestamp);
  }

  /**
   * The private key must belong to an API (agent) wallet approved for the
   * wallet address: a wrong address otherwise reads as an empty account. The
   * main wallet's own key is reported as canWithdraw (the bot refuses it).
   */
  async function verifyCredentials(): Promise<KeyAudit> {
    let agent: string;
    try {
      agent = String(ex.ethGetAddressFromPrivateKey(opts.credentials.privateKey)).toLowerCase();
    } catch (e) {
      throw new AuthFailed('hyperliquid: the private key is not a valid secp256k1 key', { exchange: 'hyperliquid', operation: 'verifyCredentials', cause: e });
    }
    const user = wallet.toLowerCase();
    if (agent === user) return { readOnly: false, canTrade: true, canWithdraw: true, ipBound: null, expiresAt: null };
    const role = await ex.publicPostInfo({ type: 'userRole', user: agent }).catch(fail('verifyCredentials'));
    if (role?.role !== 'agent' || String(role?.data?.user ?? '').toLowerCase() !== user) {
      throw new AuthFailed(`hyperliquid: API wallet ${agent} is not approved for ${wallet} (role: ${role?.role ?? 'unknown'})`, {
        exchange: 'hyperliquid',
        operation: 'verifyCredentials',
        details: { agent, role: role?.role ?? null },
      });
    }
    const agents: any[] = await ex.publicPostInfo({ type: 'extraAgents', user: wallet }).catch(fail('verifyCredentials'));
    const mine = Array.isArray(agents) ? agents.find((a) => String(a.address).toLowerCase() === agent) : undefined;
    const until = Number(mine?.validUntil);
    return { readOnly: false, canTrade: true, canWithdraw: false, ipBound: null, expiresAt: Number.isFinite(until) && until > 0 ? until : null };
  }

  return {
    id: 'hyperliquid',
    host,
    loadMarkets,
    market,
    ...marketReads(ex, market, fail),
    async fetchBalance(): Promise<Balance> {
      await loadMarkets();
      const b = await ex.fetchBalance().catch(fail('fetchBalance'));
      return toBalance(b, 'USDC');
    },
    fetchPositions,
    fetchOpenOrders,
    fetchOrder,
    fetchFills,
    placeOrder,
    placeOrders,
    amendOrder,
    async cancelOrder(symbol, ref) {
      const m = await market(symbol);
      if (!ref.id && !ref.clientOrderId) throw new ValidationError('cancelOrder needs an id or a clientOrderId');
      await cancelByRefs(m, [ref], 'cancelOrder');
    },
    async cancelAllOrders(symbol) {
      const m = await market(symbol);
      const coin = coinOf(m);
      const open = (await rawOpenOrders()).filter((o) => o.coin === coin);
      if (open.length) await cancelByRefs(m, open.map((o) => ({ id: String(o.oid) })), 'cancelAllOrders');
    },
    async setLeverage(symbol, leverage) {
      const m = await market(symbol);
      await setLeverageWithMode(symbol, marginModes.get(m.symbol) ?? 'cross', leverage, 'setLeverage');
    },
    async setMarginMode(symbol, mode, leverage) {
      await setLeverageWithMode(symbol, mode, leverage, 'setMarginMode');
    },
    setPositionProtection,
    closePosition,
    auditKey: verifyCredentials,
    verifyCredentials,
    prepare,
    async close(): Promise<void> {
      /* REST only */
    },
  };
}
