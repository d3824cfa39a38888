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
}

/** Append-only log of reads of personal data. */
export interface AccessLog {
  /** Appends a batch in one transaction. */
  append(entries: readonly AccessLogEntry[]): Promise<void>;
  /** A subject's entries, newest first. */
  listBySubject(subjectId: string, options?: ListAccessOptions): Promise<AccessLogEntry[]>;
  /** As `EventLog.failure`: set once appends fail for good (the embedded log's writer thread stopped). */
  readonly failure?: VaultError | undefined;
  close(): Promise<void>;
}
