import type { MarginMode, PositionSide } from './order.js';

/** The parser's output: exactly one of signal, update, none. Stable JSON shape. */
export interface SignalParse {
  kind: 'signal';
  symbol: string;
  side: PositionSide;
  entries: number[];
  entryMarket: boolean;
  entryTrigger: 'above' | 'below' | null;
  takeProfits: number[] | null;
  takeProfitPercents: number[] | null;
  stopLoss: number | null;
  leverage: number | null;
  marginMode: MarginMode | null;
  warnings: string[];
}

export type UpdateAction = 'close' | 'cancel' | 'move_sl' | 'tp_hit' | 'sl_hit' | 'other';

export interface UpdateParse {
  kind: 'update';
  symbol: string | null;
  action: UpdateAction;
  stopLoss: number | null;
  breakeven: boolean;
}

export interface NoneParse {
  kind: 'none';
  reason: string;
}

export type ParseResult = SignalParse | UpdateParse | NoneParse;

export type SourceKind = 'channel' | 'forwarded' | 'builtin';

/** A stored signal: one per (source, message). */
export interface Signal {
  id: number;
  sourceId: number;
  messageId: string;
  text: string;
  parsed: ParseResult;
  status: SignalStatus;
  receivedAt: number;
}

export type SignalStatus = 'received' | 'executed' | 'ignored' | 'expired' | 'failed';
