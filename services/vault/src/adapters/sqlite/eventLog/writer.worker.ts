import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { openDatabase, type SqliteOptions } from '../openDatabase.js';
import { createGroupCommitter, toWire, type AppendRequest, type Outcome } from './groupCommit.js';

/**
 * The embedded event log's writer thread. better-sqlite3 is synchronous: a commit with
 * `synchronous=FULL` holds its thread until the WAL is on disk. Here that thread is not the
 * event loop that serves requests; the main thread keeps its own connection for reads.
 *
 * The main thread sends its appends in batches as they come. Each commit takes every batch that
 * arrived while the previous one was on its way to disk (up to `maxEvents`), so one fsync serves
 * them all and the disk is never idle while appends wait.
 */
export interface WriterOptions extends SqliteOptions {
  maxEvents: number;
}
export type WriterMessage = { type: 'commit'; seq: number; group: AppendRequest[] } | { type: 'close' };
export type WriterReply = { seq: number; outcomes: Outcome[] } | { seq: number; failed: ReturnType<typeof toWire> };

const port = parentPort!;
const options = workerData as WriterOptions;
const db = openDatabase(options);
const commit = createGroupCommitter(db);
const size = (m: Extract<WriterMessage, { type: 'commit' }>) => m.group.reduce((n, a) => n + a.ids.length, 0);

/** A batch drained from the port that did not fit the last commit: it opens the next one. */
let carried: WriterMessage | undefined;
let closing = false;

function commitBatches(first: Extract<WriterMessage, { type: 'commit' }>): void {
  const batches = [first];
  let events = size(first);
  for (;;) {
    const next = receiveMessageOnPort(port)?.message as WriterMessage | undefined;
    if (!next) break;
    if (next.type === 'close') {
      closing = true;
      break;
    }
    if (events + size(next) > options.maxEvents) {
      carried = next;
      break;
    }
    batches.push(next);
    events += size(next);
  }
  const group = batches.flatMap((b) => b.group);
  let outcomes: Outcome[];
  try {
    outcomes = commit(group);
  } catch (e) {
    const failed = toWire(e);
    for (const b of batches) port.postMessage({ seq: b.seq, failed } satisfies WriterReply);
    return;
  }
  let at = 0;
  for (const b of batches) {
    port.postMessage({ seq: b.seq, outcomes: outcomes.slice(at, at + b.group.length) } satisfies WriterReply);
    at += b.group.length;
  }
}

port.on('message', (m: WriterMessage) => {
  let message: WriterMessage | undefined = m;
  while (message && !closing) {
    if (message.type === 'close') {
      closing = true;
      break;
    }
    commitBatches(message);
    message = carried;
    carried = undefined;
  }
  if (closing) {
    db.close();
    port.close();
  }
});
