/** Table names, for operators and the forensic test (`VACUUM (FULL) <schema>.keys`). */
export const KEY_TABLES = { keys: 'keys', tombstones: 'tombstones', meta: 'meta' } as const;

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
];
