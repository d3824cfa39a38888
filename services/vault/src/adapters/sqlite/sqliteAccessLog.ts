import type { AccessLog, AccessLogEntry, RecipientRow } from '../../ports/AccessLog.js';
import { closedError, connectionOptions, guarded, openDatabase, type SqliteOptions } from './openDatabase.js';
import { ACCESS_SCHEMA, createAccessLogInserter } from './writers/accessLogCommit.js';
import type { WriterThreadOptions } from './writers/serve.js';
import { startWriterThread } from './writers/thread.js';

/** Options of the embedded access log (its own file, `access.db`, so its retention is its own). */
export type SqliteAccessLogOptions = SqliteOptions;

interface Row {
  subject_id: string;
  actor: string;
  purpose: string;
  categories: string;
  at: string;
}

/**
 * The embedded access log. Appends are committed by a writer thread (`writers/accessLog.worker.ts`),
 * so a batch's fsync does not hold up the requests being served; reads run on this thread's own
 * connection. An in-memory log (`:memory:`, tests) cannot be shared between connections and is
 * written here directly.
 */
export function getSqliteAccessLog(options: SqliteAccessLogOptions): AccessLog {
  const db = openDatabase(options, { schema: ACCESS_SCHEMA });
  const list = db.prepare<[string, string, string, number, number], Row>(
    'SELECT subject_id, actor, purpose, categories, at FROM access_log WHERE subject_id = ? AND at >= ? AND at <= ? ' +
      'ORDER BY at DESC, id DESC LIMIT ? OFFSET ?',
  );
  const count = db.prepare<[string, string], { n: number }>(
    'SELECT COUNT(*) AS n FROM access_log WHERE subject_id = ? AND at <= ?',
  );
  const recipients = db.prepare<
    [string, string],
    { category: string; actor: string; purpose: string; first_at: string; last_at: string; reads: number }
  >(
    `SELECT j.value AS category, actor, purpose, MIN(at) AS first_at, MAX(at) AS last_at, COUNT(*) AS reads
     FROM access_log, json_each(access_log.categories) AS j
     WHERE subject_id = ? AND at <= ?
     GROUP BY j.value, actor, purpose
     ORDER BY j.value, first_at, actor, purpose`,
  );
  const writer =
    options.path === ':memory:'
      ? undefined
      : startWriterThread<AccessLogEntry[], null>('accessLog', {
          ...connectionOptions(options),
          maxPerCommit: 10_000,
        } satisfies WriterThreadOptions);
  const appendHere = writer ? undefined : createAccessLogInserter(db);
  let closed = false;
  const run = guarded(() => closed);
  return {
    append: async (entries) => {
      if (closed) throw closedError();
      if (entries.length === 0) return;
      if (writer) await writer.write([...entries]);
      else await run(() => appendHere!([entries]));
    },
    listBySubject: (subjectId, opts = {}) =>
      run(() =>
        list
          .all(subjectId, opts.since ?? '', opts.until ?? '\uffff', opts.limit ?? 1000, opts.offset ?? 0)
          .map((r) => ({
            subjectId: r.subject_id,
            actor: r.actor,
            purpose: r.purpose,
            categories: JSON.parse(r.categories) as string[],
            at: r.at,
          })),
      ),
    countBySubject: (subjectId, until) => run(() => count.get(subjectId, until)?.n ?? 0),
    recipientsOf: (subjectId, until) =>
      run(() =>
        recipients.all(subjectId, until).map((r): RecipientRow => ({
          category: r.category,
          actor: r.actor,
          purpose: r.purpose,
          firstAt: r.first_at,
          lastAt: r.last_at,
          reads: r.reads,
        })),
      ),
    get failure() {
      return writer?.failure;
    },
    get pendingWrites() {
      return writer?.pending;
    },
    async close() {
      if (closed) return;
      closed = true;
      await writer?.close();
      db.close();
    },
  };
}
