import type { VaultError } from '../domain/errors.js';
import type { ShredReason } from '../domain/events.js';

/** A data key as stored: wrapped by the master key, never in the clear. */
export interface StoredKey {
  keyId: string;
  subjectId: string;
  category: string;
  /** Output of the key ring's wrap: bound to (subject, category, keyId). */
  wrapped: Uint8Array;
  kekVersion: number;
  createdAt: string;
}

export type { ShredReason };

/** What remains of a shredded key: who, what, when, why. No key material. */
export interface Tombstone {
  keyId: string;
  subjectId: string;
  category: string;
  shreddedAt: string;
  reason: ShredReason;
}


/**
 * Storage for wrapped data keys. Key ids are chosen by the domain (one generation per
 * subject, category and re-key), so concurrent writers agree on them. Shredding must remove
 * the key bytes from every file the store writes (and from its backups within their bounded
 * retention), and a shredded key id can never be created again.
 */
export interface KeyStore {
  /**
   * Stores each key unless its id exists already; returns the stored key of every id (the
   * winner when two writers race). Ids that were shredded are absent from the result.
   */
  createIfAbsent(keys: StoredKey[]): Promise<Map<string, StoredKey>>;
  /** Batch load by key id; shredded or unknown ids are absent. */
  getByIds(keyIds: string[]): Promise<Map<string, StoredKey>>;
  /** Deletes the keys and leaves tombstones. Idempotent: returns the ids destroyed by this call. */
  shred(keyIds: string[], reason: ShredReason, at: string): Promise<string[]>;
  /** Tombstones, optionally only a subject's or only the given key ids. */
  listTombstones(filter?: { subjectId?: string; keyIds?: string[] }): Promise<Tombstone[]>;
  /**
   * Keys wrapped by any master-key version other than `version`, in key-id order, a page at a
   * time (after `afterKeyId`), for re-wrapping under the current master key.
   */
  listWrappedOtherThan(version: number, options?: { limit?: number; afterKeyId?: string }): Promise<StoredKey[]>;
  /**
   * Replaces the wrapping of existing keys (same key, new master-key version), each only if it
   * is still wrapped by `fromVersion`; shredded ids are skipped. Returns how many changed.
   */
  rewrap(keys: { keyId: string; wrapped: Uint8Array; kekVersion: number; fromVersion: number }[]): Promise<number>;
  /** Small named secrets of the vault itself (signing seed, blind-index key, master-key check), already wrapped. */
  getMeta(name: string): Promise<Uint8Array | undefined>;
  /** Stores the value unless the name exists; returns the stored value (the winner of a race). */
  putMetaIfAbsent(name: string, value: Uint8Array): Promise<Uint8Array>;
  /** Overwrites a secret that exists (only to re-wrap it under a new master key). */
  replaceMeta(name: string, value: Uint8Array): Promise<void>;
  /** As `EventLog.failure`: set once new keys can no longer be created (the embedded store's writer thread stopped). */
  readonly failure?: VaultError | undefined;
  close(): Promise<void>;
}
