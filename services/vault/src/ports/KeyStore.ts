import type { VaultError } from '../domain/errors.js';
import type { ShredReason } from '../domain/events.js';

/** A data key as stored: wrapped by the master key, never in the clear. */
export interface StoredKey {
  keyId: string;
  subjectId: string;
  category: string;
  /** Output of the KEK provider's wrap: bound to (subject, category, keyId). */
  wrapped: Uint8Array;
  /** The epoch of the key-encryption key that wrapped it (see `KekProvider`). */
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
 * the key bytes from every file the store writes where the store can guarantee it (the embedded
 * store: see `adapters/slotFile`); every other copy (page gaps, WAL, replicas, backups) is
 * garbage once the epoch that wrapped it ends. A shredded key id can never be created again.
 */
export interface KeyStore {
  /**
   * Stores each key unless its id exists already; returns the stored key of every id (the
   * winner when two writers race). Ids that were shredded are absent from the result.
   */
  createIfAbsent(keys: StoredKey[]): Promise<Map<string, StoredKey>>;
  /** Batch load by key id; shredded or unknown ids are absent. */
  getByIds(keyIds: string[]): Promise<Map<string, StoredKey>>;
  /**
   * The ids of the keys stored for one subject, shredded ones not among them, in key-id order; no key
   * material. An erasure finds by it the keys no event names (made for a write the log refused).
   */
  listKeyIds(subjectId: string): Promise<string[]>;
  /** Deletes the keys and leaves tombstones. Idempotent: returns the ids destroyed by this call. */
  shred(keyIds: string[], reason: ShredReason, at: string): Promise<string[]>;
  /** Tombstones, optionally only a subject's or only the given key ids. */
  listTombstones(filter?: { subjectId?: string; keyIds?: string[] }): Promise<Tombstone[]>;
  /**
   * Keys wrapped by any epoch other than `version`, in key-id order, a page at a time (after
   * `afterKeyId`), for re-wrapping under the current epoch.
   */
  listWrappedOtherThan(version: number, options?: { limit?: number; afterKeyId?: string }): Promise<StoredKey[]>;
  /** The epochs that wrap at least one stored key, ascending. */
  epochsInUse(): Promise<number[]>;
  /**
   * Replaces the wrapping of existing keys (same key, new epoch), each only if it is still
   * wrapped by `fromVersion`; shredded ids are skipped. Returns how many changed.
   */
  rewrap(keys: { keyId: string; wrapped: Uint8Array; kekVersion: number; fromVersion: number }[]): Promise<number>;
  /**
   * Small named values of the vault itself (at most 100 bytes): its secrets (signing seed,
   * blind-index key), already wrapped, and the epochs' schedule.
   */
  getMeta(name: string): Promise<Uint8Array | undefined>;
  /** Stores the value unless the name exists; returns the stored value (the winner of a race). */
  putMetaIfAbsent(name: string, value: Uint8Array): Promise<Uint8Array>;
  /** Overwrites a value that exists (a secret re-wrapped under a new epoch). */
  replaceMeta(name: string, value: Uint8Array): Promise<void>;
  /** Deletes a value (a secret that ended with its epoch), as a shred deletes a key. Idempotent. */
  deleteMeta(name: string): Promise<void>;
  /** As `EventLog.failure`: set once new keys can no longer be created (the embedded store's writer thread stopped). */
  readonly failure?: VaultError | undefined;
  /** As `EventLog.pendingWrites`. */
  readonly pendingWrites?: number;
  close(): Promise<void>;
}
