import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';

// Migrations never import app code and are never edited once landed.
// A per-installation salt for client order ids (services/ids.ts), generated once here and
// kept in system_state: ids derived from auto-increment row ids (s<signal>, t<trade>,
// grid<bot>) no longer collide with an earlier database's orders on the same exchange
// account (a reset database, a second installation). Trades and grid bots that already
// exist when this runs keep their unsalted ids (their live orders are looked up by them):
// the salt applies to trade ids above `order_id_salt_from_trade` and grid bot ids above
// `order_id_salt_from_grid`.
export const ORDER_ID_SALT_KEYS = ['order_id_salt', 'order_id_salt_from_trade', 'order_id_salt_from_grid'] as const;

async function maxId(db: Kysely<any>, table: string): Promise<number> {
  const r = await sql<{ m: number | null }>`select max(id) as m from ${sql.table(table)}`.execute(db);
  return Number(r.rows[0]?.m ?? 0) || 0;
}

export async function up(db: Kysely<any>): Promise<void> {
  const now = Date.now();
  const values = [
    { key: 'order_id_salt', value: randomBytes(16).toString('hex'), updated_at: now },
    { key: 'order_id_salt_from_trade', value: String(await maxId(db, 'trades')), updated_at: now },
    { key: 'order_id_salt_from_grid', value: String(await maxId(db, 'grid_bots')), updated_at: now },
  ];
  await db
    .insertInto('system_state')
    .values(values)
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.deleteFrom('system_state').where('key', 'in', [...ORDER_ID_SALT_KEYS]).execute();
}
