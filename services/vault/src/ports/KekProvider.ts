/**
 * Custody of the key-encryption keys (KEKs): one per epoch. A KEK wraps data keys and vault
 * secrets; it never touches personal data. Every live data key is re-wrapped under the next
 * epoch's KEK and the previous one is then destroyed, so any stale copy of a wrapped key (a page
 * gap, a WAL segment, a replica, a backup) is garbage once its epoch's KEK is gone.
 *
 * Adapters: `local` (the embedded default: KEKs in a file of fixed slots, sealed under the master
 * key and zeroed in place when destroyed) and `pkcs11` (KEKs generated, used and destroyed inside
 * an HSM; they never leave it).
 */
export interface KekProvider {
  /** Which custody this is, for reports and certificates. */
  readonly kind: 'local' | 'pkcs11';
  /** The epochs whose KEK exists, ascending. */
  epochs(): Promise<number[]>;
  /** Creates the KEK of `epoch` if it does not exist (idempotent). Epochs are positive integers. */
  create(epoch: number): Promise<void>;
  /**
   * Wraps each 32-byte data key under the KEK of `epoch`, bound to its `aad` (the context it
   * belongs to): a wrapped key opened under another context fails. Fails with KEK_UNAVAILABLE
   * when the epoch's KEK does not exist.
   */
  wrap(epoch: number, items: readonly { key: Uint8Array; aad: Uint8Array }[]): Promise<Uint8Array[]>;
  /**
   * Unwraps what `wrap` made under `epoch` with the same `aad`. Fails with KEK_UNAVAILABLE when
   * the epoch's KEK was destroyed (or never existed), CIPHERTEXT_INVALID when a wrapped key was
   * tampered with or belongs to another context.
   */
  unwrap(epoch: number, items: readonly { wrapped: Uint8Array; aad: Uint8Array }[]): Promise<Uint8Array[]>;
  /**
   * Moves wrapped keys from the KEK of `from` to the KEK of `to` (same `aad`): `unwrap` then `wrap`
   * in one call, the data keys never handed back. Optional: an epoch rotation uses it where a
   * custody offers it (fewer calls, no plaintext key outside the provider), `unwrap` and `wrap` otherwise.
   */
  rewrap?(from: number, to: number, items: readonly { wrapped: Uint8Array; aad: Uint8Array }[]): Promise<Uint8Array[]>;
  /** Destroys the KEK of `epoch` for good (idempotent). */
  destroy(epoch: number): Promise<void>;
  close(): Promise<void>;
}
