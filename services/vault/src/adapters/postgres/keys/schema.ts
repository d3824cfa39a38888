/** Table names, for operators and the forensic test (`VACUUM (FULL) <schema>.keys`). */
export const KEY_TABLES = {
  keys: 'keys',
  tombstones: 'tombstones',
  meta: 'meta',
  scrubPending: 'scrub_pending',
} as const;

/**
 * How many hash partitions hold the wrapped keys. A shred rewrites each partition it touched
 * (`VACUUM (FULL)`), so a partition's size is the cost of that step: at 1,000,000 keys one
 * partition holds about 7,800 rows and rewrites in tens of milliseconds, where the whole table
 * took 4.8 s (measured on PostgreSQL 15).
 */
export const KEY_PARTITIONS = 128;

/** The partition of the keys table numbered `i`, unquoted. */
export const keyPartition = (i: number) => `keys_p${String(i).padStart(3, '0')}`;

/** The key store's migrations, in order, each given the quoted schema. */
export const KEY_MIGRATIONS: readonly ((s: string) => string)[] = [
  (s) => `
    CREATE TABLE ${s}.keys (
      key_id      text COLLATE "C" PRIMARY KEY,
      subject_id  text COLLATE "C" NOT NULL,
      category    text COLLATE "C" NOT NULL,
      wrapped     bytea   NOT NULL,
      kek_version integer NOT NULL,
      created_at  text    NOT NULL
    );
    CREATE INDEX keys_subject ON ${s}.keys (subject_id, category);
    CREATE TABLE ${s}.tombstones (
      key_id      text COLLATE "C" PRIMARY KEY,
      subject_id  text COLLATE "C" NOT NULL,
      category    text COLLATE "C" NOT NULL,
      shredded_at text NOT NULL,
      reason      text NOT NULL
    );
    CREATE INDEX tombstones_subject ON ${s}.tombstones (subject_id);
    CREATE TABLE ${s}.meta (
      name  text COLLATE "C" PRIMARY KEY,
      value bytea NOT NULL
    );
    -- Wrapped keys are small (about 72 bytes): keep them inline, never in a TOAST table that
    -- would need its own vacuuming before shredded bytes leave the disk.
    ALTER TABLE ${s}.keys ALTER COLUMN wrapped SET STORAGE PLAIN;
    -- Autovacuum early on this table: dead tuples of shredded keys are reclaimed within minutes.
    ALTER TABLE ${s}.keys SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1);
  `,
  // Partitioned by key id, so that the rewrite which takes a shredded key's bytes out of the
  // table's files (see postgresKeyStore.ts) costs one small partition, not the whole table; and
  // a list of the partitions that still hold a shredded key's bytes, written in the shred's own
  // transaction, so a crash between the shred and the rewrite is finished at the next start.
  (s) => `
    ALTER TABLE ${s}.keys RENAME TO keys_unpartitioned;
    ALTER INDEX ${s}.keys_pkey RENAME TO keys_unpartitioned_pkey;
    ALTER INDEX ${s}.keys_subject RENAME TO keys_unpartitioned_subject;
    CREATE TABLE ${s}.keys (
      key_id      text COLLATE "C" PRIMARY KEY,
      subject_id  text COLLATE "C" NOT NULL,
      category    text COLLATE "C" NOT NULL,
      wrapped     bytea   NOT NULL,
      kek_version integer NOT NULL,
      created_at  text    NOT NULL
    ) PARTITION BY HASH (key_id);
    ${Array.from(
      { length: KEY_PARTITIONS },
      (_, i) =>
        `CREATE TABLE ${s}.${keyPartition(i)} PARTITION OF ${s}.keys
          FOR VALUES WITH (MODULUS ${KEY_PARTITIONS}, REMAINDER ${i});
        ALTER TABLE ${s}.${keyPartition(i)} SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1);`,
    ).join('\n')}
    CREATE INDEX keys_subject ON ${s}.keys (subject_id, category);
    ALTER TABLE ${s}.keys ALTER COLUMN wrapped SET STORAGE PLAIN;
    INSERT INTO ${s}.keys SELECT * FROM ${s}.keys_unpartitioned;
    DROP TABLE ${s}.keys_unpartitioned;
    CREATE TABLE ${s}.scrub_pending (
      partition text COLLATE "C" PRIMARY KEY,
      xid       xid8 NOT NULL
    );
  `,
];
