import { CONSENTS_UNINDEXED } from '../../../ports/ViewStore.js';

/**
 * The read models' migrations, in order, each given the quoted schema. Text compares byte-wise
 * (COLLATE "C"), as in SQLite, so keyset paging orders the same on every adapter.
 */
export const VIEW_MIGRATIONS: readonly ((s: string) => string)[] = [
  (s) => `
    CREATE TABLE ${s}.subjects (
      subject_id text COLLATE "C" PRIMARY KEY,
      position   bigint NOT NULL,
      state      jsonb  NOT NULL
    );
    CREATE TABLE ${s}.blind_index (
      hash       text COLLATE "C" NOT NULL,
      subject_id text COLLATE "C" NOT NULL,
      category   text COLLATE "C" NOT NULL,
      field      text COLLATE "C" NOT NULL,
      PRIMARY KEY (subject_id, category, field)
    );
    CREATE INDEX blind_index_hash ON ${s}.blind_index (hash);
    CREATE TABLE ${s}.holds (
      id         bigserial PRIMARY KEY,
      subject_id text COLLATE "C" NOT NULL,
      category   text COLLATE "C" NOT NULL,
      basis      text NOT NULL,
      "until"    text COLLATE "C" NOT NULL,
      source     text NOT NULL
    );
    CREATE INDEX holds_subject ON ${s}.holds (subject_id);
    CREATE TABLE ${s}.retention (
      subject_id text COLLATE "C" NOT NULL,
      category   text COLLATE "C" NOT NULL,
      due_at     text COLLATE "C" NOT NULL,
      rule       text NOT NULL
    );
    CREATE INDEX retention_due ON ${s}.retention (due_at, subject_id, category);
    CREATE INDEX retention_subject ON ${s}.retention (subject_id);
    CREATE TABLE ${s}.shredded (
      id         bigserial PRIMARY KEY,
      subject_id text COLLATE "C" NOT NULL,
      category   text COLLATE "C" NOT NULL,
      key_ids    text[] NOT NULL,
      reason     text NOT NULL,
      at         text NOT NULL,
      event_id   text NOT NULL
    );
    CREATE INDEX shredded_subject ON ${s}.shredded (subject_id);
    CREATE TABLE ${s}.stats (
      month    text COLLATE "C" NOT NULL,
      category text COLLATE "C" NOT NULL,
      purpose  text COLLATE "C" NOT NULL,
      metric   text COLLATE "C" NOT NULL,
      count    bigint NOT NULL,
      PRIMARY KEY (month, category, purpose, metric)
    );
    CREATE TABLE ${s}.checkpoints (
      projection text COLLATE "C" PRIMARY KEY,
      position   bigint NOT NULL
    );
  `,
  (s) => `
    CREATE TABLE ${s}.tracked (
      kind       text COLLATE "C" NOT NULL,
      id         text COLLATE "C" NOT NULL,
      subject_id text COLLATE "C" NOT NULL,
      status     text COLLATE "C" NOT NULL,
      due_at     text COLLATE "C",
      data       jsonb NOT NULL,
      PRIMARY KEY (kind, id)
    );
    CREATE INDEX tracked_due ON ${s}.tracked (kind, status, due_at);
    CREATE INDEX tracked_subject ON ${s}.tracked (subject_id);
  `,
  // The entry a hold keeps alone (a DPO hold on one case, the law's period of one entry); NULL: the whole category.
  (s) => `ALTER TABLE ${s}.holds ADD COLUMN entry text COLLATE "C";`,
  (s) => applyBatchFunction(s),
  // Each entry's values indexed apart (a debtor's email in each of two cases); '': the category's own value. The
  // function is the one below, which now names the entry in its index steps.
  (s) => `
    ALTER TABLE ${s}.blind_index ADD COLUMN entry text COLLATE "C" NOT NULL DEFAULT '';
    ALTER TABLE ${s}.blind_index DROP CONSTRAINT blind_index_pkey, ADD PRIMARY KEY (subject_id, category, field, entry);
    ${applyBatchFunction(s)}
  `,
  // The consents index (ViewBatch.consents): the subjects who gave a consent. Read models that had projected before
  // it say up to where it lacks them (CONSENTS_UNINDEXED, ports/ViewStore.ts); a new schema has no checkpoint yet.
  (s) => `
    CREATE TABLE ${s}.consent_subjects (subject_id text COLLATE "C" PRIMARY KEY);
    INSERT INTO ${s}.checkpoints (projection, position)
      SELECT '${CONSENTS_UNINDEXED}', m FROM (SELECT max(position) AS m FROM ${s}.checkpoints) AS c WHERE m > 0;
    ${applyBatchFunction(s)}
  `,
  // A subject's state (some 4.5 KB of JSON for ten fields, rewritten by every change to the subject) stays in its
  // row as it is, up to a page: compressed with pglz and moved out to the TOAST table, each rewrite also compressed
  // it, wrote its chunks and their index, and left the old ones to vacuum. A larger state is compressed with lz4
  // where the server has it (PostgreSQL 14 and later, built with lz4, as Debian's and the official images are).
  (s) => `
    ALTER TABLE ${s}.subjects SET (toast_tuple_target = 8160);
    ALTER TABLE ${s}.subjects ALTER COLUMN state SET STORAGE MAIN;
    DO $lz4$ BEGIN
      IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE ${s}.subjects ALTER COLUMN state SET COMPRESSION lz4;
      END IF;
    END $lz4$;
  `,
];

/** The blind-index steps of `apply_batch` (below), in order: whole scopes cleared, fields deleted, rows put. */
const indexSteps = (s: string): string => `
      IF b ? 'clearIndex' THEN
        DELETE FROM ${s}.blind_index i
          USING jsonb_to_recordset(b->'clearIndex') AS d("subjectId" text, category text, entry text)
          WHERE i.subject_id = d."subjectId" AND i.category = d.category AND i.entry = d.entry;
      END IF;
      IF b ? 'deleteIndex' THEN
        DELETE FROM ${s}.blind_index i
          USING jsonb_to_recordset(b->'deleteIndex') AS d("subjectId" text, category text, field text, entry text)
          WHERE i.subject_id = d."subjectId" AND i.category = d.category AND i.field = d.field AND i.entry = d.entry;
      END IF;
      IF b ? 'putIndex' THEN
        INSERT INTO ${s}.blind_index (hash, subject_id, category, field, entry)
          SELECT x.hash, x."subjectId", x.category, x.field, x.entry FROM jsonb_to_recordset(b->'putIndex')
            AS x(hash text, "subjectId" text, category text, field text, entry text)
          ON CONFLICT (subject_id, category, field, entry) DO UPDATE SET hash = excluded.hash;
      END IF;`;

/**
 * `apply` as one statement: a batch used to cost a round trip per step (BEGIN, the checkpoint's
 * insert and lock, each table, the checkpoint's update, COMMIT), and under load the projection's
 * time went to those waits, not to PostgreSQL's work. The function runs the same steps in the same
 * order in its statement's transaction; `b` holds each part as an array of the batch's own rows
 * (batchDocument.ts), absent when empty. Returns false, writing nothing but the checkpoint's row,
 * when the checkpoint is at or past `p_position` or is not `p_expected`.
 */
const applyBatchFunction = (s: string): string => `
    CREATE OR REPLACE FUNCTION ${s}.apply_batch(p_projection text, p_position bigint, p_expected bigint, b jsonb)
    RETURNS boolean LANGUAGE plpgsql AS $fn$
    DECLARE
      v_current bigint;
    BEGIN
      INSERT INTO ${s}.checkpoints (projection, position) VALUES (p_projection, 0) ON CONFLICT (projection) DO NOTHING;
      -- Replicas applying the same position serialise here.
      SELECT c.position INTO v_current FROM ${s}.checkpoints c WHERE c.projection = p_projection FOR UPDATE;
      IF v_current >= p_position OR (p_expected IS NOT NULL AND v_current <> p_expected) THEN
        RETURN false;
      END IF;
      IF b ? 'subjects' THEN
        INSERT INTO ${s}.subjects (subject_id, position, state)
          SELECT x."subjectId", x.position, x.state
          FROM jsonb_to_recordset(b->'subjects') AS x("subjectId" text, position bigint, state jsonb)
          ON CONFLICT (subject_id) DO UPDATE SET position = excluded.position, state = excluded.state;
      END IF;
${indexSteps(s)}
      IF b ? 'holdSubjects' THEN
        DELETE FROM ${s}.holds WHERE subject_id IN (SELECT jsonb_array_elements_text(b->'holdSubjects'));
        -- In the batch's order, so that the ids (the order of a subject's holds) follow it.
        INSERT INTO ${s}.holds (subject_id, category, basis, "until", source, entry)
          SELECT x."subjectId", x.category, x.basis, x."until", x.source, x.entry
          FROM ROWS FROM (jsonb_to_recordset(coalesce(b->'holds', '[]'))
            AS ("subjectId" text, category text, basis text, "until" text, source text, entry text))
            WITH ORDINALITY AS x("subjectId", category, basis, "until", source, entry, n)
          ORDER BY x.n;
      END IF;
      IF b ? 'retentionSubjects' THEN
        DELETE FROM ${s}.retention WHERE subject_id IN (SELECT jsonb_array_elements_text(b->'retentionSubjects'));
        INSERT INTO ${s}.retention (subject_id, category, due_at, rule)
          SELECT x."subjectId", x.category, x."dueAt", x.rule
          FROM jsonb_to_recordset(coalesce(b->'retention', '[]'))
            AS x("subjectId" text, category text, "dueAt" text, rule text);
      END IF;
      IF b ? 'shredded' THEN
        INSERT INTO ${s}.shredded (subject_id, category, key_ids, reason, at, event_id)
          SELECT x."subjectId", x.category,
            (SELECT coalesce(array_agg(k), '{}') FROM jsonb_array_elements_text(x."keyIds") AS k),
            x.reason, x.at, x."eventId"
          FROM ROWS FROM (jsonb_to_recordset(b->'shredded')
            AS ("subjectId" text, category text, "keyIds" jsonb, reason text, at text, "eventId" text))
            WITH ORDINALITY AS x("subjectId", category, "keyIds", reason, at, "eventId", n)
          ORDER BY x.n;
      END IF;
      IF b ? 'trackedSubjects' THEN
        DELETE FROM ${s}.tracked WHERE subject_id IN (SELECT jsonb_array_elements_text(b->'trackedSubjects'));
        INSERT INTO ${s}.tracked (kind, id, subject_id, status, due_at, data)
          SELECT x.kind, x.id, x."subjectId", x.status, x."dueAt", x.data
          FROM jsonb_to_recordset(coalesce(b->'tracked', '[]'))
            AS x(kind text, id text, "subjectId" text, status text, "dueAt" text, data jsonb)
          ON CONFLICT (kind, id) DO UPDATE SET subject_id = excluded.subject_id, status = excluded.status,
            due_at = excluded.due_at, data = excluded.data;
      END IF;
      IF b ? 'consents' THEN
        INSERT INTO ${s}.consent_subjects (subject_id)
          SELECT jsonb_array_elements_text(b->'consents') ON CONFLICT (subject_id) DO NOTHING;
      END IF;
      IF b ? 'stats' THEN
        INSERT INTO ${s}.stats AS t (month, category, purpose, metric, count)
          SELECT x.month, x.category, x.purpose, x.metric, x.count
          FROM jsonb_to_recordset(b->'stats') AS x(month text, category text, purpose text, metric text, count bigint)
          ON CONFLICT (month, category, purpose, metric) DO UPDATE SET count = t.count + excluded.count;
      END IF;
      UPDATE ${s}.checkpoints SET position = p_position WHERE projection = p_projection;
      RETURN true;
    END $fn$;
`;
