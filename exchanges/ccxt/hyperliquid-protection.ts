/**
 * HyperLiquid position protection: which resting triggers are the
 * position's stop-loss / take-profit, and setting, moving or removing them
 * without ever leaving the position unprotected.
 */
import { OrderRejected, exitSide, type Market, type PositionSide, type Side } from '../../models/index.js';
import { isDuplicateClientOrderId } from '../placement.js';
import type { PositionProtection } from '../types.js';
import { isProtectionCloid, protectionClientOrderId, toHyperliquidCloid, triggerKind } from './hyperliquid-ids.js';
import type { Grouping, HyperliquidCore, HyperliquidWire } from './hyperliquid-wire.js';

/** HyperLiquid side letter of the orders that close a `side` position ("A" sells, "B" buys). */
const exitLetter = (side: PositionSide): 'A' | 'B' => (side === 'long' ? 'A' : 'B');

/**
 * The position's own protection among the coin's resting orders: reduce-only
 * trigger orders on the closing side that are position TP/SL
 * (`isPositionTpsl`) or carry our protection cloid (setPositionProtection,
 * attached children). Any other trigger on the coin — a grid's sized stop,
 * a user's manual order — is not the position's and is left alone.
 */
export function positionProtection(open: any[], coin: string, side: PositionSide): any[] {
  return open.filter(
    (o) => o.coin === coin && o.isTrigger && o.reduceOnly !== false && o.side === exitLetter(side) && (o.isPositionTpsl === true || isProtectionCloid(o.cloid)),
  );
}

const sameCloid = (a: unknown, b: string): boolean => typeof a === 'string' && a.toLowerCase() === b.toLowerCase();

/** A resting protection order that already says what we want (kind, trigger price, size). */
function sameProtection(o: any, kind: 'sl' | 'tp', trigger: number, qty: number): boolean {
  if (triggerKind(o.orderType) !== kind) return false;
  const px = Number(o.triggerPx);
  if (!(Math.abs(px - trigger) <= Math.abs(trigger) * 1e-9)) return false;
  const size = Number(o.origSz ?? o.sz);
  return qty === 0 ? o.isPositionTpsl === true || size === 0 : Math.abs(size - qty) <= qty * 1e-9;
}

export function hyperliquidProtection(core: HyperliquidCore, w: HyperliquidWire, rawOpenOrders: () => Promise<any[]>) {
  const { market } = core;
  const { coinOf, cloidFor, checkedQty, checkedPrice, wire, sendOrders, cancelByRefs } = w;

  /**
   * Places one protection leg, idempotently: an order with the same cloid
   * already resting with the same kind, price and size is success (an earlier
   * attempt landed) and nothing is sent. HyperLiquid does not document whether
   * a cloid of a finished (cancelled/filled) order may be used again, so a
   * refusal that names the client order id (duplicate) is answered by looking
   * again (still resting and the same → success) and otherwise by the next
   * derived id (`:sl#1`, `:sl#2`, ...), still a protection id. Returns the
   * oid of the order that now protects the position, or null when unknown.
   */
  async function placeProtectionLeg(
    m: Market,
    leg: { kind: 'sl' | 'tp'; trigger: number },
    ctx: { side: Side; qty: number; grouping: Grouping; clientOrderId?: string; open: any[] },
  ): Promise<{ keptOid: number | null }> {
    const ids = ctx.clientOrderId ? [0, 1, 2, 3].map((n) => protectionClientOrderId(ctx.clientOrderId!, leg.kind) + (n ? `#${n}` : '')) : [undefined];
    let open = ctx.open;
    let last: Error | null = null;
    for (const id of ids) {
      const cloid = id ? toHyperliquidCloid(id) : undefined;
      const resting = cloid ? open.find((o) => sameCloid(o.cloid, cloid)) : undefined;
      if (resting) {
        if (sameProtection(resting, leg.kind, leg.trigger, ctx.qty)) return { keptOid: Number(resting.oid) };
        continue; // that id is taken by a live order saying something else: use the next one
      }
      const w = wire(m, { type: 'market', side: ctx.side, qty: ctx.qty, price: leg.trigger, [leg.kind]: leg.trigger, reduceOnly: true, ...(id ? { cloid: cloidFor(id) } : {}) });
      const [res] = await sendOrders([w], ctx.grouping, 'setPositionProtection', m);
      if (!(res instanceof Error)) return { keptOid: null };
      last = res;
      if (!id || !isDuplicateClientOrderId(res)) throw res;
      // The id was refused as a duplicate: an order we cannot see yet, or a finished one.
      open = await rawOpenOrders();
      const again = open.find((o) => sameCloid(o.cloid, cloid!));
      if (again && sameProtection(again, leg.kind, leg.trigger, ctx.qty)) return { keptOid: Number(again.oid) };
    }
    throw last ?? new OrderRejected(`hyperliquid setPositionProtection on ${m.symbol}: every derived client order id is taken`, { exchange: 'hyperliquid', operation: 'setPositionProtection' });
  }

  /**
   * Sets, moves or removes the position's stop-loss / take-profit. The new
   * order goes first, then the position's previous protection of that kind
   * is cancelled (never the coin's other triggers): the position is never
   * left without a stop. Whole position: `positionTpsl` with size 0 (follows
   * the position); with `quantity`: grouping `na` and that size.
   */
  async function setPositionProtection(symbol: string, side: PositionSide, p: PositionProtection): Promise<void> {
    const m = await market(symbol);
    const open: any[] = await rawOpenOrders();
    const existing = positionProtection(open, coinOf(m), side);
    const grouping: Grouping = p.quantity === undefined ? 'positionTpsl' : 'na';
    const qty = p.quantity === undefined ? 0 : checkedQty(m, p.quantity, 'setPositionProtection');
    const legs: { kind: 'sl' | 'tp'; trigger: number }[] = [];
    if (typeof p.stopLoss === 'number') legs.push({ kind: 'sl', trigger: checkedPrice(m, p.stopLoss, 'setPositionProtection') });
    if (typeof p.takeProfit === 'number') legs.push({ kind: 'tp', trigger: checkedPrice(m, p.takeProfit, 'setPositionProtection') });
    const kinds: ('sl' | 'tp')[] = [];
    if (p.stopLoss !== undefined) kinds.push('sl');
    if (p.takeProfit !== undefined) kinds.push('tp');
    const kept = new Set<number>();
    const done = new Set<'sl' | 'tp'>(kinds.filter((k) => !legs.some((l) => l.kind === k))); // removals
    let failure: Error | null = null;
    for (const leg of legs) {
      try {
        const { keptOid } = await placeProtectionLeg(m, leg, { side: exitSide(side), qty, grouping, open, ...(p.clientOrderId ? { clientOrderId: p.clientOrderId } : {}) });
        if (keptOid !== null) kept.add(keptOid);
        done.add(leg.kind);
      } catch (e) {
        failure ??= e as Error;
      }
    }
    // The old protection goes only where the new one is in place (or was to be removed).
    const replace = existing.filter((o) => done.has(triggerKind(o.orderType) as 'sl' | 'tp') && !kept.has(Number(o.oid)));
    if (replace.length) await cancelByRefs(m, replace.map((o) => ({ id: String(o.oid) })), 'setPositionProtection');
    if (failure) throw failure;
  }

  return { setPositionProtection };
}
