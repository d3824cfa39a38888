import { VaultError } from '../../domain/errors.js';
import {
  type AppendResult,
  type EventLog,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
} from '../../ports/EventLog.js';
import { type CatchUpSource, CatchUpSubscription } from '../catchUpSubscription.js';
import { AppendQueue } from './appendQueue.js';
import {
  closedError,
  connectionOptions,
  isMemoryPath,
  openDatabase,
  type SqliteDatabase,
  type SqliteOptions,
  toVaultError,
} from './openDatabase.js';
import { prepare } from './statement.js';
import { type AppendRequest, EVENTS_SCHEMA, type Outcome } from './writers/eventLogCommit.js';
import type { WriterThreadOptions } from './writers/serve.js';
import { startCheckpointer, startWriterThread } from './writers/thread.js';

/** Options of the embedded event log. */
export interface SqliteEventLogOptions extends SqliteOptions {
  /**
   * How often a subscription that is following the live log looks for appends made by another
   * process (appends of this process wake it at once), in ms. Default 250.
   */
  pollIntervalMs?: number;
  /** Most events committed in one group-commit transaction; the rest go in the next one. Default 10000. */
  maxEventsPerCommit?: number;
}

interface EventRow {
  position: number;
  stream_id: string;
  revision: number;
  event_id: string;
  type: string;
  data: string;
  metadata: string;
}

const toRecorded = (r: EventRow): RecordedEvent => ({
  id: r.event_id,
  type: r.type,
  data: JSON.parse(r.data) as unknown,
  metadata: JSON.parse(r.metadata) as RecordedEvent['metadata'],
  streamId: r.stream_id,
  revision: r.revision,
  position: r.position,
});

const prepareEventStatements = (db: SqliteDatabase) => ({
  readStream: prepare<[string, number, number], EventRow>(
    db,
    'SELECT * FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?',
  ),
  readAll: prepare<[number, number], EventRow>(db, 'SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?'),
  headPosition: prepare<[], { p: number }>(db, 'SELECT COALESCE(MAX(position), 0) AS p FROM events'),
});
type EventStatements = ReturnType<typeof prepareEventStatements>;

function readStreamRows(stmt: EventStatements, streamId: string, opts: ReadStreamOptions): RecordedEvent[] {
  try {
    const fromRevision = Math.max(0, opts.fromRevision ?? 0);
    return stmt.readStream.all(streamId, fromRevision, opts.maxCount ?? -1).map(toRecorded);
  } catch (e) {
    throw toVaultError(e);
  }
}

function readAllRows(stmt: EventStatements, after: number, maxCount: number): RecordedEvent[] {
  try {
    return stmt.readAll.all(after, maxCount).map(toRecorded);
  } catch (e) {
    throw toVaultError(e);
  }
}

function readHeadPosition(stmt: EventStatements): number {
  try {
    return stmt.headPosition.get()!.p;
  } catch (e) {
    throw toVaultError(e);
  }
}

/** The writer thread's form of an append (data and metadata as JSON text), or why there is none. */
function toAppendRequest(
  streamId: string,
  events: readonly NewEvent[],
  expected: ExpectedRevision,
): AppendRequest | VaultError {
  try {
    return {
      streamId,
      expected,
      ids: events.map((e) => e.id),
      types: events.map((e) => e.type),
      data: events.map((e) => JSON.stringify(e.data ?? null)),
      metadata: events.map((e) => JSON.stringify(e.metadata)),
    };
  } catch (e) {
    const message = `Event of stream ${streamId} is not serialisable as JSON`;
    return new VaultError('BAD_USER_INPUT', message, { cause: e });
  }
}

/**
 * The embedded event log: one SQLite file in WAL mode. Reads run on the caller's thread, on a
 * connection of their own. Writes go to a writer thread (`writers/eventLog.worker.ts`) with a
 * connection of its own: appends made concurrently are committed together in one transaction
 * (group commit), and while one group waits for its fsync the next one gathers. One fsync
 * serves every writer that was waiting, each append is still checked on its own and fails
 * alone, and the event loop never waits for the disk.
 */
export function getSqliteEventLog(options: SqliteEventLogOptions): EventLog {
  // Reader and writer thread each open the file: an in-memory database would be two databases.
  if (isMemoryPath(options.path)) {
    throw new VaultError('CONFIG_INVALID', 'The embedded event log needs a file path, not an in-memory database');
  }
  const db: SqliteDatabase = openDatabase(options, { schema: EVENTS_SCHEMA });
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const maxEventsPerCommit = Math.max(1, options.maxEventsPerCommit ?? 10_000);

  const stmt = prepareEventStatements(db);

  const connection = connectionOptions(options);
  const writer = startWriterThread<AppendRequest[], Outcome[]>('eventLog', {
    ...connection,
    maxPerCommit: maxEventsPerCommit,
    autoCheckpoint: false,
  } satisfies WriterThreadOptions);
  // Checkpoints run on a thread of their own: a commit never waits for megabytes to be copied.
  const checkpointer = startCheckpointer({ ...connection, intervalMs: 200 }, () => writer.autoCheckpoint());

  const recent = new RecentCommits();
  let closed = false;
  const listeners = new Set<() => void>();
  const appends = new AppendQueue(writer, maxEventsPerCommit, recent, listeners);

  const readAllSync = (after: number, maxCount: number) => readAllRows(stmt, after, maxCount);

  const subscriptions = new Set<CatchUpSubscription>();

  const log: EventLog = {
    append(streamId, events, expectedRevision) {
      if (closed) return Promise.reject(closedError());
      if (writer.failure) return Promise.reject(writer.failure);
      const request = toAppendRequest(streamId, events, expectedRevision);
      if (request instanceof VaultError) return Promise.reject(request);
      return appends.push(request, events.length);
    },

    async readStream(streamId, opts: ReadStreamOptions = {}) {
      if (closed) throw closedError();
      return readStreamRows(stmt, streamId, opts);
    },

    async readAll(opts: ReadAllOptions = {}) {
      if (closed) throw closedError();
      return readAllSync(opts.after ?? 0, opts.maxCount ?? 1000);
    },

    async headPosition() {
      if (closed) throw closedError();
      return readHeadPosition(stmt);
    },

    subscribe(opts: SubscribeOptions): Subscription {
      const fromRecent = (after: number, max: number) => recent.take(after, max);
      const source = sqliteCatchUpSource(readAllSync, fromRecent, pollIntervalMs);
      const sub = new CatchUpSubscription(opts, source, listeners, closed ? closedError() : undefined);
      subscriptions.add(sub);
      void sub.ended.then(() => subscriptions.delete(sub));
      return sub;
    },

    get failure() {
      return writer.failure;
    },

    get pendingWrites() {
      return writer.pending;
    },

    async close() {
      if (closed) return;
      closed = true;
      // Appends already accepted are committed (or fail) before the writer stops.
      await appends.drain();
      await Promise.all([...subscriptions].map((s) => s.stop()));
      await writer.close();
      await checkpointer.close();
      db.close();
    },
  };
  return log;
}

/**
 * The events this process committed lately, as the rows the file holds for them, in position
 * order. A subscription woken by one of this process's commits takes them from here instead of
 * reading them back, but only a run that continues exactly where it stands: a gap means another
 * process wrote in between, and the subscription reads the file. Ciphertext and ids, as in the
 * file; bounded, oldest dropped first.
 */
class RecentCommits {
  private rows: EventRow[] = [];
  /** Characters of data and metadata held. */
  private size = 0;

  /**
   * Keeps the last commits up to `maxEvents` events and `maxChars` characters of event data, and
   * at least half of each. A live subscription trails the commits by a group or two; one further
   * behind reads the file, as it would without this.
   */
  constructor(
    private readonly maxEvents = 2048,
    private readonly maxChars = 8 * 1024 * 1024,
  ) {}

  add(request: AppendRequest, result: AppendResult): void {
    // One append's events take consecutive positions and revisions in its transaction.
    const n = request.ids.length;
    for (let i = 0; i < n; i++) {
      const row: EventRow = {
        position: result.position - n + 1 + i,
        stream_id: request.streamId,
        revision: result.nextRevision - n + 1 + i,
        event_id: request.ids[i]!,
        type: request.types[i]!,
        data: request.data[i]!,
        metadata: request.metadata[i]!,
      };
      this.rows.push(row);
      this.size += row.data.length + row.metadata.length;
    }
    if (this.rows.length > this.maxEvents || this.size > this.maxChars) {
      // Down to half of each bound at once, so that the copy is paid once per many commits.
      let drop = 0;
      const overHalf = () => this.rows.length - drop > this.maxEvents / 2 || this.size > this.maxChars / 2;
      while (drop < this.rows.length && overHalf()) {
        this.size -= this.rows[drop]!.data.length + this.rows[drop]!.metadata.length;
        drop += 1;
      }
      this.rows = this.rows.slice(drop);
    }
  }

  /**
   * The run of events right after `after` (at most `max`); `gap` when events of this process
   * come later but not next; `none` when it committed nothing after `after`.
   */
  take(after: number, max: number): RecordedEvent[] | 'gap' | 'none' {
    const rows = this.rows;
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (rows[mid]!.position <= after) lo = mid + 1;
      else hi = mid;
    }
    if (lo === rows.length) return 'none';
    if (rows[lo]!.position !== after + 1) return 'gap';
    const out: RecordedEvent[] = [];
    for (let i = lo; i < rows.length && out.length < max && rows[i]!.position === after + 1 + out.length; i++) {
      out.push(toRecorded(rows[i]!));
    }
    return out;
  }
}

/**
 * Where an embedded subscription reads: this process's own commits from memory; the file when
 * another process may have written (a gap before them, the start) and at least every poll
 * interval, however often this process's own commits (or its appends that stored nothing) wake
 * the subscription. One per subscription: it keeps when that one reads the file next.
 */
function sqliteCatchUpSource(
  readAll: (after: number, max: number) => RecordedEvent[],
  takeRecent: RecentCommits['take'],
  pollIntervalMs: number,
): CatchUpSource {
  /**
   * When the file is next read (performance.now()) whether or not a gap says so: at once at the
   * start and while its pages keep coming, else one poll interval after the last read.
   */
  let fileDueAt = 0;
  return {
    read(after, max) {
      const local = takeRecent(after, max);
      if (typeof local !== 'string') return local;
      if (local === 'gap' || performance.now() >= fileDueAt) {
        const page = readAll(after, max);
        fileDueAt = page.length > 0 ? 0 : performance.now() + pollIntervalMs;
        return page;
      }
      return [];
    },
    // Due when the file was last read plus the interval: a wake in between does not move it.
    idleMs: () => fileDueAt - performance.now(),
  };
}
