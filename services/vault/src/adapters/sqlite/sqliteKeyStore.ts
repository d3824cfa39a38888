import type { KeyStore, ShredReason, StoredKey, Tombstone } from '../../ports/KeyStore.js';
import { chunks, openDatabase, scrubWal, type SqliteOptions, guarded } from './openDatabase.js';
import { toBuffer, toBytes, toKey, toTombstone, type KeyRow, type TombstoneRow } from '../sqlRows.js';

/** Options of the embedded key store. */
export type SqliteKeyStoreOptions = SqliteOptions;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS keys (
  key_id      TEXT    PRIMARY KEY,
  subject_id  TEXT    NOT NULL,
  category    TEXT    NOT NULL,
  wrapped     BLOB    NOT NULL,
  kek_version INTEGER NOT NULL,
  created_at  TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS keys_subject ON keys (subject_id, category);
CREATE TABLE IF NOT EXISTS tombstones (
  key_id      TEXT PRIMARY KEY,
  subject_id  TEXT NOT NULL,
  category    TEXT NOT NULL,
  shredded_at TEXT NOT NULL,
  reason      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tombstones_subject ON tombstones (subject_id);
CREATE TABLE IF NOT EXISTS meta (
  name  TEXT PRIMARY KEY,
  value BLOB NOT NULL
);
`;


/**
 * The embedded key store: wrapped data keys in one SQLite file with `secure_delete` on. A shred
 * deletes the rows (their bytes zeroed in the page), leaves tombstones, then truncates the WAL so
 * the old page images that still held the key leave the `-wal` file as well.
 */
export function getSqliteKeyStore(options: SqliteKeyStoreOptions): KeyStore {
  const db = openDatabase(options, { secureDelete: true });
  db.exec(SCHEMA);
  let closed = false;

  const stmt = {
    // A tombstoned id is never created again: a late writer must not resurrect a shredded key.
    insertKey: db.prepare<{ keyId: string; subjectId: string; category: string; wrapped: Buffer; kekVersion: number; createdAt: string }>(
      `INSERT INTO keys (key_id, subject_id, category, wrapped, kek_version, created_at)
       SELECT @keyId, @subjectId, @category, @wrapped, @kekVersion, @createdAt
       WHERE NOT EXISTS (SELECT 1 FROM tombstones WHERE key_id = @keyId)
       ON CONFLICT (key_id) DO NOTHING`,
    ),
    keysByIds: db.prepare<[string], KeyRow>('SELECT * FROM keys WHERE key_id IN (SELECT value FROM json_each(?))'),
    deleteKeys: db.prepare<[string], KeyRow>('DELETE FROM keys WHERE key_id IN (SELECT value FROM json_each(?)) RETURNING *'),
    insertTombstone: db.prepare<[string, string, string, string, string]>(
      'INSERT INTO tombstones (key_id, subject_id, category, shredded_at, reason) VALUES (?, ?, ?, ?, ?) ON CONFLICT (key_id) DO NOTHING',
    ),
    tombstones: db.prepare<{ subjectId: string | null; keyIds: string | null }, TombstoneRow>(
      `SELECT * FROM tombstones
       WHERE (@subjectId IS NULL OR subject_id = @subjectId)
         AND (@keyIds IS NULL OR key_id IN (SELECT value FROM json_each(@keyIds)))
       ORDER BY shredded_at, key_id`,
    ),
    getMeta: db.prepare<[string], { value: Buffer }>('SELECT value FROM meta WHERE name = ?'),
    replaceMeta: db.prepare<[Buffer, string]>('UPDATE meta SET value = ? WHERE name = ?'),
    wrappedOtherThan: db.prepare<[number, string, number], KeyRow>('SELECT * FROM keys WHERE kek_version <> ? AND key_id > ? ORDER BY key_id LIMIT ?'),
    rewrap: db.prepare<[Buffer, number, string, number]>('UPDATE keys SET wrapped = ?, kek_version = ? WHERE key_id = ? AND kek_version = ?'),
    putMeta: db.prepare<[string, Buffer]>('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING'),
  };

  const loadKeys = (keyIds: string[]): Map<string, StoredKey> => {
    const out = new Map<string, StoredKey>();
    for (const chunk of chunks([...new Set(keyIds)])) {
      for (const row of stmt.keysByIds.all(JSON.stringify(chunk))) out.set(row.key_id, toKey(row));
    }
    return out;
  };

  const createTx = db.transaction((keys: StoredKey[]) => {
    for (const k of keys) {
      stmt.insertKey.run({ keyId: k.keyId, subjectId: k.subjectId, category: k.category, wrapped: toBuffer(k.wrapped), kekVersion: k.kekVersion, createdAt: k.createdAt });
    }
    return loadKeys(keys.map((k) => k.keyId));
  });

  const shredTx = db.transaction((keyIds: string[], reason: ShredReason, at: string) => {
    const destroyed: string[] = [];
    for (const chunk of chunks([...new Set(keyIds)])) {
      for (const row of stmt.deleteKeys.all(JSON.stringify(chunk))) {
        stmt.insertTombstone.run(row.key_id, row.subject_id, row.category, at, reason);
        destroyed.push(row.key_id);
      }
    }
    return destroyed;
  });

  const putMetaTx = db.transaction((name: string, value: Uint8Array) => {
    stmt.putMeta.run(name, toBuffer(value));
    return toBytes(stmt.getMeta.get(name)!.value);
  });

  const run = guarded(() => closed);

  const rewrapTx = db.transaction((keys: Parameters<KeyStore['rewrap']>[0]) =>
    keys.reduce((n, k) => n + stmt.rewrap.run(toBuffer(k.wrapped), k.kekVersion, k.keyId, k.fromVersion).changes, 0),
  );

  return {
    createIfAbsent: (keys) => run(() => (keys.length === 0 ? new Map() : createTx.immediate(keys))),

    getByIds: (keyIds) => run(() => loadKeys(keyIds)),

    shred: (keyIds, reason, at) =>
      run(() => {
        // Shreds are repeated on purpose (the projector finishes what a crash interrupted): a
        // repeat finds nothing and must not take the write lock for it.
        if (loadKeys(keyIds).size === 0) return [];
        const destroyed = shredTx.immediate(keyIds, reason, at);
        // Only when something was deleted: the checkpoint is what clears the key's old page images from the WAL.
        if (destroyed.length > 0) scrubWal(db);
        return destroyed;
      }),

    listTombstones: (filter = {}) =>
      run(() => {
        const subjectId = filter.subjectId ?? null;
        if (!filter.keyIds) return stmt.tombstones.all({ subjectId, keyIds: null }).map(toTombstone);
        const out: Tombstone[] = [];
        for (const chunk of chunks([...new Set(filter.keyIds)])) {
          out.push(...stmt.tombstones.all({ subjectId, keyIds: JSON.stringify(chunk) }).map(toTombstone));
        }
        return out;
      }),

    getMeta: (name) =>
      run(() => {
        const row = stmt.getMeta.get(name);
        return row ? toBytes(row.value) : undefined;
      }),

    putMetaIfAbsent: (name, value) => run(() => putMetaTx.immediate(name, value)),

    replaceMeta: (name, value) =>
      run(() => {
        stmt.replaceMeta.run(toBuffer(value), name);
        scrubWal(db);
      }),

    listWrappedOtherThan: (version, opts = {}) =>
      run(() => stmt.wrappedOtherThan.all(version, opts.afterKeyId ?? '', opts.limit ?? 1000).map(toKey)),

    rewrap: (keys) =>
      run(() => {
        const changed = rewrapTx.immediate(keys);
        // The old wrapping is overwritten in place (secure_delete); the WAL still holds it until checkpointed.
        if (changed > 0) scrubWal(db);
        return changed;
      }),

    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
