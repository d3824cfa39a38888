import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

import { CONSENTS_UNINDEXED, type ViewStore } from '../../../ports/ViewStore.js';
import { processAlive } from '../../../support/processAlive.js';
import {
  closedError,
  connectionOptions,
  guarded,
  openDatabase,
  scrubWal,
  type SqliteDatabase,
  type SqliteOptions,
  walOver,
} from '../openDatabase.js';
import type { WriterThreadOptions } from '../writers/serve.js';
import { startCheckpointer, startWriterThread, type WriterThread } from '../writers/thread.js';
import type { ViewWrite } from '../writers/views.worker.js';
import { applyBatchTransaction, encodeBatch, replaceIndexTransaction } from './applyBatch.js';
import * as q from './queries.js';
import {
  ADD_CONSENTS_INDEX,
  CLEAR_VIEWS,
  QUERY_INDEXES,
  VIEW_COLUMNS,
  VIEW_FILE,
  VIEW_SCHEMA,
  VIEW_TABLES,
  WIDEN_BLIND_INDEX,
} from './schema.js';
import { prepareViewStatements, type ViewStatements } from './statements.js';

/** Options of the embedded view store. */
export type SqliteViewStoreOptions = SqliteOptions;

/** How often the checkpointer thread copies the views' WAL into the database file. */
const CHECKPOINT_INTERVAL_MS = 200;

/**
 * Batches of at least this many subjects (a catch-up's, a rebuild's) commit on the writer thread; a live write's few
 * commit here, where the hand-off between threads would cost more than the transaction it moves.
 */
const OFF_THREAD_SUBJECTS = 64;

/**
 * The thread that commits the projection's batches of a views file on disk, so that their transactions (the rows of
 * hundreds of subjects each) do not hold the event loop: one batch a transaction, in the order sent. `scratch`: the
 * file is a rebuild's, written aside (`asideOf`).
 */
const startViewWriter = (options: SqliteOptions, scratch = false): WriterThread<ViewWrite, boolean> =>
  startWriterThread<ViewWrite, boolean>('views', {
    ...connectionOptions(options),
    maxPerCommit: 1,
    autoCheckpoint: false,
    secureDelete: true,
    scratch,
  } satisfies WriterThreadOptions);

/**
 * Where this process's rebuild writes the read models: a scratch file beside the views file (`openDatabase`'s
 * `scratch`: its journal in memory, no WAL, no syncs), named with the process id and renamed over the views file once
 * the rebuild is done (`swapIn`).
 */
const asideOf = (path: string): string => `${path}.rebuild.${process.pid}`;

/** The scratch files (resolved paths) of the rebuilds this process runs now, by a store each. */
const rebuildsHere = new Set<string>();

/**
 * Deletes the scratch files of rebuilds that no process runs any more: a crash cut them short, and they may be
 * corrupt. The views file, deleted by that rebuild's reset, is then made anew, and the projector projects the whole
 * log again. One with this process's id and not among its rebuilds is a crashed process's whose id this one reuses
 * (a container's first process has the same id at every start). A live process's rebuild is left alone.
 */
function dropDeadRebuilds(path: string): void {
  const prefix = `${basename(path)}.rebuild.`;
  for (const name of readdirSync(dirname(path))) {
    const file = resolve(dirname(path), name);
    if (!name.startsWith(prefix) || rebuildsHere.has(file)) continue;
    const pid = Number(name.slice(prefix.length));
    if (pid === process.pid || !Number.isInteger(pid) || !processAlive(pid)) rmSync(file, { force: true });
  }
}

/**
 * Ends a rebuild: its file, its query indexes built (`indexes`) or left to the next open (a store closed before the
 * rebuild's end), becomes the views file. Every batch of the rebuild has settled by now (the projector awaited them,
 * or the store is closing), so the writer thread is idle.
 */
async function endRebuild(
  path: string,
  conn: ViewConnection,
  writer: WriterThread<ViewWrite, boolean> | undefined,
  indexes: boolean,
): Promise<void> {
  await writer?.close();
  if (indexes) conn.db.exec(QUERY_INDEXES);
  conn.db.close();
  swapIn(path);
  rebuildsHere.delete(resolve(asideOf(path)));
}

/**
 * Makes the rebuild's file (closed by now) the views file: synced, renamed over it, and the directory synced, so
 * that after a crash the views file is either absent or the whole of the rebuild's, never a part of its pages.
 */
function swapIn(path: string): void {
  const aside = asideOf(path);
  const sync = (target: string) => {
    const fd = openSync(target, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  };
  sync(aside);
  renameSync(aside, path);
  sync(dirname(path));
}

/** One open views file with its statements and transactions, all replaced together by a reset. */
interface ViewConnection {
  db: SqliteDatabase;
  stmt: ViewStatements;
  applyTx: ReturnType<typeof applyBatchTransaction>;
  resetTx: ReturnType<typeof clearViewsTransaction>;
  positionsTx: ReturnType<typeof q.positionsTransaction>;
  replaceIndexTx: ReturnType<typeof replaceIndexTransaction>;
}

const clearViewsTransaction = (db: SqliteDatabase) =>
  db.transaction(() => {
    db.exec(CLEAR_VIEWS);
  });

/**
 * Opens the views file. `rebuild`: a rebuild's fresh file instead, aside (`asideOf`) and without the query indexes
 * (VIEW_TABLES). Rebuilds' files left by a crash are deleted first.
 */
function openViews(options: SqliteOptions, onDisk: boolean, rebuild = false): ViewConnection {
  if (onDisk) dropDeadRebuilds(options.path);
  // A rebuild starts from an empty file, even where one of this store's was cut short.
  if (rebuild) rmSync(asideOf(options.path), { force: true });
  const db = rebuild
    ? openDatabase({ ...options, path: asideOf(options.path) }, { ...VIEW_FILE, scratch: true, schema: VIEW_TABLES })
    : openDatabase(options, { ...VIEW_FILE, autoCheckpoint: !onDisk, schema: VIEW_SCHEMA });
  addMissingColumns(db);
  widenBlindIndex(db);
  addConsentsIndex(db);
  const stmt = prepareViewStatements(db);
  return {
    db,
    stmt,
    applyTx: applyBatchTransaction(db, stmt),
    resetTx: clearViewsTransaction(db),
    // A deferred transaction: it only reads.
    positionsTx: q.positionsTransaction(db, stmt),
    replaceIndexTx: replaceIndexTransaction(db, stmt),
  };
}

/** The columns a file made before them lacks (VIEW_COLUMNS); another process adding one first is no failure. */
function addMissingColumns(db: SqliteDatabase): void {
  for (const { table, column, type } of VIEW_COLUMNS) {
    const has = db.prepare<[string], { name: string }>('SELECT name FROM pragma_table_info(?)').all(table);
    if (has.some((c) => c.name === column)) continue;
    try {
      db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
    } catch (e) {
      if (!/duplicate column name/i.test((e as Error).message)) throw e;
    }
  }
}

/** A blind index keyed without entries (a file from before them) gets its `entry` column (WIDEN_BLIND_INDEX). */
function widenBlindIndex(db: SqliteDatabase): void {
  const widened = () =>
    db
      .prepare<[], { name: string }>("SELECT name FROM pragma_table_info('blind_index')")
      .all()
      .some((c) => c.name === 'entry');
  if (widened()) return;
  // IMMEDIATE, and looked at again inside: another process opening the same file may have widened it first.
  db.transaction(() => {
    if (!widened()) db.exec(WIDEN_BLIND_INDEX);
  }).immediate();
}

/** A file without the consents index gets it, marked unfilled when projections had run (ADD_CONSENTS_INDEX). */
function addConsentsIndex(db: SqliteDatabase): void {
  const has = () => db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'consent_subjects'").get() !== undefined;
  if (has()) return;
  // IMMEDIATE, and looked at again inside: another process opening the same file may have added it first.
  db.transaction(() => {
    if (!has()) db.exec(ADD_CONSENTS_INDEX(CONSENTS_UNINDEXED));
  }).immediate();
}

/** The store's reads, each on the connection open when it is called (a reset replaces it). */
function viewQueries(
  run: ReturnType<typeof guarded>,
  current: () => ViewConnection,
): Omit<ViewStore, 'apply' | 'reset' | 'rebuilt' | 'replaceIndexHashes' | 'close' | 'appliesInOrder'> {
  const stmt = () => current().stmt;
  return {
    listTracked: (kind, filter = {}) => run(() => q.listTracked(stmt(), kind, filter)),
    listStats: (filter = {}) => run(() => q.listStats(stmt(), filter)),
    countDeadlines: (asOf, soon) => run(() => q.countDeadlines(stmt(), asOf, soon)),
    checkpoint: (projection) => run(() => stmt().checkpoint.get(projection)?.position ?? 0),
    getSubjects: (subjectIds) => run(() => q.getSubjects(stmt(), subjectIds)),
    subjectPositions: (subjectIds) => run(() => q.subjectPositions(stmt(), current().positionsTx, subjectIds)),
    findByBlindIndex: (hashes) => run(() => q.findByBlindIndex(stmt(), hashes)),
    listIndexOlderThan: (epoch, opts = {}) => run(() => q.listIndexOlderThan(stmt(), epoch, opts)),
    listHolds: (filter = {}) => run(() => q.listHolds(stmt(), filter)),
    listDueRetention: (asOf, opts = {}) => run(() => q.listDueRetention(stmt(), asOf, opts)),
    listShredded: (filter = {}) => run(() => q.listShredded(stmt(), filter)),
    listConsentSubjects: (opts = {}) => run(() => q.listConsentSubjects(stmt(), opts)),
  };
}

/**
 * The embedded read models: one SQLite file with `secure_delete` on, since a deleted blind-index
 * hash is personal data that must leave the file. Every batch is one transaction together with
 * its projection checkpoint.
 */
export function getSqliteViewStore(options: SqliteViewStoreOptions): ViewStore {
  // Every projection batch commits on this thread: a checkpointer thread keeps the WAL short, so
  // that no commit here stalls for the tens of milliseconds an automatic checkpoint takes.
  const onDisk = options.path !== ':memory:' && !options.path.startsWith('file:');
  const startViewCheckpointer = () =>
    onDisk
      ? startCheckpointer({ ...connectionOptions(options), intervalMs: CHECKPOINT_INTERVAL_MS }, () => {
          if (conn.db.open) conn.db.pragma('wal_autocheckpoint = 1000');
          writer?.autoCheckpoint();
        })
      : undefined;
  let conn = openViews(options, onDisk);
  // In memory, the file is this connection's alone: its batches commit here.
  let writer = onDisk ? startViewWriter(options) : undefined;
  let checkpointer = startViewCheckpointer();
  let closed = false;
  // Between a reset and the end of the rebuild after it: the read models are written aside, into a scratch file
  // without the query indexes (QUERY_INDEXES), and no checkpointer runs, as the file has no WAL.
  let rebuilding = false;
  const finishRebuild = (indexes: boolean) =>
    endRebuild(options.path, conn, writer, indexes).then(() => void (rebuilding = false));
  const run = guarded(() => closed);
  const walOutgrown = walOver(conn.db, options.path);

  return {
    ...viewQueries(run, () => conn),
    // One writer thread, one queue: a batch sent while others are on their way goes after them (and the owning
    // connection's own commits are synchronous).
    appliesInOrder: true,
    apply: (projection, batch, position, expected) => {
      if (closed) return Promise.reject(closedError());
      // A batch still on its way through the thread goes first: batches commit in the order they are sent. A thread
      // that stopped leaves its batches to this connection, which writes the same file.
      // A batch goes there too once the WAL has outgrown what the thread lets it hold: the thread starts it over.
      if (
        writer &&
        !writer.failure &&
        (writer.pending > 0 || batch.subjects.length >= OFF_THREAD_SUBJECTS || walOutgrown())
      )
        return writer.write({ projection, batch: encodeBatch(batch), position, expected });
      return run(() => {
        // IMMEDIATE: two replicas reading the same checkpoint must not both apply the batch.
        const { applied, scrub } = conn.applyTx.immediate(projection, encodeBatch(batch), position, expected);
        if (scrub) scrubWal(conn.db);
        return applied;
      });
    },

    reset: async () => {
      if (!onDisk) {
        return run(() => {
          conn.resetTx.immediate();
          scrubWal(conn.db);
        });
      }
      if (closed) throw closedError();
      // A fresh file instead of deleting every row: faster, and the old rows leave with the old
      // file instead of being zeroed one by one (secure_delete) only to be written again.
      await checkpointer?.close();
      checkpointer = undefined;
      await writer?.close();
      await run(() => {
        conn.db.close();
        for (const suffix of ['', '-wal', '-shm']) rmSync(`${options.path}${suffix}`, { force: true });
        conn = openViews(options, onDisk, true);
        rebuildsHere.add(resolve(asideOf(options.path)));
        rebuilding = true;
      });
      writer = startViewWriter({ ...options, path: asideOf(options.path) }, true);
    },
    rebuilt: async () => {
      if (closed) throw closedError();
      if (!rebuilding) return;
      await finishRebuild(true);
      conn = openViews(options, onDisk);
      writer = startViewWriter(options);
      checkpointer = startViewCheckpointer();
    },

    replaceIndexHashes: (changes) =>
      run(() => {
        const { changed, deleted } =
          changes.length > 0 ? conn.replaceIndexTx.immediate(changes) : { changed: 0, deleted: 0 };
        // A deleted hash (its value is gone) leaves the WAL, as the projector's deletions do. A replaced one is of an
        // epoch whose index key the rotation deletes: scrubbing each page would triple the re-index's time for nothing.
        if (deleted > 0) scrubWal(conn.db);
        return changed;
      }),

    async close() {
      if (closed) return;
      closed = true;
      // A rebuild closed before its end: what it committed becomes the views file, its checkpoint with it, and the
      // next catch-up goes on from there (the next open builds the query indexes).
      if (rebuilding) return finishRebuild(false);
      await checkpointer?.close();
      await writer?.close();
      conn.db.close();
    },
  };
}
