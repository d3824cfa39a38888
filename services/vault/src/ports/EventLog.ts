import { VaultError } from '../domain/errors.js';

/** Expected-revision sentinels. A number means "the stream's last event has exactly this revision". */
export const ANY = 'any' as const;
export const NO_STREAM = 'no_stream' as const;
export const STREAM_EXISTS = 'stream_exists' as const;
export type ExpectedRevision = typeof ANY | typeof NO_STREAM | typeof STREAM_EXISTS | number;

/** Plaintext metadata. Never personal data: ids, category, key id, purpose, legal basis, actor, time. */
export interface EventMetadata {
  actor: string;
  at: string;
  correlationId?: string;
}

export interface NewEvent<Type extends string = string, Data = unknown> {
  /** Globally unique; a retried append with the same ids is not duplicated. */
  id: string;
  type: Type;
  data: Data;
  metadata: EventMetadata;
}

export interface RecordedEvent<Type extends string = string, Data = unknown> extends NewEvent<Type, Data> {
  streamId: string;
  /** 0-based position of the event in its stream. */
  revision: number;
  /** 1-based position in the whole log; strictly increasing in commit order. */
  position: number;
}

export interface AppendResult {
  /** Revision of the stream's last event after the append. */
  nextRevision: number;
  /** Log position of the last appended event. */
  position: number;
}

export interface ReadStreamOptions {
  /** First revision to return. Default 0. */
  fromRevision?: number;
  /** At most this many events. Default: all. */
  maxCount?: number;
}

export interface ReadAllOptions {
  /** Return events with a position strictly after this one. Default 0 (from the start). */
  after?: number;
  /** At most this many events. Default 1000. */
  maxCount?: number;
}

export interface SubscribeOptions {
  /** Deliver events strictly after this position (a checkpoint). Default 0. */
  after?: number;
  /** Most events handed to one `onEvents` call. Default 500. */
  batchSize?: number;
  /** Called with consecutive batches, in log order; the next batch waits for the returned promise. */
  onEvents: (events: RecordedEvent[]) => Promise<void> | void;
  /** Called once if the subscription stops on an error (a handler throw included). */
  onError?: (error: unknown) => void;
}

export interface Subscription {
  /** Position of the last event whose handler completed. */
  readonly position: number;
  /** Resolves once the subscription has delivered everything up to `position`. */
  waitFor(position: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** The append-only event log: one stream per subject. */
export interface EventLog {
  append(streamId: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult>;
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Position of the last event in the log, 0 when empty. */
  headPosition(): Promise<number>;
  /** Catch up from a checkpoint, then follow live appends. */
  subscribe(options: SubscribeOptions): Subscription;
  /**
   * Set once the store can no longer write and will not recover by itself (the embedded log's
   * writer thread stopped); every later append fails with it. `/readyz` reports it. Adapters
   * whose client reconnects on its own leave it undefined.
   */
  readonly failure?: VaultError | undefined;
  /** Writes handed to the store and not committed yet (the embedded store's writer-thread queue), for the metrics. */
  readonly pendingWrites?: number;
  close(): Promise<void>;
}

/** Revision of a stream's last event, or undefined when it has none. */
export type CurrentRevision = number | undefined;

/** The one shared check every adapter that enforces expected revisions itself uses. */
export function assertExpectedRevision(streamId: string, current: CurrentRevision, expected: ExpectedRevision): void {
  const ok =
    expected === ANY ||
    (expected === NO_STREAM && current === undefined) ||
    (expected === STREAM_EXISTS && current !== undefined) ||
    (typeof expected === 'number' && current === expected);
  if (!ok) throw conflict(streamId, current, expected);
}

export function conflict(streamId: string, current: CurrentRevision, expected: ExpectedRevision): VaultError {
  return new VaultError(
    'CONFLICT',
    `Stream ${streamId} is at revision ${current ?? 'none'}, expected ${String(expected)}`,
    {
      details: { streamId, currentRevision: current ?? null, expectedRevision: expected },
    },
  );
}

/** Pages through a stream without holding it all in memory. */
export async function* streamEvents(
  log: EventLog,
  streamId: string,
  fromRevision = 0,
  pageSize = 1000,
): AsyncGenerator<RecordedEvent> {
  let next = fromRevision;
  for (;;) {
    const page = await log.readStream(streamId, { fromRevision: next, maxCount: pageSize });
    for (const e of page) yield e;
    if (page.length < pageSize) return;
    next = page[page.length - 1]!.revision + 1;
  }
}

/**
 * Callers waiting for a subscription to reach a log position: shared by every adapter's
 * subscription, so `Subscription.waitFor` behaves the same on each.
 */
export class PositionWaiters {
  private readonly waiting = new Set<{
    position: number;
    resolve(): void;
    reject(e: unknown): void;
    timer: NodeJS.Timeout;
  }>();

  /** Resolves every waiter that `position` reaches. */
  reached(position: number): void {
    for (const w of this.waiting) {
      if (w.position <= position) {
        clearTimeout(w.timer);
        this.waiting.delete(w);
        w.resolve();
      }
    }
  }

  /** Waits until `reached` is called with `position` or more; STORE_UNAVAILABLE after `timeoutMs`. */
  wait(position: number, current: () => number, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const w = {
        position,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiting.delete(w);
          reject(
            new VaultError(
              'STORE_UNAVAILABLE',
              `Subscription did not reach position ${position} within ${timeoutMs} ms`,
              {
                details: { position, reached: current(), timeoutMs },
              },
            ),
          );
        }, timeoutMs),
      };
      w.timer.unref();
      this.waiting.add(w);
    });
  }

  /** Rejects every waiter: the subscription has stopped. */
  failAll(error: unknown): void {
    for (const w of this.waiting) {
      clearTimeout(w.timer);
      w.reject(error);
    }
    this.waiting.clear();
  }
}
