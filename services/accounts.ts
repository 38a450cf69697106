/**
 * Exchange accounts of a user: the connect flow (validate keys with a
 * temporary client, audit their permissions, store only on success), listing,
 * renaming, removing and choosing the default. Secrets pass through here as
 * arguments only: never stored outside the vault, never logged.
 */
import { accounts as accountsRepo, trades as tradesRepo, users as usersRepo, type Db } from '../db/index.js';
import { listActiveGridBots } from '../db/repos/grid.js';
import type { AccountRow } from '../db/database.js';
import type { AccountRef, Credentials, ExchangeAdapter, KeyAudit } from '../exchanges/index.js';
import { UserError, ValidationError } from '../models/errors.js';
import type { Balance, Environment, ExchangeId } from '../models/market.js';
import { createAccountWithCredentials, keyFingerprint, type StoredCredentials } from './credentials.js';
import type { KeyVault } from './key-vault.js';
import type { Logger } from './logger.js';

/** The key may withdraw funds: refused, the bot never needs it. */
export class KeyCanWithdraw extends UserError {
  override readonly code = 'key-can-withdraw';
}
/** The key is read-only or lacks derivatives trading permission. */
export class KeyCannotTrade extends UserError {
  override readonly code = 'key-cannot-trade';
}
/** HyperLiquid: the private key is not an API wallet approved for the address. */
export class AgentNotApproved extends UserError {
  override readonly code = 'agent-not-approved';
}
/** The same key is already connected to one of the user's accounts. */
export class DuplicateKey extends UserError {
  override readonly code = 'duplicate-key';
}
/** Paper accounts cannot be removed (every user keeps one). */
export class PaperAccountPermanent extends UserError {
  override readonly code = 'paper-permanent';
}
export class AccountNotFound extends UserError {
  override readonly code = 'account-not-found';
}

/** The account still has open trades or running grid bots: removing it would leave them unmanaged. */
export class AccountInUse extends UserError {
  override readonly code = 'account-in-use';
}
export const ACCOUNT_ERROR_CODES = ['key-can-withdraw', 'key-cannot-trade', 'agent-not-approved', 'duplicate-key', 'paper-permanent', 'account-not-found', 'account-in-use'] as const;

export type ConnectWarning = 'key-not-ip-bound' | 'key-expires';

export interface AccountView {
  id: number;
  exchange: ExchangeId;
  environment: Environment;
  label: string;
  /** Masked key / wallet address, e.g. "AbCd…9xYz". */
  keyHint: string | null;
  status: 'active' | 'invalid' | 'removed';
  isDefault: boolean;
  verifiedAt: number | null;
}

export interface ConnectInput {
  userId: number;
  exchange: 'bybit' | 'hyperliquid';
  environment: Environment;
  credentials: StoredCredentials;
  label?: string;
}

export interface ConnectResult {
  account: AccountView;
  balance: Balance;
  warnings: ConnectWarning[];
  /** When the exchange says the key expires (epoch ms), if it does. */
  keyExpiresAt: number | null;
}

/** Builds a throw-away adapter for validation (the registry's factories). */
export type ProbeFactory = (ref: AccountRef, credentials: Credentials) => ExchangeAdapter;

export interface AccountsService {
  connect(input: ConnectInput): Promise<ConnectResult>;
  list(userId: number): Promise<AccountView[]>;
  get(userId: number, accountId: number): Promise<AccountView>;
  rename(userId: number, accountId: number, label: string): Promise<AccountView>;
  remove(userId: number, accountId: number): Promise<void>;
  setDefault(userId: number, accountId: number): Promise<AccountView>;
  /** The user's default account (falls back to the first active one). */
  getDefault(userId: number): Promise<AccountView>;
  /** Reference for the exchange registry. */
  refOf(account: AccountView): AccountRef;
}

export const EXCHANGE_LABELS: Record<ExchangeId, string> = { bybit: 'Bybit', hyperliquid: 'HyperLiquid', paper: 'Paper' };
const ENV_LABELS: Record<Environment, string> = { mainnet: 'Mainnet', testnet: 'Testnet', demo: 'Demo' };
export const MAX_LABEL_LENGTH = 32;

const HL_ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const HL_PRIVATE_KEY = /^(0x)?[0-9a-fA-F]{64}$/;
const BYBIT_KEY = /^[A-Za-z0-9]{10,64}$/;

function rowToView(r: AccountRow, defaultId: number | null): AccountView {
  return {
    id: r.id,
    exchange: r.exchange as ExchangeId,
    environment: r.environment as Environment,
    label: r.label,
    keyHint: r.key_hint,
    status: r.status as AccountView['status'],
    isDefault: r.id === defaultId,
    verifiedAt: r.verified_at === null ? null : Number(r.verified_at),
  };
}

/** Trims and checks credentials' shape before any network call. */
export function checkCredentialShape(exchange: 'bybit' | 'hyperliquid', c: StoredCredentials): StoredCredentials {
  if (exchange === 'bybit') {
    const apiKey = c.apiKey?.trim() ?? '';
    const secret = c.secret?.trim() ?? '';
    if (!BYBIT_KEY.test(apiKey)) throw new ValidationError('the API key does not look like a Bybit API key', { details: { field: 'apiKey' } });
    if (!BYBIT_KEY.test(secret)) throw new ValidationError('the API secret does not look like a Bybit API secret', { details: { field: 'secret' } });
    return { apiKey, secret };
  }
  const walletAddress = c.walletAddress?.trim() ?? '';
  const privateKey = c.privateKey?.trim() ?? '';
  if (!HL_ADDRESS.test(walletAddress)) throw new ValidationError('the wallet address must be 0x followed by 40 hex characters', { details: { field: 'walletAddress' } });
  if (!HL_PRIVATE_KEY.test(privateKey)) throw new ValidationError('the private key must be 64 hex characters', { details: { field: 'privateKey' } });
  return { walletAddress, privateKey: privateKey.startsWith('0x') ? privateKey : `0x${privateKey}` };
}

export function createAccountsService(deps: {
  db: Db;
  vault: KeyVault;
  probe: ProbeFactory;
  /** Drops the registry's cached client of an account. */
  invalidate?: (accountId: string) => Promise<void>;
  log?: Logger;
  clock?: { now(): number };
}): AccountsService {
  const { db, vault } = deps;
  const now = () => deps.clock?.now() ?? Date.now();

  async function defaultIdOf(userId: number): Promise<number | null> {
    const u = await usersRepo.findUserById(db, userId);
    return u?.default_account_id ?? null;
  }

  async function owned(userId: number, accountId: number): Promise<AccountRow> {
    const row = await accountsRepo.findAccount(db, accountId);
    if (!row || row.user_id !== userId || row.status === 'removed') {
      throw new AccountNotFound(`account ${accountId} not found`, { details: { accountId } });
    }
    return row;
  }

  async function uniqueLabel(userId: number, base: string): Promise<string> {
    const taken = new Set((await accountsRepo.listAccountsOfUser(db, userId)).map((a) => a.label.toLowerCase()));
    if (!taken.has(base.toLowerCase())) return base;
    for (let i = 2; ; i++) if (!taken.has(`${base} ${i}`.toLowerCase())) return `${base} ${i}`;
  }

  function cleanLabel(label: string): string {
    const l = [...label].filter((ch) => ch.charCodeAt(0) >= 0x20 && ch.charCodeAt(0) !== 0x7f).join('').trim();
    if (!l) throw new ValidationError('the label is empty', { details: { field: 'label' } });
    if (l.length > MAX_LABEL_LENGTH) throw new ValidationError(`the label is longer than ${MAX_LABEL_LENGTH} characters`, { details: { field: 'label', max: MAX_LABEL_LENGTH } });
    return l;
  }

  const service: AccountsService = {
    async connect(input) {
      const credentials = checkCredentialShape(input.exchange, input.credentials);
      const publicId = (credentials.apiKey ?? credentials.walletAddress)!;
      const fp = keyFingerprint(publicId);
      const existing = await accountsRepo.listAccountsOfUser(db, input.userId);
      if (existing.some((a) => a.key_fingerprint === fp && a.exchange === input.exchange && a.environment === input.environment)) {
        throw new DuplicateKey('this key is already connected', { details: { exchange: input.exchange } });
      }
      const ref: AccountRef = { accountId: `probe-${input.userId}-${now()}`, exchange: input.exchange, environment: input.environment };
      const adapter = deps.probe(ref, credentials);
      let balance: Balance;
      const warnings: ConnectWarning[] = [];
      let audit: KeyAudit | null = null;
      try {
        balance = await adapter.fetchBalance();
        if (adapter.auditKey) audit = await adapter.auditKey();
      } finally {
        await adapter.close?.().catch(() => undefined);
      }
      if (audit) {
        if (audit.canWithdraw === true) throw new KeyCanWithdraw('the key has withdrawal permission', { details: { exchange: input.exchange } });
        if (audit.readOnly === true || audit.canTrade === false) {
          if (input.exchange === 'hyperliquid') throw new AgentNotApproved('the API wallet is not approved for this address', { details: { exchange: input.exchange } });
          throw new KeyCannotTrade('the key cannot trade derivatives', { details: { exchange: input.exchange } });
        }
        if (audit.ipBound === false) warnings.push('key-not-ip-bound');
        if (audit.expiresAt !== null) warnings.push('key-expires');
      }
      const label = await uniqueLabel(input.userId, input.label ? cleanLabel(input.label) : `${EXCHANGE_LABELS[input.exchange]} ${ENV_LABELS[input.environment]}`);
      const row = await createAccountWithCredentials(db, vault, {
        userId: input.userId,
        exchange: input.exchange,
        environment: input.environment,
        label,
        credentials: typeof audit?.unifiedAccount === 'boolean' ? { ...credentials, unifiedAccount: audit.unifiedAccount } : credentials,
        verifiedAt: now(),
        now: now(),
      });
      deps.log?.info({ userId: input.userId, accountId: row.id, exchange: input.exchange, environment: input.environment, warnings }, 'account connected');
      return { account: rowToView(row, await defaultIdOf(input.userId)), balance, warnings, keyExpiresAt: audit?.expiresAt ?? null };
    },

    async list(userId) {
      const def = await defaultIdOf(userId);
      return (await accountsRepo.listAccountsOfUser(db, userId)).map((r) => rowToView(r, def));
    },

    async get(userId, accountId) {
      return rowToView(await owned(userId, accountId), await defaultIdOf(userId));
    },

    async rename(userId, accountId, label) {
      await owned(userId, accountId);
      const clean = cleanLabel(label);
      await accountsRepo.updateAccount(db, accountId, { label: clean }, now());
      return service.get(userId, accountId);
    },

    async remove(userId, accountId) {
      const row = await owned(userId, accountId);
      if (row.exchange === 'paper') throw new PaperAccountPermanent('the Paper account cannot be removed');
      const openTrades = await tradesRepo.listOpenTrades(db, { accountId });
      const grids = (await listActiveGridBots(db)).filter((g) => g.account_id === accountId);
      if (openTrades.length > 0 || grids.length > 0) {
        throw new AccountInUse('the account still has open trades or running grid bots', { details: { openTrades: openTrades.length, gridBots: grids.length } });
      }
      await accountsRepo.removeAccount(db, accountId, now());
      if ((await defaultIdOf(userId)) === accountId) {
        const paper = (await accountsRepo.listAccountsOfUser(db, userId)).find((a) => a.exchange === 'paper');
        await usersRepo.updateUser(db, userId, { default_account_id: paper?.id ?? null }, now());
      }
      await deps.invalidate?.(String(accountId));
      deps.log?.info({ userId, accountId }, 'account removed');
    },

    async setDefault(userId, accountId) {
      await owned(userId, accountId);
      await usersRepo.updateUser(db, userId, { default_account_id: accountId }, now());
      return service.get(userId, accountId);
    },

    async getDefault(userId) {
      const def = await defaultIdOf(userId);
      const list = await accountsRepo.listAccountsOfUser(db, userId);
      const row = list.find((a) => a.id === def && a.status === 'active') ?? list.find((a) => a.status === 'active');
      if (!row) throw new AccountNotFound('no active account', { details: { userId } });
      return rowToView(row, def);
    },

    refOf(account) {
      return { accountId: String(account.id), exchange: account.exchange, environment: account.environment };
    },
  };
  return service;
}

