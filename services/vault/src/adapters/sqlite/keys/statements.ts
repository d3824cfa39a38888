import type { TombstoneRow } from '../../sqlRows.js';
import type { SqliteDatabase } from '../openDatabase.js';
import { prepare } from '../statement.js';

/** A row of `keys` as `keysFromRows` reads it (the key itself lies in its slot). */
export interface KeySqlRow {
  key_id: string;
  subject_id: string;
  category: string;
  slot: number;
  created_at: string;
}

/** The statements of the store's own thread, prepared once (creates and shreds run on the writer thread). */
export const prepareKeyStatements = (db: SqliteDatabase) => ({
  tombstones: prepare<{ subjectId: string | null; keyIds: string | null }, TombstoneRow>(
    db,
    `SELECT * FROM tombstones
     WHERE (@subjectId IS NULL OR subject_id = @subjectId)
       AND (@keyIds IS NULL OR key_id IN (SELECT value FROM json_each(@keyIds)))
     ORDER BY shredded_at, key_id`,
  ),
  secretSlot: prepare<[string], { slot: number }>(db, 'SELECT slot FROM secrets WHERE name = ?'),
  addSecret: prepare<[string, number]>(db, 'INSERT INTO secrets (name, slot) VALUES (?, ?)'),
  dropSecret: prepare<[string]>(db, 'DELETE FROM secrets WHERE name = ?'),
  otherThan: prepare<[number, string, number], KeySqlRow>(
    db,
    'SELECT * FROM keys WHERE kek_version <> ? AND key_id > ? ORDER BY key_id LIMIT ?',
  ),
  epochs: prepare<[], { e: number }>(db, 'SELECT DISTINCT kek_version AS e FROM keys ORDER BY e'),
  anyKey: prepare<[string]>(db, 'SELECT 1 FROM keys WHERE key_id IN (SELECT value FROM json_each(?)) LIMIT 1'),
  subjectKeys: prepare<[string], { key_id: string }>(
    db,
    'SELECT key_id FROM keys WHERE subject_id = ? ORDER BY key_id',
  ),
});

export type KeyStatements = ReturnType<typeof prepareKeyStatements>;
