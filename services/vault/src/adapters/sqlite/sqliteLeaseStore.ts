import { VaultError } from '../../domain/errors.js';
import { checkLeaseArguments, LEASE_MEMORY_MS, type LeaseStore } from '../../ports/LeaseStore.js';
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

/** Ended leases are forgotten in a sweep every this many releases. */
const SWEEP_EVERY = 1000;

/**
 * Leases in one SQLite file that the processes on one machine share. Each call is one short `BEGIN IMMEDIATE`
 * transaction, so two processes taking the same key serialise on the file's write lock and only one gets it.
 */
export function getSqliteLeaseStore(options: SqliteLeaseStoreOptions): LeaseStore {
  const db = openDatabase({ synchronous: 'NORMAL', ...options }, { schema: SCHEMA });
  const now = options.now ?? Date.now;
  const read = db.prepare<[string], { holder: string; expires_at: number }>(
    'SELECT holder, expires_at FROM leases WHERE key = ?',
  );
  const put = db.prepare<[string, string, number]>(
    'INSERT INTO leases (key, holder, expires_at) VALUES (?, ?, ?) ' +
      'ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at',
  );
  const end = db.prepare<[number, string, string]>('UPDATE leases SET expires_at = ? WHERE key = ? AND holder = ?');
  const forget = db.prepare<[number]>('DELETE FROM leases WHERE expires_at < ?');
  const listHolders = db.prepare<[number, number, string], { holder: string }>(
    'SELECT DISTINCT holder FROM leases WHERE expires_at > ? AND substr(holder, 1, ?) = ?',
  );
  const endAll = db.prepare<[number, string, number]>(
    'UPDATE leases SET expires_at = ? WHERE holder = ? AND expires_at > ?',
  );
  const acquire = db.transaction((keys: readonly string[], holder: string, ttlMs: number) => {
    const at = now();
    const out: { key: string; first: boolean }[] = [];
    for (const key of keys) {
      const row = read.get(key);
      if (row && row.holder !== holder && row.expires_at > at) continue;
      put.run(key, holder, at + ttlMs);
      out.push({ key, first: !row });
    }
    return out;
  });
  let releases = 0;
  const release = db.transaction((keys: readonly string[], holder: string) => {
    const at = now();
    for (const k of keys) end.run(at, k, holder);
    releases += keys.length;
    if (releases >= SWEEP_EVERY) {
      releases = 0;
      forget.run(at - LEASE_MEMORY_MS);
    }
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
    holders: (prefix) =>
      run(() => {
        if (typeof prefix !== 'string' || prefix === '')
          throw new VaultError('BAD_USER_INPUT', 'Holders are looked up by a non-empty prefix');
        return listHolders.all(now(), prefix.length, prefix).map((r) => r.holder);
      }),
    releaseAll: (holder) =>
      run(() => {
        checkLeaseArguments([], holder);
        const at = now();
        return endAll.run(at, holder, at).changes;
      }),
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
