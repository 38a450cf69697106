import type { Db } from '../../../db/index.js';
import { users as usersRepo } from '../../../db/index.js';
import { createAccessService, type AccessMode } from '../../../services/access.js';
import { createEntryGate } from '../../../services/entry-gate.js';
import { createLicensesService, type LicenseEvent } from '../../../services/licenses.js';

export const ADMIN_TG = 1000;

export function fakeClock(start = Date.UTC(2025, 0, 1)) {
  const c = {
    t: start,
    now: () => c.t,
    advance(ms: number) {
      c.t += ms;
    },
  };
  return c;
}

export async function addUser(db: Db, telegramId: number, extra: { status?: string; role?: string; username?: string; now?: number } = {}) {
  return usersRepo.insertUser(db, {
    telegramId,
    username: extra.username ?? `u${telegramId}`,
    language: 'en',
    status: extra.status ?? 'active',
    role: extra.role ?? 'trader',
    now: extra.now ?? 0,
  });
}

export function services(db: Db, options: { mode?: AccessMode; licenseRequired?: boolean; clock?: { now(): number } } = {}) {
  const clock = options.clock ?? fakeClock();
  const access = createAccessService({ db, mode: options.mode ?? 'invite', adminIds: [ADMIN_TG], clock });
  const events: LicenseEvent[] = [];
  const licenses = createLicensesService({ db, access, notifier: { notify: (e) => events.push(e) }, clock, licenseRequired: options.licenseRequired ?? false });
  const gate = createEntryGate({ db, access, clock, licenseRequired: options.licenseRequired ?? false });
  return { access, licenses, gate, events, clock };
}

export const admin = { telegramId: ADMIN_TG };

/** An account and one open trade for a user (enough for cards, counts and notices). */
export async function addOpenTrade(db: Db, userId: number, now = 0, symbol = 'BTC/USDT:USDT') {
  const { accounts, trades } = await import('../../../db/index.js');
  const acct = await accounts.insertAccount(db, { userId, exchange: 'bybit', environment: 'testnet', label: 'Main', keyFingerprint: 'fp', keyHint: 'AbCd…9xYz', verifiedAt: now, now });
  const trade = await trades.insertTrade(db, {
    user_id: userId,
    account_id: acct.id,
    signal_id: null,
    source_id: null,
    symbol,
    side: 'long',
    status: 'open',
    leverage: 5,
    margin_mode: 'isolated',
    entry_price: '60000',
    quantity: '0.01',
    stop_loss: '58000',
    take_profits: '[]',
    plan: '{}',
    realized_pnl: '0',
    fees: '0',
    close_reason: null,
    trace_id: 't1',
    opened_at: now,
    closed_at: null,
    created_at: now,
    updated_at: now,
  });
  return { acct, trade };
}
