import type { Migration } from 'kysely';
import * as m0001 from './0001-init.js';
import * as m0002 from './0002-trading.js';
import * as m0003 from './0003-grid.js';
import * as m0004 from './0004-access.js';
import * as m0005 from './0005-fanout-progress.js';
import * as m0006 from './0006-order-id-salt.js';

/** Every migration, listed explicitly, named to sort. Never edit a landed one; add the next. */
export const MIGRATIONS: Record<string, Migration> = {
  '0001-init': m0001,
  '0002-trading': m0002,
  '0003-grid': m0003,
  '0004-access': m0004,
  '0005-fanout-progress': m0005,
  '0006-order-id-salt': m0006,
};
