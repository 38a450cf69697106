/**
 * The notifications port: typed events (no user-facing text; bot/ renders
 * them through locales/) and the outgoing queue that delivers them.
 *
 * Execution never waits for Telegram: `notify()` only enqueues. The queue
 * respects Telegram's limits — about 30 messages per second overall and about
 * one per second per chat — and coalesces one user's burst into one delivery:
 * events of a user wait `coalesceMs` (and at least until that chat's next
 * allowed send) and then go to the sink together as one `send(userId, events)`.
 */
import { systemClock, type Clock } from '../exchanges/index.js';
import type { PositionSide } from '../models/index.js';
import type { Logger } from './logger.js';

export type CloseReason = 'stop-loss' | 'take-profit' | 'manual' | 'follow-up' | 'liquidation' | 'position-gone' | 'stop-failed' | 'timeout';

export type RefusalReason =
  | 'max-trades'
  | 'max-exposure'
  | 'one-per-symbol'
  | 'daily-loss'
  | 'cooldown'
  | 'signal-too-old'
  | 'no-stop'
  | 'invalid-stop'
  | 'no-targets'
  | 'below-min-size'
  | 'market-not-found'
  | 'insufficient-balance'
  | 'no-account'
  | 'account-unavailable'
  | 'exchange-error'
  | 'not-a-signal'
  /** The entry gate said no (kill switch, license, user paused, source paused): `gate` / details.gate says which. */
  | 'entry-gate'
  /**
   * This account already has a trade (or a grid) on the symbol. Exchanges keep one net
   * position per symbol in one-way mode, so a second trade would merge into the first
   * (shared stop, mixed targets): it is refused even with onePerSymbol off.
   */
  | 'same-symbol-open'
  /**
   * Isolated margin: the stop-loss lies beyond the position's estimated liquidation price
   * (it could never trigger) and the leverage could not be lowered (fixed leverage, or the
   * stop is too far even at 1x). details: stopLoss, liquidationPrice, leverage, maxLeverage.
   */
  | 'stop-beyond-liquidation'
  /** The account's position in this symbol is run by a grid bot: close or change it from the grid (details: gridId, symbol). */
  | 'grid-managed'
  /** Execute pressed after the source closed / cancelled the signal (a follow-up posted while the preview waited): nothing is opened. */
  | 'signal-closed';

/** A plan as shown in a preview or an "opened" message. */
export interface PlanSummary {
  symbol: string;
  side: PositionSide;
  entryType: 'market' | 'limit';
  entries: { price: number | null; quantity: number }[];
  quantity: number;
  leverage: number;
  marginMode: 'isolated' | 'cross';
  margin: number;
  stopLoss: number | null;
  takeProfits: { price: number; share: number }[];
  /** The signal's own entry prices (a zone's both ends), even when legs were merged. */
  signalEntries?: number[];
  /** Plan warnings: 'entries-merged' (legs below the exchange minimum joined), 'default-stop', 'no-targets'. */
  warnings?: string[];
}

interface Base {
  userId: number;
  traceId?: string | undefined;
}
interface TradeBase extends Base {
  tradeId: number;
  symbol: string;
  side: PositionSide;
}

export type TradingEvent =
  | (Base & { type: 'signal-preview'; signalId: number; sourceId: number; plan: PlanSummary })
  | (Base & {
      type: 'plan-refused';
      signalId: number | null;
      symbol: string | null;
      reason: RefusalReason;
      details: Record<string, unknown>;
      /** With reason 'entry-gate': why new entries are paused ('kill-switch', 'license-expired', ...). */
      gate?: string;
    })
  | (TradeBase & { type: 'entry-placed'; plan: PlanSummary })
  /** Every entry filled at once (a market entry, or all limit legs): `quantity` is the whole position. */
  | (TradeBase & { type: 'trade-opened'; entryPrice: number; quantity: number; plannedQuantity?: number; leverage: number; stopLoss: number | null; takeProfits: number[] })
  /**
   * Part of a multi-entry plan filled (`first`: the position now exists, protected; more
   * entries are still working). `filled` is the total so far, `planned` the plan's total.
   */
  | (TradeBase & { type: 'entry-filled'; filled: number; planned: number; averagePrice: number; first?: boolean; stopLoss?: number | null })
  | (TradeBase & { type: 'tp-hit'; index: number; price: number; quantity: number; remaining: number })
  | (TradeBase & { type: 'sl-moved'; stopLoss: number; why: 'breakeven' | 'follow-up' | 'manual' | 'trailing' })
  | (TradeBase & { type: 'sl-hit'; price: number })
  | (TradeBase & { type: 'trade-closed'; reason: CloseReason; exitPrice: number | null; realizedPnl: number; fees: number; estimated: boolean })
  | (TradeBase & { type: 'trade-cancelled'; why: 'follow-up' | 'manual' | 'timeout' | 'rejected' | 'never-sent' })
  | (TradeBase & { type: 'stop-failed-closed'; errorCode: string })
  /**
   * CRITICAL: the position could not be closed completely (the close failed or filled
   * only part) and no stop-loss protects what is left. The user must act on the
   * exchange now; the trade stays `closing` and every sync retries the close.
   * Also an admin alert (services/alerts.ts). `reason`: why it was being closed.
   */
  | (TradeBase & { type: 'stop-failed-close-failed'; severity: 'critical'; reason: 'stop-failed' | 'manual' | 'follow-up'; errorCode: string; remaining: number | null; attempts: number })
  /**
   * A close did not complete (e.g. a market close filled only part within the slippage
   * bound); what is left is protected by `stopLoss`. The trade stays `closing` and
   * every sync retries. Also an admin alert.
   */
  | (TradeBase & { type: 'close-incomplete'; severity: 'critical'; reason: 'stop-failed' | 'manual' | 'follow-up'; remaining: number | null; stopLoss: number; errorCode: string | null; attempts: number })
  /**
   * A stop move (or the stop moved before the fill) was refused by the exchange: the
   * position keeps its last valid stop `kept` (null: none could be confirmed).
   */
  | (TradeBase & { type: 'sl-move-failed'; stopLoss: number; kept: number | null; errorCode: string })
  | (TradeBase & { type: 'protection-failed'; what: 'take-profit' | 'stop-loss'; errorCode: string })
  | (Base & { type: 'reconcile-discrepancy'; kind: string; tradeId: number | null; symbol: string | null; details: Record<string, unknown> })
  | (Base & { type: 'error'; code: string; tradeId?: number | undefined; signalId?: number | undefined; symbol?: string | undefined });

export type TradingEventType = TradingEvent['type'];

/** Events never dropped by the notification queue (money at risk; the user must read them). */
export const CRITICAL_EVENT_TYPES: ReadonlySet<TradingEventType> = new Set<TradingEventType>(['stop-failed-closed', 'stop-failed-close-failed', 'close-incomplete', 'protection-failed', 'sl-move-failed']);

export function isCriticalEvent(e: { type: string }): boolean {
  return CRITICAL_EVENT_TYPES.has(e.type as TradingEventType);
}

/**
 * Trims a user's queue to `max` events by dropping the oldest NON-critical ones;
 * critical events are always kept (the queue may then exceed `max`).
 */
export function trimEvents<E extends { type: string }>(events: E[], max: number): E[] {
  let excess = events.length - max;
  if (excess <= 0) return events;
  const out: E[] = [];
  for (const e of events) {
    if (excess > 0 && !isCriticalEvent(e)) {
      excess--;
      continue;
    }
    out.push(e);
  }
  return out;
}

/** What services call. Never blocks, never throws. */
export interface Notifier {
  notify(event: TradingEvent): void;
}

/** bot/ implements this: render the events of one user as one message and send it. */
export type NotificationSink = (userId: number, events: TradingEvent[]) => Promise<void>;

export interface NotificationQueueOptions {
  send: NotificationSink;
  clock?: Clock;
  /** Messages per second across all chats (default 30). */
  perSecond?: number;
  /** Minimum gap between two messages to one chat (default 1,000 ms). */
  perChatIntervalMs?: number;
  /** How long a user's first event waits for more to coalesce with (default 300 ms). */
  coalesceMs?: number;
  /** Events kept per user before the oldest non-critical ones are dropped (default 50; critical events are never dropped). */
  maxPerUser?: number;
  log?: Logger;
}

export interface NotificationQueue extends Notifier {
  /** Users with events waiting. */
  pending(): number;
  /** Resolves when everything queued now has been handed to the sink. */
  drain(): Promise<void>;
  stop(): void;
}

interface UserSlot {
  events: TradingEvent[];
  readyAt: number;
  nextAllowedAt: number;
  queued: boolean;
}

/** A sink error may say when to try again (Telegram 429 retry_after). */
function retryAfterMs(e: unknown): number | null {
  if (!e || typeof e !== 'object') return null;
  const r = (e as { retryAfterMs?: unknown }).retryAfterMs;
  return typeof r === 'number' && Number.isFinite(r) && r >= 0 ? r : null;
}

export function createNotificationQueue(options: NotificationQueueOptions): NotificationQueue {
  const clock = options.clock ?? systemClock;
  const perSecond = options.perSecond ?? 30;
  const perChat = options.perChatIntervalMs ?? 1_000;
  const coalesce = options.coalesceMs ?? 300;
  const maxPerUser = options.maxPerUser ?? 50;
  const users = new Map<number, UserSlot>();
  /** Users with events, in arrival order. */
  let ready: number[] = [];
  const sentAt: number[] = [];
  let timer: unknown = null;
  let timerAt = Infinity;
  let inflight = 0;
  let stopped = false;
  let drainWaiters: (() => void)[] = [];

  function arm(at: number): void {
    if (stopped || at === Infinity) return;
    if (timer !== null && timerAt <= at) return;
    if (timer !== null) clock.clearTimeout(timer);
    timerAt = at;
    timer = clock.setTimeout(
      () => {
        timer = null;
        timerAt = Infinity;
        pump();
      },
      Math.max(1, at - clock.now()),
    );
  }

  function settleDrain(): void {
    if (ready.length === 0 && inflight === 0) {
      const waiters = drainWaiters;
      drainWaiters = [];
      for (const w of waiters) w();
    }
  }

  function deliver(userId: number, slot: UserSlot, now: number): void {
    const events = slot.events;
    slot.events = [];
    slot.queued = false;
    slot.nextAllowedAt = now + perChat;
    sentAt.push(now);
    inflight++;
    Promise.resolve()
      .then(() => options.send(userId, events))
      .catch((e: unknown) => {
        const wait = retryAfterMs(e);
        if (wait !== null && !stopped) {
          slot.events = trimEvents([...events, ...slot.events], maxPerUser);
          slot.nextAllowedAt = Math.max(slot.nextAllowedAt, clock.now() + wait);
          enqueue(userId, slot, slot.nextAllowedAt);
        } else {
          options.log?.warn({ userId, events: events.length, err: e instanceof Error ? { name: e.name, message: e.message } : String(e) }, 'notification dropped');
        }
      })
      .finally(() => {
        inflight--;
        settleDrain();
      });
  }

  function enqueue(userId: number, slot: UserSlot, readyAt: number): void {
    slot.readyAt = Math.max(readyAt, slot.nextAllowedAt);
    if (!slot.queued) {
      slot.queued = true;
      ready.push(userId);
    }
    arm(slot.readyAt);
  }

  function pump(): void {
    if (stopped) return;
    const now = clock.now();
    while (sentAt.length > 0 && sentAt[0]! <= now - 1_000) sentAt.shift();
    const keep: number[] = [];
    let next = Infinity;
    for (const userId of ready) {
      const slot = users.get(userId);
      if (!slot || slot.events.length === 0) {
        if (slot) slot.queued = false;
        continue;
      }
      if (slot.readyAt > now) {
        keep.push(userId);
        next = Math.min(next, slot.readyAt);
        continue;
      }
      if (sentAt.length >= perSecond) {
        keep.push(userId);
        next = Math.min(next, sentAt[sentAt.length - perSecond]! + 1_000);
        continue;
      }
      deliver(userId, slot, now);
    }
    ready = keep;
    arm(next);
    settleDrain();
  }

  return {
    notify(event) {
      if (stopped) return;
      try {
        let slot = users.get(event.userId);
        if (!slot) {
          slot = { events: [], readyAt: 0, nextAllowedAt: 0, queued: false };
          users.set(event.userId, slot);
        }
        slot.events.push(event);
        if (slot.events.length > maxPerUser) slot.events = trimEvents(slot.events, maxPerUser);
        if (!slot.queued) enqueue(event.userId, slot, clock.now() + coalesce);
      } catch (e) {
        options.log?.error({ err: e }, 'notify failed');
      }
    },
    pending: () => ready.length,
    drain() {
      if (ready.length === 0 && inflight === 0) return Promise.resolve();
      return new Promise<void>((resolve) => drainWaiters.push(resolve));
    },
    stop() {
      stopped = true;
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
      const waiters = drainWaiters;
      drainWaiters = [];
      for (const w of waiters) w();
    },
  };
}

/** A notifier that keeps every event in memory (tests, CLIs). */
export function createMemoryNotifier(): Notifier & { events: TradingEvent[]; of(userId: number): TradingEvent[]; clear(): void } {
  const events: TradingEvent[] = [];
  return {
    events,
    notify: (e) => void events.push(e),
    of: (userId) => events.filter((e) => e.userId === userId),
    clear: () => void events.splice(0, events.length),
  };
}
