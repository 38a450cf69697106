import type { Migration } from 'kysely';
import * as m0001 from './0001-init.js';

/** Every migration, listed explicitly, named to sort. Never edit a landed one; add the next. */
export const MIGRATIONS: Record<string, Migration> = {
  '0001-init': m0001,
};
