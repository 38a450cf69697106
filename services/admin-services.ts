/**
 * One call that builds every access/admin service for the composition root
 * (services/app.ts): access policy, licenses (+ reminder job), the entry gate
 * with the kill switch, admin reads, broadcasts, admin alerts, the error
 * ring and source-owner controls.
 */
import type { Db } from '../db/index.js';
import type { ExchangeHealth } from '../exchanges/index.js';
import { createAccessService, type AccessMode, type AccessService } from './access.js';
import { createAdminService, createErrorRing, type AdminService, type ErrorRing } from './admin.js';
import { createAlerts, type Alerts, type AlertSink } from './alerts.js';
import { createBroadcaster, type BroadcastSend, type Broadcaster } from './broadcast.js';
import { createEntryGate, type EntryGate } from './entry-gate.js';
import { createLicensesService, type LicenseEvent, type LicensesService } from './licenses.js';
import type { Logger } from './logger.js';
import { createSourceOwnerService, type SourceOwnerService } from './source-owner.js';

export interface AdminServices {
  access: AccessService;
  licenses: LicensesService;
  gate: EntryGate;
  admin: AdminService;
  broadcaster: Broadcaster;
  alerts: Alerts;
  errors: ErrorRing;
  sourceOwner: SourceOwnerService;
  /** bot/ sets where license notices and admin alerts go (like the notification sink). */
  setLicenseSink(sink: (event: LicenseEvent) => void): void;
  setAlertSink(sink: AlertSink): void;
}

export interface AdminServicesDeps {
  db: Db;
  mode: AccessMode;
  adminIds: readonly number[];
  licenseRequired?: boolean;
  clock?: { now(): number };
  log?: Logger;
  exchangeHealth?: () => ExchangeHealth;
  broadcastSend?: BroadcastSend;
  broadcastPerSecond?: number;
  startedAt?: number;
}

export function createAdminServices(deps: AdminServicesDeps): AdminServices {
  const { db } = deps;
  const clock = deps.clock ?? { now: () => Date.now() };
  let licenseSink: ((event: LicenseEvent) => void) | null = null;
  let alertSink: AlertSink | null = null;
  const access = createAccessService({ db, mode: deps.mode, adminIds: deps.adminIds, clock });
  const licenses = createLicensesService({
    db,
    access,
    clock,
    licenseRequired: deps.licenseRequired ?? false,
    notifier: {
      notify: (e) => {
        if (licenseSink) licenseSink(e);
        else deps.log?.warn({ type: e.type, userId: e.userId }, 'no license sink: notice dropped');
      },
    },
    ...(deps.log ? { log: deps.log } : {}),
  });
  const alerts = createAlerts({ db, clock, sink: (e) => alertSink?.(e) });
  const gate = createEntryGate({ db, access, clock, licenseRequired: deps.licenseRequired ?? false, onKillSwitch: (s) => alerts.onKillSwitch(s) });
  const errors = createErrorRing({ clock });
  const admin = createAdminService({
    db,
    access,
    licenses,
    gate,
    errors,
    clock,
    ...(deps.exchangeHealth ? { exchangeHealth: deps.exchangeHealth } : {}),
    ...(deps.startedAt !== undefined ? { startedAt: deps.startedAt } : {}),
  });
  const broadcaster = createBroadcaster({
    db,
    access,
    ...(deps.broadcastSend ? { send: deps.broadcastSend } : {}),
    ...(deps.broadcastPerSecond ? { perSecond: deps.broadcastPerSecond } : {}),
    ...(deps.log ? { log: deps.log } : {}),
  });
  const sourceOwner = createSourceOwnerService({ db, access, clock });
  return {
    access,
    licenses,
    gate,
    admin,
    broadcaster,
    alerts,
    errors,
    sourceOwner,
    setLicenseSink: (s) => void (licenseSink = s),
    setAlertSink: (s) => void (alertSink = s),
  };
}
