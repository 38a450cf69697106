// npm run db:migrate — applies every pending migration to DATABASE_URL.
import { migrateToLatest, openDb } from '../../db/index.js';
import { loadConfig } from '../config.js';

try {
  const config = loadConfig();
  const db = openDb({ url: config.DATABASE_URL });
  const result = await migrateToLatest(db);
  const applied = result.results?.filter((r) => r.status === 'Success').map((r) => r.migrationName) ?? [];
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
  await db.destroy();
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
}
