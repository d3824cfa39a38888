import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';

import { openDatabase, type SqliteDatabase, type SqliteOptions, truncateWal, walOver } from '../openDatabase.js';
import { toWire, type WriterMessage, type WriterReply } from './wire.js';

export interface WriterThreadOptions extends SqliteOptions {
  /** Most units (events, entries) one transaction takes from the batches that are waiting. */
  maxPerCommit: number;
  /** False when a checkpointer thread keeps the WAL short. Default true. */
  autoCheckpoint?: boolean;
  /**
   * With `autoCheckpoint` false: WAL frames past which this thread, between transactions, checkpoints what the
   * checkpointer has not copied yet and truncates the WAL. Default `WAL_RESTART_FRAMES`.
   */
  restartWalAboveFrames?: number;
  /**
   * `secure_delete` on this connection too (the key store: a page it rearranges must not keep a key's old bytes).
   * Default false.
   */
  secureDelete?: boolean;
  /** The file is a scratch file (`openDatabase`'s `scratch`): a rebuild's, written aside. Default false. */
  scratch?: boolean;
}

/**
 * The writer thread's loop. Each transaction takes every batch that arrived while the previous
 * one was on its way to disk (up to `maxPerCommit` units), so one fsync serves them all and the
 * disk never waits on the other thread's round trip. `commit` writes the batches in one
 * transaction and answers each; if it throws, every batch it held fails with that error.
 */
export function serveWrites<P, R>(
  setup: (db: SqliteDatabase) => { commit: (batches: P[]) => R[]; size: (batch: P) => number; close?: () => void },
): void {
  const port = parentPort!;
  const options = workerData as WriterThreadOptions;
  const db = openDatabase(options, {
    autoCheckpoint: options.autoCheckpoint !== false,
    secureDelete: options.secureDelete === true,
    scratch: options.scratch === true,
  });
  const { commit, size, close } = setup(db);
  const restartWal = options.autoCheckpoint === false ? walRestarter(db, options) : () => {};
  /** Messages taken from the port, in the order they were sent. */
  const inbox: WriterMessage<P>[] = [];
  let closing = false;

  /** The next run of writes from the inbox, up to `maxPerCommit` units (at least one write). */
  const nextGroup = (): Extract<WriterMessage<P>, { type: 'write' }>[] => {
    const group: Extract<WriterMessage<P>, { type: 'write' }>[] = [];
    let units = 0;
    for (let m = inbox[0]; m?.type === 'write'; m = inbox[0]) {
      if (group.length > 0 && units + size(m.payload) > options.maxPerCommit) break;
      group.push(m);
      units += size(m.payload);
      inbox.shift();
    }
    return group;
  };

  const commitGroup = (group: Extract<WriterMessage<P>, { type: 'write' }>[]): void => {
    let results: R[];
    try {
      results = commit(group.map((m) => m.payload));
    } catch (e) {
      const failed = toWire(e);
      for (const m of group) port.postMessage({ seq: m.seq, failed } satisfies WriterReply<R>);
      return;
    }
    group.forEach((m, i) => port.postMessage({ seq: m.seq, result: results[i]! } satisfies WriterReply<R>));
  };

  port.on('message', (first: WriterMessage<P>) => {
    inbox.push(first);
    while (inbox.length > 0 && !closing) {
      // Everything that arrived while the previous transaction was on its way to disk.
      for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port))
        inbox.push(m.message as WriterMessage<P>);
      const head = inbox[0]!;
      if (head.type === 'write') {
        commitGroup(nextGroup());
        restartWal();
      } else {
        inbox.shift();
        if (head.type === 'close') closing = true;
        else db.pragma('wal_autocheckpoint = 1000');
      }
    }
    if (closing) {
      close?.();
      db.close();
      port.close();
    }
  });
}

/** How long a writer thread keeps retrying a truncation that the checkpointer thread's own checkpoint holds off. */
const RESTART_PATIENCE_MS = 100;

/**
 * Truncates the WAL once it holds more than `restartWalAboveFrames` frames (the answers of the transaction that grew it
 * are already sent). The checkpointer thread has copied most of it by then; this waits, up to the busy timeout, for
 * readers of older snapshots, copies the rest and starts the WAL over. While the checkpointer's PASSIVE checkpoint
 * holds the checkpoint lock, SQLite answers busy at once without waiting: this retries every 2 ms for up to
 * `RESTART_PATIENCE_MS` (with no commit in between the checkpointer catches up), or a loaded machine would keep
 * missing the moment and let the WAL grow. Still busy after that, it leaves it for the next commit.
 */
function walRestarter(db: SqliteDatabase, options: WriterThreadOptions): () => void {
  const outgrown = walOver(db, options.path, options.restartWalAboveFrames);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  return () => {
    if (!outgrown()) return;
    const until = Date.now() + RESTART_PATIENCE_MS;
    for (;;) {
      try {
        if (truncateWal(db)) return;
      } catch {
        // Busy or gone: try again until patience runs out.
      }
      if (!db.open || Date.now() >= until) return;
      Atomics.wait(pause, 0, 0, 2);
    }
  };
}
