/**
 * Fan-out: one signal to every subscriber, all at once (bounded by a high
 * concurrency cap; the exchange client's limiter paces the requests), each
 * user under their own lock, one user's failure never touching another's.
 * Auto users get the trade; confirm users get a preview.
 */
import { accounts, signals as signalsRepo, sources, trades as tradesRepo } from '../../db/index.js';
import type { AccountRow, SignalRow, SourceRow } from '../../db/database.js';
import { listActiveGridBotsFor } from '../../db/repos/grid.js';
import { listActiveTradesOfUser, listClosedSince, listDeliveries, recordDelivery } from '../../db/repos/trading.js';
import type { ExchangeClient } from '../../exchanges/index.js';
import { MarketNotFound, effectiveSettings, parseOverrides, parseSettings, type Market, type Settings, type SignalParse } from '../../models/index.js';
import { settings as settingsRepo } from '../../db/index.js';
import { userLockKey } from '../locks.js';
import type { RefusalReason } from '../notifications.js';
import { canOpenEntries, clientOf, errInfo, errorCode, num, readDoc, record, type TradingDeps } from './context.js';
import { openTrade, refusalOf, resumeOpen, type OpenOutcome } from './execute.js';
import { checkEntryLimits, refuse, startOfUtcDay, type AccountState, type Refusal } from './limits.js';
import { planTrade, summarize, type TradePlan } from './plan.js';

export type UserOutcome =
  | { userId: number; status: 'opened' | 'placed' | 'duplicate'; tradeId: number }
  | { userId: number; status: 'previewed' }
  | { userId: number; status: 'refused'; reason: RefusalReason; details: Record<string, unknown> }
  | { userId: number; status: 'failed'; reason: RefusalReason; code: string; tradeId: number | null }
  /** Resumed fan-out: this user had an outcome before (recorded in signal_deliveries). */
  | { userId: number; status: 'delivered-before'; outcome: string };

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
      return { symbol: t.symbol, margin, accountId: t.account_id };
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
  const early = checkEntryLimits(input.settings, state, { symbol, now, signalAt: input.signalAt, accountId: account.id });
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
  // A grid on this account+symbol holds the one net position the exchange keeps per symbol.
  if ((await listActiveGridBotsFor(deps.db, account.id, market.symbol)).length > 0) return refuse('same-symbol-open', { symbol: market.symbol, accountId: account.id, with: 'grid' });
  const r = planTrade({ signal: input.signal, settings: input.settings, market, price, freeBalance: free, account: state, now, signalAt: input.signalAt, accountId: account.id });
  if (!r.ok) return r;
  return { ok: true, value: { account, client, settings: input.settings, plan: r.plan, market } };
}

export async function settingsFor(deps: TradingDeps, userId: number, source: SourceRow | null, overridesJson: string | null): Promise<Settings> {
  const global = parseSettings(await settingsRepo.getUserSettingsJson(deps.db, userId));
  return effectiveSettings(global, overridesOf(source?.default_settings), overridesOf(overridesJson));
}

/** The entry gate's refusal as a plan refusal ('entry-gate', details.gate = why). */
export function gateRefusal(gate: { ok: false; reason: string }): Refusal {
  return refuse('entry-gate', { gate: gate.reason });
}

export interface RunOptions {
  /** Confirm-mode users pressed Execute (or a forwarded post): trade instead of preview. */
  forceAuto?: boolean;
  /** Resumed fan-out: refuse when the signal is older than this (ms since it was received). */
  maxAgeMs?: number;
}

/** One user's part of a signal: plan, then trade (auto) or preview (confirm). */
export async function runForUser(
  deps: TradingDeps,
  signal: SignalRow,
  parsed: SignalParse,
  source: SourceRow | null,
  sub: Subscriber,
  quotes: SharedQuotes,
  forceAutoOrOptions: boolean | RunOptions = false,
): Promise<UserOutcome> {
  const opts: RunOptions = typeof forceAutoOrOptions === 'boolean' ? { forceAuto: forceAutoOrOptions } : forceAutoOrOptions;
  const forceAuto = opts.forceAuto ?? false;
  const userId = sub.userId;
  const refused = async (r: Refusal): Promise<UserOutcome> => {
    await record(deps, { actor: `user:${userId}`, action: 'plan.refused', entity: 'signal', entityId: signal.id, after: { userId, reason: r.reason, details: r.details }, traceId: signal.trace_id });
    deps.notifier.notify({
      type: 'plan-refused',
      userId,
      traceId: signal.trace_id,
      signalId: signal.id,
      symbol: parsed.symbol,
      reason: r.reason,
      details: r.details,
      ...(r.reason === 'entry-gate' ? { gate: String(r.details['gate']) } : {}),
    });
    return { userId, status: 'refused', reason: r.reason, details: r.details };
  };
  // Cheap checks that need no settings: the entry gate, the resume age cap.
  const mayEnter = async (): Promise<Refusal | null> => {
    const gate = await canOpenEntries(deps, userId, signal.source_id);
    if (!gate.ok) return gateRefusal(gate);
    if (opts.maxAgeMs !== undefined) {
      const ageMs = deps.clock.now() - signal.received_at;
      if (ageMs > opts.maxAgeMs) return refuse('signal-too-old', { ageSec: Math.round(ageMs / 1000), maxSignalAgeSec: Math.round(opts.maxAgeMs / 1000), resumed: true });
    }
    return null;
  };
  // The same signal again (re-delivery, a second Execute): the trade exists, nothing is planned or sent —
  // unless a crash left it before any entry reached the exchange: then it is resumed by the same ids.
  const existing = await tradesRepo.findTradeBySignalUser(deps.db, signal.id, userId);
  if (existing) {
    if (existing.status !== 'planned' && existing.status !== 'opening') return { userId, status: 'duplicate', tradeId: existing.id };
    const settings = await settingsFor(deps, userId, source, sub.overrides);
    const r = await resumeOpen(
      deps,
      existing,
      async () => (await mayEnter()) ?? checkEntryLimits({ ...settings, maxTrades: Number.MAX_SAFE_INTEGER, onePerSymbol: false }, { openTrades: [], realizedPnlToday: 0, lastStopAt: {} }, { symbol: parsed.symbol, now: deps.clock.now(), signalAt: signal.received_at }),
      null,
    );
    if ('ok' in r) return refused(r);
    if (r.status === 'failed') return { userId, status: 'failed', reason: r.reason, code: r.code, tradeId: r.tradeId };
    return { userId, status: r.status, tradeId: r.tradeId };
  }
  const blocked = await mayEnter();
  if (blocked) return refused(blocked);
  const settings = await settingsFor(deps, userId, source, sub.overrides);
  const prepared = await prepareForUser(deps, { userId, accountId: sub.accountId, settings, signal: parsed, signalAt: signal.received_at }, quotes);
  if (!prepared.ok) return refused(prepared);
  const { account, plan, market } = prepared.value;
  if (sub.mode === 'confirm' && !forceAuto) {
    deps.notifier.notify({ type: 'signal-preview', userId, traceId: signal.trace_id, signalId: signal.id, sourceId: signal.source_id, plan: summarize(plan, parsed) });
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

/** Stores a user's outcome of a signal (what a resumed fan-out skips). */
export async function recordOutcome(deps: TradingDeps, signalId: number, o: UserOutcome): Promise<void> {
  if (o.status === 'delivered-before') return;
  try {
    await recordDelivery(deps.db, {
      signal_id: signalId,
      user_id: o.userId,
      outcome: o.status,
      reason: 'reason' in o ? o.reason : null,
      trade_id: 'tradeId' in o ? o.tradeId : null,
      at: deps.clock.now(),
    });
  } catch (e) {
    deps.log.error({ signalId, userId: o.userId, err: errInfo(e) }, 'fan-out: outcome not recorded');
  }
}

export interface FanoutOptions {
  /** A resumed fan-out (re-delivered post, start-up): the age cap for users not reached yet. */
  resumeMaxAgeMs?: number;
}

/**
 * Fans a stored signal out to every active subscriber of its source. Progress
 * is durable: the signal is 'fanning-out' until every subscriber has an
 * outcome (a trade, or a signal_deliveries row), then 'executed'. Running it
 * again (after a crash) reaches only the users without an outcome.
 */
export async function fanOut(deps: TradingDeps, signal: SignalRow, parsed: SignalParse, options: FanoutOptions = {}): Promise<FanoutResult> {
  const source = (await sources.findSource(deps.db, signal.source_id)) ?? null;
  if (source && source.paused) {
    // Not fanned out, and not resumed later either (a paused source's posts are dropped).
    if (signal.status !== 'source-paused') await signalsRepo.updateSignal(deps.db, signal.id, { status: 'source-paused' }, deps.clock.now());
    return { signalId: signal.id, users: 0, outcomes: [] };
  }
  const subs = await sources.listActiveSubscribers(deps.db, signal.source_id);
  if (signal.status !== 'fanning-out') {
    await signalsRepo.updateSignal(deps.db, signal.id, { status: 'fanning-out' }, deps.clock.now());
    signal = { ...signal, status: 'fanning-out' };
  }
  const before = new Map((await listDeliveries(deps.db, signal.id)).map((d) => [d.user_id, d]));
  const quotes = new SharedQuotes();
  const started = deps.clock.now();
  const runOpts: RunOptions = options.resumeMaxAgeMs !== undefined ? { maxAgeMs: options.resumeMaxAgeMs } : {};
  const settled = await runBounded(subs, deps.options.fanoutConcurrency, async (s): Promise<UserOutcome> => {
    const had = before.get(s.user_id);
    if (had && had.trade_id === null) return { userId: s.user_id, status: 'delivered-before', outcome: had.outcome };
    return deps.locks.run(userLockKey(s.user_id), async () => {
      let out: UserOutcome;
      try {
        out = await runForUser(deps, signal, parsed, source, { userId: s.user_id, mode: s.mode, accountId: s.account_id ?? s.default_account_id, overrides: s.overrides }, quotes, runOpts);
      } catch (e) {
        deps.log.error({ userId: s.user_id, signalId: signal.id, traceId: signal.trace_id, err: errInfo(e) }, 'fan-out: user failed');
        deps.notifier.notify({ type: 'error', userId: s.user_id, traceId: signal.trace_id, code: errorCode(e), signalId: signal.id, symbol: parsed.symbol });
        out = { userId: s.user_id, status: 'failed', reason: 'exchange-error', code: errorCode(e), tradeId: null };
      }
      if (!had) await recordOutcome(deps, signal.id, out);
      return out;
    });
  });
  const outcomes: UserOutcome[] = settled.map((r, i) =>
    r.status === 'fulfilled' ? r.value : { userId: subs[i]!.user_id, status: 'failed', reason: 'exchange-error', code: errorCode(r.reason), tradeId: null },
  );
  await signalsRepo.updateSignal(deps.db, signal.id, { status: 'executed' }, deps.clock.now());
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o.status] = (counts[o.status] ?? 0) + 1;
  deps.log.info({ signalId: signal.id, traceId: signal.trace_id, users: subs.length, ms: deps.clock.now() - started, ...counts }, 'fan-out done');
  await record(deps, { action: 'signal.fanout', entity: 'signal', entityId: signal.id, after: { users: subs.length, ...counts }, traceId: signal.trace_id });
  return { signalId: signal.id, users: subs.length, outcomes };
}
