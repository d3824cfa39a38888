import { VaultError } from '../../domain/errors.js';
import {
  PositionWaiters,
  assertExpectedRevision,
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
import { closedError, openDatabase, toVaultError, type SqliteDatabase, type SqliteOptions } from './openDatabase.js';

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

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position  INTEGER PRIMARY KEY,
  stream_id TEXT    NOT NULL,
  revision  INTEGER NOT NULL,
  event_id  TEXT    NOT NULL UNIQUE,
  type      TEXT    NOT NULL,
  data      TEXT    NOT NULL,
  metadata  TEXT    NOT NULL,
  UNIQUE (stream_id, revision)
);
`;

interface EventRow {
  position: number;
  stream_id: string;
  revision: number;
  event_id: string;
  type: string;
  data: string;
  metadata: string;
}

interface PendingAppend {
  streamId: string;
  events: NewEvent[];
  /** JSON text of each event's data and metadata, serialised before queueing so a bad value fails only its caller. */
  json: { data: string; metadata: string }[];
  expected: ExpectedRevision;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

type Outcome = { ok: true; value: AppendResult } | { ok: false; error: unknown };

const toRecorded = (r: EventRow): RecordedEvent => ({
  id: r.event_id,
  type: r.type,
  data: JSON.parse(r.data) as unknown,
  metadata: JSON.parse(r.metadata) as RecordedEvent['metadata'],
  streamId: r.stream_id,
  revision: r.revision,
  position: r.position,
});

/**
 * The embedded event log: one SQLite file in WAL mode. better-sqlite3 is synchronous, so
 * appends made concurrently are queued and committed together in one transaction per turn of
 * the event loop (group commit): one fsync serves every writer that was waiting, while each
 * append is still checked on its own and fails alone.
 */
export function getSqliteEventLog(options: SqliteEventLogOptions): EventLog {
  const db: SqliteDatabase = openDatabase(options);
  db.exec(SCHEMA);
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const maxEventsPerCommit = Math.max(1, options.maxEventsPerCommit ?? 10_000);

  const stmt = {
    head: db.prepare<[string], { revision: number; position: number }>(
      'SELECT revision, position FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1',
    ),
    byEventId: db.prepare<[string], { stream_id: string; revision: number; position: number }>(
      'SELECT stream_id, revision, position FROM events WHERE event_id = ?',
    ),
    insert: db.prepare<[string, number, string, string, string, string]>(
      'INSERT INTO events (stream_id, revision, event_id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    readStream: db.prepare<[string, number, number], EventRow>(
      'SELECT * FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?',
    ),
    readAll: db.prepare<[number, number], EventRow>('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?'),
    headPosition: db.prepare<[], { p: number }>('SELECT COALESCE(MAX(position), 0) AS p FROM events'),
  };

  /**
   * An append whose ids are already stored: a retry of an append that committed gets its original
   * result back and stores nothing; ids stored partly or in another stream are an error.
   */
  const retryOf = (p: PendingAppend, ids: string[]): AppendResult | undefined => {
    const known = ids.map((id) => stmt.byEventId.get(id));
    const stored = known.filter((k) => k !== undefined);
    if (stored.length === 0) return undefined;
    if (stored.length === ids.length && stored.every((k) => k.stream_id === p.streamId)) {
      const last = stored.reduce((a, b) => (b.position > a.position ? b : a));
      return { nextRevision: last.revision, position: last.position };
    }
    throw new VaultError('DUPLICATE_EVENT', `Append to stream ${p.streamId} reuses event ids stored elsewhere`, {
      details: { streamId: p.streamId, eventIds: ids.filter((_, i) => known[i] !== undefined) },
    });
  };

  /**
   * Checks and writes one append inside the group transaction; throws to fail that append alone.
   * The fast path asks one question (the stream's head) and inserts; the event-id lookups of the
   * idempotency check run only when the revision check or an insert says something is off.
   */
  const appendOne = (p: PendingAppend): AppendResult => {
    const ids = p.events.map((e) => e.id);
    if (new Set(ids).size !== ids.length) {
      throw new VaultError('DUPLICATE_EVENT', `Append to stream ${p.streamId} repeats an event id`, { details: { streamId: p.streamId } });
    }
    const head = stmt.head.get(p.streamId);
    try {
      assertExpectedRevision(p.streamId, head?.revision, p.expected);
    } catch (conflict) {
      const retry = ids.length > 0 ? retryOf(p, ids) : undefined;
      if (retry) return retry;
      throw conflict;
    }
    if (p.events.length === 0) {
      return { nextRevision: head?.revision ?? -1, position: head?.position ?? 0 };
    }
    let revision = head?.revision ?? -1;
    let position = 0;
    try {
      p.events.forEach((e, i) => {
        revision += 1;
        const j = p.json[i]!;
        position = Number(stmt.insert.run(p.streamId, revision, e.id, e.type, j.data, j.metadata).lastInsertRowid);
      });
    } catch (e) {
      if ((e as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw e;
      // An id is stored already. Throwing rolls this append's savepoint back; the caller retries it on the slow path.
      throw new IdTaken();
    }
    return { nextRevision: revision, position };
  };

  class IdTaken extends Error {}

  // Nested inside the group transaction, better-sqlite3 runs this as a savepoint: a failed append is rolled back alone.
  const appendInSavepoint = db.transaction(appendOne);
  const commitGroup = db.transaction((group: PendingAppend[]): Outcome[] =>
    group.map((p) => {
      try {
        return { ok: true, value: appendInSavepoint(p) };
      } catch (error) {
        if (error instanceof IdTaken) {
          try {
            const retry = retryOf(p, p.events.map((e) => e.id));
            if (retry) return { ok: true, value: retry };
          } catch (duplicate) {
            return { ok: false, error: duplicate };
          }
        }
        return { ok: false, error };
      }
    }),
  );

  let queue: PendingAppend[] = [];
  let flushScheduled: NodeJS.Immediate | undefined;
  let closed = false;
  const listeners = new Set<() => void>();

  const flush = (): void => {
    flushScheduled = undefined;
    while (queue.length > 0) {
      let events = 0;
      let n = 0;
      while (n < queue.length && (n === 0 || events + queue[n]!.events.length <= maxEventsPerCommit)) {
        events += queue[n]!.events.length;
        n += 1;
      }
      const group = queue.slice(0, n);
      queue = queue.slice(n);
      let outcomes: Outcome[];
      try {
        // IMMEDIATE: take the write lock before reading heads, so another process cannot interleave.
        outcomes = commitGroup.immediate(group);
      } catch (e) {
        const error = toVaultError(e);
        for (const p of group) p.reject(error);
        continue;
      }
      group.forEach((p, i) => {
        const o = outcomes[i]!;
        if (o.ok) p.resolve(o.value);
        else p.reject(toVaultError(o.error));
      });
      for (const l of listeners) l();
    }
  };

  const readAllSync = (after: number, maxCount: number): RecordedEvent[] => {
    try {
      return stmt.readAll.all(after, maxCount).map(toRecorded);
    } catch (e) {
      throw toVaultError(e);
    }
  };

  const subscriptions = new Set<SqliteSubscription>();

  const log: EventLog = {
    append(streamId, events, expectedRevision) {
      if (closed) return Promise.reject(closedError());
      let json: PendingAppend['json'];
      try {
        json = events.map((e) => ({ data: JSON.stringify(e.data ?? null), metadata: JSON.stringify(e.metadata) }));
      } catch (e) {
        return Promise.reject(new VaultError('BAD_USER_INPUT', `Event of stream ${streamId} is not serialisable as JSON`, { cause: e }));
      }
      return new Promise<AppendResult>((resolve, reject) => {
        queue.push({ streamId, events, json, expected: expectedRevision, resolve, reject });
        flushScheduled ??= setImmediate(flush);
      });
    },

    async readStream(streamId, opts: ReadStreamOptions = {}) {
      if (closed) throw closedError();
      try {
        return stmt.readStream.all(streamId, Math.max(0, opts.fromRevision ?? 0), opts.maxCount ?? -1).map(toRecorded);
      } catch (e) {
        throw toVaultError(e);
      }
    },

    async readAll(opts: ReadAllOptions = {}) {
      if (closed) throw closedError();
      return readAllSync(opts.after ?? 0, opts.maxCount ?? 1000);
    },

    async headPosition() {
      if (closed) throw closedError();
      try {
        return stmt.headPosition.get()!.p;
      } catch (e) {
        throw toVaultError(e);
      }
    },

    subscribe(opts: SubscribeOptions): Subscription {
      const sub = new SqliteSubscription(opts, readAllSync, pollIntervalMs, listeners, closed);
      subscriptions.add(sub);
      void sub.ended.then(() => subscriptions.delete(sub));
      return sub;
    },

    async close() {
      if (closed) return;
      if (flushScheduled) clearImmediate(flushScheduled);
      flush();
      closed = true;
      await Promise.all([...subscriptions].map((s) => s.stop()));
      db.close();
    },
  };
  return log;
}


/** A catch-up subscription: reads pages from its checkpoint, then sleeps until woken by a commit or the poll timer. */
class SqliteSubscription implements Subscription {
  position: number;
  readonly ended: Promise<void>;
  private stopped = false;
  private failure: unknown;
  private wake: (() => void) | undefined;
  private woken = false;
  private readonly waiters = new PositionWaiters();
  private readonly listener = (): void => this.poke();

  constructor(
    private readonly opts: SubscribeOptions,
    private readonly readAll: (after: number, max: number) => RecordedEvent[],
    private readonly pollIntervalMs: number,
    private readonly listeners: Set<() => void>,
    logClosed: boolean,
  ) {
    this.position = opts.after ?? 0;
    listeners.add(this.listener);
    // Started on the next microtask, so onEvents and onError are never called before subscribe() returns.
    this.ended = Promise.resolve().then(() => (logClosed ? this.fail(closedError()) : this.run()));
  }

  private poke(): void {
    this.woken = true;
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private async run(): Promise<void> {
    const batchSize = Math.max(1, this.opts.batchSize ?? 500);
    try {
      while (!this.stopped) {
        this.woken = false;
        const page = this.readAll(this.position, batchSize);
        if (page.length > 0) {
          await this.opts.onEvents(page);
          this.position = page[page.length - 1]!.position;
          this.waiters.reached(this.position);
          continue;
        }
        if (this.woken) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => this.poke(), this.pollIntervalMs);
          timer.unref();
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      this.finish();
    } catch (e) {
      await this.fail(e);
    }
  }

  private async fail(error: unknown): Promise<void> {
    this.failure = error;
    this.stopped = true;
    try {
      this.opts.onError?.(error);
    } catch {
      // An onError that throws must not turn into an unhandled rejection.
    }
    this.finish();
  }

  private finish(): void {
    this.listeners.delete(this.listener);
    const error = this.failure ?? new VaultError('STORE_UNAVAILABLE', 'Subscription stopped');
    this.waiters.failAll(error);
  }

  waitFor(position: number, timeoutMs = 10_000): Promise<void> {
    if (this.position >= position) return Promise.resolve();
    if (this.stopped) return Promise.reject(this.failure ?? new VaultError('STORE_UNAVAILABLE', 'Subscription stopped'));
    return this.waiters.wait(position, () => this.position, timeoutMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.poke();
    await this.ended;
  }
}
