import type Database from 'better-sqlite3';

import type { KeyStore } from '../../../ports/KeyStore.js';
import type { SlotFile } from '../../slotFile/openSlotFile.js';
import type { SqliteDatabase } from '../openDatabase.js';
import { keyOwnerTag, secretOwnerTag, SLOT_KEY, SLOT_SECRET, type slotAllocator } from '../writers/keyStoreCommit.js';
import type { KeyStatements } from './statements.js';

/** The writes that commit on the key store's own thread: vault secrets and re-wraps, both rare. */
export interface KeyTransactions {
  readSecret(name: string): Uint8Array | undefined;
  putSecret: Database.Transaction<(name: string, value: Uint8Array) => Uint8Array>;
  replaceSecret: Database.Transaction<(name: string, value: Uint8Array) => void>;
  deleteSecret: Database.Transaction<(name: string) => void>;
  rewrap: Database.Transaction<(keys: Parameters<KeyStore['rewrap']>[0]) => number>;
}

export function keyTransactions(
  db: SqliteDatabase,
  slots: SlotFile,
  stmt: KeyStatements,
  alloc: ReturnType<typeof slotAllocator>,
): KeyTransactions {
  const readSecret = (name: string): Uint8Array | undefined => {
    const row = stmt.secretSlot.get(name);
    const slot = row && slots.read(row.slot, secretOwnerTag(name));
    return slot?.kind === SLOT_SECRET ? slot.payload : undefined;
  };
  return {
    readSecret,
    putSecret: db.transaction((name: string, value: Uint8Array) => {
      const existing = readSecret(name);
      if (existing) return existing;
      const slot = alloc.take();
      stmt.addSecret.run(name, slot);
      slots.write(slot, secretOwnerTag(name), { kind: SLOT_SECRET, epoch: 0, payload: value });
      slots.sync();
      return value;
    }),
    deleteSecret: db.transaction((name: string) => {
      const row = stmt.secretSlot.get(name);
      if (!row) return;
      stmt.dropSecret.run(name);
      alloc.free(row.slot);
      slots.sync();
    }),
    rewrap: rewrapTransaction(db, slots, stmt),
    replaceSecret: db.transaction((name: string, value: Uint8Array) => {
      const row = stmt.secretSlot.get(name);
      if (!row) return;
      slots.write(row.slot, secretOwnerTag(name), { kind: SLOT_SECRET, epoch: 0, payload: value });
      slots.sync();
    }),
  };
}

// The new wrapping overwrites the old one in its slot, and the slot says which epoch wrapped
// it: a crash before the commit leaves a row naming the old epoch over a slot of the new one,
// which reads correctly and is merely re-wrapped again by the next rotation.
const rewrapTransaction = (db: SqliteDatabase, slots: SlotFile, stmt: KeyStatements) =>
  db.transaction((keys: Parameters<KeyStore['rewrap']>[0]) => {
    let changed = 0;
    for (const k of keys) {
      const row = stmt.row.get(k.keyId);
      if (!row) continue;
      const slot = slots.read(row.slot, keyOwnerTag(k.keyId));
      if (slot?.kind !== SLOT_KEY || slot.epoch !== k.fromVersion) continue;
      slots.write(row.slot, keyOwnerTag(k.keyId), { kind: SLOT_KEY, epoch: k.kekVersion, payload: k.wrapped });
      stmt.setEpoch.run(k.kekVersion, k.keyId);
      changed += 1;
    }
    if (changed > 0) slots.sync();
    return changed;
  });
