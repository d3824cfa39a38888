import { VaultError } from '../domain/errors.js';

/**
 * Short exclusive claims that expire, held in a store every replica shares: the delivery of one notification is
 * claimed by one replica at a time (Art. 19 propagation), and a replica that dies holding a claim loses it when
 * it expires. A lease is named by its key and held by a holder (one per running process); its expiry is measured
 * on the store's clock, so replicas on several machines agree on it whatever their own clocks say.
 */
export interface LeaseStore {
  /**
   * Takes each of `keys` for `holder` for `ttlMs` where it is free, expired or already `holder`'s (which renews
   * it), in one transaction; returns the leases taken, in no particular order. A key another holder has and whose
   * lease has not expired is left out. At most `MAX_LEASE_BATCH` keys; `ttlMs` a positive integer
   * (BAD_USER_INPUT otherwise, taking nothing).
   */
  acquire(keys: readonly string[], holder: string, ttlMs: number): Promise<AcquiredLease[]>;
  /**
   * Ends `holder`'s leases on `keys` at once (a key another holder has taken meanwhile stays theirs). The store
   * remembers an ended lease for `LEASE_MEMORY_MS`, so a later `acquire` of it is not `first`.
   */
  release(keys: readonly string[], holder: string): Promise<void>;
  /**
   * The holders whose name starts with `prefix` and who hold a lease that has not expired, each once, in no
   * particular order (BAD_USER_INPUT for an empty prefix). For a process to find holders it may know to be dead.
   */
  holders(prefix: string): Promise<string[]>;
  /**
   * Ends every lease `holder` has that has not expired, as `release` ends them (remembered, so their next `acquire`
   * is not `first`); returns how many. Only for a holder known to be dead: others may take its keys at once.
   */
  releaseAll(holder: string): Promise<number>;
  close(): Promise<void>;
}

export interface AcquiredLease {
  key: string;
  /**
   * No holder had this key before, as far as the store remembers (`LEASE_MEMORY_MS`): nobody can have acted under
   * it, so there is nothing of theirs to catch up with.
   */
  first: boolean;
}

/** How long a store remembers a lease after it ended, in ms: one day. */
export const LEASE_MEMORY_MS = 86_400_000;

/** The most keys one `acquire` or `release` takes. */
export const MAX_LEASE_BATCH = 1000;

/** The arguments every adapter checks the same way before it touches its store. */
export function checkLeaseArguments(keys: readonly string[], holder: string, ttlMs?: number): void {
  if (keys.length > MAX_LEASE_BATCH)
    throw new VaultError('BAD_USER_INPUT', `At most ${MAX_LEASE_BATCH} leases at once, not ${keys.length}`);
  if (holder === '' || keys.some((k) => typeof k !== 'string' || k === ''))
    throw new VaultError('BAD_USER_INPUT', 'A lease needs a holder and non-empty keys');
  if (ttlMs !== undefined && (!Number.isInteger(ttlMs) || ttlMs < 1))
    throw new VaultError('BAD_USER_INPUT', 'A lease lasts a positive whole number of milliseconds');
}
