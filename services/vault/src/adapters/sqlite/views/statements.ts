import type { StatRow, TrackedRow } from '../../../ports/ViewStore.js';
import type { HoldRow, IndexRow, RetentionRow, ShredRow } from '../../sqlRows.js';
import type { SqliteDatabase } from '../openDatabase.js';
import { prepare } from '../statement.js';

export interface SubjectSqlRow {
  subject_id: string;
  position: number;
  state: string;
}

export interface TrackedSqlRow {
  kind: TrackedRow['kind'];
  id: string;
  subject_id: string;
  status: string;
  due_at: string | null;
  data: string;
}

export interface DeadlineSqlRow {
  type: string | null;
  open: number;
  overdue: number;
  due_soon: number;
}

export interface TrackedQuery {
  kind: string;
  status: string | null;
  dueBefore: string | null;
  subjectId: string | null;
  id: string | null;
  limit: number;
}

/** The statements a projection batch writes with, and the checkpoint it moves. */
function prepareWrites(db: SqliteDatabase) {
  return {
    checkpoint: prepare<[string], { position: number }>(db, 'SELECT position FROM checkpoints WHERE projection = ?'),
    setCheckpoint: prepare<[string, number]>(
      db,
      `INSERT INTO checkpoints (projection, position) VALUES (?, ?)
       ON CONFLICT (projection) DO UPDATE SET position = excluded.position`,
    ),
    upsertSubject: prepare<[string, number, string]>(
      db,
      `INSERT INTO subjects (subject_id, position, state) VALUES (?, ?, ?)
       ON CONFLICT (subject_id) DO UPDATE SET position = excluded.position, state = excluded.state`,
    ),
    // `entry`: '' for the category's own value (entryColumn).
    indexHash: prepare<[string, string, string, string], { hash: string }>(
      db,
      'SELECT hash FROM blind_index WHERE subject_id = ? AND category = ? AND field = ? AND entry = ?',
    ),
    putIndex: prepare<[string, string, string, string, string]>(
      db,
      `INSERT INTO blind_index (hash, subject_id, category, field, entry) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (subject_id, category, field, entry) DO UPDATE SET hash = excluded.hash`,
    ),
    deleteIndexField: prepare<[string, string, string, string]>(
      db,
      'DELETE FROM blind_index WHERE subject_id = ? AND category = ? AND field = ? AND entry = ?',
    ),
    deleteIndexEntry: prepare<[string, string, string]>(
      db,
      'DELETE FROM blind_index WHERE subject_id = ? AND category = ? AND entry = ?',
    ),
    replaceIndexHash: prepare<[string, string, string, string, string, string]>(
      db,
      'UPDATE blind_index SET hash = ? WHERE subject_id = ? AND category = ? AND field = ? AND entry = ? AND hash = ?',
    ),
    deleteIndexHash: prepare<[string, string, string, string, string]>(
      db,
      'DELETE FROM blind_index WHERE subject_id = ? AND category = ? AND field = ? AND entry = ? AND hash = ?',
    ),
    deleteHolds: prepare<[string]>(db, 'DELETE FROM holds WHERE subject_id = ?'),
    insertHold: prepare<[string, string, string, string, string, string | null]>(
      db,
      'INSERT INTO holds (subject_id, category, basis, "until", source, entry) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    deleteRetention: prepare<[string]>(db, 'DELETE FROM retention WHERE subject_id = ?'),
    insertRetention: prepare<[string, string, string, string]>(
      db,
      'INSERT INTO retention (subject_id, category, due_at, rule) VALUES (?, ?, ?, ?)',
    ),
    insertShredded: prepare<[string, string, string, string, string, string]>(
      db,
      'INSERT INTO shredded (subject_id, category, key_ids, reason, at, event_id) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    deleteTracked: prepare<[string]>(db, 'DELETE FROM tracked WHERE subject_id = ?'),
    insertTracked: prepare<[string, string, string, string, string | null, string]>(
      db,
      'INSERT OR REPLACE INTO tracked (kind, id, subject_id, status, due_at, data) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    addConsent: prepare<[string]>(db, 'INSERT INTO consent_subjects (subject_id) VALUES (?) ON CONFLICT DO NOTHING'),
    addStat: prepare<[string, string, string, string, number]>(
      db,
      `INSERT INTO stats (month, category, purpose, metric, count) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (month, category, purpose, metric) DO UPDATE SET count = count + excluded.count`,
    ),
  };
}

/** The statements of the read side's queries. */
function prepareReads(db: SqliteDatabase) {
  // Absent between a rebuild's reset and its end (QUERY_INDEXES): the position is then read through the primary key.
  const positionIndexed =
    db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'subjects_position'").get() !== undefined;
  return {
    subjects: prepare<[string], SubjectSqlRow>(
      db,
      'SELECT subject_id, position, state FROM subjects WHERE subject_id IN (SELECT value FROM json_each(?))',
    ),
    subject: prepare<[string], SubjectSqlRow>(
      db,
      'SELECT subject_id, position, state FROM subjects WHERE subject_id = ?',
    ),
    // The planner prefers the primary key's index, which then reads the row's (snapshot-sized) page.
    position: prepare<[string], { position: number }>(
      db,
      `SELECT position FROM subjects ${positionIndexed ? 'INDEXED BY subjects_position' : ''} WHERE subject_id = ?`,
    ),
    byHash: prepare<[string], IndexRow>(
      db,
      `SELECT hash, subject_id, category, field, entry FROM blind_index WHERE hash IN (SELECT value FROM json_each(?))
       ORDER BY subject_id, category, field, entry`,
    ),
    // The epoch is the number before the colon of `<epoch>:<hex>`; a hash without one is from before epochs (0).
    indexOlderThan: prepare<[string, string, string, string, number, number], IndexRow>(
      db,
      `SELECT hash, subject_id, category, field, entry FROM blind_index
       WHERE (subject_id, category, field, entry) > (?, ?, ?, ?)
         AND CAST(substr(hash, 1, instr(hash, ':') - 1) AS INTEGER) < ?
       ORDER BY subject_id, category, field, entry LIMIT ?`,
    ),
    holds: prepare<{ subjectId: string | null; endingBefore: string | null }, HoldRow>(
      db,
      `SELECT subject_id, category, basis, "until", source, entry FROM holds
       WHERE (@subjectId IS NULL OR subject_id = @subjectId)
         AND (@endingBefore IS NULL OR ("until" <> 'open' AND "until" < @endingBefore))
       ORDER BY subject_id, category, rowid`,
    ),
    dueFirst: prepare<[string, number], RetentionRow>(
      db,
      `SELECT subject_id, category, due_at, rule FROM retention WHERE due_at <= ?
       ORDER BY due_at, subject_id, category LIMIT ?`,
    ),
    dueAfter: prepare<[string, string, string, string, number], RetentionRow>(
      db,
      `SELECT subject_id, category, due_at, rule FROM retention
       WHERE due_at <= ? AND (due_at, subject_id, category) > (?, ?, ?)
       ORDER BY due_at, subject_id, category LIMIT ?`,
    ),
    // Open requests by type and pending Art. 14 notices, from the (kind, status, due_at) index.
    deadlines: prepare<{ asOf: string; soon: string }, DeadlineSqlRow>(
      db,
      `SELECT CASE kind WHEN 'notification' THEN 'INFORM' ELSE json_extract(data, '$.requestType') END AS type,
         COUNT(*) AS open, COALESCE(SUM(due_at < @asOf), 0) AS overdue,
         COALESCE(SUM(due_at >= @asOf AND due_at < @soon), 0) AS due_soon
       FROM tracked WHERE (kind = 'request' AND status = 'OPEN') OR (kind = 'notification' AND status = 'PENDING')
       GROUP BY 1`,
    ),
    retentionDueCount: prepare<[string], { n: number }>(db, 'SELECT COUNT(*) AS n FROM retention WHERE due_at <= ?'),
    tracked: prepare<TrackedQuery, TrackedSqlRow>(
      db,
      `SELECT kind, id, subject_id, status, due_at, data FROM tracked
       WHERE kind = @kind AND (@status IS NULL OR status = @status) AND (@dueBefore IS NULL OR due_at < @dueBefore)
         AND (@subjectId IS NULL OR subject_id = @subjectId) AND (@id IS NULL OR id = @id)
       ORDER BY due_at, id LIMIT @limit`,
    ),
    stats: prepare<{ from: string | null; to: string | null }, StatRow>(
      db,
      `SELECT month, category, purpose, metric, count FROM stats
       WHERE (@from IS NULL OR month >= @from) AND (@to IS NULL OR month <= @to)
       ORDER BY month, category, purpose, metric`,
    ),
    consentSubjects: prepare<[string, number], { subject_id: string }>(
      db,
      'SELECT subject_id FROM consent_subjects WHERE subject_id > ? ORDER BY subject_id LIMIT ?',
    ),
    shredded: prepare<{ subjectId: string | null }, ShredRow>(
      db,
      'SELECT * FROM shredded WHERE (@subjectId IS NULL OR subject_id = @subjectId) ORDER BY rowid',
    ),
  };
}

export type ViewWrites = ReturnType<typeof prepareWrites>;
export type ViewReads = ReturnType<typeof prepareReads>;
export type ViewStatements = ViewWrites & ViewReads;

/** Every statement of the view store, prepared once per connection. */
export const prepareViewStatements = (db: SqliteDatabase): ViewStatements => ({
  ...prepareWrites(db),
  ...prepareReads(db),
});
