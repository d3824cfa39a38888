import type { AccessLog, AccessLogEntry } from '../../ports/AccessLog.js';
import { openDatabase, type SqliteOptions, guarded } from './openDatabase.js';

/** Options of the embedded access log (its own file, `access.db`, so its retention is its own). */
export type SqliteAccessLogOptions = SqliteOptions;

const SCHEMA = `
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

interface Row {
  subject_id: string;
  actor: string;
  purpose: string;
  categories: string;
  at: string;
}

export function getSqliteAccessLog(options: SqliteAccessLogOptions): AccessLog {
  const db = openDatabase(options);
  db.exec(SCHEMA);
  const insert = db.prepare<[string, string, string, string, string]>('INSERT INTO access_log (subject_id, actor, purpose, categories, at) VALUES (?, ?, ?, ?, ?)');
  const list = db.prepare<[string, string, number], Row>(
    'SELECT subject_id, actor, purpose, categories, at FROM access_log WHERE subject_id = ? AND at >= ? ORDER BY at DESC, id DESC LIMIT ?',
  );
  const appendTx = db.transaction((entries: readonly AccessLogEntry[]) => {
    for (const e of entries) insert.run(e.subjectId, e.actor, e.purpose, JSON.stringify(e.categories), e.at);
  });
  let closed = false;
  const run = guarded(() => closed);
  return {
    append: (entries) => run(() => void (entries.length > 0 && appendTx(entries))),
    listBySubject: (subjectId, opts = {}) =>
      run(() =>
        list.all(subjectId, opts.since ?? '', opts.limit ?? 1000).map((r) => ({
          subjectId: r.subject_id,
          actor: r.actor,
          purpose: r.purpose,
          categories: JSON.parse(r.categories) as string[],
          at: r.at,
        })),
      ),
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
