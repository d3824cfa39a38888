import { VaultError } from '../../../domain/errors.js';
import { type AppendResult, assertExpectedRevision, type ExpectedRevision } from '../../../ports/EventLog.js';
import type { SqliteDatabase } from '../openDatabase.js';
import { toWire, type WireError } from './wire.js';

export type Outcome =
  /** `inserted`: this commit stored the append's events (not an empty append, nor a retry of one stored before). */
  { ok: true; value: AppendResult; inserted: boolean } | { ok: false; error: WireError };

export const EVENTS_SCHEMA = `
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

/** One append as the writer receives it: plain data (it crosses to the writer thread), JSON already serialised. */
export interface AppendRequest {
  streamId: string;
  expected: ExpectedRevision;
  ids: string[];
  types: string[];
  data: string[];
  metadata: string[];
}

class IdTaken extends Error {}

/**
 * The write half of the embedded event log: checks and commits a group of appends in one
 * transaction (group commit), each append in its own savepoint so that it fails alone.
 */
export function createGroupCommitter(db: SqliteDatabase): (group: AppendRequest[]) => Outcome[] {
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
  };

  /**
   * An append whose ids are already stored: a retry of an append that committed gets its original
   * result back and stores nothing; ids stored partly or in another stream are an error.
   */
  const retryOf = (p: AppendRequest): AppendResult | undefined => {
    const known = p.ids.map((id) => stmt.byEventId.get(id));
    const stored = known.filter((k) => k !== undefined);
    if (stored.length === 0) return undefined;
    if (stored.length === p.ids.length && stored.every((k) => k.stream_id === p.streamId)) {
      const last = stored.reduce((a, b) => (b.position > a.position ? b : a));
      return { nextRevision: last.revision, position: last.position };
    }
    throw new VaultError('DUPLICATE_EVENT', `Append to stream ${p.streamId} reuses event ids stored elsewhere`, {
      details: { streamId: p.streamId, eventIds: p.ids.filter((_, i) => known[i] !== undefined) },
    });
  };

  /**
   * Checks and writes one append; throws to fail that append alone. The fast path asks one
   * question (the stream's head) and inserts; the event-id lookups of the idempotency check run
   * only when the revision check or an insert says something is off.
   */
  const appendOne = (p: AppendRequest): AppendResult & { inserted: boolean } => {
    if (new Set(p.ids).size !== p.ids.length) {
      throw new VaultError('DUPLICATE_EVENT', `Append to stream ${p.streamId} repeats an event id`, {
        details: { streamId: p.streamId },
      });
    }
    const head = stmt.head.get(p.streamId);
    try {
      assertExpectedRevision(p.streamId, head?.revision, p.expected);
    } catch (conflict) {
      const retry = p.ids.length > 0 ? retryOf(p) : undefined;
      if (retry) return { ...retry, inserted: false };
      throw conflict;
    }
    if (p.ids.length === 0)
      return { nextRevision: head?.revision ?? -1, position: head?.position ?? 0, inserted: false };
    let revision = head?.revision ?? -1;
    let position = 0;
    try {
      for (let i = 0; i < p.ids.length; i++) {
        revision += 1;
        position = Number(
          stmt.insert.run(p.streamId, revision, p.ids[i]!, p.types[i]!, p.data[i]!, p.metadata[i]!).lastInsertRowid,
        );
      }
    } catch (e) {
      if ((e as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw e;
      // An id is stored already. Throwing rolls this append's savepoint back; it is retried on the slow path.
      throw new IdTaken();
    }
    return { nextRevision: revision, position, inserted: true };
  };

  // Nested inside the group transaction, better-sqlite3 runs this as a savepoint: a failed append is rolled back alone.
  const appendInSavepoint = db.transaction(appendOne);
  const commitGroup = db.transaction((group: AppendRequest[]): Outcome[] =>
    group.map((p) => {
      try {
        const { inserted, ...value } = appendInSavepoint(p);
        return { ok: true, value, inserted };
      } catch (error) {
        // An I/O error, a full disk or out of memory can make SQLite roll the whole transaction back,
        // not just this append's savepoint: the group fails as one, or the appends after this one
        // would each commit on their own, outside the write lock, while the group is reported failed.
        if (!db.inTransaction) throw error;
        if (error instanceof IdTaken) {
          try {
            const retry = retryOf(p);
            if (retry) return { ok: true, value: retry, inserted: false };
          } catch (duplicate) {
            return { ok: false, error: toWire(duplicate) };
          }
        }
        return { ok: false, error: toWire(error) };
      }
    }),
  );
  // IMMEDIATE: take the write lock before reading heads, so another process cannot interleave.
  return (group) => commitGroup.immediate(group);
}
