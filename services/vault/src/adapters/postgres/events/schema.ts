/**
 * The event log's tables and its append function, each migration given the quoted schema.
 *
 * Why a function: an append is one statement (one round trip, its own transaction), and the
 * global lock it takes is held only while the function runs on the server, never across the
 * network or the commit's fsync.
 *
 * Ordering, the gap problem and how it is closed: positions come from a sequence, so a
 * transaction can commit after another that took a higher position. A reader that checkpointed
 * past the higher one would skip the lower one for good. Every append records its transaction
 * id, and readers of the whole log take only events whose transaction id is below the oldest
 * transaction still running (`pg_snapshot_xmin(pg_current_snapshot())`, as Emmett's store does):
 * those transactions have all ended, so nothing can appear below them any more. For one number to
 * be a checkpoint (Emmett keeps a pair, transaction id and position), transaction ids must also
 * be in position order: the append takes its transaction id and its positions under one
 * session-level advisory lock, released before the commit, so commits still overlap and share
 * their WAL flushes.
 */
export const EVENT_MIGRATIONS: readonly ((s: string) => string)[] = [
  (s) => tables(s) + storedAppend(s) + appendEvents(s),
];

const tables = (s: string): string => `
    CREATE SEQUENCE ${s}.event_positions AS bigint;
    CREATE TABLE ${s}.events (
      position       bigint  PRIMARY KEY,
      transaction_id xid8    NOT NULL,
      stream_id      text    COLLATE "C" NOT NULL,
      revision       integer NOT NULL,
      event_id       text    COLLATE "C" NOT NULL UNIQUE,
      type           text    NOT NULL,
      -- JSON as text, as it was given: jsonb would reorder keys and drop duplicates.
      data           text    NOT NULL,
      metadata       text    NOT NULL,
      UNIQUE (stream_id, revision)
    );
`;

const storedAppend = (s: string): string => `
    -- An append whose ids are stored already: the original result of a retry (every id stored, in
    -- this stream), 'duplicate' when they are stored partly or elsewhere, nothing when none is.
    CREATE FUNCTION ${s}.stored_append(p_stream text, p_ids text[],
      OUT outcome text, OUT revision integer, OUT last_position bigint)
    LANGUAGE plpgsql AS $fn$
    DECLARE
      v_stored integer;
      v_same integer;
    BEGIN
      SELECT count(*), count(*) FILTER (WHERE e.stream_id = p_stream)
        INTO v_stored, v_same FROM ${s}.events e WHERE e.event_id = ANY (p_ids);
      IF v_stored = 0 THEN
        RETURN;
      ELSIF v_stored = cardinality(p_ids) AND v_same = v_stored THEN
        SELECT 'stored', e.revision, e.position INTO outcome, revision, last_position
          FROM ${s}.events e WHERE e.event_id = ANY (p_ids) ORDER BY e.position DESC LIMIT 1;
      ELSE
        outcome := 'duplicate';
      END IF;
    END $fn$;
`;

const appendEvents = (s: string): string => `
    -- Outcomes: 'appended' (revision and position of the last event; an empty append reports the
    -- stream's head), 'stored' (a retry: the original result), 'conflict' (revision: the stream's
    -- head, null when it has none), 'duplicate'. Ids repeated within one append are refused by the
    -- caller before it gets here.
    CREATE FUNCTION ${s}.append_events(p_stream text, p_expected text, p_ids text[], p_types text[],
      p_data text[], p_metadata text[], OUT outcome text, OUT revision integer, OUT last_position bigint)
    LANGUAGE plpgsql AS $fn$
    DECLARE
      v_head integer;
      v_head_position bigint;
      v_tx xid8;
      v_global bigint := hashtext('pdv-events:' || ${quoteLiteral(s)});
    BEGIN
      -- One append per stream at a time, until it commits: the next one waits here (holding no
      -- transaction id, so it holds no reader back) and then reads the head the first one left.
      PERFORM pg_advisory_xact_lock(hashtext('pdv-stream:' || ${quoteLiteral(s)}), hashtext(p_stream));
      SELECT e.revision, e.position INTO v_head, v_head_position
        FROM ${s}.events e WHERE e.stream_id = p_stream ORDER BY e.revision DESC LIMIT 1;
      IF NOT (p_expected = 'any'
          OR (p_expected = 'no_stream' AND v_head IS NULL)
          OR (p_expected = 'stream_exists' AND v_head IS NOT NULL)
          OR (p_expected ~ '^[0-9]+$' AND coalesce(v_head = p_expected::integer, false))) THEN
        IF cardinality(p_ids) > 0 THEN
          SELECT * INTO outcome, revision, last_position FROM ${s}.stored_append(p_stream, p_ids);
          IF outcome IS NOT NULL THEN RETURN; END IF;
        END IF;
        outcome := 'conflict';
        revision := v_head;
        RETURN;
      END IF;
      IF cardinality(p_ids) = 0 THEN
        outcome := 'appended';
        revision := coalesce(v_head, -1);
        last_position := coalesce(v_head_position, 0);
        RETURN;
      END IF;

      -- Transaction id and positions under one lock: transaction ids in position order.
      PERFORM pg_advisory_lock(v_global);
      BEGIN
        v_tx := pg_current_xact_id();
        INSERT INTO ${s}.events (position, transaction_id, stream_id, revision, event_id, type, data, metadata)
          SELECT nextval('${s}.event_positions'), v_tx, p_stream, coalesce(v_head, -1) + u.n, u.id, u.ty, u.d, u.m
          FROM unnest(p_ids, p_types, p_data, p_metadata) WITH ORDINALITY AS u(id, ty, d, m, n)
          ORDER BY u.n;
        last_position := currval('${s}.event_positions');
      EXCEPTION
        WHEN unique_violation THEN
          -- An id is stored already (the stream is locked, so not its revisions): this append's rows
          -- are rolled back with the block.
          PERFORM pg_advisory_unlock(v_global);
          SELECT * INTO outcome, revision, last_position FROM ${s}.stored_append(p_stream, p_ids);
          IF outcome IS NULL THEN RAISE; END IF;
          RETURN;
        WHEN query_canceled THEN
          PERFORM pg_advisory_unlock(v_global);
          RAISE;
        WHEN OTHERS THEN
          PERFORM pg_advisory_unlock(v_global);
          RAISE;
      END;
      PERFORM pg_advisory_unlock(v_global);
      outcome := 'appended';
      revision := coalesce(v_head, -1) + cardinality(p_ids);
    END $fn$;
`;

/** `"vault"` as a SQL string literal (`'"vault"'`); the schema name is a validated identifier. */
function quoteLiteral(quotedSchema: string): string {
  return `'${quotedSchema.replaceAll("'", "''")}'`;
}
