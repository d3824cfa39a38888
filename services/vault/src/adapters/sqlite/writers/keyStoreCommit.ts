import type { StoredKey } from '../../../ports/KeyStore.js';
import { chunks, type SqliteDatabase } from '../openDatabase.js';
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

/**
 * The write half of key creation: creates the keys of every batch that are not stored yet, in one
 * transaction, and answers each batch with what is stored under its ids (the winner of a race;
 * nothing for a shredded id). A tombstoned id is never created again: a late writer must not
 * resurrect a shredded key.
 */
export function createKeyCreator(db: SqliteDatabase): (batches: readonly (readonly StoredKey[])[]) => StoredKey[][] {
  const insert = db.prepare<{ keyId: string; subjectId: string; category: string; wrapped: Buffer; kekVersion: number; createdAt: string }>(
    `INSERT INTO keys (key_id, subject_id, category, wrapped, kek_version, created_at)
     SELECT @keyId, @subjectId, @category, @wrapped, @kekVersion, @createdAt
     WHERE NOT EXISTS (SELECT 1 FROM tombstones WHERE key_id = @keyId)
     ON CONFLICT (key_id) DO NOTHING`,
  );
  const load = keyLoader(db);
  const tx = db.transaction((batches: readonly (readonly StoredKey[])[]) => {
    for (const keys of batches) {
      for (const k of keys) insert.run({ keyId: k.keyId, subjectId: k.subjectId, category: k.category, wrapped: toBuffer(k.wrapped), kekVersion: k.kekVersion, createdAt: k.createdAt });
    }
    return batches.map((keys) => load(keys.map((k) => k.keyId)));
  });
  // IMMEDIATE: the write lock first, so a shred on another connection cannot slip in between.
  return (batches) => tx.immediate(batches);
}
