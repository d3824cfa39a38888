import { rmSync } from 'node:fs';
import type { SubjectState } from '../../domain/subject.js';
import type { BlindIndexEntry, StatRow, SubjectView, TrackedRow, ViewBatch, ViewStore } from '../../ports/ViewStore.js';
import { chunks, closedError, connectionOptions, openDatabase, scrubWal, type SqliteOptions, guarded } from './openDatabase.js';
import { startCheckpointer } from './writers/thread.js';
import { toEntry, toHold, toRetention, toShred, type HoldRow, type IndexRow, type RetentionRow, type ShredRow } from '../sqlRows.js';

/** Options of the embedded view store. */
export type SqliteViewStoreOptions = SqliteOptions;

/** Page size of `listDueRetention` when the caller gives no limit. */
export const DEFAULT_RETENTION_PAGE = 1000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS subjects (
  subject_id TEXT    PRIMARY KEY,
  position   INTEGER NOT NULL,
  state      TEXT    NOT NULL
);
-- Lets a reader ask whether the snapshot it holds is current without touching the snapshot's page.
CREATE INDEX IF NOT EXISTS subjects_position ON subjects (subject_id, position);
CREATE TABLE IF NOT EXISTS blind_index (
  hash       TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  category   TEXT NOT NULL,
  field      TEXT NOT NULL,
  PRIMARY KEY (subject_id, category, field)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS blind_index_hash ON blind_index (hash);
CREATE TABLE IF NOT EXISTS holds (
  subject_id TEXT NOT NULL,
  category   TEXT NOT NULL,
  basis      TEXT NOT NULL,
  "until"    TEXT NOT NULL,
  source     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS holds_subject ON holds (subject_id);
CREATE TABLE IF NOT EXISTS retention (
  subject_id TEXT NOT NULL,
  category   TEXT NOT NULL,
  due_at     TEXT NOT NULL,
  rule       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS retention_due ON retention (due_at, subject_id, category);
CREATE INDEX IF NOT EXISTS retention_subject ON retention (subject_id);
CREATE TABLE IF NOT EXISTS shredded (
  subject_id TEXT NOT NULL,
  category   TEXT NOT NULL,
  key_ids    TEXT NOT NULL,
  reason     TEXT NOT NULL,
  at         TEXT NOT NULL,
  event_id   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS shredded_subject ON shredded (subject_id);
CREATE TABLE IF NOT EXISTS stats (
  month    TEXT    NOT NULL,
  category TEXT    NOT NULL,
  purpose  TEXT    NOT NULL,
  metric   TEXT    NOT NULL,
  count    INTEGER NOT NULL,
  PRIMARY KEY (month, category, purpose, metric)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tracked (
  kind       TEXT NOT NULL,
  id         TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  status     TEXT NOT NULL,
  due_at     TEXT,
  data       TEXT NOT NULL,
  PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS tracked_due ON tracked (kind, status, due_at);
CREATE INDEX IF NOT EXISTS tracked_subject ON tracked (subject_id);
CREATE TABLE IF NOT EXISTS checkpoints (
  projection TEXT    PRIMARY KEY,
  position   INTEGER NOT NULL
);
`;

interface TrackedSqlRow {
  kind: TrackedRow['kind'];
  id: string;
  subject_id: string;
  status: string;
  due_at: string | null;
  data: string;
}

/**
 * Snapshots are rows of a kilobyte or more: on 16 KiB pages they split and overflow far less than
 * on SQLite's default 4 KiB (a rebuild runs about a sixth faster).
 */
const VIEW_FILE = { secureDelete: true, pageSize: 16_384 } as const;
/** How often the checkpointer thread copies the views' WAL into the database file. */
const CHECKPOINT_INTERVAL_MS = 200;

/**
 * The embedded read models: one SQLite file with `secure_delete` on, since a deleted blind-index
 * hash is personal data that must leave the file. Every batch is one transaction together with
 * its projection checkpoint.
 */
export function getSqliteViewStore(options: SqliteViewStoreOptions): ViewStore {
  // Every projection batch commits on this thread: a checkpointer thread keeps the WAL short, so
  // that no commit here stalls for the tens of milliseconds an automatic checkpoint takes.
  const onDisk = options.path !== ':memory:' && !options.path.startsWith('file:');
  const openViews = () => openDatabase(options, { ...VIEW_FILE, autoCheckpoint: !onDisk, schema: SCHEMA });
  const startViewCheckpointer = () =>
    onDisk
      ? startCheckpointer({ ...connectionOptions(options), intervalMs: CHECKPOINT_INTERVAL_MS }, () => {
          if (db.open) db.pragma('wal_autocheckpoint = 1000');
        })
      : undefined;
  let db = openViews();
  let checkpointer = startViewCheckpointer();
  let closed = false;

  const prepare = () => ({
    checkpoint: db.prepare<[string], { position: number }>('SELECT position FROM checkpoints WHERE projection = ?'),
    setCheckpoint: db.prepare<[string, number]>(
      'INSERT INTO checkpoints (projection, position) VALUES (?, ?) ON CONFLICT (projection) DO UPDATE SET position = excluded.position',
    ),
    upsertSubject: db.prepare<[string, number, string]>(
      'INSERT INTO subjects (subject_id, position, state) VALUES (?, ?, ?) ON CONFLICT (subject_id) DO UPDATE SET position = excluded.position, state = excluded.state',
    ),
    indexHash: db.prepare<[string, string, string], { hash: string }>(
      'SELECT hash FROM blind_index WHERE subject_id = ? AND category = ? AND field = ?',
    ),
    putIndex: db.prepare<[string, string, string, string]>(
      'INSERT INTO blind_index (hash, subject_id, category, field) VALUES (?, ?, ?, ?) ON CONFLICT (subject_id, category, field) DO UPDATE SET hash = excluded.hash',
    ),
    deleteIndexField: db.prepare<[string, string, string]>('DELETE FROM blind_index WHERE subject_id = ? AND category = ? AND field = ?'),
    deleteIndexCategory: db.prepare<[string, string]>('DELETE FROM blind_index WHERE subject_id = ? AND category = ?'),
    deleteHolds: db.prepare<[string]>('DELETE FROM holds WHERE subject_id = ?'),
    insertHold: db.prepare<[string, string, string, string, string]>(
      'INSERT INTO holds (subject_id, category, basis, "until", source) VALUES (?, ?, ?, ?, ?)',
    ),
    deleteRetention: db.prepare<[string]>('DELETE FROM retention WHERE subject_id = ?'),
    insertRetention: db.prepare<[string, string, string, string]>('INSERT INTO retention (subject_id, category, due_at, rule) VALUES (?, ?, ?, ?)'),
    insertShredded: db.prepare<[string, string, string, string, string, string]>(
      'INSERT INTO shredded (subject_id, category, key_ids, reason, at, event_id) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    subjects: db.prepare<[string], { subject_id: string; position: number; state: string }>(
      'SELECT subject_id, position, state FROM subjects WHERE subject_id IN (SELECT value FROM json_each(?))',
    ),
    subject: db.prepare<[string], { subject_id: string; position: number; state: string }>('SELECT subject_id, position, state FROM subjects WHERE subject_id = ?'),
    // The planner prefers the primary key's index, which then reads the row's (snapshot-sized) page.
    position: db.prepare<[string], { position: number }>('SELECT position FROM subjects INDEXED BY subjects_position WHERE subject_id = ?'),
    byHash: db.prepare<[string], IndexRow>(
      'SELECT hash, subject_id, category, field FROM blind_index WHERE hash IN (SELECT value FROM json_each(?)) ORDER BY subject_id, category, field',
    ),
    holds: db.prepare<{ subjectId: string | null; endingBefore: string | null }, HoldRow>(
      `SELECT subject_id, category, basis, "until", source FROM holds
       WHERE (@subjectId IS NULL OR subject_id = @subjectId)
         AND (@endingBefore IS NULL OR ("until" <> 'open' AND "until" < @endingBefore))
       ORDER BY subject_id, category, rowid`,
    ),
    dueFirst: db.prepare<[string, number], RetentionRow>(
      'SELECT subject_id, category, due_at, rule FROM retention WHERE due_at <= ? ORDER BY due_at, subject_id, category LIMIT ?',
    ),
    dueAfter: db.prepare<[string, string, string, string, number], RetentionRow>(
      `SELECT subject_id, category, due_at, rule FROM retention
       WHERE due_at <= ? AND (due_at, subject_id, category) > (?, ?, ?)
       ORDER BY due_at, subject_id, category LIMIT ?`,
    ),
    deleteTracked: db.prepare<[string]>('DELETE FROM tracked WHERE subject_id = ?'),
    insertTracked: db.prepare<[string, string, string, string, string | null, string]>(
      'INSERT OR REPLACE INTO tracked (kind, id, subject_id, status, due_at, data) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    tracked: db.prepare<{ kind: string; status: string | null; dueBefore: string | null; subjectId: string | null; id: string | null; limit: number }, TrackedSqlRow>(
      `SELECT kind, id, subject_id, status, due_at, data FROM tracked
       WHERE kind = @kind AND (@status IS NULL OR status = @status) AND (@dueBefore IS NULL OR due_at < @dueBefore)
         AND (@subjectId IS NULL OR subject_id = @subjectId) AND (@id IS NULL OR id = @id)
       ORDER BY due_at, id LIMIT @limit`,
    ),
    addStat: db.prepare<[string, string, string, string, number]>(
      'INSERT INTO stats (month, category, purpose, metric, count) VALUES (?, ?, ?, ?, ?) ON CONFLICT (month, category, purpose, metric) DO UPDATE SET count = count + excluded.count',
    ),
    stats: db.prepare<{ from: string | null; to: string | null }, StatRow>(
      'SELECT month, category, purpose, metric, count FROM stats WHERE (@from IS NULL OR month >= @from) AND (@to IS NULL OR month <= @to) ORDER BY month, category, purpose, metric',
    ),
    shredded: db.prepare<{ subjectId: string | null }, ShredRow>(
      'SELECT * FROM shredded WHERE (@subjectId IS NULL OR subject_id = @subjectId) ORDER BY rowid',
    ),
  });
  let stmt = prepare();

  /** Applies the batch; returns whether personal data was deleted or overwritten (so the WAL must be truncated). */
  const applyBatch = (batch: ViewBatch): boolean => {
    let scrub = batch.shredded.length > 0;
    for (const s of batch.subjects) stmt.upsertSubject.run(s.subjectId, s.position, JSON.stringify(s.state));
    for (const c of batch.index) {
      if (c.op === 'put') {
        const e = c.entry;
        if (!c.fresh) {
          // An overwritten hash is personal data too: its old bytes must leave the WAL.
          const old = stmt.indexHash.get(e.subjectId, e.category, e.field);
          if (old && old.hash !== e.hash) scrub = true;
        }
        stmt.putIndex.run(e.hash, e.subjectId, e.category, e.field);
      } else {
        const deleted =
          c.field === undefined
            ? stmt.deleteIndexCategory.run(c.subjectId, c.category)
            : stmt.deleteIndexField.run(c.subjectId, c.category, c.field);
        if (deleted.changes > 0) scrub = true;
      }
    }
    for (const h of batch.holds) {
      stmt.deleteHolds.run(h.subjectId);
      for (const r of h.rows) stmt.insertHold.run(r.subjectId, r.category, r.basis, r.until, r.source);
    }
    for (const t of batch.retention) {
      stmt.deleteRetention.run(t.subjectId);
      for (const r of t.rows) stmt.insertRetention.run(r.subjectId, r.category, r.dueAt, r.rule);
    }
    for (const s of batch.shredded) stmt.insertShredded.run(s.subjectId, s.category, JSON.stringify(s.keyIds), s.reason, s.at, s.eventId);
    for (const s of batch.stats) stmt.addStat.run(s.month, s.category, s.purpose, s.metric, s.count);
    for (const t of batch.tracked) {
      stmt.deleteTracked.run(t.subjectId);
      for (const r of t.rows) stmt.insertTracked.run(r.kind, r.id, r.subjectId, r.status, r.dueAt, JSON.stringify(r.data));
    }
    return scrub;
  };

  const makeApplyTx = () => db.transaction((projection: string, batch: ViewBatch, position: number, expected: number | undefined): { applied: boolean; scrub: boolean } => {
    const current = stmt.checkpoint.get(projection)?.position ?? 0;
    if (current >= position || (expected !== undefined && current !== expected)) return { applied: false, scrub: false };
    const scrub = applyBatch(batch);
    stmt.setCheckpoint.run(projection, position);
    return { applied: true, scrub };
  });
  let applyTx = makeApplyTx();

  const makeResetTx = () => db.transaction(() => {
    db.exec('DELETE FROM subjects; DELETE FROM blind_index; DELETE FROM holds; DELETE FROM retention; DELETE FROM shredded; DELETE FROM stats; DELETE FROM tracked; DELETE FROM checkpoints;');
  });
  let resetTx = makeResetTx();

  // A deferred transaction: it only reads.
  const makePositionsTx = () => db.transaction((ids: readonly string[], out: Map<string, number>) => {
    for (const id of ids) {
      const r = stmt.position.get(id);
      if (r) out.set(id, r.position);
    }
  });
  let positionsTx = makePositionsTx();

  const run = guarded(() => closed);

  return {
    apply: (projection, batch, position, expected) =>
      run(() => {
        // IMMEDIATE: two replicas reading the same checkpoint must not both apply the batch.
        const { applied, scrub } = applyTx.immediate(projection, batch, position, expected);
        if (scrub) scrubWal(db);
        return applied;
      }),

    listTracked: (kind, filter = {}) =>
      run(() =>
        stmt.tracked
          .all({ kind, status: filter.status ?? null, dueBefore: filter.dueBefore ?? null, subjectId: filter.subjectId ?? null, id: filter.id ?? null, limit: filter.limit ?? 1000 })
          .map((r) => ({ kind: r.kind, id: r.id, subjectId: r.subject_id, status: r.status, dueAt: r.due_at, data: JSON.parse(r.data) as Record<string, unknown> })),
      ),

    listStats: (filter = {}) => run(() => stmt.stats.all({ from: filter.fromMonth ?? null, to: filter.toMonth ?? null })),

    checkpoint: (projection) => run(() => stmt.checkpoint.get(projection)?.position ?? 0),

    reset: async () => {
      if (!onDisk) {
        return run(() => {
          resetTx.immediate();
          scrubWal(db);
        });
      }
      if (closed) throw closedError();
      // A fresh file instead of deleting every row: faster, and the old rows leave with the old
      // file instead of being zeroed one by one (secure_delete) only to be written again.
      await checkpointer?.close();
      await run(() => {
        db.close();
        for (const suffix of ['', '-wal', '-shm']) rmSync(`${options.path}${suffix}`, { force: true });
        db = openViews();
        stmt = prepare();
        applyTx = makeApplyTx();
        resetTx = makeResetTx();
        positionsTx = makePositionsTx();
      });
      checkpointer = startViewCheckpointer();
    },

    getSubjects: (subjectIds) =>
      run(() => {
        const out = new Map<string, SubjectView>();
        const add = (r: { subject_id: string; position: number; state: string } | undefined) => {
          if (r) out.set(r.subject_id, { subjectId: r.subject_id, position: r.position, state: JSON.parse(r.state) as SubjectState });
        };
        // One subject (a command's load, a read of one subject): a key lookup, without json_each's cost.
        if (subjectIds.length === 1) add(stmt.subject.get(subjectIds[0]!));
        else for (const chunk of chunks([...new Set(subjectIds)])) for (const r of stmt.subjects.all(JSON.stringify(chunk))) add(r);
        return out;
      }),

    subjectPositions: (subjectIds) =>
      run(() => {
        const out = new Map<string, number>();
        // Lookups by subject id, several in one read transaction: beginning and ending the
        // transaction (WAL locks, system calls) costs more than the lookups, and json_each
        // more than a few of them. One lookup is its own transaction.
        if (subjectIds.length === 1) {
          const r = stmt.position.get(subjectIds[0]!);
          if (r) out.set(subjectIds[0]!, r.position);
        } else if (subjectIds.length > 1) positionsTx(subjectIds, out);
        return out;
      }),

    findByBlindIndex: (hashes) =>
      run(() => {
        const out: BlindIndexEntry[] = [];
        for (const chunk of chunks([...new Set(hashes)])) out.push(...stmt.byHash.all(JSON.stringify(chunk)).map(toEntry));
        return out;
      }),

    listHolds: (filter = {}) =>
      run(() => stmt.holds.all({ subjectId: filter.subjectId ?? null, endingBefore: filter.endingBefore ?? null }).map(toHold)),

    listDueRetention: (asOf, opts = {}) =>
      run(() => {
        const limit = opts.limit ?? DEFAULT_RETENTION_PAGE;
        const a = opts.after;
        const rows = a ? stmt.dueAfter.all(asOf, a.dueAt, a.subjectId, a.category, limit) : stmt.dueFirst.all(asOf, limit);
        return rows.map(toRetention);
      }),

    listShredded: (filter = {}) => run(() => stmt.shredded.all({ subjectId: filter.subjectId ?? null }).map(toShred)),

    async close() {
      if (closed) return;
      closed = true;
      await checkpointer?.close();
      db.close();
    },
  };
}
