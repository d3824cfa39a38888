import type { ShredReason, StoredKey, Tombstone } from '../ports/KeyStore.js';
import type { BlindIndexEntry, HoldView, RetentionView, ShredView } from '../ports/ViewStore.js';

/**
 * Row shapes and row-to-port mappers shared by the SQL adapters (SQLite, PostgreSQL): both
 * name their columns alike, so a row means the same thing in either.
 */

export interface KeyRow {
  key_id: string;
  subject_id: string;
  category: string;
  wrapped: Buffer;
  kek_version: number;
  created_at: string;
}

export interface TombstoneRow {
  key_id: string;
  subject_id: string;
  category: string;
  shredded_at: string;
  reason: ShredReason;
}

export interface HoldRow {
  subject_id: string;
  category: string;
  basis: string;
  until: string;
  source: HoldView['source'];
  /** NULL: a hold on the whole category. */
  entry: string | null;
}

export interface RetentionRow {
  subject_id: string;
  category: string;
  due_at: string;
  rule: string;
}

/** `key_ids` as the driver returns it: JSON text (SQLite) or an array (PostgreSQL). */
export interface ShredRow {
  subject_id: string;
  category: string;
  key_ids: string | string[];
  reason: ShredReason;
  at: string;
  event_id: string;
}

export interface IndexRow {
  hash: string;
  subject_id: string;
  category: string;
  field: string;
  /** '': the category's own value (NOT NULL, so that it can be part of the key). */
  entry: string;
}

/** An index entry's `entry` as the tables store it: '' for the category's own value (an entry id is never empty). */
export const entryColumn = (entry: string | undefined): string => entry ?? '';

/** A driver's Buffer as the plain bytes the ports speak. */
export const toBytes = (b: Buffer): Uint8Array => new Uint8Array(b);
/** Bytes as a Buffer for a driver, without copying when they already are one. */
export const toBuffer = (u: Uint8Array): Buffer =>
  Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);

export const toKey = (r: KeyRow): StoredKey => ({
  keyId: r.key_id,
  subjectId: r.subject_id,
  category: r.category,
  wrapped: toBytes(r.wrapped),
  kekVersion: r.kek_version,
  createdAt: r.created_at,
});

export const toTombstone = (r: TombstoneRow): Tombstone => ({
  keyId: r.key_id,
  subjectId: r.subject_id,
  category: r.category,
  shreddedAt: r.shredded_at,
  reason: r.reason,
});

export const toHold = (r: HoldRow): HoldView => ({
  subjectId: r.subject_id,
  category: r.category,
  ...(r.entry === null ? {} : { entry: r.entry }),
  basis: r.basis,
  until: r.until,
  source: r.source,
});
export const toRetention = (r: RetentionRow): RetentionView => ({
  subjectId: r.subject_id,
  category: r.category,
  dueAt: r.due_at,
  rule: r.rule,
});
export const toShred = (r: ShredRow): ShredView => ({
  subjectId: r.subject_id,
  category: r.category,
  keyIds: typeof r.key_ids === 'string' ? (JSON.parse(r.key_ids) as string[]) : r.key_ids,
  reason: r.reason,
  at: r.at,
  eventId: r.event_id,
});
export const toEntry = (r: IndexRow): BlindIndexEntry => ({
  hash: r.hash,
  subjectId: r.subject_id,
  category: r.category,
  field: r.field,
  ...(r.entry === '' ? {} : { entry: r.entry }),
});
