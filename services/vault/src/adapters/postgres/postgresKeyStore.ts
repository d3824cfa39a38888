import type { KeyStore, StoredKey } from '../../ports/KeyStore.js';
import { connect, distinct, openMigrated, type PostgresOptions } from './connect.js';
import { toBuffer, toBytes, toKey, toTombstone, type KeyRow, type TombstoneRow } from '../sqlRows.js';

/** Options of the PostgreSQL key store. */
export type PostgresKeyStoreOptions = PostgresOptions;

/** Table names, for operators and the forensic test (`VACUUM (FULL) <schema>.keys`). */
export const KEY_TABLES = { keys: 'keys', tombstones: 'tombstones', meta: 'meta' } as const;

const MIGRATIONS: readonly ((s: string) => string)[] = [
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


/**
 * Whether the schema's key store holds the vault secret `name`; undefined when there is no key
 * store. Asked without running the migrations: a command that only reads (`vault
 * verify-certificate`) must not create the tables of a vault that is not there.
 */
export async function postgresKeyStoreHolds(options: PostgresKeyStoreOptions, name: string): Promise<boolean | undefined> {
  const db = connect(options);
  try {
    const [table] = await db.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [`${db.s}.${KEY_TABLES.meta}`]);
    if (table?.t == null) return undefined;
    return (await db.query(`SELECT 1 FROM ${db.s}.${KEY_TABLES.meta} WHERE name = $1`, [name])).length > 0;
  } finally {
    await db.close();
  }
}

/**
 * Wrapped data keys in PostgreSQL. Every call is a constant number of statements whatever the
 * number of ids (`= ANY($1)`, `unnest`). A shred deletes the key rows and writes their tombstones
 * in one statement (so one transaction). PostgreSQL keeps a deleted row's bytes in the table file
 * as a dead tuple until VACUUM reclaims the space, and in WAL and base backups until they expire:
 * see infra/README.md for the VACUUM schedule and backup retention that bound how long.
 */
export async function getPostgresKeyStore(options: PostgresKeyStoreOptions): Promise<KeyStore> {
  const db = await openMigrated(options, 'keys', MIGRATIONS);
  const { s } = db;

  const loadKeys = async (keyIds: string[]): Promise<Map<string, StoredKey>> => {
    const out = new Map<string, StoredKey>();
    if (keyIds.length === 0) return out;
    for (const r of await db.query<KeyRow>(`SELECT * FROM ${s}.keys WHERE key_id = ANY($1::text[])`, [distinct(keyIds)])) out.set(r.key_id, toKey(r));
    return out;
  };

  return {
    async createIfAbsent(keys) {
      if (keys.length === 0) return new Map();
      // A tombstoned id is never created again: a late writer must not resurrect a shredded key.
      await db.query(
        `INSERT INTO ${s}.keys (key_id, subject_id, category, wrapped, kek_version, created_at)
         SELECT i.* FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::int[], $6::text[])
           AS i(key_id, subject_id, category, wrapped, kek_version, created_at)
         WHERE NOT EXISTS (SELECT 1 FROM ${s}.tombstones t WHERE t.key_id = i.key_id)
         ON CONFLICT (key_id) DO NOTHING`,
        [
          keys.map((k) => k.keyId),
          keys.map((k) => k.subjectId),
          keys.map((k) => k.category),
          keys.map((k) => toBuffer(k.wrapped)),
          keys.map((k) => k.kekVersion),
          keys.map((k) => k.createdAt),
        ],
      );
      // A second statement, so a fresh snapshot: it sees the winner of a race that committed meanwhile.
      return loadKeys(keys.map((k) => k.keyId));
    },

    getByIds: loadKeys,

    async shred(keyIds, reason, at) {
      if (keyIds.length === 0) return [];
      const rows = await db.query<{ key_id: string }>(
        `WITH d AS (DELETE FROM ${s}.keys WHERE key_id = ANY($1::text[]) RETURNING key_id, subject_id, category),
              t AS (INSERT INTO ${s}.tombstones (key_id, subject_id, category, shredded_at, reason)
                    SELECT key_id, subject_id, category, $2, $3 FROM d ON CONFLICT (key_id) DO NOTHING)
         SELECT key_id FROM d`,
        [distinct(keyIds), at, reason],
      );
      return rows.map((r) => r.key_id);
    },

    async listTombstones(filter = {}) {
      const rows = await db.query<TombstoneRow>(
        `SELECT * FROM ${s}.tombstones
         WHERE ($1::text IS NULL OR subject_id = $1) AND ($2::text[] IS NULL OR key_id = ANY($2::text[]))
         ORDER BY shredded_at, key_id`,
        [filter.subjectId ?? null, filter.keyIds ? distinct(filter.keyIds) : null],
      );
      return rows.map(toTombstone);
    },

    async getMeta(name) {
      const [row] = await db.query<{ value: Buffer }>(`SELECT value FROM ${s}.meta WHERE name = $1`, [name]);
      return row ? toBytes(row.value) : undefined;
    },

    async putMetaIfAbsent(name, value) {
      await db.query(`INSERT INTO ${s}.meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [name, toBuffer(value)]);
      const [row] = await db.query<{ value: Buffer }>(`SELECT value FROM ${s}.meta WHERE name = $1`, [name]);
      return toBytes(row!.value);
    },

    async replaceMeta(name, value) {
      await db.query(`UPDATE ${s}.meta SET value = $2 WHERE name = $1`, [name, toBuffer(value)]);
    },

    async deleteMeta(name) {
      await db.query(`DELETE FROM ${s}.meta WHERE name = $1`, [name]);
    },

    async epochsInUse() {
      const rows = await db.query<{ e: number }>(`SELECT DISTINCT kek_version AS e FROM ${s}.keys ORDER BY e`);
      return rows.map((r) => Number(r.e));
    },

    async listWrappedOtherThan(version, opts = {}) {
      const rows = await db.query<KeyRow>(`SELECT * FROM ${s}.keys WHERE kek_version <> $1 AND key_id > $2 ORDER BY key_id LIMIT $3`, [
        version,
        opts.afterKeyId ?? '',
        opts.limit ?? 1000,
      ]);
      return rows.map(toKey);
    },

    async rewrap(keys) {
      if (keys.length === 0) return 0;
      const rows = await db.query<{ key_id: string }>(
        `UPDATE ${s}.keys k SET wrapped = i.wrapped, kek_version = i.kek_version
         FROM unnest($1::text[], $2::bytea[], $3::int[], $4::int[]) AS i(key_id, wrapped, kek_version, from_version)
         WHERE k.key_id = i.key_id AND k.kek_version = i.from_version
         RETURNING k.key_id`,
        [keys.map((k) => k.keyId), keys.map((k) => toBuffer(k.wrapped)), keys.map((k) => k.kekVersion), keys.map((k) => k.fromVersion)],
      );
      return rows.length;
    },

    close: () => db.close(),
  };
}
