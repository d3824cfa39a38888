import { existsSync } from 'node:fs';

import type { KeyStore, StoredKey, Tombstone } from '../../../ports/KeyStore.js';
import { openSlotFile } from '../../slotFile/openSlotFile.js';
import { toTombstone } from '../../sqlRows.js';
import {
  chunks,
  closedError,
  connectionOptions,
  guarded,
  isMemoryPath,
  openDatabase,
  type SqliteOptions,
  toVaultError,
} from '../openDatabase.js';
import {
  createKeyWriter,
  keyLoader,
  KEYS_SCHEMA,
  keysFromRows,
  type KeyWrite,
  type KeyWriteResult,
  refuseInlineKeys,
  slotAllocator,
  slotPathOf,
} from '../writers/keyStoreCommit.js';
import type { WriterThreadOptions } from '../writers/serve.js';
import { startWriterThread } from '../writers/thread.js';
import { prepareKeyStatements } from './statements.js';
import { keyTransactions } from './transactions.js';

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

/** keys.db, refused if it is of the old format that kept key material inline. */
function openKeysFile(options: SqliteKeyStoreOptions) {
  const db = openDatabase(options, { secureDelete: true, schema: KEYS_SCHEMA });
  try {
    refuseInlineKeys(db);
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

/** The thread that commits creates, shreds and re-wraps, in batches of up to 10 000. */
const startKeyWriter = (options: SqliteKeyStoreOptions) =>
  startWriterThread<KeyWrite, KeyWriteResult>('keyStore', {
    ...connectionOptions(options),
    maxPerCommit: 10_000,
    secureDelete: true,
  } satisfies WriterThreadOptions);

const byId = (keys: readonly StoredKey[]): Map<string, StoredKey> => new Map(keys.map((k) => [k.keyId, k]));

/**
 * The embedded key store. keys.db says which key is whose and where; the key material (wrapped
 * data keys and the vault's secrets) lies in fixed slots of `keys.db-slots`, written in place
 * (see `slotFile/openSlotFile.ts`). A shred deletes the row, zeroes the slot and leaves a
 * tombstone: no byte of the key is left in either file, whatever SQLite did with its pages,
 * because its pages never held one. New keys, shreds and re-wraps are committed by a writer
 * thread (`writers/keyStore.worker.ts`), as appends are (an epoch rotation's writes then overlap
 * its reads); vault secrets, rare, commit on this thread. An in-memory database does everything
 * on the caller's thread.
 */
export function getSqliteKeyStore(options: SqliteKeyStoreOptions): KeyStore {
  const db = openKeysFile(options);
  const slots = openSlotFile(slotPathOf(options.path));
  let closed = false;
  const inMemory = isMemoryPath(options.path);
  const writer = inMemory ? undefined : startKeyWriter(options);
  const writeHere = inMemory ? createKeyWriter(db, slots) : undefined;
  const run = guarded(() => closed);
  /** A create, shred or re-wrap: on the writer thread, or here for an in-memory database. */
  const write = (w: KeyWrite): Promise<KeyWriteResult> => (writer ? writer.write(w) : run(() => writeHere!([w])[0]!));

  const stmt = prepareKeyStatements(db);
  const load = keyLoader(db, slots);
  const loadKeys = (keyIds: string[]): Map<string, StoredKey> => byId(load(keyIds));
  const tx = keyTransactions(db, slots, stmt, slotAllocator(db, slots));

  return {
    createIfAbsent: (keys) => {
      if (closed) return Promise.reject(closedError());
      if (keys.length === 0) return Promise.resolve(new Map());
      return write({ create: keys }).then((r) => byId('stored' in r ? r.stored : []));
    },

    getByIds: (keyIds) => run(() => loadKeys(keyIds)),

    listKeyIds: (subjectId) => run(() => stmt.subjectKeys.all(subjectId).map((r) => r.key_id)),

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

    getMeta: (name) => run(() => tx.readSecret(name)),
    putMetaIfAbsent: (name, value) => run(() => tx.putSecret.immediate(name, value)),
    replaceMeta: (name, value) => run(() => tx.replaceSecret.immediate(name, value)),
    deleteMeta: (name) => run(() => tx.deleteSecret.immediate(name)),

    listWrappedOtherThan: (version, opts = {}) =>
      run(() => keysFromRows(slots, stmt.otherThan.all(version, opts.afterKeyId ?? '', opts.limit ?? 1000))),
    epochsInUse: () => run(() => stmt.epochs.all().map((r) => r.e)),
    rewrap: (keys) => {
      if (closed) return Promise.reject(closedError());
      if (keys.length === 0) return Promise.resolve(0);
      return write({ rewrap: keys }).then((r) => ('rewrapped' in r ? r.rewrapped : 0));
    },

    get failure() {
      return writer?.failure;
    },

    get pendingWrites() {
      return writer?.pending;
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
