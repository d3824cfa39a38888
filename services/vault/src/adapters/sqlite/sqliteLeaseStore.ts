import { checkLeaseArguments, type LeaseStore } from '../../ports/LeaseStore.js';
import { guarded, openDatabase, type SqliteOptions } from './openDatabase.js';

/**
 * Options of the embedded lease store (its own file, `leases.db`: claims that expire, nothing to back up).
 * `synchronous` defaults to `NORMAL` here: a lease lost to a power cut only lets another replica take over sooner,
 * and every process on the machine restarts after one anyway.
 */
export type SqliteLeaseStoreOptions = SqliteOptions & {
  /** The clock leases expire on, in ms. Default `Date.now` (replicas sharing a file share the machine's clock). */
  now?: () => number;
};

const SCHEMA = `CREATE TABLE IF NOT EXISTS leases (
  key        TEXT PRIMARY KEY,
  holder     TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;`;

/**
 * Leases in one SQLite file that the processes on one machine share. Each call is one short `BEGIN IMMEDIATE`
 * transaction, so two processes taking the same key serialise on the file's write lock and only one gets it.
 */
export function getSqliteLeaseStore(options: SqliteLeaseStoreOptions): LeaseStore {
  const db = openDatabase({ synchronous: 'NORMAL', ...options }, { schema: SCHEMA });
  const now = options.now ?? Date.now;
  const take = db.prepare<[string, string, number, number]>(
    `INSERT INTO leases (key, holder, expires_at) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
     WHERE leases.holder = excluded.holder OR leases.expires_at <= ?`,
  );
  const give = db.prepare<[string, string]>('DELETE FROM leases WHERE key = ? AND holder = ?');
  const acquire = db.transaction((keys: readonly string[], holder: string, ttlMs: number) => {
    const at = now();
    return keys.filter((k) => take.run(k, holder, at + ttlMs, at).changes > 0);
  });
  const release = db.transaction((keys: readonly string[], holder: string) => {
    for (const k of keys) give.run(k, holder);
  });
  let closed = false;
  const run = guarded(() => closed);
  return {
    acquire: (keys, holder, ttlMs) =>
      run(() => {
        checkLeaseArguments(keys, holder, ttlMs);
        return keys.length === 0 ? [] : acquire.immediate([...new Set(keys)], holder, ttlMs);
      }),
    release: (keys, holder) =>
      run(() => {
        checkLeaseArguments(keys, holder);
        if (keys.length > 0) release.immediate(keys, holder);
      }),
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
