import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase, type SqliteOptions } from '../openDatabase.js';
import { createGroupCommitter, toWire, type AppendRequest, type Outcome } from './groupCommit.js';

/**
 * The embedded event log's writer thread. better-sqlite3 is synchronous: a commit with
 * `synchronous=FULL` holds its thread until the WAL is on disk. Here that thread is not the
 * event loop that serves requests; the main thread keeps its own connection for reads.
 */
export type WriterMessage = { type: 'commit'; seq: number; group: AppendRequest[] } | { type: 'close' };
export type WriterReply = { seq: number; outcomes: Outcome[] } | { seq: number; failed: ReturnType<typeof toWire> };

const port = parentPort!;
const db = openDatabase(workerData as SqliteOptions);
const commit = createGroupCommitter(db);

port.on('message', (m: WriterMessage) => {
  if (m.type === 'close') {
    db.close();
    port.close();
    return;
  }
  let reply: WriterReply;
  try {
    reply = { seq: m.seq, outcomes: commit(m.group) };
  } catch (e) {
    reply = { seq: m.seq, failed: toWire(e) };
  }
  port.postMessage(reply);
});
