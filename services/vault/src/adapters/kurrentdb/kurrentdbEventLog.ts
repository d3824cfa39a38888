import {
  type AllStreamSubscription,
  BACKWARDS,
  END,
  FORWARDS,
  KurrentDBClient,
  streamNameFilter,
} from '@kurrent/kurrentdb-client';

import { VaultError } from '../../domain/errors.js';
import { STREAM_PREFIX } from '../../domain/events.js';
import {
  type AppendResult,
  assertExpectedRevision,
  type EventLog,
  PositionWaiters,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
} from '../../ports/EventLog.js';
import {
  allFilterPrefix,
  type StreamNaming,
  toEventData,
  toReadPosition,
  toRecorded,
  toServerStream,
  toStreamState,
  toVaultError,
  withTimeout,
} from './mapping.js';

/** Options of the KurrentDB (EventStoreDB 20+) event log. Give either `client` or `connectionString`. */
export interface KurrentdbEventLogOptions {
  /** A client the caller owns (and disposes). */
  client?: KurrentDBClient;
  /** e.g. `kurrentdb+discover://node1:2113,node2:2113?tls=true`; the adapter creates and disposes its own client. */
  connectionString?: string;
  /**
   * Prepended to every stream name on the server: lets tests (or several vaults) share one
   * cluster, each seeing only its own streams. Default `''`.
   */
  namespace?: string;
  /**
   * The vault's stream-name prefix; `$all` reads and subscriptions are filtered to it (behind the namespace). Default
   * `subject-`.
   */
  streamPrefix?: string;
  /**
   * Deadline of every call, in ms: passed to the server as the gRPC deadline and enforced again
   * by the adapter, since the client can wait forever on a peer that accepts and never answers.
   * Default 10000.
   */
  deadlineMs?: number;
}

/**
 * The event log on a KurrentDB / EventStoreDB (20+) cluster through the official gRPC client.
 *
 * Positions are the server's commit positions (see `fromPosition` in mapping.ts). Idempotent
 * retries rely on the server's deduplication by event id (vault ids map to stable UUIDs).
 * Not enforced by the server, so not by this adapter: an event id reused in *another* stream
 * (the embedded log rejects it with DUPLICATE_EVENT; the vault generates fresh UUIDs, so it never
 * does this itself).
 */
// The adapter is one closure over its client and subscriptions; each method in it is short.
// eslint-disable-next-line max-lines-per-function -- see above
export function getKurrentdbEventLog(options: KurrentdbEventLogOptions): EventLog {
  if (!options.client && !options.connectionString)
    throw new VaultError('CONFIG_INVALID', 'The KurrentDB event log needs a client or a connection string');
  let client: KurrentDBClient;
  try {
    client = options.client ?? KurrentDBClient.connectionString(options.connectionString!);
  } catch (e) {
    throw new VaultError(
      'CONFIG_INVALID',
      `VAULT_KURRENTDB_URL is not a valid KurrentDB connection string: ${(e as Error).message}`,
      { cause: e },
    );
  }
  const owned = !options.client;
  const naming: StreamNaming = { namespace: options.namespace ?? '' };
  const prefix = allFilterPrefix(naming, options.streamPrefix ?? STREAM_PREFIX);
  const deadline = options.deadlineMs ?? 10_000;
  // Our own timer fires a little after the server's deadline, so the server's answer wins when it comes.
  const guard = deadline + 1000;
  const filter = () => streamNameFilter({ prefixes: [prefix] });
  let closed = false;
  const subscriptions = new Set<KurrentdbSubscription>();

  const closedError = () => new VaultError('STORE_UNAVAILABLE', 'KurrentDB event log is closed');

  /** Drains a read into an array under the deadline; stream-not-found is an empty stream. */
  const collect = async (
    what: string,
    read: AsyncIterableIterator<unknown> & { cancel?: () => Promise<void> },
    ctx: { streamId?: string } = {},
  ): Promise<RecordedEvent[]> => {
    const out: RecordedEvent[] = [];
    const drain = async () => {
      for await (const resolved of read) {
        const e = toRecorded(naming, resolved as never);
        if (e) out.push(e);
      }
      return out;
    };
    try {
      return await withTimeout(drain(), guard, what, () => void read.cancel?.().catch(() => {}));
    } catch (e) {
      if ((e as { type?: unknown }).type === 'stream-not-found') return [];
      throw toVaultError(e, ctx);
    }
  };

  const readStreamRaw = (
    streamId: string,
    fromRevision: number,
    maxCount: number | undefined,
    direction: typeof FORWARDS | typeof BACKWARDS,
  ) =>
    collect(
      `reading stream ${streamId}`,
      client.readStream(toServerStream(naming, streamId), {
        fromRevision: direction === BACKWARDS && fromRevision < 0 ? END : BigInt(Math.max(0, fromRevision)),
        direction,
        deadline,
        ...(maxCount !== undefined ? { maxCount } : {}),
      }) as never,
      { streamId },
    );

  const log: EventLog = {
    async append(streamId, events, expectedRevision) {
      if (closed) throw closedError();
      const ids = events.map((e) => e.id);
      if (new Set(ids).size !== ids.length) {
        throw new VaultError('DUPLICATE_EVENT', `Append to stream ${streamId} repeats an event id`, {
          details: { streamId },
        });
      }
      if (events.length === 0) {
        const [head] = await readStreamRaw(streamId, -1, 1, BACKWARDS);
        assertExpectedRevision(streamId, head?.revision, expectedRevision);
        return { nextRevision: head?.revision ?? -1, position: head?.position ?? 0 };
      }
      let data;
      try {
        data = events.map(toEventData);
      } catch (e) {
        throw new VaultError('BAD_USER_INPUT', `Event of stream ${streamId} cannot be encoded`, { cause: e });
      }
      let nextRevision: number;
      try {
        const result = await withTimeout(
          client.appendToStream(toServerStream(naming, streamId), data, {
            streamState: toStreamState(expectedRevision),
            deadline,
          }),
          guard,
          `an append to ${streamId}`,
        );
        nextRevision = Number(result.nextExpectedRevision);
      } catch (e) {
        throw toVaultError(e, { streamId, expected: expectedRevision });
      }
      // The append's own position field is not the last event's position for every server version
      // (nor for an idempotent retry): read it back, one more round trip whatever the batch size.
      const [last] = await readStreamRaw(streamId, nextRevision, 1, FORWARDS);
      if (!last)
        throw new VaultError(
          'STORE_UNAVAILABLE',
          `Stream ${streamId} lost revision ${nextRevision} right after the append`,
        );
      const result: AppendResult = { nextRevision, position: last.position };
      return result;
    },

    async readStream(streamId, opts = {}) {
      if (closed) throw closedError();
      if (opts.maxCount === 0) return [];
      return readStreamRaw(streamId, opts.fromRevision ?? 0, opts.maxCount, FORWARDS);
    },

    async readAll(opts = {}) {
      if (closed) throw closedError();
      const after = opts.after ?? 0;
      const maxCount = opts.maxCount ?? 1000;
      if (maxCount <= 0) return [];
      // The server's read position is inclusive: ask for one more and drop the checkpoint's own event.
      const page = await collect(
        'a read of $all',
        client.readAll({
          fromPosition: toReadPosition(after),
          maxCount: maxCount + 1,
          direction: FORWARDS,
          filter: filter(),
          deadline,
        }) as never,
      );
      return page.filter((e) => e.position > after).slice(0, maxCount);
    },

    async headPosition() {
      if (closed) throw closedError();
      const [last] = await collect(
        'a read of the $all head',
        client.readAll({ fromPosition: END, maxCount: 1, direction: BACKWARDS, filter: filter(), deadline }) as never,
      );
      return last?.position ?? 0;
    },

    subscribe(opts) {
      const sub = new KurrentdbSubscription(
        opts,
        () => client.subscribeToAll({ fromPosition: toReadPosition(opts.after ?? 0), filter: filter() }),
        closed,
        naming,
      );
      subscriptions.add(sub);
      void sub.ended.then(() => subscriptions.delete(sub));
      return sub;
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions].map((s) => s.stop()));
      if (owned) await withTimeout(client.dispose(), guard, 'dispose').catch(() => {});
    },
  };
  return log;
}

/**
 * A catch-up subscription to the filtered `$all`: events are buffered as the server pushes them,
 * handed to `onEvents` in batches of at most `batchSize`, one batch at a time; the server stream
 * is paused while a full batch waits for its handler.
 */
class KurrentdbSubscription implements Subscription {
  position: number;
  readonly ended: Promise<void>;
  private endedResolve!: () => void;
  private stopped = false;
  private failure: unknown;
  private buffer: RecordedEvent[] = [];
  private draining: Promise<void> | undefined;
  private sub: AllStreamSubscription | undefined;
  private readonly waiters = new PositionWaiters();
  private readonly naming: StreamNaming;

  constructor(
    private readonly opts: SubscribeOptions,
    open: () => AllStreamSubscription,
    logClosed: boolean,
    naming: StreamNaming,
  ) {
    this.position = opts.after ?? 0;
    this.naming = naming;
    this.ended = new Promise((r) => (this.endedResolve = r));
    // Started on the next microtask, so onEvents and onError are never called before subscribe() returns.
    queueMicrotask(() => {
      if (logClosed) return void this.fail(new VaultError('STORE_UNAVAILABLE', 'KurrentDB event log is closed'));
      if (this.stopped) return this.finish();
      try {
        this.sub = open();
      } catch (e) {
        return void this.fail(toVaultError(e));
      }
      const batchSize = Math.max(1, opts.batchSize ?? 500);
      let lastQueued = this.position;
      this.sub.on('data', (resolved) => {
        if (this.stopped) return;
        let e: RecordedEvent | undefined;
        try {
          e = toRecorded(this.naming, resolved);
        } catch (err) {
          return void this.fail(err);
        }
        // A reconnecting client may replay from its last position: deliver each position once.
        if (!e || e.position <= lastQueued) return;
        lastQueued = e.position;
        this.buffer.push(e);
        if (this.buffer.length >= batchSize) this.sub?.pause();
        this.kick(batchSize);
      });
      this.sub.on('error', (err) => void this.fail(toVaultError(err)));
      this.sub.on('end', () => {
        if (!this.stopped) void this.fail(new VaultError('STORE_UNAVAILABLE', 'KurrentDB ended the subscription'));
      });
    });
  }

  private kick(batchSize: number): void {
    if (this.draining) return;
    this.draining = (async () => {
      try {
        // Yield once so events that arrived together are handed over together.
        await new Promise((r) => setImmediate(r));
        while (this.buffer.length > 0 && !this.stopped) {
          const batch = this.buffer.splice(0, batchSize);
          await this.opts.onEvents(batch);
          this.position = batch[batch.length - 1]!.position;
          this.waiters.reached(this.position);
        }
      } catch (e) {
        await this.fail(e);
      } finally {
        this.draining = undefined;
        if (!this.stopped && this.sub?.isPaused()) this.sub.resume();
      }
    })();
  }

  private async fail(error: unknown): Promise<void> {
    if (this.stopped) return;
    this.failure = error;
    this.stopped = true;
    try {
      this.opts.onError?.(error);
    } catch {
      // An onError that throws must not turn into an unhandled rejection.
    }
    await this.teardown();
  }

  private async teardown(): Promise<void> {
    const sub = this.sub;
    this.sub = undefined;
    if (sub) await withTimeout(sub.unsubscribe(), 5000, 'unsubscribe').catch(() => {});
    this.finish();
  }

  private finish(): void {
    const error = this.failure ?? new VaultError('STORE_UNAVAILABLE', 'Subscription stopped');
    this.waiters.failAll(error);
    this.endedResolve();
  }

  waitFor(position: number, timeoutMs = 10_000): Promise<void> {
    if (this.position >= position) return Promise.resolve();
    if (this.stopped)
      return Promise.reject(
        this.failure instanceof Error ? this.failure : new VaultError('STORE_UNAVAILABLE', 'Subscription stopped'),
      );
    return this.waiters.wait(position, () => this.position, timeoutMs);
  }

  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      // Let a handler that is running finish: stop resolves once nothing more will be delivered.
      await this.draining;
      await this.teardown();
    }
    await this.ended;
  }
}
