import type { SubjectState } from '../../../domain/subject.js';
import type { BlindIndexEntry, StatRow, SubjectView, TrackedRow, ViewStore } from '../../../ports/ViewStore.js';
import {
  entryColumn,
  type HoldRow,
  type IndexRow,
  type RetentionRow,
  type ShredRow,
  toEntry,
  toHold,
  toRetention,
  toShred,
} from '../../sqlRows.js';
import { distinct, type PostgresHandle } from '../connect.js';
import type { QuerySql } from './statements.js';

/** Page size of `listDueRetention` when the caller gives no limit (as the embedded store). */
const DEFAULT_RETENTION_PAGE = 1000;

/** The port's methods' parameters (`appliesInOrder` is a property). */
type AnyFunction = (...args: never[]) => unknown;
type Filter<K extends keyof ViewStore> = NonNullable<Parameters<Extract<ViewStore[K], AnyFunction>>[1]>;
type FirstFilter<K extends keyof ViewStore> = NonNullable<Parameters<Extract<ViewStore[K], AnyFunction>>[0]>;

interface SubjectPgRow {
  subject_id: string;
  position: string;
  state: SubjectState;
}

interface TrackedPgRow {
  kind: TrackedRow['kind'];
  id: string;
  subject_id: string;
  status: string;
  due_at: string | null;
  data: Record<string, unknown>;
}

/** `count` is a bigint, which the driver returns as a string. */
type StatPgRow = Omit<StatRow, 'count'> & { count: string };

/** bigint columns come back as strings; positions are JS-safe integers by the EventLog contract. */
export const toPosition = (v: string | number): number => Number(v);

export async function getSubjects(db: PostgresHandle, sql: QuerySql, subjectIds: string[]) {
  const out = new Map<string, SubjectView>();
  if (subjectIds.length === 0) return out;
  const rows = await db.query<SubjectPgRow>(sql.subjects, [distinct(subjectIds)]);
  for (const r of rows) {
    out.set(r.subject_id, { subjectId: r.subject_id, position: toPosition(r.position), state: r.state });
  }
  return out;
}

export async function subjectPositions(db: PostgresHandle, sql: QuerySql, subjectIds: string[]) {
  const out = new Map<string, number>();
  if (subjectIds.length === 0) return out;
  const rows = await db.query<{ subject_id: string; position: string }>(sql.positions, [distinct(subjectIds)]);
  for (const r of rows) out.set(r.subject_id, toPosition(r.position));
  return out;
}

export async function findByBlindIndex(
  db: PostgresHandle,
  sql: QuerySql,
  hashes: string[],
): Promise<BlindIndexEntry[]> {
  if (hashes.length === 0) return [];
  const rows = await db.query<IndexRow>(sql.byHash, [distinct(hashes)]);
  return rows.map(toEntry);
}

export async function listIndexOlderThan(
  db: PostgresHandle,
  sql: QuerySql,
  epoch: number,
  opts: Filter<'listIndexOlderThan'>,
): Promise<BlindIndexEntry[]> {
  const a = opts.after ?? { subjectId: '', category: '', field: '' };
  const rows = await db.query<IndexRow>(sql.indexOlderThan, [
    a.subjectId,
    a.category,
    a.field,
    entryColumn(a.entry),
    epoch,
    opts.limit ?? 1000,
  ]);
  return rows.map(toEntry);
}

export async function listHolds(db: PostgresHandle, sql: QuerySql, filter: FirstFilter<'listHolds'>) {
  const rows = await db.query<HoldRow>(sql.holds, [filter.subjectId ?? null, filter.endingBefore ?? null]);
  return rows.map(toHold);
}

export async function listDueRetention(
  db: PostgresHandle,
  sql: QuerySql,
  asOf: string,
  opts: Filter<'listDueRetention'>,
) {
  const limit = opts.limit ?? DEFAULT_RETENTION_PAGE;
  const a = opts.after;
  const rows = a
    ? await db.query<RetentionRow>(sql.dueAfter, [asOf, a.dueAt, a.subjectId, a.category, limit])
    : await db.query<RetentionRow>(sql.dueFirst, [asOf, limit]);
  return rows.map(toRetention);
}

export async function listConsentSubjects(
  db: PostgresHandle,
  sql: QuerySql,
  opts: FirstFilter<'listConsentSubjects'>,
): Promise<string[]> {
  const rows = await db.query<{ subject_id: string }>(sql.consentSubjects, [opts.after ?? '', opts.limit ?? 1000]);
  return rows.map((r) => r.subject_id);
}

export async function listShredded(db: PostgresHandle, sql: QuerySql, filter: FirstFilter<'listShredded'>) {
  const rows = await db.query<ShredRow>(sql.shredded, [filter.subjectId ?? null]);
  return rows.map(toShred);
}

export async function listTracked(db: PostgresHandle, sql: QuerySql, kind: string, filter: Filter<'listTracked'>) {
  const rows = await db.query<TrackedPgRow>(sql.tracked, [
    kind,
    filter.status ?? null,
    filter.dueBefore ?? null,
    filter.subjectId ?? null,
    filter.id ?? null,
    filter.limit ?? 1000,
  ]);
  return rows.map((r) => ({
    kind: r.kind,
    id: r.id,
    subjectId: r.subject_id,
    status: r.status,
    dueAt: r.due_at,
    data: r.data,
  }));
}

export async function countDeadlines(db: PostgresHandle, sql: QuerySql, asOf: string, soon: string) {
  const [rows, due] = await Promise.all([
    db.query<{ type: string | null; open: number; overdue: number; due_soon: number }>(sql.deadlines, [asOf, soon]),
    db.query<{ n: number }>(sql.retentionDueCount, [asOf]),
  ]);
  const deadlines = rows.map((r) => ({ type: r.type ?? '', open: r.open, overdue: r.overdue, dueSoon: r.due_soon }));
  return { deadlines, retentionDue: due[0]?.n ?? 0 };
}

export async function listStats(db: PostgresHandle, sql: QuerySql, filter: FirstFilter<'listStats'>) {
  const rows = await db.query<StatPgRow>(sql.stats, [filter.fromMonth ?? null, filter.toMonth ?? null]);
  return rows.map((r): StatRow => ({
    month: r.month,
    category: r.category,
    purpose: r.purpose,
    metric: r.metric,
    count: Number(r.count),
  }));
}
