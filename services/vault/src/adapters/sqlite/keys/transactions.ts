import type Database from 'better-sqlite3';

import type { SlotFile } from '../../slotFile/openSlotFile.js';
import type { SqliteDatabase } from '../openDatabase.js';
import { secretOwnerTag, SLOT_SECRET, type slotAllocator } from '../writers/keyStoreCommit.js';
import type { KeyStatements } from './statements.js';

/** The writes that commit on the key store's own thread: vault secrets, rare. */
export interface KeyTransactions {
  readSecret(name: string): Uint8Array | undefined;
  putSecret: Database.Transaction<(name: string, value: Uint8Array) => Uint8Array>;
  replaceSecret: Database.Transaction<(name: string, value: Uint8Array) => void>;
  deleteSecret: Database.Transaction<(name: string) => void>;
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
    replaceSecret: db.transaction((name: string, value: Uint8Array) => {
      const row = stmt.secretSlot.get(name);
      if (!row) return;
      slots.write(row.slot, secretOwnerTag(name), { kind: SLOT_SECRET, epoch: 0, payload: value });
      slots.sync();
    }),
  };
}
