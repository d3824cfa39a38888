import { VaultError } from '../../domain/errors.js';
import { checkLeaseArguments, LEASE_MEMORY_MS, type LeaseStore } from '../../ports/LeaseStore.js';
import { openMigrated, type PostgresOptions } from './connect.js';

/** Options of the PostgreSQL lease store: a table in the schema the replicas share. */
export type PostgresLeaseStoreOptions = PostgresOptions;

/** Ended leases are forgotten in a sweep every this many releases. */
const SWEEP_EVERY = 1000;

const MIGRATIONS: readonly ((s: string) => string)[] = [
  (s) => `
    CREATE TABLE ${s}.leases (
      key        text COLLATE "C" PRIMARY KEY,
      holder     text NOT NULL,
      expires_at timestamptz NOT NULL
    );
  `,
];

/**
 * Leases in PostgreSQL, expiring on the server's clock (`clock_timestamp()`), so replicas on machines whose
 * clocks differ agree on when one ends. One statement per call: an upsert that takes a key only where it is
 * free, expired or the caller's own, so two replicas racing for a key leave it with exactly one of them. Keys are
 * taken in their sorted order, so two batches that overlap never wait on each other in a cycle.
 */
export async function getPostgresLeaseStore(options: PostgresLeaseStoreOptions): Promise<LeaseStore> {
  const db = await openMigrated(options, 'leases', MIGRATIONS);
  const { s } = db;
  let releases = 0;
  return {
    async acquire(keys, holder, ttlMs) {
      checkLeaseArguments(keys, holder, ttlMs);
      if (keys.length === 0) return [];
      // xmax is 0 on a row this statement inserted, not on one it updated: a key no holder had before.
      const rows = await db.query<{ key: string; first: boolean }>(
        `INSERT INTO ${s}.leases AS l (key, holder, expires_at)
         SELECT DISTINCT k, $2, clock_timestamp() + $3 * interval '1 millisecond'
         FROM unnest($1::text[]) AS k ORDER BY 1
         ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE l.holder = excluded.holder OR l.expires_at <= clock_timestamp()
         RETURNING key, (xmax = 0) AS first`,
        [keys, holder, ttlMs],
      );
      return rows.map((r) => ({ key: r.key, first: r.first }));
    },
    async release(keys, holder) {
      checkLeaseArguments(keys, holder);
      if (keys.length === 0) return;
      await db.query(
        `UPDATE ${s}.leases SET expires_at = clock_timestamp() WHERE key = ANY($1::text[]) AND holder = $2`,
        [keys, holder],
      );
      releases += keys.length;
      if (releases < SWEEP_EVERY) return;
      releases = 0;
      await db.query(`DELETE FROM ${s}.leases WHERE expires_at < clock_timestamp() - $1 * interval '1 millisecond'`, [
        LEASE_MEMORY_MS,
      ]);
    },
    async holders(prefix) {
      if (typeof prefix !== 'string' || prefix === '')
        throw new VaultError('BAD_USER_INPUT', 'Holders are looked up by a non-empty prefix');
      const rows = await db.query<{ holder: string }>(
        `SELECT DISTINCT holder FROM ${s}.leases WHERE expires_at > clock_timestamp() AND left(holder, $2) = $1`,
        [prefix, prefix.length],
      );
      return rows.map((r) => r.holder);
    },
    async releaseAll(holder) {
      checkLeaseArguments([], holder);
      const rows = await db.query<{ key: string }>(
        `UPDATE ${s}.leases SET expires_at = clock_timestamp()
         WHERE holder = $1 AND expires_at > clock_timestamp() RETURNING key`,
        [holder],
      );
      return rows.length;
    },
    close: () => db.close(),
  };
}
