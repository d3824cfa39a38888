import type { AccessLogEntry } from '../../../ports/AccessLog.js';
import type { SqliteDatabase } from '../openDatabase.js';

export const ACCESS_SCHEMA = `
CREATE TABLE IF NOT EXISTS access_log (
  id         INTEGER PRIMARY KEY,
  subject_id TEXT NOT NULL,
  actor      TEXT NOT NULL,
  purpose    TEXT NOT NULL,
  categories TEXT NOT NULL,
  at         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS access_log_subject ON access_log (subject_id, at);
`;

/** Writes batches of access-log entries in one transaction. */
export function createAccessLogInserter(db: SqliteDatabase): (batches: readonly (readonly AccessLogEntry[])[]) => void {
  const insert = db.prepare<[string, string, string, string, string]>(
    'INSERT INTO access_log (subject_id, actor, purpose, categories, at) VALUES (?, ?, ?, ?, ?)',
  );
  return db.transaction((batches: readonly (readonly AccessLogEntry[])[]) => {
    for (const entries of batches)
      for (const e of entries) insert.run(e.subjectId, e.actor, e.purpose, JSON.stringify(e.categories), e.at);
  });
}
