/**
 * Windowed rate limiter: an async FIFO queue in front of sliding-window logs.
 *
 * Why a sliding-window log and not a classic token bucket: a bucket with
 * capacity N refilled continuously at N/W can let N requests out at the end
 * of one of the exchange's windows and another N at the start of the next,
 * i.e. up to 2N inside a single window as the exchange counts it. The log
 * records the cost and time of every grant and admits a request only while
 * the costs granted in the last `windowMs` (plus `guardMs`) stay within the
 * limit. So no interval of length W, however aligned, ever holds more than N:
 * that satisfies both rolling-window exchanges (Bybit per UID) and fixed-window
 * ones, and still lets the whole budget out at once (full concurrency; nothing
 * is serialised). Throughput is exactly N per W, so the fan-out floor is met.
 *
 * A call may need two buckets at once: its account bucket (per account and op
 * class) and its host bucket (per exchange host, shared by every account on
 * one server IP). Acquisition is two-stage so that one busy account never
 * blocks the host queue:
 *  1. account stage: FIFO per account bucket; the head *reserves* its cost
 *     (reservations count against the account's limit like grants do).
 *  2. host stage: FIFO per host bucket (fair across accounts in arrival order);
 *     when the head fits, the host cost is recorded and the account reservation
 *     is turned into a grant at that same instant, the instant the request
 *     goes out. Counting reservations means the account's sends inside any
 *     window never exceed its limit, however long the host stage took.
 * Each queue owns at most one timer, set for the earliest instant its head
 * can pass: no busy-waiting and no timer per waiting call.
 */

/** Time source and timers; injectable so tests run on a manual clock. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => {
    clock.setTimeout(resolve, Math.max(0, ms));
  });
}

export interface WindowLimit {
  /** Most cost allowed inside any window of `windowMs`. */
  limit: number;
  windowMs: number;
  /** Extra margin: a grant keeps counting for windowMs + guardMs (absorbs network jitter). */
  guardMs?: number;
}

export interface BucketRequest {
  /** Bucket key, e.g. `host:https://api.bybit.com` or `acct:42:order-create`. */
  key: string;
  limit: WindowLimit;
  cost: number;
}

export interface AcquireRequest {
  account?: BucketRequest | undefined;
  host?: BucketRequest | undefined;
}

export interface BucketSnapshot {
  key: string;
  limit: number;
  windowMs: number;
  /** Cost granted inside the current window. */
  used: number;
  /** Cost reserved by calls that passed the account stage and wait for the host. */
  reserved: number;
  /** Calls waiting in this bucket's queue. */
  queued: number;
  /** Epoch ms until which the bucket admits nothing (exchange said the quota is gone); null if none. */
  heldUntil: number | null;
}

interface Grant {
  at: number;
  cost: number;
}

class WindowLog {
  private readonly grants: Grant[] = [];
  private head = 0;
  private usedSum = 0;
  reserved = 0;
  heldUntil = 0;

  constructor(
    readonly key: string,
    public config: WindowLimit,
  ) {}

  private get span(): number {
    return this.config.windowMs + (this.config.guardMs ?? 0);
  }

  /** A cost larger than the whole limit could never pass: clamp it to the limit. */
  clamp(cost: number): number {
    return Math.min(Math.max(0, cost), this.config.limit);
  }

  private prune(now: number): void {
    const horizon = now - this.span;
    while (this.head < this.grants.length && this.grants[this.head]!.at <= horizon) {
      this.usedSum -= this.grants[this.head]!.cost;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.grants.length) {
      this.grants.splice(0, this.head);
      this.head = 0;
    }
  }

  used(now: number): number {
    this.prune(now);
    return this.usedSum;
  }

  fits(cost: number, now: number, withReserved: boolean): boolean {
    if (now < this.heldUntil) return false;
    return this.used(now) + (withReserved ? this.reserved : 0) + cost <= this.config.limit;
  }

  /** Earliest instant at which `cost` fits (>= now). */
  nextTime(cost: number, now: number, withReserved: boolean): number {
    this.prune(now);
    let excess = this.usedSum + (withReserved ? this.reserved : 0) + cost - this.config.limit;
    let at = now;
    for (let i = this.head; excess > 0 && i < this.grants.length; i++) {
      const g = this.grants[i]!;
      excess -= g.cost;
      at = g.at + this.span;
    }
    // Still over: reservations alone fill the limit. No timer then; the host
    // stage re-pumps this queue when it turns a reservation into a grant.
    if (excess > 0) return Infinity;
    return Math.max(at, this.heldUntil, now);
  }

  record(cost: number, now: number): void {
    if (cost <= 0) return;
    this.grants.push({ at: now, cost });
    this.usedSum += cost;
  }
}

interface AccountWaiter {
  cost: number;
  host: BucketRequest | undefined;
  resolve: () => void;
}

interface HostWaiter {
  cost: number;
  account: WindowLog | undefined;
  accountCost: number;
  resolve: () => void;
}

class Queue<W> {
  readonly items: W[] = [];
  private headIndex = 0;
  timer: unknown = null;
  timerAt = Infinity;

  get size(): number {
    return this.items.length - this.headIndex;
  }
  peek(): W | undefined {
    return this.items[this.headIndex];
  }
  push(w: W): void {
    this.items.push(w);
  }
  shift(): W | undefined {
    const w = this.items[this.headIndex];
    if (w === undefined) return undefined;
    this.headIndex++;
    if (this.headIndex > 1024 && this.headIndex * 2 > this.items.length) {
      this.items.splice(0, this.headIndex);
      this.headIndex = 0;
    }
    return w;
  }
}

export interface RateLimiter {
  /** Resolves when the call may go out; the costs are then counted at that instant. */
  acquire(request: AcquireRequest): Promise<void>;
  /** Admit nothing through this bucket until `until` (epoch ms), e.g. when the exchange reports its quota spent. */
  hold(key: string, until: number): void;
  snapshot(): BucketSnapshot[];
  /** Total calls waiting in all queues. */
  queued(): number;
}

export function createRateLimiter(options: { clock?: Clock } = {}): RateLimiter {
  const clock = options.clock ?? systemClock;
  const logs = new Map<string, WindowLog>();
  const accountQueues = new Map<string, Queue<AccountWaiter>>();
  const hostQueues = new Map<string, Queue<HostWaiter>>();

  function logFor(req: BucketRequest): WindowLog {
    let log = logs.get(req.key);
    if (!log) {
      log = new WindowLog(req.key, req.limit);
      logs.set(req.key, log);
    } else if (log.config.limit !== req.limit.limit || log.config.windowMs !== req.limit.windowMs || log.config.guardMs !== req.limit.guardMs) {
      log.config = req.limit;
    }
    return log;
  }

  function queueOf<W>(map: Map<string, Queue<W>>, key: string): Queue<W> {
    let q = map.get(key);
    if (!q) {
      q = new Queue<W>();
      map.set(key, q);
    }
    return q;
  }

  function arm<W>(q: Queue<W>, at: number, pump: () => void): void {
    if (at === Infinity) {
      disarm(q);
      return;
    }
    if (q.timer !== null && q.timerAt <= at) return;
    if (q.timer !== null) clock.clearTimeout(q.timer);
    q.timerAt = at;
    q.timer = clock.setTimeout(
      () => {
        q.timer = null;
        q.timerAt = Infinity;
        pump();
      },
      Math.max(1, at - clock.now()),
    );
  }

  function disarm<W>(q: Queue<W>): void {
    if (q.timer !== null) {
      clock.clearTimeout(q.timer);
      q.timer = null;
      q.timerAt = Infinity;
    }
  }

  // Pumps are re-entrant through enterHost/touched accounts; a pump already
  // running for a key is asked to go round once more instead of recursing.
  const running = new Set<string>();
  const rerun = new Set<string>();
  function guarded(key: string, body: () => void): void {
    if (running.has(key)) {
      rerun.add(key);
      return;
    }
    running.add(key);
    try {
      do {
        rerun.delete(key);
        body();
      } while (rerun.has(key));
    } finally {
      running.delete(key);
    }
  }

  function pumpHost(key: string): void {
    guarded(`h|${key}`, () => {
      const q = hostQueues.get(key);
      const log = logs.get(key);
      if (!q || !log) return;
      const now = clock.now();
      const touched = new Set<string>();
      let w = q.peek();
      for (; w !== undefined; w = q.peek()) {
        if (!log.fits(w.cost, now, false)) break;
        q.shift();
        log.record(w.cost, now);
        if (w.account) {
          w.account.reserved -= w.accountCost;
          w.account.record(w.accountCost, now);
          touched.add(w.account.key);
        }
        w.resolve();
      }
      if (w === undefined) disarm(q);
      else arm(q, log.nextTime(w.cost, now, false), () => pumpHost(key));
      // Account queues blocked only by reservations can now compute their time.
      for (const k of touched) {
        const aq = accountQueues.get(k);
        if (aq && aq.size > 0 && aq.timer === null) pumpAccount(k);
      }
    });
  }

  function enterHost(host: BucketRequest, account: WindowLog | undefined, accountCost: number, resolve: () => void): void {
    const log = logFor(host);
    const q = queueOf(hostQueues, host.key);
    q.push({ cost: log.clamp(host.cost), account, accountCost, resolve });
    if (q.size === 1) pumpHost(host.key);
  }

  function pumpAccount(key: string): void {
    guarded(`a|${key}`, () => {
      const q = accountQueues.get(key);
      const log = logs.get(key);
      if (!q || !log) return;
      const now = clock.now();
      let w = q.peek();
      for (; w !== undefined; w = q.peek()) {
        if (!log.fits(w.cost, now, true)) break;
        q.shift();
        if (w.host) {
          log.reserved += w.cost;
          enterHost(w.host, log, w.cost, w.resolve);
        } else {
          log.record(w.cost, now);
          w.resolve();
        }
      }
      if (w === undefined) disarm(q);
      else arm(q, log.nextTime(w.cost, now, true), () => pumpAccount(key));
    });
  }

  return {
    acquire(request) {
      const account = request.account && request.account.cost > 0 ? request.account : undefined;
      const host = request.host && request.host.cost > 0 ? request.host : undefined;
      if (!account && !host) return Promise.resolve();
      return new Promise<void>((resolve) => {
        if (account) {
          const log = logFor(account);
          const q = queueOf(accountQueues, account.key);
          q.push({ cost: log.clamp(account.cost), host, resolve });
          if (q.size === 1) pumpAccount(account.key);
        } else if (host) {
          enterHost(host, undefined, 0, resolve);
        }
      });
    },
    hold(key, until) {
      const log = logs.get(key);
      if (!log || until <= log.heldUntil) return;
      log.heldUntil = until;
      const aq = accountQueues.get(key);
      if (aq && aq.size > 0) {
        disarm(aq);
        pumpAccount(key);
      }
      const hq = hostQueues.get(key);
      if (hq && hq.size > 0) {
        disarm(hq);
        pumpHost(key);
      }
    },
    snapshot() {
      const now = clock.now();
      return [...logs.values()].map((log) => ({
        key: log.key,
        limit: log.config.limit,
        windowMs: log.config.windowMs,
        used: log.used(now),
        reserved: log.reserved,
        queued: (accountQueues.get(log.key)?.size ?? 0) + (hostQueues.get(log.key)?.size ?? 0),
        heldUntil: log.heldUntil > now ? log.heldUntil : null,
      }));
    },
    queued() {
      let n = 0;
      for (const q of accountQueues.values()) n += q.size;
      for (const q of hostQueues.values()) n += q.size;
      return n;
    },
  };
}
