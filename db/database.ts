/**
 * The typed database interface. Money and quantities are TEXT (decimal
 * strings), timestamps INTEGER epoch milliseconds, JSON columns TEXT,
 * booleans INTEGER 0/1 — portable to a Postgres dialect later.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

type CreatedAt = ColumnType<number, number, never>;

export interface UsersTable {
  id: Generated<number>;
  telegram_id: number;
  username: string | null;
  first_name: string | null;
  language: string;
  role: string; // 'admin' | 'trader'
  status: string; // 'active' | 'pending' | 'blocked' | 'inactive'
  license_expires_at: number | null;
  trading_enabled: number;
  default_account_id: number | null;
  created_at: CreatedAt;
  updated_at: number;
}

export interface ExchangeAccountsTable {
  id: Generated<number>;
  user_id: number;
  exchange: string; // 'bybit' | 'hyperliquid' | 'paper'
  environment: string; // 'mainnet' | 'testnet' | 'demo'
  label: string;
  /** base64 XChaCha20-Poly1305 ciphertext of the credentials JSON; null for Paper. */
  credentials_enc: string | null;
  credentials_nonce: string | null;
  /** Which master key encrypted this record (short hash of the key). */
  vault_key_id: string | null;
  /** Short one-way fingerprint of the API key / wallet address (never the key). */
  key_fingerprint: string | null;
  /** Masked key for display, e.g. "AbCd…9xYz". */
  key_hint: string | null;
  status: string; // 'active' | 'invalid' | 'removed'
  verified_at: number | null;
  created_at: CreatedAt;
  updated_at: number;
}

export interface SignalSourcesTable {
  id: Generated<number>;
  kind: string; // 'channel' | 'forwarded' | 'builtin'
  /** Telegram chat id of the channel (as text), or the builtin strategy's name. */
  chat_id: string;
  title: string;
  username: string | null;
  added_by: number | null;
  visibility: string; // 'public' | 'private'
  paused: number;
  /** JSON: settings subscribers inherit unless they override them. */
  default_settings: string;
  created_at: CreatedAt;
  updated_at: number;
}

export interface SubscriptionsTable {
  id: Generated<number>;
  user_id: number;
  source_id: number;
  enabled: number;
  mode: string; // 'auto' | 'confirm'
  account_id: number | null;
  /** JSON: per-source setting overrides. */
  overrides: string;
  created_at: CreatedAt;
  updated_at: number;
}

export interface UserSettingsTable {
  user_id: number;
  /** JSON: risk defaults (validated by services). */
  settings: string;
  updated_at: number;
}

export interface SignalsTable {
  id: Generated<number>;
  source_id: number;
  message_id: string;
  raw_text: string;
  /** JSON ParseResult. */
  parse_result: string;
  kind: string; // 'signal' | 'update' | 'none'
  status: string;
  trace_id: string;
  reply_to_message_id: string | null;
  received_at: number;
  updated_at: number;
}

export interface TradesTable {
  id: Generated<number>;
  user_id: number;
  account_id: number;
  signal_id: number | null;
  source_id: number | null;
  symbol: string;
  side: string;
  status: string;
  leverage: number;
  margin_mode: string;
  entry_price: string | null;
  quantity: string;
  stop_loss: string | null;
  /** JSON array of take-profit prices. */
  take_profits: string;
  /** JSON: the plan this trade executes (entries, shares, policies). */
  plan: string;
  realized_pnl: string;
  fees: string;
  close_reason: string | null;
  trace_id: string;
  opened_at: number | null;
  closed_at: number | null;
  created_at: CreatedAt;
  updated_at: number;
}

export interface OrdersTable {
  id: Generated<number>;
  trade_id: number | null;
  account_id: number;
  client_order_id: string;
  exchange_order_id: string | null;
  symbol: string;
  side: string;
  type: string;
  role: string; // 'entry' | 'take-profit' | 'stop-loss' | 'close'
  status: string;
  price: string | null;
  trigger_price: string | null;
  quantity: string;
  filled: string;
  average_price: string | null;
  reduce_only: number;
  /** Leg of its trade ("entry-0", "tp-2", "sl", "close-1"); null for rows before 0002. */
  leg: ColumnType<string | null, string | null | undefined, string | null>;
  /** Fee paid so far, quote currency (0002). */
  fee: ColumnType<string, string | undefined, string>;
  created_at: CreatedAt;
  updated_at: number;
}

/** Leverage and margin mode last set per account and symbol (0002). */
export interface AccountSymbolSettingsTable {
  account_id: number;
  symbol: string;
  leverage: number;
  margin_mode: string;
  updated_at: number;
}

export interface StateTransitionsTable {
  id: Generated<number>;
  entity: string; // 'order' | 'trade'
  entity_id: number;
  from_status: string;
  to_status: string;
  reason: string | null;
  at: number;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  actor: string; // 'user:<id>' | 'admin:<id>' | 'system'
  action: string;
  entity: string;
  entity_id: string | null;
  before: string | null;
  after: string | null;
  trace_id: string | null;
}

export interface Database {
  users: UsersTable;
  exchange_accounts: ExchangeAccountsTable;
  signal_sources: SignalSourcesTable;
  subscriptions: SubscriptionsTable;
  user_settings: UserSettingsTable;
  signals: SignalsTable;
  trades: TradesTable;
  orders: OrdersTable;
  state_transitions: StateTransitionsTable;
  audit_log: AuditLogTable;
  account_symbol_settings: AccountSymbolSettingsTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type AccountRow = Selectable<ExchangeAccountsTable>;
export type SourceRow = Selectable<SignalSourcesTable>;
export type SubscriptionRow = Selectable<SubscriptionsTable>;
export type SignalRow = Selectable<SignalsTable>;
export type TradeRow = Selectable<TradesTable>;
export type OrderRow = Selectable<OrdersTable>;
export type AuditRow = Selectable<AuditLogTable>;
