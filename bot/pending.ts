/**
 * Per-user "the next text you send is…" flags, in memory only. Key entry uses
 * this instead of a persisted conversation, so no secret ever lands in any
 * storage; a restart simply forgets an unfinished step.
 *
 * A step's closure may hold the public half of a key pair until the secret
 * arrives, so expired steps do not linger: every set/get sweeps the expired
 * entries of all users (at most once per `sweepEveryMs`).
 */
export interface PendingBase {
  kind: string;
  expiresAt: number;
}

export class PendingInputs<P extends PendingBase = PendingBase> {
  private readonly map = new Map<number, P>();
  private lastSweep = -Infinity;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly sweepEveryMs = 30_000,
  ) {}

  set(telegramId: number, pending: P): void {
    this.maybeSweep();
    this.map.set(telegramId, pending);
  }

  get(telegramId: number): P | undefined {
    this.maybeSweep();
    const p = this.map.get(telegramId);
    if (p && p.expiresAt <= this.now()) {
      this.map.delete(telegramId);
      return undefined;
    }
    return p;
  }

  clear(telegramId: number): P | undefined {
    const p = this.map.get(telegramId);
    this.map.delete(telegramId);
    return p;
  }

  /** Drops every expired step now; returns how many went. */
  sweep(): number {
    const t = this.now();
    this.lastSweep = t;
    let n = 0;
    for (const [k, v] of this.map) {
      if (v.expiresAt <= t) {
        this.map.delete(k);
        n++;
      }
    }
    return n;
  }

  /** Entries held, expired or not (a sweep has not necessarily run). */
  get size(): number {
    return this.map.size;
  }

  private maybeSweep(): void {
    if (this.now() - this.lastSweep >= this.sweepEveryMs) this.sweep();
  }
}

export const PENDING_TTL_MS = 10 * 60_000;
