import type { KeyStore, StoredKey } from '../../../ports/KeyStore.js';
import { type KeyRow, toBuffer, toBytes, toKey, type TombstoneRow, toTombstone } from '../../sqlRows.js';
import { connect, distinct, openMigrated, type PostgresHandle, type PostgresOptions } from '../connect.js';
import { KEY_MIGRATIONS, KEY_TABLES } from './schema.js';
import { startScrubber } from './scrub.js';
import { type KeySql, keyStatements } from './statements.js';

/** Options of the PostgreSQL key store. */
export interface PostgresKeyStoreOptions extends PostgresOptions {
  /**
   * How long a shred waits for the rewrite that takes the shredded keys' bytes out of the table's
   * files, in ms; past it the shred returns and the rewrite finishes in the background (a long
   * transaction elsewhere in the database holds it back). Default 10,000.
   */
  scrubWaitMs?: number;
}

/**
 * Whether the schema's key store holds the vault secret `name`; undefined when there is no key
 * store. Asked without running the migrations: a command that only reads (`vault
 * verify-certificate`) must not create the tables of a vault that is not there.
 */
export async function postgresKeyStoreHolds(
  options: PostgresKeyStoreOptions,
  name: string,
): Promise<boolean | undefined> {
  const db = connect(options);
  try {
    const metaTable = `${db.s}.${KEY_TABLES.meta}`;
    const [table] = await db.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [metaTable]);
    if (table?.t == null) return undefined;
    return (await db.query(`SELECT 1 FROM ${db.s}.${KEY_TABLES.meta} WHERE name = $1`, [name])).length > 0;
  } finally {
    await db.close();
  }
}

async function loadKeys(db: PostgresHandle, sql: KeySql, keyIds: string[]): Promise<Map<string, StoredKey>> {
  const out = new Map<string, StoredKey>();
  if (keyIds.length === 0) return out;
  for (const r of await db.query<KeyRow>(sql.keys, [distinct(keyIds)])) out.set(r.key_id, toKey(r));
  return out;
}

/**
 * Wrapped data keys in PostgreSQL. Every call is a constant number of statements whatever the
 * number of ids (`= ANY($1)`, `unnest`). A shred deletes the key rows and writes their tombstones
 * in one statement (so one transaction), then rewrites the partitions it touched so that the
 * rows' bytes leave the table's files (scrub.ts) before it returns. WAL, replicas and backups keep
 * them until they expire, wrapped under an epoch's KEK that ends with the epoch (docs/security.md).
 */
export async function getPostgresKeyStore(options: PostgresKeyStoreOptions): Promise<KeyStore> {
  const db = await openMigrated(options, 'keys', KEY_MIGRATIONS);
  const sql = keyStatements(db.s);
  const scrubber = startScrubber(db, sql, {
    ...(options.scrubWaitMs !== undefined ? { waitMs: options.scrubWaitMs } : {}),
    ...(options.warn ? { warn: options.warn } : {}),
  });
  // A shred that a crash or a stop cut off before its rewrite: finish it now.
  void scrubber.scrub().catch(() => {});
  return {
    async createIfAbsent(keys) {
      if (keys.length === 0) return new Map();
      await db.query(sql.createIfAbsent, [
        keys.map((k) => k.keyId),
        keys.map((k) => k.subjectId),
        keys.map((k) => k.category),
        keys.map((k) => toBuffer(k.wrapped)),
        keys.map((k) => k.kekVersion),
        keys.map((k) => k.createdAt),
      ]);
      // A second statement, so a fresh snapshot: it sees the winner of a race that committed meanwhile.
      return loadKeys(
        db,
        sql,
        keys.map((k) => k.keyId),
      );
    },
    getByIds: (keyIds) => loadKeys(db, sql, keyIds),
    async listKeyIds(subjectId) {
      return (await db.query<{ key_id: string }>(sql.subjectKeys, [subjectId])).map((r) => r.key_id);
    },
    async shred(keyIds, reason, at) {
      if (keyIds.length === 0) return [];
      const rows = await db.query<{ key_id: string }>(sql.shred, [distinct(keyIds), at, reason]);
      if (rows.length > 0) await scrubber.scrubBounded();
      return rows.map((r) => r.key_id);
    },
    async listTombstones(filter = {}) {
      const keyIds = filter.keyIds ? distinct(filter.keyIds) : null;
      return (await db.query<TombstoneRow>(sql.tombstones, [filter.subjectId ?? null, keyIds])).map(toTombstone);
    },
    async getMeta(name) {
      const [row] = await db.query<{ value: Buffer }>(sql.getMeta, [name]);
      return row ? toBytes(row.value) : undefined;
    },
    async putMetaIfAbsent(name, value) {
      await db.query(sql.putMetaIfAbsent, [name, toBuffer(value)]);
      const [row] = await db.query<{ value: Buffer }>(sql.getMeta, [name]);
      return toBytes(row!.value);
    },
    async replaceMeta(name, value) {
      await db.query(sql.replaceMeta, [name, toBuffer(value)]);
    },
    async deleteMeta(name) {
      await db.query(sql.deleteMeta, [name]);
    },
    async epochsInUse() {
      return (await db.query<{ e: number }>(sql.epochsInUse)).map((r) => Number(r.e));
    },
    async listWrappedOtherThan(version, opts = {}) {
      const params = [version, opts.afterKeyId ?? '', opts.limit ?? 1000];
      return (await db.query<KeyRow>(sql.wrappedOtherThan, params)).map(toKey);
    },
    async rewrap(keys) {
      if (keys.length === 0) return 0;
      const rows = await db.query<{ key_id: string }>(sql.rewrap, [
        keys.map((k) => k.keyId),
        keys.map((k) => toBuffer(k.wrapped)),
        keys.map((k) => k.kekVersion),
        keys.map((k) => k.fromVersion),
      ]);
      return rows.length;
    },
    async close() {
      await scrubber.close();
      await db.close();
    },
  };
}
