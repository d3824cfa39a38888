import { statSync } from 'node:fs';

import Database from 'better-sqlite3';

import { isVaultError, VaultError } from '../../domain/errors.js';
import { createPrivateFile } from '../../support/privateFiles.js';

/** Options shared by the three embedded SQLite adapters. */
export interface SqliteOptions {
  /** Path of the database file; the adapter owns it (and its `-wal` and `-shm` companions). Required. */
  path: string;
  /**
   * `PRAGMA synchronous`. `FULL` (the default) syncs the WAL on every commit, so a committed append
   * survives a power cut; `NORMAL` may lose the last commits on power loss (never corrupts).
   * Default `'FULL'`.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** How long a write waits for another process's lock before failing, in ms. Default 5000. */
  busyTimeoutMs?: number;
}

export type SqliteDatabase = Database.Database;

/** A path SQLite opens as an in-memory database: each connection to it is a database of its own. */
export const isMemoryPath = (path: string): boolean =>
  path === ':memory:' || path === '' || /^file:.*mode=memory/.test(path);

/** Just what another connection to the same file needs (for a writer or checkpointer thread). */
export const connectionOptions = ({ path, synchronous, busyTimeoutMs }: SqliteOptions): SqliteOptions => ({
  path,
  ...(synchronous ? { synchronous } : {}),
  ...(busyTimeoutMs !== undefined ? { busyTimeoutMs } : {}),
});

/** Opens a database with the pragmas every adapter relies on: WAL, the chosen sync level, a busy timeout. */
export function openDatabase(
  options: SqliteOptions,
  extra: {
    secureDelete?: boolean;
    /** Page size of a new file (an existing file keeps its own). Default SQLite's 4096. */
    pageSize?: number;
    /**
     * Whether this connection's commits checkpoint the WAL themselves once it passes 1000 pages
     * (SQLite's default). Off where a checkpointer thread does it, so that no commit on a
     * latency-sensitive path stalls while megabytes are copied. Default true.
     */
    autoCheckpoint?: boolean;
    /** Statements that create the adapter's tables if absent, run once the pragmas are set. */
    schema?: string;
    /**
     * A file that a crash leaves to be thrown away (a rebuild's, written aside and renamed into place once done): its
     * rollback journal in memory instead of a WAL on disk, and no syncs. Each page is written once, into the file,
     * instead of to the WAL and then again by a checkpoint, and no commit waits for the disk. A transaction can still
     * roll back; a crash in the middle of one can leave the file corrupt, which is why only such a file is opened so.
     */
    scratch?: boolean;
  } = {},
): SqliteDatabase {
  let db: SqliteDatabase;
  try {
    // SQLite would create the file 0644 (less the umask) and give its -wal, -shm and -journal files
    // the same mode; created 0600 here first, all of them are private. A URI path is SQLite's to
    // interpret, and a file that cannot be created is SQLite's to report, in its own words.
    if (!isMemoryPath(options.path) && !options.path.startsWith('file:')) {
      try {
        createPrivateFile(options.path);
      } catch {
        // Opened below, it fails with the reason mapped to the vault's error.
      }
    }
    db = new Database(options.path);
  } catch (e) {
    throw toVaultError(e);
  }
  try {
    // Only before the file has pages and before WAL: afterwards SQLite keeps the size it has.
    if (extra.pageSize) db.pragma(`page_size = ${extra.pageSize}`);
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
    // The first statement that reads the file: a file that is not a database, or one locked past the busy timeout,
    // fails here.
    db.pragma(`journal_mode = ${extra.scratch ? 'MEMORY' : 'WAL'}`);
    db.pragma(`synchronous = ${extra.scratch ? 'OFF' : options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
    // Deleted content is overwritten with zeros in the file, not just unlinked from the b-tree.
    if (extra.secureDelete) db.pragma('secure_delete = ON');
    if (extra.autoCheckpoint === false) db.pragma('wal_autocheckpoint = 0');
    if (extra.schema) db.exec(extra.schema);
  } catch (e) {
    db.close();
    throw toVaultError(e);
  }
  return db;
}

/**
 * 16,384 frames: 64 MB of 4 KB pages. A checkpointer thread's PASSIVE checkpoints copy what they can and leave the
 * restart of the WAL to the next writer once everything is copied; a writer that commits back to back (a rebuild, an
 * import) always leaves a few frames uncopied, so the WAL never starts over and grows with all that is written (5 GB
 * in a rebuild of 100,000 subjects; a full disk at a million). Past this many frames the writer thread checkpoints
 * the rest itself and truncates the WAL (writers/serve.ts).
 */
export const WAL_RESTART_FRAMES = 16_384;

/** A test of whether the WAL of `db` (opened on `path`) holds more than `frames` frames, by the size of its file. */
export function walOver(db: SqliteDatabase, path: string, frames: number = WAL_RESTART_FRAMES): () => boolean {
  const limit = frames * (db.pragma('page_size', { simple: true }) as number);
  const wal = `${path}-wal`;
  return () => (statSync(wal, { throwIfNoEntry: false })?.size ?? 0) > limit;
}

/**
 * Moves every WAL frame into the database file and truncates the WAL to zero bytes, so that
 * old page images (a deleted key, a deleted blind-index hash) leave the `-wal` file too.
 * Returns false when a reader kept it from completing.
 */
export function truncateWal(db: SqliteDatabase): boolean {
  const rows = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
  return rows[0]?.busy === 0;
}

/**
 * Truncates the WAL now; if a reader (another process) blocks it, retries in the background
 * every `intervalMs` until it succeeds, the database closes or `attempts` run out. The timer is
 * unref'd so it never keeps the process alive.
 */
export function scrubWal(db: SqliteDatabase, attempts = 100, intervalMs = 100): void {
  let left = attempts;
  const attempt = (): void => {
    if (!db.open) return;
    let done = false;
    try {
      done = truncateWal(db);
    } catch {
      // A busy or closing database: try again on the next tick of the timer.
    }
    if (!done && --left > 0) setTimeout(attempt, intervalMs).unref();
  };
  attempt();
}

const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL|READONLY|PROTOCOL|NOTADB|CORRUPT)/;

/** The one place where SQLite's errors become the vault's errors. */
export function toVaultError(e: unknown): unknown {
  if (isVaultError(e)) return e;
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNAVAILABLE.test(code)) {
    return new VaultError('STORE_UNAVAILABLE', `SQLite store failed (${code})`, {
      cause: e,
      details: { sqliteCode: code },
    });
  }
  if (e instanceof TypeError && /database connection is not open/.test(e.message)) return closedError();
  return e;
}

export const closedError = (): VaultError => new VaultError('STORE_UNAVAILABLE', 'SQLite store is closed');

/** Splits ids into chunks, so that one statement (`IN (SELECT value FROM json_each(?))`) stays bounded. */
export function* chunks<T>(items: readonly T[], size = 500): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/**
 * Runs a synchronous body as a port's async call: refuses once the store is closed, and maps
 * SQLite errors to the vault's at this one edge.
 */
export const guarded =
  (isClosed: () => boolean) =>
  async <T>(body: () => T): Promise<T> => {
    if (isClosed()) throw closedError();
    try {
      return body();
    } catch (e) {
      throw toVaultError(e);
    }
  };
