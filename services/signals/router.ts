/**
 * The signal router: intake (parse once, store once) → fan-out of a new
 * signal to its subscribers, or the follow-up of an update to the trades it
 * is about. The one entry point bot/ calls for channel posts, forwarded posts
 * and built-in strategies.
 */
import type { Db } from '../../db/index.js';
import type { ParseResult } from '../../models/index.js';
import type { Logger } from '../logger.js';
import type { FanoutResult } from '../trading/fanout.js';
import type { FollowUpOutcome } from '../trading/follow-ups.js';
import type { TradingService } from '../trading/service.js';
import { intake, type IncomingMessage, type IntakeResult } from './intake.js';
import { parseSignal } from './parser.js';

export interface RouteResult {
  intake: IntakeResult['action'];
  signalId: number;
  why?: string;
  fanout?: FanoutResult;
  followUps?: FollowUpOutcome[];
}

export interface SignalRouter {
  handleMessage(msg: IncomingMessage): Promise<RouteResult>;
}

export function createSignalRouter(deps: { db: Db; trading: TradingService; log: Logger; parse?: (text: string) => ParseResult; clock?: { now(): number } }): SignalRouter {
  const parse = deps.parse ?? parseSignal;
  return {
    async handleMessage(msg) {
      const r = await intake({ db: deps.db, parse, ...(deps.clock ? { clock: deps.clock } : {}) }, msg);
      const base = { intake: r.action, signalId: r.signal.id };
      if (r.action === 'signal') {
        const fanout = await deps.trading.handleSignal(r.signal.id);
        return { ...base, fanout };
      }
      if (r.action === 'update') {
        const followUps = await deps.trading.handleFollowUp({ sourceId: r.signal.source_id, update: r.update, replyToMessageId: r.replyToMessageId, traceId: r.signal.trace_id });
        return { ...base, followUps };
      }
      if (r.why === 'duplicate' && r.signal.kind === 'signal' && (r.signal.status === 'fanning-out' || r.signal.status === 'received')) {
        // The same post again while its fan-out has not finished (a crash interrupted it, or it is
        // still running here): resume it for the users not reached yet — idempotent per user.
        const fanout = await deps.trading.resumeSignal(r.signal.id);
        if (fanout) return { ...base, why: r.why, fanout };
      }
      deps.log.debug({ signalId: r.signal.id, why: r.why }, 'message not routed');
      return { ...base, why: r.why };
    },
  };
}
