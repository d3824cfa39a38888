import type { AccessLogEntry } from '../../../ports/AccessLog.js';
import { createAccessLogInserter } from './accessLogCommit.js';
import { serveWrites } from './serve.js';

/** The embedded access log's writer thread: batches of entries, each answered once durable. */
serveWrites<AccessLogEntry[], null>((db) => {
  const insert = createAccessLogInserter(db);
  return {
    size: (entries) => entries.length,
    commit: (batches) => {
      insert(batches);
      return batches.map(() => null);
    },
  };
});
