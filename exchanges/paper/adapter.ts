/**
 * The Paper exchange adapter: the ExchangeAdapter interface over the in-process
 * matching engine (engine.ts), a price feed and a state store. Every call first
 * brings the engine to the feed's current price for its symbol, so it also
 * works without a subscription. Mutating calls write the state before they
 * return; price-driven fills are written after `saveDebounceMs`; `close()`
 * flushes. Call `ready()` (or any method) before driving the engine directly.
 */
import {
  ExchangeUnavailable,
  NotSupported,
  type Balance,
  type Candle,
  type Fill,
  type MarginMode,
  type Market,
  type Order,
  type OrderRequest,
  type Position,
  type PositionSide,
  type Ticker,
} from '../../models/index.js';
import type { BatchItemResult, ExchangeAdapter, KeyAudit, PositionProtection, RateLimitStatus } from '../types.js';
import { PaperEngine, type FillListener, type OrderListener } from './engine.js';
import { bundledMarkets } from './markets.js';
import { SimulatedPriceFeed, type PriceFeed, type PriceUpdate } from './price-feed.js';
import type { PaperFill } from './state.js';
import type { PaperStore } from './store.js';

export const PAPER_HOST = 'paper://local';

export interface PaperAdapterOptions {
  accountId: string;
  /** Where the state lives; null/undefined: not persisted. */
  store?: PaperStore | null;
  /** Default: a SimulatedPriceFeed with `seed` (not started: call its start()). */
  feed?: PriceFeed;
  seed?: number | string;
  /** Default: the bundled snapshot (markets.json). */
  markets?: Market[];
  /** Wallet balance of a new account; default 10,000 USDT. */
  startingBalance?: number;
  now?: () => number;
  slippageBps?: number;
  maintenanceMarginRate?: number;
  defaultLeverage?: number;
  historyLimit?: number;
  fillsLimit?: number;
  /** Delay before writing a price-driven change; default 200 ms. */
  saveDebounceMs?: number;
  /** Listen to price updates of the feed (default true). */
  subscribe?: boolean;
  /** Called when a write fails (the state stays dirty and is retried). Default: console.error. */
  onPersistError?: (error: unknown) => void;
}

export interface PaperAdapter extends ExchangeAdapter {
  readonly id: 'paper';
  readonly accountId: string;
  readonly engine: PaperEngine;
  readonly feed: PriceFeed;
  /** Resolves once the stored state is loaded (rejects when it cannot be). */
  ready(): Promise<void>;
  /** Write the state now if it changed. */
  flush(): Promise<void>;
  onFill(listener: FillListener): () => void;
  onOrder(listener: OrderListener): () => void;
  /** Drive the engine synchronously (grid simulator, tests). */
  applyPrice(symbol: string, price: number): void;
  applyCandle(symbol: string, candle: Pick<Candle, 'open' | 'high' | 'low' | 'close'>): void;
  fills(): PaperFill[];
  close(): Promise<void>;
}

export function createPaperAdapter(options: PaperAdapterOptions): PaperAdapter {
  return new PaperExchangeAdapter(options);
}

class PaperExchangeAdapter implements PaperAdapter {
  readonly id = 'paper' as const;
  readonly host = PAPER_HOST;
  readonly accountId: string;
  readonly engine: PaperEngine;
  readonly feed: PriceFeed;
  private readonly store: PaperStore | null;
  private readonly debounceMs: number;
  private readonly onPersistError: (error: unknown) => void;
  private readonly now: () => number;
  private readonly loading: Promise<void>;
  private unsubscribe: (() => void) | null = null;
  private dirty = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private saving: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(opts: PaperAdapterOptions) {
    this.accountId = opts.accountId;
    this.now = opts.now ?? Date.now;
    const markets = opts.markets ?? bundledMarkets();
    this.feed = opts.feed ?? new SimulatedPriceFeed({ seed: opts.seed ?? 1, markets, now: this.now });
    this.store = opts.store ?? null;
    this.debounceMs = opts.saveDebounceMs ?? 200;
    this.onPersistError = opts.onPersistError ?? ((error) => console.error(`paper: cannot save account ${opts.accountId}`, error));
    this.engine = new PaperEngine({
      markets,
      startingBalance: opts.startingBalance ?? 10_000,
      now: this.now,
      ...(opts.slippageBps !== undefined && { slippageBps: opts.slippageBps }),
      ...(opts.maintenanceMarginRate !== undefined && { maintenanceMarginRate: opts.maintenanceMarginRate }),
      ...(opts.defaultLeverage !== undefined && { defaultLeverage: opts.defaultLeverage }),
      ...(opts.historyLimit !== undefined && { historyLimit: opts.historyLimit }),
      ...(opts.fillsLimit !== undefined && { fillsLimit: opts.fillsLimit }),
    });
    this.loading = this.load(opts.subscribe !== false);
    this.loading.catch(() => undefined); // surfaced by ready()
  }

  private async load(subscribe: boolean): Promise<void> {
    const state = this.store ? await this.store.load(this.accountId) : null;
    if (state) this.engine.restore(state);
    this.engine.onChange(() => this.markDirty());
    if (subscribe) this.unsubscribe = this.feed.subscribe((u) => this.onPrice(u));
  }

  private onPrice(u: PriceUpdate): void {
    if (!this.engine.markets.find(u.symbol)) return;
    if (u.candle) this.engine.applyCandle(u.symbol, u.candle);
    else this.engine.applyPrice(u.symbol, u.price);
  }

  ready(): Promise<void> {
    return this.loading;
  }

  // ------------------------------------------------------------ persistence

  private markDirty(): void {
    this.dirty = true;
    if (!this.store || this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush().catch(this.onPersistError);
    }, this.debounceMs);
    this.timer.unref?.();
  }

  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const store = this.store;
    if (!store || !this.dirty) return this.saving;
    this.dirty = false;
    const snapshot = this.engine.snapshot();
    this.saving = this.saving
      .catch(() => undefined)
      .then(() => store.save(this.accountId, snapshot))
      .catch((error: unknown) => {
        this.dirty = true;
        throw error;
      });
    return this.saving;
  }

  /** After a mutating call: write before returning; a failed write does not undo the call. */
  private async persist(): Promise<void> {
    try {
      await this.flush();
    } catch (error) {
      this.onPersistError(error);
    }
  }

  // ------------------------------------------------------------ helpers

  private async begin(symbol?: string): Promise<string | undefined> {
    await this.loading;
    if (symbol === undefined) return undefined;
    const unified = this.engine.markets.get(symbol).symbol;
    this.sync(unified);
    return unified;
  }

  /** Bring the engine to the feed's current price. */
  private sync(symbol: string): void {
    const p = this.feed.price(symbol);
    if (p !== null && p !== this.engine.lastPrice(symbol)) this.engine.applyPrice(symbol, p);
  }

  // ------------------------------------------------------------ reads

  async loadMarkets(_reload?: boolean): Promise<Market[]> {
    return this.engine.markets.list().map((m) => ({ ...m }));
  }

  async market(symbol: string): Promise<Market> {
    return { ...this.engine.markets.get(symbol) };
  }

  async fetchTicker(symbol: string): Promise<Ticker> {
    const s = (await this.begin(symbol)) as string;
    const last = this.engine.lastPrice(s) ?? this.feed.price(s);
    if (last === null) {
      throw new ExchangeUnavailable(`no price for ${s} yet`, { exchange: 'paper', operation: 'fetchTicker' });
    }
    return { symbol: s, last, bid: last, ask: last, mark: last, timestamp: this.now() };
  }

  async fetchCandles(symbol: string, timeframe: string, since?: number, limit?: number): Promise<Candle[]> {
    const s = (await this.begin(symbol)) as string;
    if (!this.feed.candles) throw new NotSupported('this Paper price feed has no candles', { exchange: 'paper', operation: 'fetchCandles' });
    return await this.feed.candles(s, timeframe, since, limit);
  }

  async fetchBalance(): Promise<Balance> {
    await this.begin();
    for (const p of this.engine.positionsList()) this.sync(p.symbol);
    return this.engine.balance();
  }

  async fetchPositions(symbols?: string[]): Promise<Position[]> {
    await this.begin();
    const list = symbols ?? this.engine.positionsList().map((p) => p.symbol);
    for (const s of list) this.sync(this.engine.markets.get(s).symbol);
    return this.engine.positionsList(symbols);
  }

  async fetchOpenOrders(symbol?: string): Promise<Order[]> {
    const s = await this.begin(symbol);
    return this.engine.openOrders(s);
  }

  async fetchOrder(symbol: string, ref: { id?: string; clientOrderId?: string }): Promise<Order | null> {
    const s = (await this.begin(symbol)) as string;
    return this.engine.findOrder(s, ref);
  }

  fills(): PaperFill[] {
    return this.engine.fills();
  }

  /** Our fills in `symbol` since `since` from the Paper fills history (kept up to `fillsLimit`), oldest first. */
  async fetchFills(symbol: string, since: number): Promise<Fill[]> {
    const s = (await this.begin(symbol)) as string;
    return this.engine
      .fills()
      .filter((f) => f.symbol === s && f.timestamp >= since)
      .map((f) => ({
        orderId: f.orderId,
        clientOrderId: f.clientOrderId,
        symbol: f.symbol,
        side: f.side,
        price: f.price,
        quantity: f.quantity,
        fee: f.fee,
        reduceOnly: f.reduceOnly ?? (f.reason !== 'order' || f.realizedPnl !== 0),
        timestamp: f.timestamp,
      }));
  }

  // ------------------------------------------------------------ mutations

  async placeOrder(request: OrderRequest): Promise<Order> {
    await this.begin(request.symbol);
    try {
      return this.engine.placeOrder(request);
    } finally {
      await this.persist();
    }
  }

  async placeOrders(requests: OrderRequest[]): Promise<BatchItemResult[]> {
    await this.begin();
    const out: BatchItemResult[] = [];
    for (const request of requests) {
      try {
        this.sync(this.engine.markets.get(request.symbol).symbol);
        out.push({ ok: true, order: this.engine.placeOrder(request) });
      } catch (error) {
        out.push({ ok: false, error: error instanceof Error ? error : new Error(String(error)), request });
      }
    }
    await this.persist();
    return out;
  }

  async amendOrder(symbol: string, id: string, changes: { price?: number; quantity?: number; triggerPrice?: number }): Promise<Order> {
    const s = (await this.begin(symbol)) as string;
    try {
      return this.engine.amendOrder(s, id, changes);
    } finally {
      await this.persist();
    }
  }

  async cancelOrder(symbol: string, ref: { id?: string; clientOrderId?: string }): Promise<void> {
    const s = (await this.begin(symbol)) as string;
    this.engine.cancelOrder(s, ref);
    await this.persist();
  }

  async cancelAllOrders(symbol: string): Promise<void> {
    const s = (await this.begin(symbol)) as string;
    this.engine.cancelAllOrders(s);
    await this.persist();
  }

  async setLeverage(symbol: string, leverage: number): Promise<void> {
    const s = (await this.begin(symbol)) as string;
    this.engine.setLeverage(s, leverage);
    await this.persist();
  }

  async setMarginMode(symbol: string, mode: MarginMode, leverage: number): Promise<void> {
    const s = (await this.begin(symbol)) as string;
    try {
      this.engine.setMarginMode(s, mode, leverage);
    } finally {
      await this.persist();
    }
  }

  async setPositionProtection(symbol: string, side: PositionSide, protection: PositionProtection): Promise<void> {
    const s = (await this.begin(symbol)) as string;
    this.engine.setPositionProtection(s, side, {
      ...(protection.stopLoss !== undefined && { stopLoss: protection.stopLoss }),
      ...(protection.takeProfit !== undefined && { takeProfit: protection.takeProfit }),
      ...(protection.quantity !== undefined && { quantity: protection.quantity }),
    });
    await this.persist();
  }

  async closePosition(symbol: string, side: PositionSide, options: { quantity?: number; clientOrderId: string }): Promise<Order> {
    const s = (await this.begin(symbol)) as string;
    try {
      return this.engine.closePosition(s, side, options);
    } finally {
      await this.persist();
    }
  }

  async auditKey(): Promise<KeyAudit> {
    return { readOnly: false, canTrade: true, canWithdraw: false, ipBound: null, expiresAt: null };
  }

  rateLimitStatus(): RateLimitStatus | null {
    return null;
  }

  // ------------------------------------------------------------ engine hooks

  onFill(listener: FillListener): () => void {
    return this.engine.onFill(listener);
  }

  onOrder(listener: OrderListener): () => void {
    return this.engine.onOrder(listener);
  }

  applyPrice(symbol: string, price: number): void {
    this.engine.applyPrice(symbol, price);
  }

  applyCandle(symbol: string, candle: Pick<Candle, 'open' | 'high' | 'low' | 'close'>): void {
    this.engine.applyCandle(symbol, candle);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.loading.catch(() => undefined);
    this.closed = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.flush();
  }
}
