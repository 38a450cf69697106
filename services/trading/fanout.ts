/**
 * Fan-out: one signal to every subscriber, all at once (bounded by a high
 * concurrency cap; the exchange client's limiter paces the requests), each
 * user under their own lock, one user's failure never touching another's.
 * Auto users get the trade; confirm users get a preview.
 */
import { accounts, signals as signalsRepo, sources, trades as tradesRepo } from '../../db/index.js';
import type { AccountRow, SignalRow, SourceRow } from '../../db/database.js';
import { listActiveTradesOfUser, listClosedSince } from '../../db/repos/trading.js';
import type { ExchangeClient } from '../../exchanges/index.js';
import { MarketNotFound, effectiveSettings, parseOverrides, parseSettings, type Market, type Settings, type SignalParse } from '../../models/index.js';
import { settings as settingsRepo } from '../../db/index.js';
import { userLockKey } from '../locks.js';
import type { RefusalReason } from '../notifications.js';
import { clientOf, errInfo, errorCode, num, readDoc, record, type TradingDeps } from './context.js';
import { openTrade, refusalOf, type OpenOutcome } from './execute.js';
import { checkEntryLimits, refuse, startOfUtcDay, type AccountState, type Refusal } from './limits.js';
import { planTrade, summarize, type TradePlan } from './plan.js';

export type UserOutcome =
  | { userId: number; status: 'opened' | 'placed' | 'duplicate'; tradeId: number }
  | { userId: number; status: 'previewed' }
  | { userId: number; status: 'refused'; reason: RefusalReason; details: Record<string, unknown> }
  | { userId: number; status: 'failed'; reason: RefusalReason; code: string; tradeId: number | null };

export interface FanoutResult {
  signalId: number;
  users: number;
  outcomes: UserOutcome[];
}

/** Runs `fn` over `items` with at most `limit` at once; never rejects. */
export async function runBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      try {
        results[i] = { status: 'fulfilled', value: await fn(items[i]!) };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}

/** Market and price shared by every user of one exchange + environment within one fan-out. */
export class SharedQuotes {
  private readonly markets = new Map<string, Promise<Market>>();
  private readonly prices = new Map<string, Promise<number>>();

  private key(client: ExchangeClient, symbol: string): string {
    return `${client.account.exchange}:${client.account.environment}:${symbol}`;
  }

  market(client: ExchangeClient, symbol: string): Promise<Market> {
    return this.once(this.markets, this.key(client, symbol), () => client.market(symbol));
  }

  price(client: ExchangeClient, symbol: string): Promise<number> {
    return this.once(this.prices, this.key(client, symbol), async () => {
      const t = await client.fetchTicker(symbol);
      return t.last ?? t.mark ?? 0;
    });
  }

  /** A failure is not cached: the next user tries again (with their own client). */
  private once<T>(map: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
    let p = map.get(key);
    if (!p) {
      p = load();
      map.set(key, p);
      p.catch(() => {
        if (map.get(key) === p) map.delete(key);
      });
    }
    return p;
  }
}

export async function accountState(deps: TradingDeps, userId: number): Promise<AccountState> {
  const now = deps.clock.now();
  const open = await listActiveTradesOfUser(deps.db, userId);
  const since = Math.min(startOfUtcDay(now), now - 7 * 24 * 3_600_000);
  const closed = await listClosedSince(deps.db, userId, since);
  const today = startOfUtcDay(now);
  const lastStopAt: Record<string, number> = {};
  let realizedPnlToday = 0;
  for (const t of closed) {
    if ((t.closed_at ?? 0) >= today) realizedPnlToday += num(t.realized_pnl);
    if (t.close_reason === 'stop-loss' && t.closed_at !== null) lastStopAt[t.symbol] = Math.max(lastStopAt[t.symbol] ?? 0, t.closed_at);
  }
  return {
    openTrades: open.map((t) => {
      let margin: number;
      try {
        margin = readDoc(t as never).plan.margin;
      } catch {
        margin = 0;
      }
      return { symbol: t.symbol, margin };
    }),
    realizedPnlToday,
    lastStopAt,
  };
}

function overridesOf(json: string | null | undefined) {
  try {
    return parseOverrides(json ? JSON.parse(json) : {});
  } catch {
    return {};
  }
}

export interface Subscriber {
  userId: number;
  mode: string;
  accountId: number | null;
  overrides: string;
}

export interface PrepareResult {
  account: AccountRow;
  client: ExchangeClient;
  settings: Settings;
  plan: TradePlan;
  market: Market;
}

/** Everything up to the plan, for one user. Refusals are values; only bugs throw. */
export async function prepareForUser(
  deps: TradingDeps,
  input: { userId: number; accountId: number | null; settings: Settings; signal: SignalParse; signalAt: number | null },
  quotes: SharedQuotes,
): Promise<{ ok: true; value: PrepareResult } | Refusal> {
  if (input.accountId === null) return refuse('no-account');
  const account = await accounts.findAccount(deps.db, input.accountId);
  if (!account || account.user_id !== input.userId || account.status !== 'active') return refuse('account-unavailable', { accountId: input.accountId });
  const state = await accountState(deps, input.userId);
  const symbol = input.signal.symbol;
  const now = deps.clock.now();
  // Cheap limits first: no request is spent on a plan that cannot pass.
  const early = checkEntryLimits(input.settings, state, { symbol, now, signalAt: input.signalAt });
  if (early) return early;
  let client: ExchangeClient;
  let market: Market;
  let price: number;
  let free: number | null = null;
  try {
    client = await clientOf(deps, account);
    market = await quotes.market(client, symbol);
    price = await quotes.price(client, symbol);
    if (input.settings.sizeMode !== 'fixed') free = (await client.fetchBalance()).free;
  } catch (e) {
    if (e instanceof MarketNotFound) return refuse('market-not-found', { symbol });
    return refuse(refusalOf(e), { code: errorCode(e) });
  }
  const r = planTrade({ signal: input.signal, settings: input.settings, market, price, freeBalance: free, account: state, now, signalAt: input.signalAt });
  if (!r.ok) return r;
  return { ok: true, value: { account, client, settings: input.settings, plan: r.plan, market } };
}

export async function settingsFor(deps: TradingDeps, userId: number, source: SourceRow | null, overridesJson: string | null): Promise<Settings> {
  const global = parseSettings(await settingsRepo.getUserSettingsJson(deps.db, userId));
  return effectiveSettings(global, overridesOf(source?.default_settings), overridesOf(overridesJson));
}

/** One user's part of a signal: plan, then trade (auto) or preview (confirm). */
export async function runForUser(deps: TradingDeps, signal: SignalRow, parsed: SignalParse, source: SourceRow | null, sub: Subscriber, quotes: SharedQuotes, forceAuto = false): Promise<UserOutcome> {
  const userId = sub.userId;
  // The same signal again (re-delivery, a second Execute): the trade exists, nothing is planned or sent.
  const existing = await tradesRepo.findTradeBySignalUser(deps.db, signal.id, userId);
  if (existing) return { userId, status: 'duplicate', tradeId: existing.id };
  const settings = await settingsFor(deps, userId, source, sub.overrides);
  const prepared = await prepareForUser(deps, { userId, accountId: sub.accountId, settings, signal: parsed, signalAt: signal.received_at }, quotes);
  if (!prepared.ok) {
    await record(deps, { actor: `user:${userId}`, action: 'plan.refused', entity: 'signal', entityId: signal.id, after: { userId, reason: prepared.reason, details: prepared.details }, traceId: signal.trace_id });
    deps.notifier.notify({ type: 'plan-refused', userId, traceId: signal.trace_id, signalId: signal.id, symbol: parsed.symbol, reason: prepared.reason, details: prepared.details });
    return { userId, status: 'refused', reason: prepared.reason, details: prepared.details };
  }
  const { account, plan, market } = prepared.value;
  if (sub.mode === 'confirm' && !forceAuto) {
    deps.notifier.notify({ type: 'signal-preview', userId, traceId: signal.trace_id, signalId: signal.id, sourceId: signal.source_id, plan: summarize(plan) });
    return { userId, status: 'previewed' };
  }
  const out: OpenOutcome = await openTrade(deps, {
    userId,
    account,
    plan,
    market,
    signalId: signal.id,
    sourceId: signal.source_id,
    traceId: signal.trace_id,
    notifyFills: settings.notifyFills,
    actor: forceAuto ? `user:${userId}` : 'system',
  });
  if (out.status === 'failed') return { userId, status: 'failed', reason: out.reason, code: out.code, tradeId: out.tradeId };
  return { userId, status: out.status, tradeId: out.tradeId };
}

/** Fans a stored signal out to every active subscriber of its source. */
export async function fanOut(deps: TradingDeps, signal: SignalRow, parsed: SignalParse): Promise<FanoutResult> {
  const source = (await sources.findSource(deps.db, signal.source_id)) ?? null;
  if (source && source.paused) return { signalId: signal.id, users: 0, outcomes: [] };
  const subs = await sources.listActiveSubscribers(deps.db, signal.source_id);
  const quotes = new SharedQuotes();
  const started = deps.clock.now();
  const settled = await runBounded(subs, deps.options.fanoutConcurrency, (s) =>
    deps.locks.run(userLockKey(s.user_id), () =>
      runForUser(deps, signal, parsed, source, { userId: s.user_id, mode: s.mode, accountId: s.account_id ?? s.default_account_id, overrides: s.overrides }, quotes),
    ),
  );
  const outcomes: UserOutcome[] = settled.map((r, i) => {
    const userId = subs[i]!.user_id;
    if (r.status === 'fulfilled') return r.value;
    deps.log.error({ userId, signalId: signal.id, traceId: signal.trace_id, err: errInfo(r.reason) }, 'fan-out: user failed');
    deps.notifier.notify({ type: 'error', userId, traceId: signal.trace_id, code: errorCode(r.reason), signalId: signal.id, symbol: parsed.symbol });
    return { userId, status: 'failed', reason: 'exchange-error', code: errorCode(r.reason), tradeId: null };
  });
  const executed = outcomes.some((o) => o.status === 'opened' || o.status === 'placed');
  if (executed && signal.status !== 'executed') await signalsRepo.updateSignal(deps.db, signal.id, { status: 'executed' }, deps.clock.now());
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o.status] = (counts[o.status] ?? 0) + 1;
  deps.log.info({ signalId: signal.id, traceId: signal.trace_id, users: subs.length, ms: deps.clock.now() - started, ...counts }, 'fan-out done');
  await record(deps, { action: 'signal.fanout', entity: 'signal', entityId: signal.id, after: { users: subs.length, ...counts }, traceId: signal.trace_id });
  return { signalId: signal.id, users: subs.length, outcomes };
}
