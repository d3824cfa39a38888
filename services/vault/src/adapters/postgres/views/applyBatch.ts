import type { PoolClient } from 'pg';

import type { StatRow, ViewBatch } from '../../../ports/ViewStore.js';
import { planIndexChanges } from './planIndexChanges.js';
import type { BatchSql } from './statements.js';

/** The last entry per key: later rows of a batch replace earlier ones, as sequential upserts would. */
const lastBy = <T>(items: readonly T[], key: (t: T) => string): T[] => [
  ...new Map(items.map((i) => [key(i), i] as const)).values(),
];

async function upsertSubjects(c: PoolClient, sql: BatchSql, batch: ViewBatch): Promise<void> {
  const subjects = lastBy(batch.subjects, (v) => v.subjectId);
  await c.query(sql.upsertSubjects, [
    subjects.map((v) => v.subjectId),
    subjects.map((v) => v.position),
    subjects.map((v) => JSON.stringify(v.state)),
  ]);
}

async function applyIndex(c: PoolClient, sql: BatchSql, batch: ViewBatch): Promise<void> {
  const { clearCategories: clear, deleteFields: del, puts } = planIndexChanges(batch.index);
  if (clear.length > 0) {
    await c.query(sql.clearIndexCategories, [clear.map((d) => d.subjectId), clear.map((d) => d.category)]);
  }
  if (del.length > 0) {
    const fields = [del.map((d) => d.subjectId), del.map((d) => d.category), del.map((d) => d.field)];
    await c.query(sql.deleteIndexFields, fields);
  }
  if (puts.length > 0) {
    await c.query(sql.putIndex, [
      puts.map((e) => e.hash),
      puts.map((e) => e.subjectId),
      puts.map((e) => e.category),
      puts.map((e) => e.field),
    ]);
  }
}

async function replaceHolds(c: PoolClient, sql: BatchSql, batch: ViewBatch): Promise<void> {
  const holds = lastBy(batch.holds, (h) => h.subjectId);
  const rows = holds.flatMap((h) => h.rows);
  await c.query(sql.deleteHolds, [holds.map((h) => h.subjectId)]);
  if (rows.length === 0) return;
  await c.query(sql.insertHolds, [
    rows.map((r) => r.subjectId),
    rows.map((r) => r.category),
    rows.map((r) => r.basis),
    rows.map((r) => r.until),
    rows.map((r) => r.source),
    rows.map((r) => r.entry ?? null),
  ]);
}

async function replaceRetention(c: PoolClient, sql: BatchSql, batch: ViewBatch): Promise<void> {
  const retention = lastBy(batch.retention, (t) => t.subjectId);
  const rows = retention.flatMap((t) => t.rows);
  await c.query(sql.deleteRetention, [retention.map((t) => t.subjectId)]);
  if (rows.length === 0) return;
  await c.query(sql.insertRetention, [
    rows.map((r) => r.subjectId),
    rows.map((r) => r.category),
    rows.map((r) => r.dueAt),
    rows.map((r) => r.rule),
  ]);
}

async function insertShredded(c: PoolClient, sql: BatchSql, batch: ViewBatch): Promise<void> {
  const rows = batch.shredded;
  await c.query(sql.insertShredded, [
    rows.map((r) => r.subjectId),
    rows.map((r) => r.category),
    rows.map((r) => JSON.stringify(r.keyIds)),
    rows.map((r) => r.reason),
    rows.map((r) => r.at),
    rows.map((r) => r.eventId),
  ]);
}

async function replaceTracked(c: PoolClient, sql: BatchSql, batch: ViewBatch): Promise<void> {
  const tracked = lastBy(batch.tracked, (t) => t.subjectId);
  // (kind, id) is unique across subjects: the last row of the batch wins, as INSERT OR REPLACE does in SQLite.
  const rows = lastBy(
    tracked.flatMap((t) => t.rows),
    (r) => `${r.kind}\u0000${r.id}`,
  );
  await c.query(sql.deleteTracked, [tracked.map((t) => t.subjectId)]);
  if (rows.length === 0) return;
  await c.query(sql.upsertTracked, [
    rows.map((r) => r.kind),
    rows.map((r) => r.id),
    rows.map((r) => r.subjectId),
    rows.map((r) => r.status),
    rows.map((r) => r.dueAt),
    rows.map((r) => JSON.stringify(r.data)),
  ]);
}

async function addStats(c: PoolClient, sql: BatchSql, batch: ViewBatch): Promise<void> {
  // Summed per key first: one upsert statement may not touch the same row twice.
  const sums = new Map<string, StatRow>();
  for (const r of batch.stats) {
    const k = [r.month, r.category, r.purpose, r.metric].join('\u0000');
    const prev = sums.get(k);
    sums.set(k, prev ? { ...prev, count: prev.count + r.count } : { ...r });
  }
  const rows = [...sums.values()];
  await c.query(sql.addStats, [
    rows.map((r) => r.month),
    rows.map((r) => r.category),
    rows.map((r) => r.purpose),
    rows.map((r) => r.metric),
    rows.map((r) => r.count),
  ]);
}

/**
 * Writes the batch inside the caller's transaction, with a constant number of statements. Each
 * step writes a non-empty part: an empty part costs no statement and no work.
 */
export async function applyBatch(c: PoolClient, sql: BatchSql, batch: ViewBatch): Promise<void> {
  if (batch.subjects.length > 0) await upsertSubjects(c, sql, batch);
  if (batch.index.length > 0) await applyIndex(c, sql, batch);
  if (batch.holds.length > 0) await replaceHolds(c, sql, batch);
  if (batch.retention.length > 0) await replaceRetention(c, sql, batch);
  if (batch.shredded.length > 0) await insertShredded(c, sql, batch);
  if (batch.tracked.length > 0) await replaceTracked(c, sql, batch);
  if (batch.stats.length > 0) await addStats(c, sql, batch);
}
