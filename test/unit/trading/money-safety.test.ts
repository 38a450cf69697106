/**
 * Unit side of the money-safety findings: salted client order ids (M5), the
 * notification queue never dropping critical events, the admin alert for a
 * close that did not complete (H1/H2), and the forwarded-post preview keeping
 * the zone's prices (summarize(plan) without the signal).
 */
import { describe, expect, it } from 'vitest';
import { accounts as accountsRepo, trades as tradesRepo, users, type Db } from '../../../db/index.js';
import * as m0006 from '../../../db/migrations/0006-order-id-salt.js';
import { getOrCreateOrderIdSalt } from '../../../db/repos/trading.js';
import { systemClock } from '../../../exchanges/index.js';
import { DEFAULT_SETTINGS, type Market, type SignalParse } from '../../../models/index.js';
import { createAlerts, type AlertEnvelope } from '../../../services/alerts.js';
import { CLIENT_ORDER_ID_PATTERN, clientOrderId, gridSalt, orderIdSalt, tradeSalt } from '../../../services/ids.js';
import { createNotificationQueue, trimEvents, type TradingEvent } from '../../../services/notifications.js';
import { EMPTY_ACCOUNT_STATE } from '../../../services/trading/limits.js';
import { planTrade, summarize } from '../../../services/trading/plan.js';
import { memoryDb } from '../../helpers/db.js';

async function insertTrade(db: Db): Promise<number> {
  const now = Date.now();
  const user = await users.insertUser(db, { telegramId: 42, language: 'en', now });
  const account = await accountsRepo.insertAccount(db, { userId: user.id, exchange: 'paper', environment: 'mainnet', label: 'p', keyFingerprint: null, keyHint: null, verifiedAt: null, now });
  const t = await tradesRepo.insertTrade(db, {
    user_id: user.id, account_id: account.id, signal_id: null, source_id: null, symbol: 'BTC/USDT', side: 'long', status: 'open', leverage: 10, margin_mode: 'isolated',
    entry_price: '50000', quantity: '0.01', stop_loss: '49000', take_profits: '[]', plan: '{}', realized_pnl: '0', fees: '0', close_reason: null, trace_id: 'x',
    opened_at: now, closed_at: null, created_at: now, updated_at: now,
  });
  return t.id;
}

describe('M5: salted client order ids', () => {
  it('are deterministic per installation, differ between installations, and fit every exchange', async () => {
    const a = await memoryDb();
    const b = await memoryDb();
    try {
      const sa = await orderIdSalt(a);
      const sb = await orderIdSalt(b);
      expect(sa.salt).toMatch(/^[0-9a-f]{32}$/);
      expect(sa.salt).not.toBe(sb.salt);
      // A fresh database: every trade and grid bot is salted.
      expect([sa.fromTrade, sa.fromGrid]).toEqual([0, 0]);
      const id = clientOrderId('s1', 1, 'entry-0', tradeSalt(sa, 1));
      expect(id).toBe(clientOrderId('s1', 1, 'entry-0', tradeSalt(await orderIdSalt(a), 1)));
      expect(id).not.toBe(clientOrderId('s1', 1, 'entry-0', tradeSalt(sb, 1)));
      expect(id).not.toBe(clientOrderId('s1', 1, 'entry-0'));
      expect(id).toMatch(CLIENT_ORDER_ID_PATTERN);
      expect(id.length).toBeLessThanOrEqual(36);
      // Stored: a new handle on the same database reads the same salt.
      expect((await getOrCreateOrderIdSalt(a, () => 'other', 0)).salt).toBe(sa.salt);
    } finally {
      await a.destroy();
      await b.destroy();
    }
  });

  it('an upgraded database keeps the unsalted ids of the trades and bots it already had', async () => {
    const db = await memoryDb();
    try {
      const tradeId = await insertTrade(db);
      // As if 0006 ran on this database now (its trades existed before the salt).
      await db.deleteFrom('system_state' as never).execute();
      await m0006.up(db as never);
      const s = await getOrCreateOrderIdSalt(db, () => 'unused', 0);
      expect(s.fromTrade).toBe(tradeId);
      expect(tradeSalt(s, tradeId)).toBe('');
      expect(tradeSalt(s, tradeId + 1)).toBe(s.salt);
      expect(gridSalt(s, 1)).toBe(s.salt);
    } finally {
      await db.destroy();
    }
  });
});

describe('notification queue: critical events are never dropped', () => {
  const ev = (type: TradingEvent['type'], i: number): TradingEvent =>
    ({ type, userId: 1, tradeId: i, symbol: 'BTC/USDT', side: 'long', errorCode: 'x', severity: 'critical', reason: 'stop-failed', remaining: 1, attempts: 1 }) as unknown as TradingEvent;

  it('trims the oldest non-critical events only', () => {
    const events = [ev('stop-failed-close-failed', 0), ev('tp-hit', 1), ev('tp-hit', 2), ev('close-incomplete', 3), ev('tp-hit', 4)];
    expect(trimEvents(events, 3).map((e) => e.type)).toEqual(['stop-failed-close-failed', 'close-incomplete', 'tp-hit']);
    expect(trimEvents([ev('stop-failed-closed', 0), ev('stop-failed-close-failed', 1)], 1)).toHaveLength(2);
  });

  it('delivers a critical event queued before a burst larger than the per-user cap', async () => {
    const got: TradingEvent[] = [];
    const q = createNotificationQueue({ send: async (_u, events) => void got.push(...events), clock: systemClock, coalesceMs: 1, perChatIntervalMs: 0, maxPerUser: 3 });
    q.notify(ev('stop-failed-close-failed', 0));
    for (let i = 1; i <= 10; i++) q.notify(ev('tp-hit', i));
    await new Promise((r) => setTimeout(r, 5));
    await q.drain();
    q.stop();
    expect(got.map((e) => e.type)).toEqual(['stop-failed-close-failed', 'tp-hit', 'tp-hit']);
  });
});

describe('admin alert for a close that did not complete', () => {
  it('raises an alert named after the event', () => {
    const sent: AlertEnvelope[] = [];
    const alerts = createAlerts({ sink: (e) => void sent.push(e) });
    alerts.onTradingEvent({ type: 'stop-failed-close-failed', severity: 'critical', reason: 'stop-failed', userId: 7, tradeId: 3, symbol: 'BTC/USDT', side: 'long', errorCode: 'exchange-unavailable', remaining: 0.01, attempts: 1 });
    alerts.onTradingEvent({ type: 'close-incomplete', severity: 'critical', reason: 'manual', userId: 7, tradeId: 4, symbol: 'ETH/USDT', side: 'long', errorCode: null, remaining: 0.1, stopLoss: 2_900, attempts: 1 });
    alerts.onTradingEvent({ type: 'tp-hit', userId: 7, tradeId: 3, symbol: 'BTC/USDT', side: 'long', index: 0, price: 1, quantity: 1, remaining: 1 });
    expect(sent.map((e) => e.alert)).toEqual([
      { type: 'reconcile-discrepancy', userId: 7, kind: 'stop-failed-close-failed', tradeId: 3, symbol: 'BTC/USDT' },
      { type: 'reconcile-discrepancy', userId: 7, kind: 'close-incomplete', tradeId: 4, symbol: 'ETH/USDT' },
    ]);
  });
});

describe('forwarded-post preview keeps the zone', () => {
  const BTC: Market = {
    symbol: 'BTC/USDT', exchangeSymbol: 'BTC/USDT:USDT', base: 'BTC', quote: 'USDT', settle: 'USDT', tickSize: 0.1, stepSize: 0.001, minQty: 0.001,
    maxQty: 100, minNotional: 150, maxLeverage: 50, contractSize: 1, takerFee: 0.00055, makerFee: 0.0002, active: true,
  };
  const zone: SignalParse = {
    kind: 'signal', symbol: 'BTC/USDT', side: 'long', entries: [49_900, 49_500], entryMarket: false, entryTrigger: null, takeProfits: [51_000, 52_000],
    takeProfitPercents: null, stopLoss: 49_000, leverage: 10, marginMode: null, warnings: [],
  };
  it('summarize(plan) alone shows both ends of a zone whose legs were merged', () => {
    const r = planTrade({ signal: zone, settings: { ...DEFAULT_SETTINGS, sizeValue: 20 }, market: BTC, price: 50_000, freeBalance: null, account: EMPTY_ACCOUNT_STATE, now: 0, signalAt: null });
    if (!r.ok) throw new Error(r.reason);
    expect(r.plan.entries).toHaveLength(1);
    expect(summarize(r.plan).signalEntries).toEqual([49_900, 49_500]);
    expect(summarize(r.plan, zone).signalEntries).toEqual([49_900, 49_500]);
  });
});
