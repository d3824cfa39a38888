import type Database from 'better-sqlite3';

import type { SubjectState } from '../../../domain/subject.js';
import type { BlindIndexEntry, SubjectView, ViewStore } from '../../../ports/ViewStore.js';
import { entryColumn, toEntry, toHold, toRetention, toShred } from '../../sqlRows.js';
import { chunks, type SqliteDatabase } from '../openDatabase.js';
import type { SubjectSqlRow, ViewReads } from './statements.js';

/** Page size of `listDueRetention` when the caller gives no limit. */
export const DEFAULT_RETENTION_PAGE = 1000;

/** The port's methods' parameters (`appliesInOrder` is a property). */
type AnyFunction = (...args: never[]) => unknown;
type Filter<K extends keyof ViewStore> = NonNullable<Parameters<Extract<ViewStore[K], AnyFunction>>[1]>;
type FirstFilter<K extends keyof ViewStore> = NonNullable<Parameters<Extract<ViewStore[K], AnyFunction>>[0]>;

const addSubject = (out: Map<string, SubjectView>, r: SubjectSqlRow | undefined): void => {
  if (!r) return;
  out.set(r.subject_id, { subjectId: r.subject_id, position: r.position, state: JSON.parse(r.state) as SubjectState });
};

export function getSubjects(stmt: ViewReads, subjectIds: readonly string[]): Map<string, SubjectView> {
  const out = new Map<string, SubjectView>();
  // One subject (a command's load, a read of one subject): a key lookup, without json_each's cost.
  if (subjectIds.length === 1) addSubject(out, stmt.subject.get(subjectIds[0]!));
  else {
    for (const chunk of chunks([...new Set(subjectIds)])) {
      for (const r of stmt.subjects.all(JSON.stringify(chunk))) addSubject(out, r);
    }
  }
  return out;
}

export type PositionsTransaction = Database.Transaction<(ids: readonly string[], out: Map<string, number>) => void>;

/** Position lookups of several subjects in one read (deferred) transaction. */
export const positionsTransaction = (db: SqliteDatabase, stmt: ViewReads): PositionsTransaction =>
  db.transaction((ids: readonly string[], out: Map<string, number>) => {
    for (const id of ids) {
      const r = stmt.position.get(id);
      if (r) out.set(id, r.position);
    }
  });

export function subjectPositions(
  stmt: ViewReads,
  positionsTx: PositionsTransaction,
  subjectIds: readonly string[],
): Map<string, number> {
  const out = new Map<string, number>();
  // Lookups by subject id, several in one read transaction: beginning and ending the
  // transaction (WAL locks, system calls) costs more than the lookups, and json_each
  // more than a few of them. One lookup is its own transaction.
  if (subjectIds.length === 1) {
    const r = stmt.position.get(subjectIds[0]!);
    if (r) out.set(subjectIds[0]!, r.position);
  } else if (subjectIds.length > 1) positionsTx(subjectIds, out);
  return out;
}

export function findByBlindIndex(stmt: ViewReads, hashes: readonly string[]): BlindIndexEntry[] {
  const out: BlindIndexEntry[] = [];
  for (const chunk of chunks([...new Set(hashes)])) out.push(...stmt.byHash.all(JSON.stringify(chunk)).map(toEntry));
  return out;
}

export function listIndexOlderThan(stmt: ViewReads, epoch: number, opts: Filter<'listIndexOlderThan'>) {
  const a = opts.after ?? { subjectId: '', category: '', field: '' };
  const rows = stmt.indexOlderThan.all(
    a.subjectId,
    a.category,
    a.field,
    entryColumn(a.entry),
    epoch,
    opts.limit ?? 1000,
  );
  return rows.map(toEntry);
}

export const listHolds = (stmt: ViewReads, filter: FirstFilter<'listHolds'>) =>
  stmt.holds.all({ subjectId: filter.subjectId ?? null, endingBefore: filter.endingBefore ?? null }).map(toHold);

export function listDueRetention(stmt: ViewReads, asOf: string, opts: Filter<'listDueRetention'>) {
  const limit = opts.limit ?? DEFAULT_RETENTION_PAGE;
  const a = opts.after;
  const rows = a ? stmt.dueAfter.all(asOf, a.dueAt, a.subjectId, a.category, limit) : stmt.dueFirst.all(asOf, limit);
  return rows.map(toRetention);
}

export const listConsentSubjects = (stmt: ViewReads, opts: FirstFilter<'listConsentSubjects'>): string[] =>
  stmt.consentSubjects.all(opts.after ?? '', opts.limit ?? 1000).map((r) => r.subject_id);

export const listShredded = (stmt: ViewReads, filter: FirstFilter<'listShredded'>) =>
  stmt.shredded.all({ subjectId: filter.subjectId ?? null }).map(toShred);

export const listTracked = (stmt: ViewReads, kind: string, filter: Filter<'listTracked'>) =>
  stmt.tracked
    .all({
      kind,
      status: filter.status ?? null,
      dueBefore: filter.dueBefore ?? null,
      subjectId: filter.subjectId ?? null,
      id: filter.id ?? null,
      limit: filter.limit ?? 1000,
    })
    .map((r) => ({
      kind: r.kind,
      id: r.id,
      subjectId: r.subject_id,
      status: r.status,
      dueAt: r.due_at,
      data: JSON.parse(r.data) as Record<string, unknown>,
    }));

export function countDeadlines(stmt: ViewReads, asOf: string, soon: string) {
  const deadlines = stmt.deadlines
    .all({ asOf, soon })
    .map((r) => ({ type: r.type ?? '', open: r.open, overdue: r.overdue, dueSoon: r.due_soon }));
  return { deadlines, retentionDue: stmt.retentionDueCount.get(asOf)?.n ?? 0 };
}

export const listStats = (stmt: ViewReads, filter: FirstFilter<'listStats'>) =>
  stmt.stats.all({ from: filter.fromMonth ?? null, to: filter.toMonth ?? null });
