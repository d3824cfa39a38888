import { hash } from 'node:crypto';

import nacl from 'tweetnacl';

import { contextTag, open, seal } from '../../crypto/envelope.js';
import type { MasterKeys } from '../../crypto/masterKey.js';
import { isVaultError, VaultError } from '../../domain/errors.js';
import type { KekProvider } from '../../ports/KekProvider.js';
import { openSlotFile, ownerTag, type SlotFile } from '../slotFile/openSlotFile.js';

/** Options of the embedded KEK custody. */
export interface LocalKekProviderOptions {
  /**
   * The epoch key file: one fixed slot per epoch, each KEK sealed under the master key and
   * zeroed in place when its epoch ends. `':memory:'` keeps them in memory. Required.
   */
  path: string;
  /**
   * The master keys that seal the epoch keys; the highest version seals new ones. Required. The
   * provider owns them: they are kept (another process may create or re-seal an epoch key this one
   * must open) and zeroed by `close()`.
   */
  master: MasterKeys;
}

/** The local custody, which can also re-seal its KEKs under a new master key. */
export interface LocalKekProvider extends KekProvider {
  /** Re-seals every epoch key under the current master key version; returns how many changed. */
  reseal(): Promise<number>;
  /**
   * Copies of the live epoch keys, for `vault audit-erasure` only: carving a file for wrapped
   * keys needs the raw KEKs, as an attacker holding the master key and this file would have them.
   */
  keksForAudit(): Promise<{ epoch: number; kek: Uint8Array }[]>;
}

const SLOT_KEK = 3;
const kekOwner = (epoch: number): Uint8Array => ownerTag(`kek\u0000${epoch}`);
const sealTag = (epoch: number): Uint8Array => contextTag('pdv/kek/v1', [String(epoch)]);
/** What a wrapped key is bound to, in the 16 bytes the envelope seals in front of it. */
export const aadTag = (aad: Uint8Array): Uint8Array =>
  hash('sha256', Buffer.from(aad.buffer, aad.byteOffset, aad.byteLength), 'buffer').subarray(0, 16);

const unavailable = (epoch: number): VaultError =>
  new VaultError(
    'KEK_UNAVAILABLE',
    `The key-encryption key of epoch ${epoch} does not exist (destroyed when its epoch ended, or never made here)`,
    {
      details: { epoch },
    },
  );

function openWrapped(kek: Uint8Array, wrapped: Uint8Array, tag: Uint8Array): Uint8Array {
  try {
    return open(kek, wrapped, tag, 'wrapped data key');
  } catch (e) {
    // The port's word for both: an HSM's AES-GCM cannot tell a wrong context from tampering either.
    if (isVaultError(e, 'CONTEXT_MISMATCH'))
      throw new VaultError(
        'CIPHERTEXT_INVALID',
        'A wrapped data key failed authentication under its context (tampered, or moved)',
      );
    throw e;
  }
}

/**
 * The embedded default's KEK custody: each epoch's KEK is random, sealed under the master key
 * (one byte of master-key version, then the envelope) in a slot of its own, and destroyed by
 * zeroing that slot. The master key alone opens nothing: a KEK that left the file is gone, even
 * for whoever holds the master key and every backup of keys.db. A backup of this file, though,
 * holds the KEKs of its day: keep such backups no longer than one epoch (docs/security.md).
 */
// One closure over the slot file and the sealed epoch keys; each method in it is short.
// eslint-disable-next-line max-lines-per-function -- see above
export function getLocalKekProvider(options: LocalKekProviderOptions): LocalKekProvider {
  const { master } = options;
  const file: SlotFile = openSlotFile(options.path);
  /** The KEKs in memory, with their slots; re-read from the file when another process may have changed it. */
  let keks = new Map<number, { slot: number; kek: Uint8Array; sealedBy: number }>();

  const load = (): void => {
    const next = new Map<number, { slot: number; kek: Uint8Array; sealedBy: number }>();
    for (const { index, slot } of file.scan()) {
      if (slot.kind !== SLOT_KEK) continue;
      const version = slot.payload[0]!;
      const key = master.keys.get(version);
      if (!key)
        throw new VaultError(
          'MASTER_KEY_MISMATCH',
          `An epoch key is sealed under master key version ${version}, which is not configured`,
        );
      let kek: Uint8Array;
      try {
        kek = open(key, slot.payload.subarray(1), sealTag(slot.epoch), 'epoch key');
      } catch {
        throw new VaultError(
          'MASTER_KEY_MISMATCH',
          `Master key version ${version} does not open the epoch keys. Check VAULT_MASTER_KEY / VAULT_MASTER_KEY_FILE.`,
        );
      }
      next.set(slot.epoch, { slot: index, kek: new Uint8Array(kek), sealedBy: version });
      kek.fill(0);
    }
    for (const k of keks.values()) k.kek.fill(0);
    keks = next;
  };
  load();

  const kekOf = (epoch: number): Uint8Array => {
    if (!keks.has(epoch)) load();
    const k = keks.get(epoch);
    if (!k) throw unavailable(epoch);
    return k.kek;
  };

  const writeSealed = (slot: number, epoch: number, kek: Uint8Array): void => {
    const sealed = seal(master.keys.get(master.current)!, kek, sealTag(epoch));
    const payload = new Uint8Array(1 + sealed.length);
    payload[0] = master.current;
    payload.set(sealed, 1);
    file.write(slot, kekOwner(epoch), { kind: SLOT_KEK, epoch, payload });
  };

  return {
    kind: 'local',
    epochs: async () => {
      load();
      return [...keks.keys()].sort((a, b) => a - b);
    },
    create: async (epoch) => {
      if (!Number.isInteger(epoch) || epoch < 1)
        throw new VaultError('CONFIG_INVALID', 'An epoch is a positive integer');
      load();
      if (keks.has(epoch)) return;
      const used = new Set([...keks.values()].map((k) => k.slot));
      let slot = 0;
      while (used.has(slot)) slot += 1;
      const kek = nacl.randomBytes(32);
      writeSealed(slot, epoch, kek);
      file.sync();
      keks.set(epoch, { slot, kek, sealedBy: master.current });
    },
    wrap: async (epoch, items) => {
      const kek = kekOf(epoch);
      return items.map((i) => seal(kek, i.key, aadTag(i.aad)));
    },
    unwrap: async (epoch, items) => {
      const kek = kekOf(epoch);
      return items.map((i) => openWrapped(kek, i.wrapped, aadTag(i.aad)));
    },
    rewrap: async (from, to, items) => {
      const old = kekOf(from);
      const kek = kekOf(to);
      return items.map((i) => {
        const tag = aadTag(i.aad);
        const key = openWrapped(old, i.wrapped, tag);
        try {
          return seal(kek, key, tag);
        } finally {
          key.fill(0);
        }
      });
    },
    destroy: async (epoch) => {
      load();
      const k = keks.get(epoch);
      if (!k) return;
      file.zero(k.slot);
      file.sync();
      k.kek.fill(0);
      keks.delete(epoch);
    },
    reseal: async () => {
      load();
      let changed = 0;
      for (const [epoch, k] of keks) {
        if (k.sealedBy === master.current) continue;
        writeSealed(k.slot, epoch, k.kek);
        k.sealedBy = master.current;
        changed += 1;
      }
      if (changed > 0) file.sync();
      return changed;
    },
    keksForAudit: async () => {
      load();
      return [...keks].map(([epoch, k]) => ({ epoch, kek: new Uint8Array(k.kek) }));
    },
    close: async () => {
      for (const k of keks.values()) k.kek.fill(0);
      keks.clear();
      // Kept until now: another process may create or re-seal an epoch key that this one must open.
      for (const key of master.keys.values()) key.fill(0);
      file.close();
    },
  };
}
