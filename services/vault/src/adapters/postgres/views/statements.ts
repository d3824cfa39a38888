/**
 * The view store's SQL, written once per store for its schema `s` (already quoted). Batch writes
 * take one array per column and `unnest` them, so a batch of any size costs one statement each;
 * `apply` is the `apply_batch` function (schema.ts), its batch one JSON document.
 */

/** The projection checkpoints, and the reset that empties every read model with them. */
export const checkpointStatements = (s: string) => ({
  checkpoint: `SELECT position FROM ${s}.checkpoints WHERE projection = $1`,
  // Another replica applied this position (or a later one), or moved the checkpoint the batch was derived from: false.
  apply: `SELECT ${s}.apply_batch($1, $2, $3, $4::jsonb) AS applied`,
  reset:
    `TRUNCATE ${s}.subjects, ${s}.blind_index, ${s}.holds, ${s}.retention, ` +
    `${s}.shredded, ${s}.stats, ${s}.tracked, ${s}.consent_subjects, ${s}.checkpoints`,
});

/** The blind index's hashes moved to a new epoch (`replaceIndexHashes`); `apply` writes through `apply_batch`. */
export const rehashStatements = (s: string) => ({
  replaceIndexHashes: `UPDATE ${s}.blind_index b SET hash = d.to_hash
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
      AS d(subject_id, category, field, entry, from_hash, to_hash)
    WHERE b.subject_id = d.subject_id AND b.category = d.category AND b.field = d.field AND b.entry = d.entry
      AND b.hash = d.from_hash
    RETURNING b.subject_id`,
  deleteIndexHashes: `DELETE FROM ${s}.blind_index b
    USING unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
      AS d(subject_id, category, field, entry, from_hash)
    WHERE b.subject_id = d.subject_id AND b.category = d.category AND b.field = d.field AND b.entry = d.entry
      AND b.hash = d.from_hash
    RETURNING b.subject_id`,
});

/** The read side's queries. */
export const queryStatements = (s: string) => ({
  subjects: `SELECT subject_id, position, state FROM ${s}.subjects WHERE subject_id = ANY($1::text[])`,
  positions: `SELECT subject_id, position FROM ${s}.subjects WHERE subject_id = ANY($1::text[])`,
  byHash: `SELECT hash, subject_id, category, field, entry FROM ${s}.blind_index WHERE hash = ANY($1::text[])
    ORDER BY subject_id, category, field, entry`,
  // The epoch is the number before the colon of `<epoch>:<hex>`; a hash without one is from before epochs (0).
  indexOlderThan: `SELECT hash, subject_id, category, field, entry FROM ${s}.blind_index
    WHERE (subject_id, category, field, entry) > ($1, $2, $3, $4)
      AND (CASE WHEN position(':' in hash) > 1 THEN split_part(hash, ':', 1)::bigint ELSE 0 END) < $5
    ORDER BY subject_id, category, field, entry LIMIT $6`,
  holds: `SELECT subject_id, category, basis, "until", source, entry FROM ${s}.holds
    WHERE ($1::text IS NULL OR subject_id = $1)
      AND ($2::text IS NULL OR ("until" <> 'open' AND "until" < $2))
    ORDER BY subject_id, category, id`,
  dueFirst: `SELECT subject_id, category, due_at, rule FROM ${s}.retention WHERE due_at <= $1
    ORDER BY due_at, subject_id, category LIMIT $2`,
  dueAfter: `SELECT subject_id, category, due_at, rule FROM ${s}.retention
    WHERE due_at <= $1 AND (due_at, subject_id, category) > ($2, $3, $4)
    ORDER BY due_at, subject_id, category LIMIT $5`,
  consentSubjects: `SELECT subject_id FROM ${s}.consent_subjects WHERE subject_id > $1 ORDER BY subject_id LIMIT $2`,
  shredded: `SELECT subject_id, category, key_ids, reason, at, event_id FROM ${s}.shredded
    WHERE ($1::text IS NULL OR subject_id = $1) ORDER BY id`,
  tracked: `SELECT kind, id, subject_id, status, due_at, data FROM ${s}.tracked
    WHERE kind = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR due_at < $3)
      AND ($4::text IS NULL OR subject_id = $4) AND ($5::text IS NULL OR id = $5)
    ORDER BY due_at NULLS FIRST, id LIMIT $6`,
  deadlines: `SELECT CASE kind WHEN 'notification' THEN 'INFORM' ELSE data->>'requestType' END AS type,
      count(*)::int AS open, (count(*) FILTER (WHERE due_at < $1))::int AS overdue,
      (count(*) FILTER (WHERE due_at >= $1 AND due_at < $2))::int AS due_soon
    FROM ${s}.tracked WHERE (kind = 'request' AND status = 'OPEN') OR (kind = 'notification' AND status = 'PENDING')
    GROUP BY 1`,
  retentionDueCount: `SELECT count(*)::int AS n FROM ${s}.retention WHERE due_at <= $1`,
  stats: `SELECT month, category, purpose, metric, count FROM ${s}.stats
    WHERE ($1::text IS NULL OR month >= $1) AND ($2::text IS NULL OR month <= $2)
    ORDER BY month, category, purpose, metric`,
});

export type CheckpointSql = ReturnType<typeof checkpointStatements>;
export type RehashSql = ReturnType<typeof rehashStatements>;
export type QuerySql = ReturnType<typeof queryStatements>;
