import { createHash } from 'node:crypto';

import type {
  AllStreamResolvedEvent,
  AppendStreamState,
  EventData,
  Position,
  ResolvedEvent,
} from '@kurrent/kurrentdb-client';

import { isVaultError, VaultError } from '../../domain/errors.js';
import {
  ANY,
  type EventMetadata,
  type ExpectedRevision,
  type NewEvent,
  NO_STREAM,
  type RecordedEvent,
  STREAM_EXISTS,
} from '../../ports/EventLog.js';

/*
 * Pure translation between the vault's EventLog port and the KurrentDB client: no I/O here, so
 * every rule is unit-tested without a server (kurrentdbMapping.unit.test.ts).
 */

/** Expected revision of the port → the client's stream state. A number is the last event's revision. */
export function toStreamState(expected: ExpectedRevision): AppendStreamState {
  switch (expected) {
    case ANY:
      return 'any';
    case NO_STREAM:
      return 'no_stream';
    case STREAM_EXISTS:
      return 'stream_exists';
    default:
      if (!Number.isSafeInteger(expected) || expected < 0) {
        throw new VaultError(
          'BAD_USER_INPUT',
          `Expected revision must be a non-negative integer or a sentinel, got ${String(expected)}`,
        );
      }
      return BigInt(expected);
  }
}

/**
 * Our log position is the server's commit position, as a JS number.
 *
 * KurrentDB positions are byte offsets in its transaction log. Every event this adapter writes
 * goes through the gRPC append, which commits each event implicitly: its commit position equals
 * its prepare position and is unique, and `$all` is ordered by it. So the commit position alone
 * is a strictly increasing, 1-based (the log starts with the server's own records) position for
 * the port, and the read position of a checkpoint `p` is `{ commit: p, prepare: p }`.
 * (Events of legacy explicit TCP transactions share one commit position; the vault never writes
 * any, and its `$all` filter only sees its own streams.)
 *
 * A number holds byte offsets exactly up to 2^53 (8 PiB of log); beyond that this throws rather
 * than round, since a rounded checkpoint would skip or repeat events.
 */
export function fromPosition(position: Position | bigint): number {
  const commit = typeof position === 'bigint' ? position : position.commit;
  if (commit < 0n || commit > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new VaultError('STORE_UNAVAILABLE', `KurrentDB commit position ${commit} is outside the safe integer range`, {
      details: { commit: commit.toString() },
    });
  }
  return Number(commit);
}

/** The read position of a checkpoint (see {@link fromPosition}); `start` for 0. */
export function toReadPosition(after: number): Position | 'start' {
  if (!Number.isSafeInteger(after) || after < 0)
    throw new VaultError('BAD_USER_INPUT', `Log position must be a non-negative integer, got ${after}`);
  if (after === 0) return 'start';
  const p = BigInt(after);
  return { commit: p, prepare: p };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Namespace of the name-based UUIDs below (a fixed random UUID, so every replica derives the same ids). */
const ID_NAMESPACE = Buffer.from('5f1b6c2e8d7a4e0f9c3b2a1d0e4f6a7b', 'hex');

/**
 * The server deduplicates appends by event id, and ids must be UUIDs. A vault id that already is a
 * UUID is used as is; any other id becomes a name-based UUID (version 5, SHA-1) of itself, so a
 * retried append carries the same server ids and the server stores it once.
 */
export function toServerEventId(id: string): string {
  if (UUID.test(id)) return id.toLowerCase();
  const h = createHash('sha1').update(ID_NAMESPACE).update(id, 'utf8').digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** Metadata as stored on the server: the port's metadata plus the vault's own event id. */
export interface StoredMetadata extends EventMetadata {
  eventId: string;
}

/** A port event → the client's event data (JSON), with its server id derived from the vault id. */
export function toEventData(e: NewEvent): EventData {
  const metadata: StoredMetadata = { ...e.metadata, eventId: e.id };
  return {
    id: toServerEventId(e.id),
    contentType: 'application/json',
    type: e.type,
    // JSON null and scalars travel as their JSON text like any value: the client stringifies `data`.
    data: (e.data ?? null) as never,
    metadata: metadata as unknown as Record<string, unknown>,
  };
}

/** Stream names on the server: the port's stream id behind an optional namespace. */
export interface StreamNaming {
  /** Prepended to every stream id on the server, e.g. a test run's own prefix. Default ''. */
  namespace: string;
}

export const toServerStream = (n: StreamNaming, streamId: string): string => n.namespace + streamId;
export const fromServerStream = (n: StreamNaming, name: string): string | undefined =>
  name.startsWith(n.namespace) ? name.slice(n.namespace.length) : undefined;

/**
 * The `$all` stream-name prefix filter: the vault's streams (`subject-…`) in its namespace only,
 * so system streams (`$…`) and other applications' streams on a shared cluster never reach the
 * projector.
 */
export function allFilterPrefix(n: StreamNaming, streamPrefix: string): string {
  const prefix = n.namespace + streamPrefix;
  if (prefix === '' || prefix.startsWith('$')) {
    throw new VaultError(
      'CONFIG_INVALID',
      'The KurrentDB $all filter prefix must be non-empty and must not select system streams ($…)',
    );
  }
  return prefix;
}

/**
 * A resolved event from the server → the port's recorded event; undefined for what is not ours (links, other streams).
 */
export function toRecorded(
  n: StreamNaming,
  resolved: ResolvedEvent | AllStreamResolvedEvent,
): RecordedEvent | undefined {
  const e = resolved.event;
  if (!e) return undefined;
  const streamId = fromServerStream(n, e.streamId);
  if (streamId === undefined) return undefined;
  const position =
    e.position ??
    (resolved.commitPosition !== undefined
      ? { commit: resolved.commitPosition, prepare: resolved.commitPosition }
      : undefined);
  if (!position)
    throw new VaultError(
      'STORE_UNAVAILABLE',
      `KurrentDB returned event ${e.id} of ${e.streamId} without a log position`,
    );
  const raw = (e.metadata ?? {}) as Partial<StoredMetadata>;
  const { eventId, ...metadata } = raw;
  const data: unknown = e.isJson ? e.data : JSON.parse(Buffer.from(e.data).toString('utf8'));
  return {
    id: typeof eventId === 'string' ? eventId : e.id,
    type: e.type,
    data,
    metadata: metadata as EventMetadata,
    streamId,
    revision: Number(e.revision),
    position: fromPosition(position),
  };
}

/** Error types of the client that mean "the cluster is not answering or not usable now". */
const UNAVAILABLE_TYPES = new Set([
  'unavailable',
  'deadline-exceeded',
  'timeout',
  'cancelled',
  'not-leader',
  'access-denied',
  'unknown',
]);
/**
 * gRPC status codes with the same meaning when a raw gRPC error escapes: CANCELLED, UNKNOWN, DEADLINE_EXCEEDED,
 * RESOURCE_EXHAUSTED, UNAVAILABLE, UNAUTHENTICATED, PERMISSION_DENIED.
 */
const UNAVAILABLE_GRPC = new Set([1, 2, 4, 8, 14, 16, 7]);

/** What the adapter was doing, for errors that need it (a conflict names the stream and revisions). */
export interface ErrorContext {
  streamId?: string;
  expected?: ExpectedRevision;
}

/**
 * The one place where KurrentDB's errors become the vault's errors. Matches on the client's
 * stable `type` string (not the class), so it works across two copies of the client.
 *
 * - wrong expected version → CONFLICT; with expected ANY (which cannot conflict) the server is
 *   reporting ids that match only part of an earlier append → DUPLICATE_EVENT;
 * - unavailable, deadline exceeded, not leader, cancelled, access denied → STORE_UNAVAILABLE;
 * - an append too large → BAD_USER_INPUT;
 * - anything else from the client → STORE_UNAVAILABLE with its type, never a raw client error.
 */
export function toVaultError(e: unknown, ctx: ErrorContext = {}): VaultError {
  if (isVaultError(e)) return e;
  const err = (e ?? {}) as {
    type?: unknown;
    code?: unknown;
    message?: unknown;
    actualState?: unknown;
    streamName?: unknown;
  };
  const type = typeof err.type === 'string' ? err.type : undefined;
  const streamId = ctx.streamId;
  if (type === 'wrong-expected-version') {
    const actual = typeof err.actualState === 'bigint' ? Number(err.actualState) : null;
    if (ctx.expected === ANY) {
      return new VaultError(
        'DUPLICATE_EVENT',
        `Append to stream ${streamId ?? '?'} reuses event ids of an earlier append only in part`,
        {
          cause: e,
          details: { streamId },
        },
      );
    }
    return new VaultError(
      'CONFLICT',
      `Stream ${streamId ?? '?'} is at revision ${actual ?? 'none'}, expected ${String(ctx.expected)}`,
      {
        cause: e,
        details: { streamId, currentRevision: actual, expectedRevision: ctx.expected ?? null },
      },
    );
  }
  if (
    type === 'maximum-append-size-exceeded' ||
    type === 'append-record-size-exceeded' ||
    type === 'transaction-max-size-exceeded'
  ) {
    return new VaultError('BAD_USER_INPUT', `Append to stream ${streamId ?? '?'} is larger than the server accepts`, {
      cause: e,
      details: { streamId, kurrentType: type },
    });
  }
  if (type !== undefined || (typeof err.code === 'number' && UNAVAILABLE_GRPC.has(err.code))) {
    const reason = type ?? `grpc-${String(err.code)}`;
    return new VaultError('STORE_UNAVAILABLE', `KurrentDB call failed (${reason})`, {
      cause: e,
      details: { kurrentType: reason, unavailable: type === undefined || UNAVAILABLE_TYPES.has(type) },
    });
  }
  const message = typeof err.message === 'string' ? err.message : String(e);
  return new VaultError('STORE_UNAVAILABLE', `KurrentDB call failed: ${message.slice(0, 200)}`, { cause: e });
}

/**
 * Rejects with STORE_UNAVAILABLE if `work` has not settled after `ms`. The client's own deadline
 * does not cover a port that accepts connections and never answers; this does. On timeout,
 * `onTimeout` runs (e.g. cancel a read) and a late result is dropped.
 */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string, onTimeout?: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      try {
        onTimeout?.();
      } catch {
        // Cancelling is best effort; the caller already has its answer.
      }
      reject(
        new VaultError('STORE_UNAVAILABLE', `KurrentDB did not answer ${what} within ${ms} ms`, {
          details: { timeoutMs: ms },
        }),
      );
    }, ms);
    timer.unref();
    work.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
