import type { StatRow, ViewBatch } from '../../../ports/ViewStore.js';
import { planIndexChanges } from './planIndexChanges.js';

/** The last entry per key: later rows of a batch replace earlier ones, as sequential upserts would. */
const lastBy = <T>(items: readonly T[], key: (t: T) => string): T[] => [
  ...new Map(items.map((i) => [key(i), i] as const)).values(),
];

/** Summed per key first: one upsert statement may not touch the same row twice. */
function summedStats(stats: readonly StatRow[]): StatRow[] {
  const sums = new Map<string, StatRow>();
  for (const r of stats) {
    const k = [r.month, r.category, r.purpose, r.metric].join('\u0000');
    const prev = sums.get(k);
    sums.set(k, prev ? { ...prev, count: prev.count + r.count } : { ...r });
  }
  return [...sums.values()];
}

/**
 * The batch as the `apply_batch` function takes it (views/schema.ts): each part's rows under its
 * name, with the column names of the batch's own rows, and no entry for a part that is empty, which
 * then costs no statement. Subjects whose holds, retention or tracked rows are replaced are listed
 * apart, since their new rows may be none.
 */
export function batchDocument(batch: ViewBatch): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  if (batch.subjects.length > 0) doc.subjects = lastBy(batch.subjects, (v) => v.subjectId);
  if (batch.index.length > 0) {
    const { clearCategories, deleteFields, puts } = planIndexChanges(batch.index);
    if (clearCategories.length > 0) doc.clearIndex = clearCategories;
    if (deleteFields.length > 0) doc.deleteIndex = deleteFields;
    if (puts.length > 0) doc.putIndex = puts;
  }
  if (batch.holds.length > 0) {
    const holds = lastBy(batch.holds, (h) => h.subjectId);
    doc.holdSubjects = holds.map((h) => h.subjectId);
    doc.holds = holds.flatMap((h) => h.rows);
  }
  if (batch.retention.length > 0) {
    const retention = lastBy(batch.retention, (t) => t.subjectId);
    doc.retentionSubjects = retention.map((t) => t.subjectId);
    doc.retention = retention.flatMap((t) => t.rows);
  }
  if (batch.shredded.length > 0) doc.shredded = batch.shredded;
  if (batch.tracked.length > 0) {
    const tracked = lastBy(batch.tracked, (t) => t.subjectId);
    doc.trackedSubjects = tracked.map((t) => t.subjectId);
    // (kind, id) is unique across subjects: the last row of the batch wins, as INSERT OR REPLACE does in SQLite.
    doc.tracked = lastBy(
      tracked.flatMap((t) => t.rows),
      (r) => `${r.kind}\u0000${r.id}`,
    );
  }
  if (batch.stats.length > 0) doc.stats = summedStats(batch.stats);
  if (batch.consents.length > 0) doc.consents = [...new Set(batch.consents)];
  return doc;
}
