import { parentPort, workerData } from 'node:worker_threads';

import { openDatabase } from '../openDatabase.js';
import type { CheckpointerOptions } from './thread.js';

/**
 * Keeps a database's WAL short from a thread of its own, for connections that have their own
 * automatic checkpoints turned off: PASSIVE never waits for readers or writers, it copies what
 * it can, and the next writer starts the WAL over once everything has been copied.
 */
const port = parentPort!;
const options = workerData as CheckpointerOptions;
const db = openDatabase({ ...options, busyTimeoutMs: 0 });
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or closing: the next tick tries again.
  }
}, options.intervalMs);

port.on('message', (m: { type: 'close' }) => {
  if (m.type !== 'close') return;
  clearInterval(timer);
  db.close();
  port.close();
});
