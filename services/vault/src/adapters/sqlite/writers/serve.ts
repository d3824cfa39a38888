import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { openDatabase, type SqliteDatabase, type SqliteOptions } from '../openDatabase.js';
import { toWire, type WriterMessage, type WriterReply } from './wire.js';

export interface WriterThreadOptions extends SqliteOptions {
  /** Most units (events, entries) one transaction takes from the batches that are waiting. */
  maxPerCommit: number;
  /** False when a checkpointer thread keeps the WAL short. Default true. */
  autoCheckpoint?: boolean;
}

/**
 * The writer thread's loop. Each transaction takes every batch that arrived while the previous
 * one was on its way to disk (up to `maxPerCommit` units), so one fsync serves them all and the
 * disk never waits on the other thread's round trip. `commit` writes the batches in one
 * transaction and answers each; if it throws, every batch it held fails with that error.
 */
export function serveWrites<P, R>(setup: (db: SqliteDatabase) => { commit(batches: P[]): R[]; size(batch: P): number }): void {
  const port = parentPort!;
  const options = workerData as WriterThreadOptions;
  const db = openDatabase(options, { autoCheckpoint: options.autoCheckpoint !== false });
  const { commit, size } = setup(db);
  let carried: WriterMessage<P> | undefined;
  let closing = false;

  const commitFrom = (first: Extract<WriterMessage<P>, { type: 'write' }>): void => {
    const taken = [first];
    let units = size(first.payload);
    for (;;) {
      const next = receiveMessageOnPort(port)?.message as WriterMessage<P> | undefined;
      if (!next) break;
      if (next.type === 'close') {
        closing = true;
        break;
      }
      if (next.type === 'autoCheckpoint') {
        db.pragma('wal_autocheckpoint = 1000');
        continue;
      }
      if (units + size(next.payload) > options.maxPerCommit) {
        carried = next;
        break;
      }
      taken.push(next);
      units += size(next.payload);
    }
    let results: R[];
    try {
      results = commit(taken.map((m) => m.payload));
    } catch (e) {
      const failed = toWire(e);
      for (const m of taken) port.postMessage({ seq: m.seq, failed } satisfies WriterReply<R>);
      return;
    }
    taken.forEach((m, i) => port.postMessage({ seq: m.seq, result: results[i]! } satisfies WriterReply<R>));
  };

  port.on('message', (m: WriterMessage<P>) => {
    let message: WriterMessage<P> | undefined = m;
    while (message && !closing) {
      if (message.type === 'close') {
        closing = true;
        break;
      }
      if (message.type === 'autoCheckpoint') {
        db.pragma('wal_autocheckpoint = 1000');
        break;
      }
      commitFrom(message);
      message = carried;
      carried = undefined;
    }
    if (closing) {
      db.close();
      port.close();
    }
  });
}
