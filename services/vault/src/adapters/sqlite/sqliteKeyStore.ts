import type { KeyStore, StoredKey, Tombstone } from '../../ports/KeyStore.js';
import { existsSync } from 'node:fs';
import { chunks, closedError, connectionOptions, isMemoryPath, openDatabase, scrubWal, toVaultError, type SqliteOptions, guarded } from './openDatabase.js';
import { toBuffer, toBytes, toKey, toTombstone, type KeyRow, type TombstoneRow } from '../sqlRows.js';
import { KEYS_SCHEMA, createKeyWriter, keyLoader, type KeyWrite, type KeyWriteResult } from './writers/keyStoreCommit.js';
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
    return db.prepare('SELECT 1 FROM meta WHERE name = ?').get(name) !== undefined;
  } catch (e) {
    // A file without the key store's tables holds no key store.
    if (/no such table/.test((e as Error).message)) return undefined;
    throw toVaultError(e);
  } finally {
    db.close();
  }
}

/**
 * The embedded key store: wrapped data keys in one SQLite file with `secure_delete` on. A shred
 * deletes the rows (their bytes zeroed in the page), leaves tombstones, then truncates the WAL so
 * the old page images that still held the key leave the `-wal` file as well. New keys and
 * shreds are committed by a writer thread (`writers/keyStore.worker.ts`), as appends are: a
 * subject's first record of a category, or an erasure, waits for the commit's fsync (and a
 * shred for the WAL's truncation), the event loop does not. Re-wraps and vault secrets, rare,
 * commit on this thread. An in-memory database does everything on the caller's thread.
 */
export function getSqliteKeyStore(options: SqliteKeyStoreOptions): KeyStore {
  const db = openDatabase(options, { secureDelete: true, schema: KEYS_SCHEMA });
  let closed = false;
  const inMemory = isMemoryPath(options.path);
  const writer = inMemory ? undefined : startWriterThread<KeyWrite, KeyWriteResult>('keyStore', { ...connectionOptions(options), maxPerCommit: 10_000, secureDelete: true } satisfies WriterThreadOptions);
  const writeHere = inMemory ? createKeyWriter(db) : undefined;
  const byId = (keys: readonly StoredKey[]): Map<string, StoredKey> => new Map(keys.map((k) => [k.keyId, k]));
  const run = guarded(() => closed);
  /** A create or shred: on the writer thread, or here for an in-memory database. */
  const write = (w: KeyWrite): Promise<KeyWriteResult> => (writer ? writer.write(w) : run(() => writeHere!([w])[0]!));

  const stmt = {
    tombstones: db.prepare<{ subjectId: string | null; keyIds: string | null }, TombstoneRow>(
      `SELECT * FROM tombstones
       WHERE (@subjectId IS NULL OR subject_id = @subjectId)
         AND (@keyIds IS NULL OR key_id IN (SELECT value FROM json_each(@keyIds)))
       ORDER BY shredded_at, key_id`,
    ),
    getMeta: db.prepare<[string], { value: Buffer }>('SELECT value FROM meta WHERE name = ?'),
    replaceMeta: db.prepare<[Buffer, string]>('UPDATE meta SET value = ? WHERE name = ?'),
    wrappedOtherThan: db.prepare<[number, string, number], KeyRow>('SELECT * FROM keys WHERE kek_version <> ? AND key_id > ? ORDER BY key_id LIMIT ?'),
    rewrap: db.prepare<[Buffer, number, string, number]>('UPDATE keys SET wrapped = ?, kek_version = ? WHERE key_id = ? AND kek_version = ?'),
    putMeta: db.prepare<[string, Buffer]>('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING'),
  };

  const load = keyLoader(db);
  const loadKeys = (keyIds: string[]): Map<string, StoredKey> => byId(load(keyIds));

  const putMetaTx = db.transaction((name: string, value: Uint8Array) => {
    stmt.putMeta.run(name, toBuffer(value));
    return toBytes(stmt.getMeta.get(name)!.value);
  });

  const rewrapTx = db.transaction((keys: Parameters<KeyStore['rewrap']>[0]) =>
    keys.reduce((n, k) => n + stmt.rewrap.run(toBuffer(k.wrapped), k.kekVersion, k.keyId, k.fromVersion).changes, 0),
  );

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
      if ((await run(() => loadKeys(keyIds))).size === 0) return [];
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

    getMeta: (name) =>
      run(() => {
        const row = stmt.getMeta.get(name);
        return row ? toBytes(row.value) : undefined;
      }),

    putMetaIfAbsent: (name, value) => run(() => putMetaTx.immediate(name, value)),

    replaceMeta: (name, value) =>
      run(() => {
        stmt.replaceMeta.run(toBuffer(value), name);
        scrubWal(db);
      }),

    listWrappedOtherThan: (version, opts = {}) =>
      run(() => stmt.wrappedOtherThan.all(version, opts.afterKeyId ?? '', opts.limit ?? 1000).map(toKey)),

    rewrap: (keys) =>
      run(() => {
        const changed = rewrapTx.immediate(keys);
        // The old wrapping is overwritten in place (secure_delete); the WAL still holds it until checkpointed.
        if (changed > 0) scrubWal(db);
        return changed;
      }),

    get failure() {
      return writer?.failure;
    },

    async close() {
      if (closed) return;
      closed = true;
      // Keys already accepted are committed (or fail) before the writer stops.
      await writer?.close();
      db.close();
    },
  };
}
