import type Database from 'better-sqlite3';

import type { IndexReplacement, TrackedRow, ViewBatch } from '../../../ports/ViewStore.js';
import { entryColumn } from '../../sqlRows.js';
import type { SqliteDatabase } from '../openDatabase.js';
import type { ViewWrites } from './statements.js';

/**
 * A batch with its JSON columns (snapshots, tracked rows' data) already text. Made on the owning thread before a batch
 * goes to the writer thread: a string crosses between threads as one copy, where a snapshot's object graph (some
 * 4.5 KB of JSON at ten fields) was cloned out of one thread and into the other and then serialised there, all of it
 * on the writer thread's side of a rebuild, the side the projection waits for.
 */
export interface EncodedBatch extends Omit<ViewBatch, 'subjects' | 'tracked'> {
  subjects: { subjectId: string; position: number; state: string }[];
  tracked: { subjectId: string; rows: (Omit<TrackedRow, 'data'> & { data: string })[] }[];
}

export const encodeBatch = (batch: ViewBatch): EncodedBatch => ({
  ...batch,
  subjects: batch.subjects.map((s) => ({
    subjectId: s.subjectId,
    position: s.position,
    state: JSON.stringify(s.state),
  })),
  tracked: batch.tracked.map((t) => ({
    subjectId: t.subjectId,
    rows: t.rows.map((r) => ({ ...r, data: JSON.stringify(r.data) })),
  })),
});

/** Applies the blind-index changes in order; returns whether a stored hash was deleted or overwritten. */
function applyIndex(stmt: ViewWrites, changes: ViewBatch['index']): boolean {
  let scrub = false;
  for (const c of changes) {
    if (c.op === 'put') {
      const e = c.entry;
      const entry = entryColumn(e.entry);
      if (!c.fresh) {
        // An overwritten hash is personal data too: its old bytes must leave the WAL.
        const old = stmt.indexHash.get(e.subjectId, e.category, e.field, entry);
        if (old && old.hash !== e.hash) scrub = true;
      }
      stmt.putIndex.run(e.hash, e.subjectId, e.category, e.field, entry);
    } else {
      const entry = entryColumn(c.entry);
      const deleted =
        c.field === undefined
          ? stmt.deleteIndexEntry.run(c.subjectId, c.category, entry)
          : stmt.deleteIndexField.run(c.subjectId, c.category, c.field, entry);
      if (deleted.changes > 0) scrub = true;
    }
  }
  return scrub;
}

/** Applies the batch; returns whether personal data was deleted or overwritten (so the WAL must be truncated). */
export function applyBatch(stmt: ViewWrites, batch: EncodedBatch): boolean {
  let scrub = batch.shredded.length > 0;
  for (const s of batch.subjects) stmt.upsertSubject.run(s.subjectId, s.position, s.state);
  if (applyIndex(stmt, batch.index)) scrub = true;
  for (const h of batch.holds) {
    stmt.deleteHolds.run(h.subjectId);
    for (const r of h.rows) stmt.insertHold.run(r.subjectId, r.category, r.basis, r.until, r.source, r.entry ?? null);
  }
  for (const t of batch.retention) {
    stmt.deleteRetention.run(t.subjectId);
    for (const r of t.rows) stmt.insertRetention.run(r.subjectId, r.category, r.dueAt, r.rule);
  }
  for (const s of batch.shredded) {
    stmt.insertShredded.run(s.subjectId, s.category, JSON.stringify(s.keyIds), s.reason, s.at, s.eventId);
  }
  for (const subjectId of batch.consents) stmt.addConsent.run(subjectId);
  for (const s of batch.stats) stmt.addStat.run(s.month, s.category, s.purpose, s.metric, s.count);
  for (const t of batch.tracked) {
    stmt.deleteTracked.run(t.subjectId);
    for (const r of t.rows) {
      stmt.insertTracked.run(r.kind, r.id, r.subjectId, r.status, r.dueAt, r.data);
    }
  }
  return scrub;
}

/** Conditional replacements of blind-index hashes (a re-index under a new epoch): how many changed, deleted. */
export const replaceIndexTransaction = (
  db: SqliteDatabase,
  stmt: ViewWrites,
): Database.Transaction<(changes: readonly IndexReplacement[]) => { changed: number; deleted: number }> =>
  db.transaction((changes: readonly IndexReplacement[]) => {
    let changed = 0;
    let deleted = 0;
    for (const c of changes) {
      const entry = entryColumn(c.entry);
      if (c.to === null) deleted += stmt.deleteIndexHash.run(c.subjectId, c.category, c.field, entry, c.from).changes;
      else changed += stmt.replaceIndexHash.run(c.to, c.subjectId, c.category, c.field, entry, c.from).changes;
    }
    return { changed: changed + deleted, deleted };
  });

/**
 * The batch and its checkpoint in one transaction, skipped (nothing written) when the checkpoint
 * is at or past `position` or, with `expected`, no longer exactly there. Run it `.immediate`.
 */
export type ApplyTransaction = Database.Transaction<
  (projection: string, batch: EncodedBatch, position: number, expected: number | undefined) => ApplyResult
>;

interface ApplyResult {
  applied: boolean;
  scrub: boolean;
}

export const applyBatchTransaction = (db: SqliteDatabase, stmt: ViewWrites): ApplyTransaction =>
  db.transaction(
    (projection: string, batch: EncodedBatch, position: number, expected: number | undefined): ApplyResult => {
      const current = stmt.checkpoint.get(projection)?.position ?? 0;
      if (current >= position || (expected !== undefined && current !== expected)) {
        return { applied: false, scrub: false };
      }
      const scrub = applyBatch(stmt, batch);
      stmt.setCheckpoint.run(projection, position);
      return { applied: true, scrub };
    },
  );
