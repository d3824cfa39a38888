/** The key store's SQL, written once per store for its schema `s` (already quoted). */
export const keyStatements = (s: string) => ({
  keys: `SELECT * FROM ${s}.keys WHERE key_id = ANY($1::text[])`,
  subjectKeys: `SELECT key_id FROM ${s}.keys WHERE subject_id = $1 ORDER BY key_id`,
  // A tombstoned id is never created again: a late writer must not resurrect a shredded key.
  createIfAbsent: `INSERT INTO ${s}.keys (key_id, subject_id, category, wrapped, kek_version, created_at)
    SELECT i.* FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::int[], $6::text[])
      AS i(key_id, subject_id, category, wrapped, kek_version, created_at)
    WHERE NOT EXISTS (SELECT 1 FROM ${s}.tombstones t WHERE t.key_id = i.key_id)
    ON CONFLICT (key_id) DO NOTHING`,
  // The partitions the deleted rows lived in are marked for the rewrite that takes their bytes out
  // of the files (scrub.ts), with this transaction's id: the rewrite waits until no snapshot is older.
  shred: `WITH d AS (DELETE FROM ${s}.keys WHERE key_id = ANY($1::text[])
                    RETURNING key_id, subject_id, category, tableoid),
         t AS (INSERT INTO ${s}.tombstones (key_id, subject_id, category, shredded_at, reason)
               SELECT key_id, subject_id, category, $2, $3 FROM d ON CONFLICT (key_id) DO NOTHING),
         p AS (INSERT INTO ${s}.scrub_pending (partition, xid)
               SELECT DISTINCT c.relname, pg_current_xact_id() FROM d JOIN pg_class c ON c.oid = d.tableoid
               ON CONFLICT (partition) DO UPDATE SET xid = EXCLUDED.xid)
    SELECT key_id FROM d`,
  // Each marked partition, and whether every other session's snapshot (and replication slot) is
  // younger than the shred that marked it: only then is a deleted row dead to all, so that
  // VACUUM (FULL) leaves it behind instead of copying it as "recently dead". Autovacuum's own
  // snapshots hold nothing back (PostgreSQL leaves lazy vacuums out of that horizon).
  scrubPending: `SELECT p.partition, p.xid::text AS xid,
      NOT EXISTS (SELECT 1 FROM pg_stat_activity a
                  WHERE a.pid <> pg_backend_pid() AND a.backend_xmin IS NOT NULL
                    AND a.backend_type <> 'autovacuum worker'
                    AND age(a.backend_xmin) >= age(xid(p.xid)))
      AND NOT EXISTS (SELECT 1 FROM pg_replication_slots r
                      WHERE r.xmin IS NOT NULL AND age(r.xmin) >= age(xid(p.xid))) AS ready
    FROM ${s}.scrub_pending p ORDER BY p.partition`,
  scrubDone: `DELETE FROM ${s}.scrub_pending WHERE partition = $1 AND xid = $2::xid8`,
  tombstones: `SELECT * FROM ${s}.tombstones
    WHERE ($1::text IS NULL OR subject_id = $1) AND ($2::text[] IS NULL OR key_id = ANY($2::text[]))
    ORDER BY shredded_at, key_id`,
  getMeta: `SELECT value FROM ${s}.meta WHERE name = $1`,
  putMetaIfAbsent: `INSERT INTO ${s}.meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
  replaceMeta: `UPDATE ${s}.meta SET value = $2 WHERE name = $1`,
  deleteMeta: `DELETE FROM ${s}.meta WHERE name = $1`,
  epochsInUse: `SELECT DISTINCT kek_version AS e FROM ${s}.keys ORDER BY e`,
  wrappedOtherThan: `SELECT * FROM ${s}.keys WHERE kek_version <> $1 AND key_id > $2 ORDER BY key_id LIMIT $3`,
  rewrap: `UPDATE ${s}.keys k SET wrapped = i.wrapped, kek_version = i.kek_version
    FROM unnest($1::text[], $2::bytea[], $3::int[], $4::int[]) AS i(key_id, wrapped, kek_version, from_version)
    WHERE k.key_id = i.key_id AND k.kek_version = i.from_version
    RETURNING k.key_id`,
});

export type KeySql = ReturnType<typeof keyStatements>;
