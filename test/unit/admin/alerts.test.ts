import { describe, expect, it } from 'vitest';
import { createAlerts, type AlertEnvelope } from '../../../services/alerts.js';
import { memoryDb } from '../../helpers/db.js';

function setup(options: { dedupeMs?: number; maxPerMinute?: number } = {}) {
  const clock = { t: 1_000_000, now: () => clock.t };
  const sent: AlertEnvelope[] = [];
  const alerts = createAlerts({ sink: (e) => sent.push(e), clock, ...options });
  return { clock, sent, alerts };
}

const call = (accountId: string, ok: boolean, errorCode?: string) => ({ exchange: 'bybit' as const, accountId, host: 'h', op: 'createOrder', ms: 5, ok, ...(errorCode ? { errorCode } : {}) });

describe('admin alerts', () => {
  it('alerts when a breaker opens (not on other transitions), deduped', () => {
    const { sent, alerts, clock } = setup();
    alerts.onBreakerChange({ scope: 'exchange', key: 'bybit', from: 'closed', to: 'open', at: 0, reason: 'exchange-unavailable' });
    alerts.onBreakerChange({ scope: 'exchange', key: 'bybit', from: 'open', to: 'half-open', at: 0, reason: null });
    alerts.onBreakerChange({ scope: 'exchange', key: 'bybit', from: 'half-open', to: 'open', at: 0, reason: 'exchange-unavailable' });
    expect(sent.map((s) => s.alert.type)).toEqual(['breaker-opened']);
    clock.t += 10 * 60_000;
    alerts.onBreakerChange({ scope: 'exchange', key: 'bybit', from: 'half-open', to: 'open', at: 0, reason: 'exchange-unavailable' });
    expect(sent).toHaveLength(2);
    expect(sent[1]?.suppressed).toBe(1);
  });

  it('alerts on the 6th consecutive error of one account, once per streak; a success resets it', () => {
    const { sent, alerts } = setup();
    for (let i = 0; i < 5; i++) alerts.observer(call('7', false, 'exchange-unavailable'));
    alerts.observer(call('8', false, 'exchange-unavailable'));
    expect(sent).toHaveLength(0);
    alerts.observer(call('7', false, 'auth-failed'));
    expect(sent.map((s) => s.alert)).toEqual([{ type: 'repeated-errors', accountId: '7', exchange: 'bybit', count: 6, lastCode: 'auth-failed' }]);
    for (let i = 0; i < 5; i++) alerts.observer(call('7', false, 'exchange-unavailable'));
    expect(sent).toHaveLength(1);
    alerts.observer(call('7', true));
    for (let i = 0; i < 5; i++) alerts.observer(call('7', false, 'exchange-unavailable'));
    expect(sent).toHaveLength(1);
  });

  it('ignores benign error codes for the streak', () => {
    const { sent, alerts } = setup();
    for (let i = 0; i < 10; i++) alerts.recordAccountResult('9', false, 'insufficient-funds');
    expect(sent).toHaveLength(0);
  });

  it('forwards reconciliation discrepancies and rate-limits a flood', () => {
    const { sent, alerts } = setup({ maxPerMinute: 3 });
    for (let i = 0; i < 5; i++) alerts.onTradingEvent({ type: 'reconcile-discrepancy', userId: 1, kind: 'position-missing', tradeId: i, symbol: 'BTC/USDT:USDT', details: {} });
    alerts.onTradingEvent({ type: 'error', userId: 1, code: 'x' });
    expect(sent.map((s) => s.alert.type)).toEqual(['reconcile-discrepancy', 'reconcile-discrepancy', 'reconcile-discrepancy']);
    alerts.onKillSwitch({ on: true, by: 1, at: 0, reason: null });
    expect(sent[3]).toMatchObject({ alert: { type: 'kill-switch', on: true }, suppressed: 2 });
  });

  it('reports a restart with the previous start time from the database', async () => {
    const db = await memoryDb();
    const clock = { t: 5_000, now: () => clock.t };
    const sent: AlertEnvelope[] = [];
    await createAlerts({ sink: (e) => sent.push(e), clock, db }).processStarted();
    clock.t = 9_000;
    await createAlerts({ sink: (e) => sent.push(e), clock, db }).processStarted();
    expect(sent.map((s) => s.alert)).toEqual([
      { type: 'process-restarted', startedAt: 5_000, previousStartAt: null },
      { type: 'process-restarted', startedAt: 9_000, previousStartAt: 5_000 },
    ]);
  });

  it('a throwing sink never breaks the caller', () => {
    const alerts = createAlerts({
      sink: () => {
        throw new Error('telegram down');
      },
    });
    expect(() => alerts.raise({ type: 'kill-switch', on: false, by: null })).not.toThrow();
  });
});
