import { VaultError } from '../../../domain/errors.js';
import {
  type AppendResult,
  conflict,
  type EventLog,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
} from '../../../ports/EventLog.js';
import { CatchUpSubscription } from '../../catchUpSubscription.js';
import { closedError, openMigrated, type PostgresHandle, type PostgresOptions } from '../connect.js';
import { AppendQueue, type PendingAppend } from './appendQueue.js';
import { OwnAppends } from './ownAppends.js';
import { postgresCatchUpSource } from './postgresCatchUpSource.js';
import { EVENT_MIGRATIONS } from './schema.js';
import { channelOf, Wakeups } from './wakeups.js';

/** Options of the PostgreSQL event log. */
export interface PostgresEventLogOptions extends PostgresOptions {
  /**
   * How often a subscription reads the log when nothing woke it, in ms: the bound on how late it
   * sees another process's append whose notification was lost. Default 1000.
   */
  pollIntervalMs?: number;
  /**
   * Most append statements running at once; appends that arrive while they run are sent
   * together in the next one (one transaction, one commit). Default 4.
   */
  maxConcurrentAppends?: number;
  /** Most events in one such group; the rest wait for the next. Default 5000. */
  maxEventsPerCommit?: number;
  /**
   * Wake the subscriptions of other processes through LISTEN/NOTIFY (one pooled connection
   * listens while a subscription runs). Default true; false leaves them to polling.
   */
  notify?: boolean;
  /**
   * Events of this process's recent appends kept in memory, so that its subscriptions take a page
   * of them from there instead of reading it back from the log (ownAppends.ts says when they may).
   * 0 turns it off. Default 10,000.
   */
  ownAppendsKept?: number;
}

interface EventRow {
  position: string;
  stream_id: string;
  revision: number;
  event_id: string;
  type: string;
  data: string;
  metadata: string;
}

interface AppendRow {
  outcome: 'appended' | 'stored' | 'conflict' | 'duplicate';
  revision: number | null;
  last_position: string | null;
}

const COLUMNS = 'e.position, e.stream_id, e.revision, e.event_id, e.type, e.data, e.metadata';

const toRecorded = (r: EventRow): RecordedEvent => ({
  id: r.event_id,
  type: r.type,
  data: JSON.parse(r.data) as unknown,
  metadata: JSON.parse(r.metadata) as RecordedEvent['metadata'],
  streamId: r.stream_id,
  revision: r.revision,
  position: Number(r.position),
});

const expectedText = (expected: ExpectedRevision): string =>
  typeof expected === 'number' ? (Number.isSafeInteger(expected) && expected >= 0 ? String(expected) : '-') : expected;

/** The one place where the append function's outcome becomes a result or the vault's error. */
function toAppendResult(row: AppendRow | undefined, streamId: string, expected: ExpectedRevision): AppendResult {
  switch (row?.outcome) {
    case 'appended':
    case 'stored':
      return { nextRevision: row.revision!, position: Number(row.last_position) };
    case 'conflict':
      throw conflict(streamId, row.revision ?? undefined, expected);
    case 'duplicate':
      throw new VaultError('DUPLICATE_EVENT', `Append to stream ${streamId} reuses event ids stored elsewhere`, {
        details: { streamId },
      });
    default:
      throw new VaultError('STORE_UNAVAILABLE', `PostgreSQL event log gave no outcome for an append to ${streamId}`);
  }
}

/** The append function's arguments, or why there are none (ids repeated, data not JSON). */
function appendArguments(
  streamId: string,
  events: readonly NewEvent[],
  expected: ExpectedRevision,
): PendingAppend['args'] {
  const ids = events.map((e) => e.id);
  if (new Set(ids).size !== ids.length) {
    throw new VaultError('DUPLICATE_EVENT', `Append to stream ${streamId} repeats an event id`, {
      details: { streamId },
    });
  }
  try {
    return [
      streamId,
      expectedText(expected),
      ids,
      events.map((e) => e.type),
      events.map((e) => JSON.stringify(e.data ?? null)),
      events.map((e) => JSON.stringify(e.metadata)),
    ];
  } catch (e) {
    throw new VaultError('BAD_USER_INPUT', `Event of stream ${streamId} is not serialisable as JSON`, { cause: e });
  }
}

/**
 * The event log in PostgreSQL, for a deployment on PostgreSQL alone. An append is one call of
 * the `append_events` function (its own transaction); readers of the whole log (`readAll`,
 * subscriptions) see only what no running append can still precede, so a checkpoint never passes
 * an event that commits later (schema.ts says how). Tables are created on open.
 */
export async function getPostgresEventLog(options: PostgresEventLogOptions): Promise<EventLog> {
  const db = await openMigrated(options, 'events', EVENT_MIGRATIONS);
  return new PostgresEventLog(db, options);
}

class PostgresEventLog implements EventLog {
  private readonly wakeups: Wakeups;
  private readonly pollIntervalMs: number;
  private readonly subscriptions = new Set<CatchUpSubscription>();
  private readonly appends: AppendQueue;
  private readonly own: OwnAppends;
  private readonly sql: { append: string; batch: string; readStream: string; readAll: string; head: string };

  constructor(
    private readonly db: PostgresHandle,
    options: PostgresEventLogOptions,
  ) {
    const { s } = db;
    this.pollIntervalMs = Math.max(1, options.pollIntervalMs ?? 1000);
    this.wakeups = new Wakeups(db.pool, channelOf(db.schema), options.notify ?? true, options.warn ?? (() => {}));
    this.sql = {
      append: `SELECT outcome, revision, last_position FROM ${s}.append_events($1, $2, $3, $4, $5, $6)`,
      batch: `SELECT n, outcome, revision, last_position FROM ${s}.append_batch($1, $2, $3, $4, $5, $6, $7)`,
      readStream: `SELECT ${COLUMNS} FROM ${s}.events e
        WHERE e.stream_id = $1 AND e.revision >= $2 ORDER BY e.revision LIMIT $3`,
      readAll: `SELECT position, stream_id, revision, event_id, type, data, metadata FROM ${s}.read_events($1, $2)`,
      head: `SELECT coalesce(max(position), 0) AS p FROM ${s}.events`,
    };
    this.own = new OwnAppends(Math.max(0, options.ownAppendsKept ?? 10_000));
    this.appends = new AppendQueue(
      (group) => this.sendGroup(group),
      Math.max(1, options.maxConcurrentAppends ?? 4),
      Math.max(1, options.maxEventsPerCommit ?? 5000),
    );
  }

  /** One statement for the group: `append_events` for a lone append, `append_batch` for several. */
  private async sendGroup(group: PendingAppend[]): Promise<void> {
    let rows: AppendRow[];
    try {
      if (group.length === 1) {
        rows = await this.db.query<AppendRow>(this.sql.append, group[0]!.args);
      } else {
        const column = <K extends number>(k: K) => group.map((p) => p.args[k]);
        const events = <K extends 2 | 3 | 4 | 5>(k: K) => group.flatMap((p) => p.args[k]);
        const byN = await this.db.query<AppendRow & { n: number }>(this.sql.batch, [
          column(0),
          column(1),
          group.map((p) => p.args[2].length),
          events(2),
          events(3),
          events(4),
          events(5),
        ]);
        rows = [];
        for (const r of byN) rows[r.n - 1] = r;
      }
    } catch (e) {
      for (const p of group) p.reject(e);
      return;
    }
    group.forEach((p, i) => {
      try {
        const result = toAppendResult(rows[i], p.args[0], p.expected);
        // Only what this call stored: a retry's events ('stored') are the first call's, an empty append has none.
        if (rows[i]!.outcome === 'appended' && p.args[2].length > 0) {
          const [stream, , ids, types, data, metadata] = p.args;
          this.own.add(result.position, result.nextRevision, stream, ids, types, data, metadata);
        }
        p.resolve(result);
      } catch (e) {
        p.reject(e);
      }
    });
  }

  async append(streamId: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    if (this.db.closed) throw closedError();
    const result = await this.appends.push(appendArguments(streamId, events, expectedRevision), expectedRevision);
    if (events.length > 0) {
      // A retry that stored nothing wakes them too: they find nothing new and sleep again.
      this.wakeups.poke();
      this.wakeups.announce();
    }
    return result;
  }

  async readStream(streamId: string, opts: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const limit = opts.maxCount === undefined ? null : Math.max(0, opts.maxCount);
    const rows = await this.db.query<EventRow>(this.sql.readStream, [
      streamId,
      Math.max(0, opts.fromRevision ?? 0),
      limit,
    ]);
    return rows.map(toRecorded);
  }

  /** Events after a position, as far as no running append can still add one before them (schema.ts). */
  async readAll(opts: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const maxCount = opts.maxCount ?? 1000;
    if (maxCount <= 0) return [];
    const rows = await this.db.query<EventRow>(this.sql.readAll, [opts.after ?? 0, maxCount]);
    return rows.map(toRecorded);
  }

  /** A subscription's next page: from this process's own appends when they follow on at once, else from the log. */
  private async readPage(after: number, maxCount: number): Promise<RecordedEvent[]> {
    const own = this.own.runAfter(after, maxCount);
    return own.length > 0 ? own : this.readAll({ after, maxCount });
  }

  async headPosition(): Promise<number> {
    const [row] = await this.db.query<{ p: string }>(this.sql.head);
    return Number(row!.p);
  }

  subscribe(opts: SubscribeOptions): Subscription {
    const sub = new CatchUpSubscription(
      opts,
      postgresCatchUpSource((after, maxCount) => this.readPage(after, maxCount), this.pollIntervalMs),
      this.wakeups,
      this.db.closed ? closedError() : undefined,
    );
    this.subscriptions.add(sub);
    void sub.ended.then(() => this.subscriptions.delete(sub));
    return sub;
  }

  readonly failure = undefined;
  private closing: Promise<void> | undefined;

  close(): Promise<void> {
    this.closing ??= (async () => {
      // Appends already accepted are sent (and settled) before the pool goes.
      await this.appends.drain();
      await Promise.all([...this.subscriptions].map((s) => s.stop()));
      await this.wakeups.close();
      this.own.clear();
      await this.db.close();
    })();
    return this.closing;
  }
}
