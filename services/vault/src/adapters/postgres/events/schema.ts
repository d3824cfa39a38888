/**
 * The event log's table and its functions, each migration given the quoted schema.
 *
 * Why functions: an append is one statement (one round trip, its own transaction), and the
 * global lock it takes is held only while the function runs on the server, never across the
 * network or the commit's fsync; a read of the whole log is one statement too.
 *
 * The gap problem and how it is closed: positions come from a sequence, so an append can commit
 * after another that took a higher position, and a reader that checkpointed past the higher one
 * would skip the lower one for good. Every append, before it takes its positions, takes a
 * transaction-level advisory lock named after its first position, which the server holds until
 * the append commits or rolls back and which every session sees at once in `pg_locks` (a row of
 * the table is seen only after the commit). A reader first notes the last position handed out,
 * then the appends still running, and only then takes its snapshot: every position up to the last
 * one handed out and below the lowest running append belongs to an append that has ended, so it
 * is in the snapshot or will never exist. Taking the first position and its lock under one short
 * global lock keeps the two in that order. Emmett's store solves the same problem with transaction
 * ids (`pg_snapshot_xmin(pg_current_snapshot())`) and a checkpoint of two numbers; the oldest
 * running transaction is the whole server's, so any long write elsewhere on the server (another
 * schema, database or program) would hold every subscription back. Here only appends to this log do.
 */
export const EVENT_MIGRATIONS: readonly ((s: string) => string)[] = [
  (s) => tables(s) + storedAppend(s) + appendEvents(s) + readEvents(s),
  (s) => appendBatch(s),
];

const tables = (s: string): string => `
    CREATE SEQUENCE ${s}.event_positions AS bigint;
    CREATE TABLE ${s}.events (
      position       bigint  PRIMARY KEY,
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
      v_first bigint;
      v_global bigint := hashtext('pdv-events:' || ${quoteLiteral(s)});
    BEGIN
      -- One append per stream at a time, until it commits: the next one waits here (holding no
      -- position, so it holds no reader back) and then reads the head the first one left.
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

      -- The "running" lock before the positions it names, under a global lock that only appends
      -- take, for the time of this block (session-level: released before the commit).
      PERFORM pg_advisory_lock(v_global);
      BEGIN
        SELECT CASE WHEN q.is_called THEN q.last_value + 1 ELSE q.last_value END INTO v_first
          FROM ${s}.event_positions q;
        PERFORM pg_advisory_xact_lock(${runningClass(s)}, ${signed32('v_first')});
        INSERT INTO ${s}.events (position, stream_id, revision, event_id, type, data, metadata)
          SELECT nextval('${s}.event_positions'), p_stream, coalesce(v_head, -1) + u.n, u.id, u.ty, u.d, u.m
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

const readEvents = (s: string): string => `
    -- Up to p_max events after p_after, as far as no running append can still add one before them.
    CREATE FUNCTION ${s}.read_events(p_after bigint, p_max integer)
    RETURNS SETOF ${s}.events LANGUAGE plpgsql AS $fn$
    DECLARE
      v_last bigint;
      v_next bigint;
      v_lowest bigint;
    BEGIN
      SELECT CASE WHEN q.is_called THEN q.last_value ELSE 0 END INTO v_last FROM ${s}.event_positions q;
      v_next := v_last + 1;
      -- A lock names a first position by its low 32 bits; the running appends are the latest ones.
      SELECT min(v_next - ((v_next - l.objid::bigint) & 4294967295)) INTO v_lowest
        FROM pg_locks l
        WHERE l.locktype = 'advisory' AND l.objsubid = 2
          AND l.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
          AND l.classid::bigint = (${runningClass(s)}::bigint & 4294967295);
      -- A new statement, so a snapshot taken after the locks were read.
      RETURN QUERY SELECT e.* FROM ${s}.events e
        WHERE e.position > p_after AND e.position <= least(v_last, v_lowest - 1)
        ORDER BY e.position LIMIT p_max;
    END $fn$;
`;

const appendBatch = (s: string): string => `
    -- Appends that arrived together, in one transaction (one commit for all), each checked on its
    -- own as append_events does; the events of append i are p_counts[i] consecutive entries of
    -- the event arrays. Taken in stream order, so that two batches lock their streams in the same
    -- order and never wait for each other in a circle.
    CREATE FUNCTION ${s}.append_batch(p_streams text[], p_expected text[], p_counts integer[],
      p_ids text[], p_types text[], p_data text[], p_metadata text[])
    RETURNS TABLE (n integer, outcome text, revision integer, last_position bigint)
    LANGUAGE plpgsql AS $fn$
    DECLARE
      v_offsets integer[];
      v_i integer;
      v_from integer;
      v_to integer;
    BEGIN
      SELECT array_agg(x.off ORDER BY x.i) INTO v_offsets FROM (
        SELECT c.i, coalesce(sum(c.k) OVER (ORDER BY c.i ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS off
        FROM unnest(p_counts) WITH ORDINALITY AS c(k, i)) x;
      FOR v_i IN SELECT o.i FROM unnest(p_streams) WITH ORDINALITY AS o(st, i) ORDER BY o.st, o.i LOOP
        v_from := v_offsets[v_i] + 1;
        v_to := v_offsets[v_i] + p_counts[v_i];
        SELECT v_i, a.outcome, a.revision, a.last_position INTO n, outcome, revision, last_position
          FROM ${s}.append_events(p_streams[v_i], p_expected[v_i], coalesce(p_ids[v_from:v_to], '{}'),
            coalesce(p_types[v_from:v_to], '{}'), coalesce(p_data[v_from:v_to], '{}'),
            coalesce(p_metadata[v_from:v_to], '{}')) a;
        RETURN NEXT;
      END LOOP;
    END $fn$;
`;

/** The advisory-lock class of running appends (the first int of a two-int key). */
const runningClass = (s: string): string => `hashtext('pdv-appending:' || ${quoteLiteral(s)})`;

/** A bigint's low 32 bits as the int the two-int advisory lock takes (pg_locks shows them unsigned). */
const signed32 = (v: string): string => {
  const low = `(${v} & 4294967295)`;
  return `(CASE WHEN ${low} >= 2147483648 THEN ${low} - 4294967296 ELSE ${low} END)::integer`;
};

/** `"vault"` as a SQL string literal (`'"vault"'`); the schema name is a validated identifier. */
function quoteLiteral(quotedSchema: string): string {
  return `'${quotedSchema.replaceAll("'", "''")}'`;
}
