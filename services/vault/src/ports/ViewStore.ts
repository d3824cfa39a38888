import type { TrackedRow } from '../domain/requests.js';
import type { HoldRow, RetentionRow } from '../domain/retention.js';
import type { SubjectState } from '../domain/subject.js';

export type { TrackedRow };
import type { ShredReason } from './KeyStore.js';

/** A subject's decision state (sealed values and metadata only) at a log position. */
export interface SubjectView {
  subjectId: string;
  /** Log position of the last event folded into `state`. */
  position: number;
  state: SubjectState;
}

/** One lookup field's blind index: keyed HMAC (hex) of the normalised value. Never in the event log. */
export interface BlindIndexEntry {
  hash: string;
  subjectId: string;
  category: string;
  field: string;
  /**
   * The entry (e.g. a debt-collection case) whose value this is, each under its own key: a debtor's email in two
   * cases is two entries. Absent: the category's own value.
   */
  entry?: string;
}

/** Where one blind-index entry sits: a subject's field of a category, and of an entry of it (absent: its own). */
export type IndexKey = Omit<BlindIndexEntry, 'hash'>;

/**
 * A blind-index entry to recompute under another epoch's key: replaced only if its stored hash is
 * still `from` (the projector may have rewritten it meanwhile); `to: null` deletes it (its value
 * is gone: field erased, category shredded, subject unknown).
 */
export interface IndexReplacement extends IndexKey {
  from: string;
  to: string | null;
}

export type HoldView = HoldRow;
export type RetentionView = RetentionRow;

export interface ShredView {
  subjectId: string;
  category: string;
  keyIds: string[];
  reason: ShredReason;
  at: string;
  eventId: string;
}

export type IndexChange =
  /**
   * `fresh`: the projector knows no earlier hash exists for this field (a subject first seen in
   * this batch, or after a reset), so the store may skip looking for one to scrub.
   */
  | { op: 'put'; entry: BlindIndexEntry; fresh?: boolean }
  /**
   * The category's own values' entries (or, with `entry`, that entry's): one field's, or without `field` every
   * field's. An entry's rows are never deleted with the category's own: a whole category's shred names each entry
   * whose key it destroyed (an entry a hold of its own keeps stays findable).
   */
  | { op: 'delete'; subjectId: string; category: string; field?: string; entry?: string };

/**
 * Anonymous statistics: counts per month, category, purpose and metric. No subject ids, so they
 * survive shredding and people leaving. `''` stands for "not applicable".
 */
export interface StatRow {
  /** `YYYY-MM` (UTC). */
  month: string;
  category: string;
  purpose: string;
  /** e.g. `recorded`, `consentGiven`, `shredded:retention`, `subjectsErased`. */
  metric: string;
  count: number;
}

/** Everything one projection step changes; applied atomically together with the checkpoint. */
export interface ViewBatch {
  subjects: SubjectView[];
  /** Applied in order. */
  index: IndexChange[];
  /** The complete hold rows of each listed subject (replacing the previous ones). */
  holds: { subjectId: string; rows: HoldView[] }[];
  /** The complete retention rows of each listed subject (replacing the previous ones). */
  retention: { subjectId: string; rows: RetentionView[] }[];
  shredded: ShredView[];
  /** Increments to the anonymous statistics (`count` is the delta). */
  stats: StatRow[];
  /** The complete tracked rows (requests, notifications, links) of each listed subject. */
  tracked: { subjectId: string; rows: TrackedRow[] }[];
  /**
   * Subjects who gave a consent in this batch's events, added to the consents index (`listConsentSubjects`); one
   * already there stays as it is. A subject stays in it until a reset.
   */
  consents: string[];
}

export const emptyBatch = (): ViewBatch => ({
  subjects: [],
  index: [],
  holds: [],
  retention: [],
  shredded: [],
  stats: [],
  tracked: [],
  consents: [],
});

/**
 * Checkpoints of the consents index (`ViewBatch.consents`) in a store made before it. When such a store gains the
 * index (the SQLite file is opened, the PostgreSQL migration runs), it sets `CONSENTS_UNINDEXED` to the highest
 * position any of its projections had reached: the subjects who gave a consent in the events up to there are not in
 * the index. One read of the log up to there adds them (projections/consentValidity.ts), each page applied under
 * `CONSENTS_FILLED`, which reaches `CONSENTS_UNINDEXED` when it is done. A store made with the index (or reset) has
 * neither: the projector writes every row.
 */
export const CONSENTS_UNINDEXED = 'consentIndex:unindexedUpTo';
export const CONSENTS_FILLED = 'consentIndex:filledUpTo';

/** Open deadlines of one kind, counted for the operator (metrics, `vault status`): no ids. */
export interface DeadlineCount {
  /** A request's type, or `INFORM` for a pending Art. 14 notice. */
  type: string;
  open: number;
  /** Due before `asOf`. */
  overdue: number;
  /** Due at or after `asOf` and before `soon`. */
  dueSoon: number;
}

/** Read models, each change committed in the same transaction as the projection checkpoint. */
export interface ViewStore {
  /**
   * Applies the batch and moves the checkpoint of `projection` to `position`, atomically.
   * Returns false, changing nothing, when the checkpoint is already at or past `position`
   * (another replica applied it), or when `expected` is given and the checkpoint is no longer
   * exactly there (the batch was computed from a checkpoint another replica has since moved):
   * each event takes effect once, increments included. It reads `batch` before it returns: the caller may change
   * the states in it once the call is made, while the promise is pending.
   */
  apply(projection: string, batch: ViewBatch, position: number, expected?: number): Promise<boolean>;
  /**
   * True when applies commit in the order they are called, each after the one before has settled (one writer, one
   * queue: the embedded store). A catch-up then sends a batch while the one before it still commits: if that one was
   * not applied, this one's `expected` is not the checkpoint, and it changes nothing. Otherwise (a pool of
   * connections, where a later call may commit first) each batch waits for the one before. Default false.
   */
  readonly appliesInOrder?: boolean;
  /** 0 when the projection has never run. */
  checkpoint(projection: string): Promise<number>;
  /** Drops every read model and checkpoint, for a rebuild. */
  reset(): Promise<void>;
  /**
   * Says that the rebuild after `reset()` has caught up with the log. A store may leave out, from the reset until
   * then, the indexes that only queries read, and build each with one sort here instead of keeping it in order row by
   * row through the rebuild; queries in between give the same answers, more slowly. Optional: a store that keeps
   * every index all along has nothing to do.
   */
  rebuilt?(): Promise<void>;
  getSubjects(subjectIds: string[]): Promise<Map<string, SubjectView>>;
  /**
   * The log position of each subject's snapshot, without the snapshot: tells a reader whether a
   * snapshot it parsed before is still current. Unknown ids are absent.
   */
  subjectPositions(subjectIds: string[]): Promise<Map<string, number>>;
  findByBlindIndex(hashes: string[]): Promise<BlindIndexEntry[]>;
  /**
   * Blind-index entries whose hash is of an epoch before `epoch` (a hash `<epoch>:<hex>`; one with
   * no epoch counts as epoch 0), ordered by (subjectId, category, field, entry; the category's own
   * value first), paged after that key. `limit` defaults to 1000.
   */
  listIndexOlderThan(epoch: number, options?: { limit?: number; after?: IndexKey }): Promise<BlindIndexEntry[]>;
  /**
   * Replaces (or deletes, `to: null`) each entry whose hash is still `from`, in one transaction,
   * leaving no copy of a deleted hash in the live store's files where the adapter can ensure it (a
   * replaced hash is of an epoch whose index key the rotation deletes). Returns how many changed.
   */
  replaceIndexHashes(changes: IndexReplacement[]): Promise<number>;
  listHolds(filter?: { subjectId?: string; endingBefore?: string }): Promise<HoldView[]>;
  /**
   * Retention rows due at or before `asOf`, in due order, paged by (dueAt, subjectId, category). `limit` defaults to
   * 1000.
   */
  listDueRetention(
    asOf: string,
    options?: { limit?: number; after?: { dueAt: string; subjectId: string; category: string } },
  ): Promise<RetentionView[]>;
  listShredded(filter?: { subjectId?: string }): Promise<ShredView[]>;
  /**
   * Ids in the consents index (subjects who gave a consent: `ViewBatch.consents`), in id order (byte-wise), after
   * `after`. `limit` defaults to 1000.
   */
  listConsentSubjects(options?: { after?: string; limit?: number }): Promise<string[]>;
  /**
   * Tracked rows of one kind, ordered by (dueAt, id): filter by status, due before a time, subject
   * or id (a link's token hash). `limit` defaults to 1000.
   */
  listTracked(
    kind: TrackedRow['kind'],
    filter?: { status?: string; dueBefore?: string; subjectId?: string; id?: string; limit?: number },
  ): Promise<TrackedRow[]>;
  /**
   * Counts for the operator, without ids: open requests by type and pending Art. 14 notices (`INFORM`), each with
   * those overdue at `asOf` and those due before `soon`; and the retention rows due at or before `asOf`.
   */
  countDeadlines(asOf: string, soon: string): Promise<{ deadlines: DeadlineCount[]; retentionDue: number }>;
  /** Statistics rows, optionally within a month range (inclusive), ordered by month, category, purpose, metric. */
  listStats(filter?: { fromMonth?: string; toMonth?: string }): Promise<StatRow[]>;
  close(): Promise<void>;
}
