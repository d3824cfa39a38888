import type { AccessLog, AccessLogEntry, RecipientRow } from '../../ports/AccessLog.js';
import { openMigrated, type PostgresOptions } from './connect.js';

/** Options of the PostgreSQL access log. Give it its own schema when its retention differs from the views'. */
export type PostgresAccessLogOptions = PostgresOptions;

const MIGRATIONS: readonly ((s: string) => string)[] = [
  (s) => `
    CREATE TABLE ${s}.access_log (
      id         bigserial PRIMARY KEY,
      subject_id text COLLATE "C" NOT NULL,
      actor      text NOT NULL,
      purpose    text NOT NULL,
      categories text[] NOT NULL,
      at         text COLLATE "C" NOT NULL
    );
    CREATE INDEX access_log_subject ON ${s}.access_log (subject_id, at);
  `,
];

interface Row {
  subject_id: string;
  actor: string;
  purpose: string;
  categories: string[];
  at: string;
}

/** Reads of personal data, appended in batches: one statement per batch, whatever its size. */
export async function getPostgresAccessLog(options: PostgresAccessLogOptions): Promise<AccessLog> {
  const db = await openMigrated(options, 'access', MIGRATIONS);
  const { s } = db;
  return {
    async append(entries: readonly AccessLogEntry[]) {
      if (entries.length === 0) return;
      // Categories travel as JSON text per row: unnest cannot take a ragged text[][].
      await db.query(
        `INSERT INTO ${s}.access_log (subject_id, actor, purpose, categories, at)
         SELECT a, b, c, (SELECT coalesce(array_agg(x), '{}') FROM jsonb_array_elements_text(d) AS x), e
         FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::text[]) WITH ORDINALITY AS r(a, b, c, d, e, n)
         ORDER BY n`,
        [
          entries.map((e) => e.subjectId),
          entries.map((e) => e.actor),
          entries.map((e) => e.purpose),
          entries.map((e) => JSON.stringify(e.categories)),
          entries.map((e) => e.at),
        ],
      );
    },
    async listBySubject(subjectId, opts = {}) {
      const rows = await db.query<Row>(
        `SELECT subject_id, actor, purpose, categories, at FROM ${s}.access_log
         WHERE subject_id = $1 AND at >= $2 AND ($3::text IS NULL OR at <= $3)
         ORDER BY at DESC, id DESC LIMIT $4 OFFSET $5`,
        [subjectId, opts.since ?? '', opts.until ?? null, opts.limit ?? 1000, opts.offset ?? 0],
      );
      return rows.map((r) => ({
        subjectId: r.subject_id,
        actor: r.actor,
        purpose: r.purpose,
        categories: r.categories,
        at: r.at,
      }));
    },
    async countBySubject(subjectId, until) {
      const rows = await db.query<{ n: number }>(
        `SELECT COUNT(*)::int AS n FROM ${s}.access_log WHERE subject_id = $1 AND at <= $2`,
        [subjectId, until],
      );
      return rows[0]?.n ?? 0;
    },
    async recipientsOf(subjectId, until) {
      const rows = await db.query<{
        category: string;
        actor: string;
        purpose: string;
        first_at: string;
        last_at: string;
        reads: number;
      }>(
        `SELECT c AS category, actor, purpose, MIN(at) AS first_at, MAX(at) AS last_at, COUNT(*)::int AS reads
         FROM ${s}.access_log, unnest(categories) AS c
         WHERE subject_id = $1 AND at <= $2
         GROUP BY c, actor, purpose
         ORDER BY c COLLATE "C", first_at, actor COLLATE "C", purpose COLLATE "C"`,
        [subjectId, until],
      );
      return rows.map((r): RecipientRow => ({
        category: r.category,
        actor: r.actor,
        purpose: r.purpose,
        firstAt: r.first_at,
        lastAt: r.last_at,
        reads: r.reads,
      }));
    },
    close: () => db.close(),
  };
}
