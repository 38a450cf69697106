/**
 * Follow-ups from a source: a reply to the signal post, or an update naming a
 * symbol with a trade open from that source. Close, cancel unfilled entries,
 * move the stop / breakeven — for users who follow channel updates.
 */
import { signals as signalsRepo, sources, trades as tradesRepo } from '../../db/index.js';
import type { TradeRow } from '../../db/database.js';
import { listOpenTradesOfSource } from '../../db/repos/trading.js';
import type { UpdateParse } from '../../models/index.js';
import { userLockKey } from '../locks.js';
import { cancelEntries, closeTrade, moveStop, type ActionResult } from './actions.js';
import { canManage, errInfo, record, type TradingDeps } from './context.js';
import { runBounded, settingsFor } from './fanout.js';

export interface FollowUpInput {
  sourceId: number;
  update: UpdateParse;
  /** Message id of the post this one replies to (or the edited signal's own id). */
  replyToMessageId: string | null;
  traceId: string;
}

export type FollowUpOutcome = { userId: number; tradeId: number; result: ActionResult | { ok: false; reason: 'not-following' | 'ignored' | 'failed' | 'not-managed'; tradeId: number } };

/** Trades the update is about: those of the replied-to signal, else open trades from the source on the symbol. */
export async function targetsOf(deps: TradingDeps, input: FollowUpInput): Promise<TradeRow[]> {
  if (input.replyToMessageId !== null) {
    const signal = await signalsRepo.findSignalByMessage(deps.db, input.sourceId, input.replyToMessageId);
    if (signal) {
      const trades = await tradesRepo.listOpenTrades(deps.db, { signalId: signal.id });
      if (trades.length > 0 || input.update.symbol === null) return trades;
    }
  }
  if (input.update.symbol === null) return [];
  return listOpenTradesOfSource(deps.db, input.sourceId, input.update.symbol);
}

export async function applyFollowUp(deps: TradingDeps, input: FollowUpInput): Promise<FollowUpOutcome[]> {
  const { update } = input;
  const actionable = update.action === 'close' || update.action === 'cancel' || update.action === 'move_sl' || update.breakeven;
  if (!actionable) return [];
  const trades = await targetsOf(deps, input);
  if (trades.length === 0) return [];
  const source = (await sources.findSource(deps.db, input.sourceId)) ?? null;
  const settled = await runBounded(trades, deps.options.fanoutConcurrency, (t) =>
    deps.locks.run(userLockKey(t.user_id), async (): Promise<FollowUpOutcome> => {
      const sub = await sources.findSubscription(deps.db, t.user_id, input.sourceId);
      const settings = await settingsFor(deps, t.user_id, source, sub?.overrides ?? null);
      if (!settings.followUpdates) return { userId: t.user_id, tradeId: t.id, result: { ok: false, reason: 'not-following', tradeId: t.id } };
      // Closing and cancelling entries only ever reduce exposure: always done. Moving the stop is
      // management: only while the user's trades are managed (license or its grace).
      if (update.action !== 'close' && update.action !== 'cancel' && !(await canManage(deps, t.user_id))) {
        return { userId: t.user_id, tradeId: t.id, result: { ok: false, reason: 'not-managed', tradeId: t.id } };
      }
      const fresh = (await tradesRepo.findTrade(deps.db, t.id)) ?? t;
      await record(deps, { action: `follow-up.${update.action}`, entity: 'trade', entityId: t.id, after: { ...update }, traceId: input.traceId });
      let result: ActionResult;
      // Keyed on the update's trace: the same update handled twice sends one close.
      if (update.action === 'close') result = await closeTrade(deps, fresh, 'follow-up', 1, { requestId: input.traceId.slice(0, 100) });
      else if (update.action === 'cancel') result = await cancelEntries(deps, fresh, 'follow-up');
      else if (update.breakeven) result = await moveStop(deps, fresh, { breakeven: true }, 'follow-up');
      else if (update.stopLoss !== null) result = await moveStop(deps, fresh, { price: update.stopLoss }, 'follow-up');
      else return { userId: t.user_id, tradeId: t.id, result: { ok: false, reason: 'ignored', tradeId: t.id } };
      return { userId: t.user_id, tradeId: t.id, result };
    }),
  );
  return settled.map((r, i) => {
    const t = trades[i]!;
    if (r.status === 'fulfilled') return r.value;
    deps.log.error({ tradeId: t.id, userId: t.user_id, err: errInfo(r.reason) }, 'follow-up failed');
    return { userId: t.user_id, tradeId: t.id, result: { ok: false, reason: 'failed', tradeId: t.id } };
  });
}
