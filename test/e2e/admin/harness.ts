/**
 * The e2e harness for access and admin: the real product (createApp +
 * startBot, the same wiring as `npm start`) against the local Bot API
 * emulator, with one configured admin. The access gate, the admin feature,
 * the entry gate in the trading service, license notices and admin alerts
 * are all the product's own — nothing is wrapped or stood in for here.
 */
import { startHarness, type Harness } from '../harness.js';

export const ADMIN_ID = 9001;

export type AdminHarness = Harness;

export async function startAdminHarness(options: { access?: 'open' | 'invite'; broadcastPerSecond?: number; licenseRequired?: boolean } = {}): Promise<AdminHarness> {
  return startHarness({
    access: options.access ?? 'invite',
    adminIds: [ADMIN_ID],
    logLevel: 'warn',
    ...(options.broadcastPerSecond ? { broadcastPerSecond: options.broadcastPerSecond } : {}),
    ...(options.licenseRequired ? { licenseRequired: true } : {}),
  });
}
