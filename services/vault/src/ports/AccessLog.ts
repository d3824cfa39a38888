import type { VaultError } from '../domain/errors.js';

/**
 * One disclosure of personal data: who read which categories of which subject, for what, when.
 * Never values. The access report (Art. 15(1)(c)) names the recipients from these entries.
 */
export interface AccessLogEntry {
  /** The caller as recorded in event metadata, e.g. `service:billing`, `dpo:alice`, `subject:<id>`. */
  actor: string;
  purpose: string;
  subjectId: string;
  /** Categories whose values were served (denied and erased items disclose nothing and are not listed). */
  categories: string[];
  /** ISO time of the read. */
  at: string;
}

export interface ListAccessOptions {
  /** At most this many entries, newest first. Default 1000. */
  limit?: number;
  /** Only entries at or after this ISO time. */
  since?: string;
  /** Only entries at or before this ISO time (an access report's time, so its pages hold still). */
  until?: string;
  /** Skips this many of the newest entries first (the next page, with the same `until`). Default 0. */
  offset?: number;
}

/** Who read one category of a subject for one purpose: the access report's recipients, summed over the whole log. */
export interface RecipientRow {
  category: string;
  actor: string;
  purpose: string;
  /** ISO times of the first and the last such read. */
  firstAt: string;
  lastAt: string;
  reads: number;
}

/** Append-only log of reads of personal data. */
export interface AccessLog {
  /** Appends a batch in one transaction. */
  append(entries: readonly AccessLogEntry[]): Promise<void>;
  /** A subject's entries, newest first. */
  listBySubject(subjectId: string, options?: ListAccessOptions): Promise<AccessLogEntry[]>;
  /**
   * Every (category, actor, purpose) that read the subject up to `until`, with its first and last
   * read and their count, ordered by category, then first read: however many reads there were, no
   * recipient drops out.
   */
  recipientsOf(subjectId: string, until: string): Promise<RecipientRow[]>;
  /** How many entries the subject has up to `until`: every read counted, however many a report lists. */
  countBySubject(subjectId: string, until: string): Promise<number>;
  /** As `EventLog.failure`: set once appends fail for good (the embedded log's writer thread stopped). */
  readonly failure?: VaultError | undefined;
  /** As `EventLog.pendingWrites`. */
  readonly pendingWrites?: number;
  close(): Promise<void>;
}
