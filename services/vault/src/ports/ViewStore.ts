import type { SubjectState } from '../domain/subject.js';
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
}

export interface HoldView {
  subjectId: string;
  category: string;
  basis: string;
  /** ISO time, or `open` while the trigger that starts the legal period has not happened. */
  until: string;
  source: 'register' | 'dpo';
}

export interface RetentionView {
  subjectId: string;
  category: string;
  /** When retention ends: the category may be shredded from then on, unless held. */
  dueAt: string;
  /** The rule, e.g. `P30D after recorded`. */
  rule: string;
}

export interface ShredView {
  subjectId: string;
  category: string;
  keyIds: string[];
  reason: ShredReason;
  at: string;
  eventId: string;
}

export type IndexChange =
  | { op: 'put'; entry: BlindIndexEntry }
  | { op: 'delete'; subjectId: string; category: string; field?: string };

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
}

export const emptyBatch = (): ViewBatch => ({ subjects: [], index: [], holds: [], retention: [], shredded: [] });

/** Read models, each change committed in the same transaction as the projection checkpoint. */
export interface ViewStore {
  /**
   * Applies the batch and moves the checkpoint of `projection` to `position`, atomically.
   * Returns false, changing nothing, when the checkpoint is already at or past `position`
   * (another replica applied it): each event takes effect once.
   */
  apply(projection: string, batch: ViewBatch, position: number): Promise<boolean>;
  /** 0 when the projection has never run. */
  checkpoint(projection: string): Promise<number>;
  /** Drops every read model and checkpoint, for a rebuild. */
  reset(): Promise<void>;
  getSubjects(subjectIds: string[]): Promise<Map<string, SubjectView>>;
  findByBlindIndex(hashes: string[]): Promise<BlindIndexEntry[]>;
  listHolds(filter?: { subjectId?: string; endingBefore?: string }): Promise<HoldView[]>;
  /** Retention rows due at or before `asOf`, in due order, paged by (dueAt, subjectId, category). */
  listDueRetention(asOf: string, options?: { limit?: number; after?: { dueAt: string; subjectId: string; category: string } }): Promise<RetentionView[]>;
  listShredded(filter?: { subjectId?: string }): Promise<ShredView[]>;
  close(): Promise<void>;
}
