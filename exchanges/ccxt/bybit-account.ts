/**
 * Bybit account facts read from /v5/user/query-api: the account type
 * (unified or classic, which ccxt needs before it builds several requests)
 * and the key audit. The account type comes from `unifiedAccount`
 * (credentials), else from a per-account cache shared by the factory, else it
 * is probed once with /v5/user/query-api (1 signed request; ccxt's own
 * detection would send /v5/user/query-api + /v5/account/info).
 */
import { createHash } from 'node:crypto';
import type { Environment } from '../../models/index.js';
import type { KeyAudit } from '../types.js';
import type { Fail, Throttle } from './adapter-core.js';

/** What the account-type probe found (ccxt's enableUnifiedMargin / enableUnifiedAccount). */
export interface BybitAccountType {
  unifiedMargin: boolean;
  unifiedAccount: boolean;
}

/** Per-account account types, shared across instances by the factory (key: environment, URL, account, key fingerprint). */
export type BybitAccountTypeCache = Map<string, BybitAccountType>;

/** Cache key of an account's type: never the key itself, a fingerprint of it (new keys are probed again). */
export function bybitAccountTypeKey(o: { environment: Environment; apiUrl?: string | undefined; accountId: string; apiKey: string }): string {
  const fp = createHash('sha256').update(o.apiKey).digest('hex').slice(0, 16);
  return `${o.environment}|${o.apiUrl ?? ''}|${o.accountId}|${fp}`;
}

/** /v5/user/query-api result -> account type (uta: unified trading account; unified: the old unified margin account). */
export function accountTypeOf(r: Record<string, any>): BybitAccountType | null {
  if (r.uta === undefined && r.unified === undefined) return null;
  return { unifiedMargin: Number(r.unified) === 1, unifiedAccount: Number(r.uta) === 1 };
}

/** /v5/user/query-api result -> KeyAudit. */
export function parseKeyAudit(r: Record<string, any>): KeyAudit {
  const perms: Record<string, string[]> = r.permissions ?? {};
  const has = (group: string, p?: string) => Array.isArray(perms[group]) && (p ? perms[group].includes(p) : perms[group].length > 0);
  const readOnly = r.readOnly === undefined ? null : Number(r.readOnly) === 1;
  const canTrade = readOnly === null ? null : !readOnly && (has('ContractTrade', 'Order') || has('ContractTrade', 'Position') || has('Derivatives'));
  const canWithdraw = r.permissions ? has('Wallet', 'Withdraw') : null;
  const ips: string[] | undefined = Array.isArray(r.ips) ? r.ips : undefined;
  const ipBound = ips === undefined ? null : ips.length > 0 && !ips.includes('*');
  const expiry = typeof r.expiredAt === 'string' && r.expiredAt ? Date.parse(r.expiredAt) : NaN;
  const audit: KeyAudit = { readOnly, canTrade, canWithdraw, ipBound, expiresAt: Number.isFinite(expiry) && expiry > 0 ? expiry : null };
  const type = accountTypeOf(r);
  if (type) audit.unifiedAccount = type.unifiedAccount || type.unifiedMargin;
  return audit;
}

/**
 * The account type of one adapter's ccxt instance: set at once from
 * `unifiedAccount` or the shared cache, else probed on `ensure()`.
 */
export function bybitAccountType(o: {
  ex: any;
  environment: Environment;
  key: string;
  unifiedAccount?: boolean | undefined;
  cache?: BybitAccountTypeCache | undefined;
  throttle: Throttle;
  fail: Fail;
}): { remember(t: BybitAccountType): void; ensure(): Promise<void> } {
  const { ex } = o;
  function applyAccountType(t: BybitAccountType): void {
    ex.options.enableUnifiedMargin = t.unifiedMargin;
    ex.options.enableUnifiedAccount = t.unifiedAccount;
    // Only inverse markets depend on the UTA version; we trade linear.
    ex.options.unifiedMarginStatus = t.unifiedAccount || t.unifiedMargin ? 6 : 1;
  }
  function rememberAccountType(t: BybitAccountType): void {
    applyAccountType(t);
    o.cache?.set(o.key, t);
  }
  if (o.unifiedAccount !== undefined) rememberAccountType({ unifiedMargin: false, unifiedAccount: o.unifiedAccount });
  else {
    const known = o.cache?.get(o.key);
    if (known) applyAccountType(known);
  }
  const accountTypeKnown = () => typeof ex.options.enableUnifiedAccount === 'boolean' && typeof ex.options.enableUnifiedMargin === 'boolean';
  let detecting: Promise<void> | null = null;

  /** The account type, probed once per account (one signed /v5/user/query-api, through the limiter). */
  async function ensureAccountType(): Promise<void> {
    if (accountTypeKnown() || o.environment === 'demo') return; // demo: ccxt assumes a unified account, no request
    const known = o.cache?.get(o.key);
    if (known) return applyAccountType(known);
    detecting ??= o
      .throttle('detectAccount', () => ex.privateGetV5UserQueryApi().catch(o.fail('detectAccount')))
      .then((res: any) => {
        const t = accountTypeOf(res?.result ?? {});
        // Unknown answer: leave it to ccxt's own detection.
        if (t) rememberAccountType(t);
      })
      .finally(() => {
        detecting = null;
      });
    await detecting;
  }

  return { remember: rememberAccountType, ensure: ensureAccountType };
}
