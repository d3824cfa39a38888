import type { ShredReason, StoredKey } from '../../../ports/KeyStore.js';
import { chunks, scrubWal, type SqliteDatabase } from '../openDatabase.js';
import { toBuffer, toKey, type KeyRow } from '../../sqlRows.js';

export const KEYS_SCHEMA = `
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

/** Loads stored keys by id, a bounded chunk of ids per statement. */
export function keyLoader(db: SqliteDatabase): (keyIds: readonly string[]) => StoredKey[] {
  const byIds = db.prepare<[string], KeyRow>('SELECT * FROM keys WHERE key_id IN (SELECT value FROM json_each(?))');
  return (keyIds) => {
    const out: StoredKey[] = [];
    for (const chunk of chunks([...new Set(keyIds)])) for (const row of byIds.all(JSON.stringify(chunk))) out.push(toKey(row));
    return out;
  };
}

/** A write to the key store: new keys, or a shred of keys (rows deleted, tombstones left). */
export type KeyWrite = { create: readonly StoredKey[] } | { shred: readonly string[]; reason: ShredReason; at: string };
/** The answer to each write: the keys stored under a create's ids, or the ids a shred destroyed. */
export type KeyWriteResult = { stored: StoredKey[] } | { destroyed: string[] };

/**
 * The key store's writes, in order, in one transaction: a create stores the keys that are not
 * stored yet and answers with what is stored under its ids (the winner of a race; nothing for a
 * shredded id: a tombstoned id is never created again, so a late writer cannot resurrect a
 * shredded key); a shred deletes the rows (`secure_delete` zeroes their bytes in the page) and
 * leaves tombstones. After a shred that destroyed something, the WAL is truncated, so the page
 * images that still held the key leave the `-wal` file as well.
 */
export function createKeyWriter(db: SqliteDatabase): (writes: readonly KeyWrite[]) => KeyWriteResult[] {
  const insert = db.prepare<{ keyId: string; subjectId: string; category: string; wrapped: Buffer; kekVersion: number; createdAt: string }>(
    `INSERT INTO keys (key_id, subject_id, category, wrapped, kek_version, created_at)
     SELECT @keyId, @subjectId, @category, @wrapped, @kekVersion, @createdAt
     WHERE NOT EXISTS (SELECT 1 FROM tombstones WHERE key_id = @keyId)
     ON CONFLICT (key_id) DO NOTHING`,
  );
  const deleteKeys = db.prepare<[string], KeyRow>('DELETE FROM keys WHERE key_id IN (SELECT value FROM json_each(?)) RETURNING *');
  const insertTombstone = db.prepare<[string, string, string, string, string]>(
    'INSERT INTO tombstones (key_id, subject_id, category, shredded_at, reason) VALUES (?, ?, ?, ?, ?) ON CONFLICT (key_id) DO NOTHING',
  );
  const load = keyLoader(db);
  const apply = (w: KeyWrite): KeyWriteResult => {
    if ('create' in w) {
      for (const k of w.create) insert.run({ keyId: k.keyId, subjectId: k.subjectId, category: k.category, wrapped: toBuffer(k.wrapped), kekVersion: k.kekVersion, createdAt: k.createdAt });
      return { stored: load(w.create.map((k) => k.keyId)) };
    }
    const destroyed: string[] = [];
    for (const chunk of chunks([...new Set(w.shred)])) {
      for (const row of deleteKeys.all(JSON.stringify(chunk))) {
        insertTombstone.run(row.key_id, row.subject_id, row.category, w.at, w.reason);
        destroyed.push(row.key_id);
      }
    }
    return { destroyed };
  };
  const tx = db.transaction((writes: readonly KeyWrite[]) => writes.map(apply));
  return (writes) => {
    // IMMEDIATE: the write lock first, so a write on another connection cannot slip in between.
    const results = tx.immediate(writes);
    if (results.some((r) => 'destroyed' in r && r.destroyed.length > 0)) scrubWal(db);
    return results;
  };
}
