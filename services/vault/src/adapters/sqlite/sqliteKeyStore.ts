import type { KeyStore, StoredKey, Tombstone } from '../../ports/KeyStore.js';
import { existsSync } from 'node:fs';
import { chunks, closedError, connectionOptions, isMemoryPath, openDatabase, toVaultError, type SqliteOptions, guarded } from './openDatabase.js';
import { toTombstone, type TombstoneRow } from '../sqlRows.js';
import { openSlotFile } from '../slotFile/openSlotFile.js';
import {
  KEYS_SCHEMA,
  SLOT_KEY,
  SLOT_SECRET,
  createKeyWriter,
  keyLoader,
  keyOwnerTag,
  keysFromRows,
  refuseInlineKeys,
  secretOwnerTag,
  slotAllocator,
  slotPathOf,
  type KeyWrite,
  type KeyWriteResult,
} from './writers/keyStoreCommit.js';
import type { WriterThreadOptions } from './writers/serve.js';
import { startWriterThread } from './writers/thread.js';

/** Options of the embedded key store. */
export type SqliteKeyStoreOptions = SqliteOptions;

/**
 * Whether the key store at `path` holds the vault secret `name`; undefined when there is no key
 * store there. Reads only: no file, table or writer thread is created for the question.
 */
export function sqliteKeyStoreHolds(path: string, name: string): boolean | undefined {
  if (!existsSync(path)) return undefined;
  const db = openDatabase({ path });
  try {
    return db.prepare('SELECT 1 FROM secrets WHERE name = ?').get(name) !== undefined;
  } catch (e) {
    // A file without the key store's tables holds no key store.
    if (/no such table/.test((e as Error).message)) return undefined;
    throw toVaultError(e);
  } finally {
    db.close();
  }
}

/**
 * The embedded key store. keys.db says which key is whose and where; the key material (wrapped
 * data keys and the vault's secrets) lies in fixed slots of `keys.db-slots`, written in place
 * (see `slotFile/openSlotFile.ts`). A shred deletes the row, zeroes the slot and leaves a
 * tombstone: no byte of the key is left in either file, whatever SQLite did with its pages,
 * because its pages never held one. New keys and shreds are committed by a writer thread
 * (`writers/keyStore.worker.ts`), as appends are; re-wraps and vault secrets, rare, commit on
 * this thread. An in-memory database does everything on the caller's thread.
 */
export function getSqliteKeyStore(options: SqliteKeyStoreOptions): KeyStore {
  const db = openDatabase(options, { secureDelete: true, schema: KEYS_SCHEMA });
  try {
    refuseInlineKeys(db);
  } catch (e) {
    db.close();
    throw e;
  }
  const slots = openSlotFile(slotPathOf(options.path));
  let closed = false;
  const inMemory = isMemoryPath(options.path);
  const writer = inMemory
    ? undefined
    : startWriterThread<KeyWrite, KeyWriteResult>('keyStore', { ...connectionOptions(options), maxPerCommit: 10_000, secureDelete: true } satisfies WriterThreadOptions);
  const writeHere = inMemory ? createKeyWriter(db, slots) : undefined;
  const byId = (keys: readonly StoredKey[]): Map<string, StoredKey> => new Map(keys.map((k) => [k.keyId, k]));
  const run = guarded(() => closed);
  /** A create or shred: on the writer thread, or here for an in-memory database. */
  const write = (w: KeyWrite): Promise<KeyWriteResult> => (writer ? writer.write(w) : run(() => writeHere!([w])[0]!));
  const alloc = slotAllocator(db, slots);

  const stmt = {
    tombstones: db.prepare<{ subjectId: string | null; keyIds: string | null }, TombstoneRow>(
      `SELECT * FROM tombstones
       WHERE (@subjectId IS NULL OR subject_id = @subjectId)
         AND (@keyIds IS NULL OR key_id IN (SELECT value FROM json_each(@keyIds)))
       ORDER BY shredded_at, key_id`,
    ),
    secretSlot: db.prepare<[string], { slot: number }>('SELECT slot FROM secrets WHERE name = ?'),
    addSecret: db.prepare<[string, number]>('INSERT INTO secrets (name, slot) VALUES (?, ?)'),
    dropSecret: db.prepare<[string]>('DELETE FROM secrets WHERE name = ?'),
    otherThan: db.prepare<[number, string, number], Parameters<typeof keysFromRows>[1][number]>(
      'SELECT * FROM keys WHERE kek_version <> ? AND key_id > ? ORDER BY key_id LIMIT ?',
    ),
    row: db.prepare<[string], { slot: number; kek_version: number }>('SELECT slot, kek_version FROM keys WHERE key_id = ?'),
    setEpoch: db.prepare<[number, string]>('UPDATE keys SET kek_version = ? WHERE key_id = ?'),
    epochs: db.prepare<[], { e: number }>('SELECT DISTINCT kek_version AS e FROM keys ORDER BY e'),
    anyKey: db.prepare<[string]>('SELECT 1 FROM keys WHERE key_id IN (SELECT value FROM json_each(?)) LIMIT 1'),
  };

  const load = keyLoader(db, slots);
  const loadKeys = (keyIds: string[]): Map<string, StoredKey> => byId(load(keyIds));
  const readSecret = (name: string): Uint8Array | undefined => {
    const row = stmt.secretSlot.get(name);
    const slot = row && slots.read(row.slot, secretOwnerTag(name));
    return slot?.kind === SLOT_SECRET ? slot.payload : undefined;
  };

  const putSecretTx = db.transaction((name: string, value: Uint8Array) => {
    const existing = readSecret(name);
    if (existing) return existing;
    const slot = alloc.take();
    stmt.addSecret.run(name, slot);
    slots.write(slot, secretOwnerTag(name), { kind: SLOT_SECRET, epoch: 0, payload: value });
    slots.sync();
    return value;
  });

  const deleteSecretTx = db.transaction((name: string) => {
    const row = stmt.secretSlot.get(name);
    if (!row) return;
    stmt.dropSecret.run(name);
    alloc.free(row.slot);
    slots.sync();
  });

  // The new wrapping overwrites the old one in its slot, and the slot says which epoch wrapped
  // it: a crash before the commit leaves a row naming the old epoch over a slot of the new one,
  // which reads correctly and is merely re-wrapped again by the next rotation.
  const rewrapTx = db.transaction((keys: Parameters<KeyStore['rewrap']>[0]) => {
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

  const replaceSecretTx = db.transaction((name: string, value: Uint8Array) => {
    const row = stmt.secretSlot.get(name);
    if (!row) return;
    slots.write(row.slot, secretOwnerTag(name), { kind: SLOT_SECRET, epoch: 0, payload: value });
    slots.sync();
  });

  return {
    createIfAbsent: (keys) => {
      if (closed) return Promise.reject(closedError());
      if (keys.length === 0) return Promise.resolve(new Map());
      return write({ create: keys }).then((r) => byId('stored' in r ? r.stored : []));
    },

    getByIds: (keyIds) => run(() => loadKeys(keyIds)),

    shred: async (keyIds, reason, at) => {
      // Shreds are repeated on purpose (the projector finishes what a crash interrupted): a
      // repeat finds nothing and must not take the write lock, or wait for the writer, for it.
      if ((await run(() => stmt.anyKey.get(JSON.stringify(keyIds)))) === undefined) return [];
      if (closed) throw closedError();
      const r = await write({ shred: keyIds, reason, at });
      return 'destroyed' in r ? r.destroyed : [];
    },

    listTombstones: (filter = {}) =>
      run(() => {
        const subjectId = filter.subjectId ?? null;
        if (!filter.keyIds) return stmt.tombstones.all({ subjectId, keyIds: null }).map(toTombstone);
        const out: Tombstone[] = [];
        for (const chunk of chunks([...new Set(filter.keyIds)])) {
          out.push(...stmt.tombstones.all({ subjectId, keyIds: JSON.stringify(chunk) }).map(toTombstone));
        }
        return out;
      }),

    getMeta: (name) => run(() => readSecret(name)),
    putMetaIfAbsent: (name, value) => run(() => putSecretTx.immediate(name, value)),
    replaceMeta: (name, value) => run(() => replaceSecretTx.immediate(name, value)),
    deleteMeta: (name) => run(() => deleteSecretTx.immediate(name)),

    listWrappedOtherThan: (version, opts = {}) => run(() => keysFromRows(slots, stmt.otherThan.all(version, opts.afterKeyId ?? '', opts.limit ?? 1000))),
    epochsInUse: () => run(() => stmt.epochs.all().map((r) => r.e)),
    rewrap: (keys) => run(() => rewrapTx.immediate(keys)),

    get failure() {
      return writer?.failure;
    },

    async close() {
      if (closed) return;
      closed = true;
      // Keys already accepted are committed (or fail) before the writer stops.
      await writer?.close();
      slots.close();
      db.close();
    },
  };
}
