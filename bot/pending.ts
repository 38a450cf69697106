/**
 * Per-user "the next text you send is…" flags, in memory only. Key entry uses
 * this instead of a persisted conversation, so no secret ever lands in any
 * storage; a restart simply forgets an unfinished step.
 */
export interface PendingBase {
  kind: string;
  expiresAt: number;
}

export class PendingInputs<P extends PendingBase = PendingBase> {
  private readonly map = new Map<number, P>();
  constructor(private readonly now: () => number = Date.now) {}

  set(telegramId: number, pending: P): void {
    this.map.set(telegramId, pending);
  }

  get(telegramId: number): P | undefined {
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

  get size(): number {
    return this.map.size;
  }
}

export const PENDING_TTL_MS = 10 * 60_000;
