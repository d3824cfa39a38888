import type { PoolClient } from 'pg';
import type { SubjectState } from '../../domain/subject.js';
import type { BlindIndexEntry, StatRow, SubjectView, TrackedRow, ViewBatch, ViewStore } from '../../ports/ViewStore.js';
import { distinct, openMigrated, type PostgresOptions } from './connect.js';
import { toEntry, toHold, toRetention, toShred, type HoldRow, type IndexRow, type RetentionRow, type ShredRow } from '../sqlRows.js';

/** Options of the PostgreSQL view store. */
export type PostgresViewStoreOptions = PostgresOptions;

/** Page size of `listDueRetention` when the caller gives no limit (as the embedded store). */
const DEFAULT_RETENTION_PAGE = 1000;

// Text compares byte-wise (COLLATE "C"), as in SQLite, so keyset paging orders the same on every adapter.
const MIGRATIONS: readonly ((s: string) => string)[] = [
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
];


/** bigint columns come back as strings; positions are JS-safe integers by the EventLog contract. */
const toPosition = (v: string | number): number => Number(v);

/** The net effect of a batch's ordered blind-index changes, as three set operations. */
export interface IndexPlan {
  /** (subject, category) pairs whose stored rows are all deleted first. */
  clearCategories: { subjectId: string; category: string }[];
  /** Stored (subject, category, field) rows deleted next. */
  deleteFields: { subjectId: string; category: string; field: string }[];
  /** Rows upserted last. */
  puts: BlindIndexEntry[];
}

/**
 * Folds ordered put/delete changes into clear, delete, upsert sets with the same final result,
 * so a batch of any size costs three statements. A category delete drops earlier puts of that
 * category in the batch; a later put wins over an earlier field delete.
 */
export function planIndexChanges(changes: ViewBatch['index']): IndexPlan {
  const sep = '\u0000';
  const categories = new Map<string, { subjectId: string; category: string; cleared: boolean; fields: Map<string, BlindIndexEntry | 'deleted'> }>();
  const group = (subjectId: string, category: string) => {
    const k = subjectId + sep + category;
    let g = categories.get(k);
    if (!g) categories.set(k, (g = { subjectId, category, cleared: false, fields: new Map() }));
    return g;
  };
  for (const c of changes) {
    if (c.op === 'put') group(c.entry.subjectId, c.entry.category).fields.set(c.entry.field, c.entry);
    else if (c.field === undefined) {
      const g = group(c.subjectId, c.category);
      g.cleared = true;
      g.fields.clear();
    } else group(c.subjectId, c.category).fields.set(c.field, 'deleted');
  }
  const plan: IndexPlan = { clearCategories: [], deleteFields: [], puts: [] };
  for (const g of categories.values()) {
    if (g.cleared) plan.clearCategories.push({ subjectId: g.subjectId, category: g.category });
    for (const [field, v] of g.fields) {
      if (v === 'deleted') {
        if (!g.cleared) plan.deleteFields.push({ subjectId: g.subjectId, category: g.category, field });
      } else plan.puts.push(v);
    }
  }
  return plan;
}

/** The last entry per key: later rows of a batch replace earlier ones, as sequential upserts would. */
const lastBy = <T>(items: readonly T[], key: (t: T) => string): T[] => [...new Map(items.map((i) => [key(i), i] as const)).values()];

/**
 * Read models in PostgreSQL. `apply` is one transaction: it inserts the projection's checkpoint
 * row if missing, locks it (`SELECT … FOR UPDATE`) so replicas applying the same position
 * serialise, returns false when the checkpoint is already at or past the position, and otherwise
 * writes the batch with a constant number of statements and moves the checkpoint.
 */
export async function getPostgresViewStore(options: PostgresViewStoreOptions): Promise<ViewStore> {
  const db = await openMigrated(options, 'views', MIGRATIONS);
  const { s } = db;

  const applyBatch = async (c: PoolClient, batch: ViewBatch): Promise<void> => {
    const subjects = lastBy(batch.subjects, (v) => v.subjectId);
    if (subjects.length > 0) {
      await c.query(
        `INSERT INTO ${s}.subjects (subject_id, position, state)
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::jsonb[])
         ON CONFLICT (subject_id) DO UPDATE SET position = excluded.position, state = excluded.state`,
        [subjects.map((v) => v.subjectId), subjects.map((v) => v.position), subjects.map((v) => JSON.stringify(v.state))],
      );
    }
    const plan = planIndexChanges(batch.index);
    if (plan.clearCategories.length > 0) {
      await c.query(
        `DELETE FROM ${s}.blind_index b USING unnest($1::text[], $2::text[]) AS d(subject_id, category)
         WHERE b.subject_id = d.subject_id AND b.category = d.category`,
        [plan.clearCategories.map((d) => d.subjectId), plan.clearCategories.map((d) => d.category)],
      );
    }
    if (plan.deleteFields.length > 0) {
      await c.query(
        `DELETE FROM ${s}.blind_index b USING unnest($1::text[], $2::text[], $3::text[]) AS d(subject_id, category, field)
         WHERE b.subject_id = d.subject_id AND b.category = d.category AND b.field = d.field`,
        [plan.deleteFields.map((d) => d.subjectId), plan.deleteFields.map((d) => d.category), plan.deleteFields.map((d) => d.field)],
      );
    }
    if (plan.puts.length > 0) {
      await c.query(
        `INSERT INTO ${s}.blind_index (hash, subject_id, category, field)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
         ON CONFLICT (subject_id, category, field) DO UPDATE SET hash = excluded.hash`,
        [plan.puts.map((e) => e.hash), plan.puts.map((e) => e.subjectId), plan.puts.map((e) => e.category), plan.puts.map((e) => e.field)],
      );
    }
    const holds = lastBy(batch.holds, (h) => h.subjectId);
    if (holds.length > 0) {
      const rows = holds.flatMap((h) => h.rows);
      await c.query(`DELETE FROM ${s}.holds WHERE subject_id = ANY($1::text[])`, [holds.map((h) => h.subjectId)]);
      if (rows.length > 0) {
        await c.query(
          `INSERT INTO ${s}.holds (subject_id, category, basis, "until", source)
           SELECT a, b, c, d, e FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS r(a, b, c, d, e, n)
           ORDER BY n`,
          [rows.map((r) => r.subjectId), rows.map((r) => r.category), rows.map((r) => r.basis), rows.map((r) => r.until), rows.map((r) => r.source)],
        );
      }
    }
    const retention = lastBy(batch.retention, (t) => t.subjectId);
    if (retention.length > 0) {
      const rows = retention.flatMap((t) => t.rows);
      await c.query(`DELETE FROM ${s}.retention WHERE subject_id = ANY($1::text[])`, [retention.map((t) => t.subjectId)]);
      if (rows.length > 0) {
        await c.query(
          `INSERT INTO ${s}.retention (subject_id, category, due_at, rule)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])`,
          [rows.map((r) => r.subjectId), rows.map((r) => r.category), rows.map((r) => r.dueAt), rows.map((r) => r.rule)],
        );
      }
    }
    if (batch.shredded.length > 0) {
      const rows = batch.shredded;
      await c.query(
        `INSERT INTO ${s}.shredded (subject_id, category, key_ids, reason, at, event_id)
         SELECT a, b, (SELECT coalesce(array_agg(k), '{}') FROM jsonb_array_elements_text(c) AS k), d, e, f
         FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS r(a, b, c, d, e, f, n)
         ORDER BY n`,
        [rows.map((r) => r.subjectId), rows.map((r) => r.category), rows.map((r) => JSON.stringify(r.keyIds)), rows.map((r) => r.reason), rows.map((r) => r.at), rows.map((r) => r.eventId)],
      );
    }
    const tracked = lastBy(batch.tracked, (t) => t.subjectId);
    if (tracked.length > 0) {
      // (kind, id) is unique across subjects: the last row of the batch wins, as INSERT OR REPLACE does in SQLite.
      const rows = lastBy(
        tracked.flatMap((t) => t.rows),
        (r) => `${r.kind}\u0000${r.id}`,
      );
      await c.query(`DELETE FROM ${s}.tracked WHERE subject_id = ANY($1::text[])`, [tracked.map((t) => t.subjectId)]);
      if (rows.length > 0) {
        await c.query(
          `INSERT INTO ${s}.tracked (kind, id, subject_id, status, due_at, data)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[])
           ON CONFLICT (kind, id) DO UPDATE SET subject_id = excluded.subject_id, status = excluded.status, due_at = excluded.due_at, data = excluded.data`,
          [rows.map((r) => r.kind), rows.map((r) => r.id), rows.map((r) => r.subjectId), rows.map((r) => r.status), rows.map((r) => r.dueAt), rows.map((r) => JSON.stringify(r.data))],
        );
      }
    }
    if (batch.stats.length > 0) {
      // Summed per key first: one upsert statement may not touch the same row twice.
      const sums = new Map<string, StatRow>();
      for (const r of batch.stats) {
        const k = [r.month, r.category, r.purpose, r.metric].join('\u0000');
        const prev = sums.get(k);
        sums.set(k, prev ? { ...prev, count: prev.count + r.count } : { ...r });
      }
      const rows = [...sums.values()];
      await c.query(
        `INSERT INTO ${s}.stats (month, category, purpose, metric, count)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])
         ON CONFLICT (month, category, purpose, metric) DO UPDATE SET count = ${s}.stats.count + excluded.count`,
        [rows.map((r) => r.month), rows.map((r) => r.category), rows.map((r) => r.purpose), rows.map((r) => r.metric), rows.map((r) => r.count)],
      );
    }
  };

  return {
    apply: (projection, batch, position, expected) =>
      db.tx(async (c) => {
        await c.query(`INSERT INTO ${s}.checkpoints (projection, position) VALUES ($1, 0) ON CONFLICT (projection) DO NOTHING`, [projection]);
        const locked = await c.query<{ position: string }>(`SELECT position FROM ${s}.checkpoints WHERE projection = $1 FOR UPDATE`, [projection]);
        const current = toPosition(locked.rows[0]!.position);
        // Another replica applied this position (or a later one), or moved the checkpoint the batch was derived from.
        if (current >= position || (expected !== undefined && current !== expected)) return false;
        await applyBatch(c, batch);
        await c.query(`UPDATE ${s}.checkpoints SET position = $2 WHERE projection = $1`, [projection, position]);
        return true;
      }),

    async checkpoint(projection) {
      const [row] = await db.query<{ position: string }>(`SELECT position FROM ${s}.checkpoints WHERE projection = $1`, [projection]);
      return row ? toPosition(row.position) : 0;
    },

    async reset() {
      await db.query(`TRUNCATE ${s}.subjects, ${s}.blind_index, ${s}.holds, ${s}.retention, ${s}.shredded, ${s}.stats, ${s}.tracked, ${s}.checkpoints`);
    },

    async getSubjects(subjectIds) {
      const out = new Map<string, SubjectView>();
      if (subjectIds.length === 0) return out;
      const rows = await db.query<{ subject_id: string; position: string; state: SubjectState }>(
        `SELECT subject_id, position, state FROM ${s}.subjects WHERE subject_id = ANY($1::text[])`,
        [distinct(subjectIds)],
      );
      for (const r of rows) out.set(r.subject_id, { subjectId: r.subject_id, position: toPosition(r.position), state: r.state });
      return out;
    },

    async subjectPositions(subjectIds) {
      const out = new Map<string, number>();
      if (subjectIds.length === 0) return out;
      const rows = await db.query<{ subject_id: string; position: string }>(`SELECT subject_id, position FROM ${s}.subjects WHERE subject_id = ANY($1::text[])`, [distinct(subjectIds)]);
      for (const r of rows) out.set(r.subject_id, toPosition(r.position));
      return out;
    },

    async findByBlindIndex(hashes) {
      if (hashes.length === 0) return [];
      const rows = await db.query<IndexRow>(
        `SELECT hash, subject_id, category, field FROM ${s}.blind_index WHERE hash = ANY($1::text[]) ORDER BY subject_id, category, field`,
        [distinct(hashes)],
      );
      return rows.map(toEntry);
    },

    async listHolds(filter = {}) {
      const rows = await db.query<HoldRow>(
        `SELECT subject_id, category, basis, "until", source FROM ${s}.holds
         WHERE ($1::text IS NULL OR subject_id = $1)
           AND ($2::text IS NULL OR ("until" <> 'open' AND "until" < $2))
         ORDER BY subject_id, category, id`,
        [filter.subjectId ?? null, filter.endingBefore ?? null],
      );
      return rows.map(toHold);
    },

    async listDueRetention(asOf, opts = {}) {
      const limit = opts.limit ?? DEFAULT_RETENTION_PAGE;
      const a = opts.after;
      const rows = a
        ? await db.query<RetentionRow>(
            `SELECT subject_id, category, due_at, rule FROM ${s}.retention
             WHERE due_at <= $1 AND (due_at, subject_id, category) > ($2, $3, $4)
             ORDER BY due_at, subject_id, category LIMIT $5`,
            [asOf, a.dueAt, a.subjectId, a.category, limit],
          )
        : await db.query<RetentionRow>(
            `SELECT subject_id, category, due_at, rule FROM ${s}.retention WHERE due_at <= $1 ORDER BY due_at, subject_id, category LIMIT $2`,
            [asOf, limit],
          );
      return rows.map(toRetention);
    },

    async listShredded(filter = {}) {
      const rows = await db.query<ShredRow>(
        `SELECT subject_id, category, key_ids, reason, at, event_id FROM ${s}.shredded WHERE ($1::text IS NULL OR subject_id = $1) ORDER BY id`,
        [filter.subjectId ?? null],
      );
      return rows.map(toShred);
    },

    async listTracked(kind, filter = {}) {
      const rows = await db.query<{ kind: TrackedRow['kind']; id: string; subject_id: string; status: string; due_at: string | null; data: Record<string, unknown> }>(
        `SELECT kind, id, subject_id, status, due_at, data FROM ${s}.tracked
         WHERE kind = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR due_at < $3)
           AND ($4::text IS NULL OR subject_id = $4) AND ($5::text IS NULL OR id = $5)
         ORDER BY due_at NULLS FIRST, id LIMIT $6`,
        [kind, filter.status ?? null, filter.dueBefore ?? null, filter.subjectId ?? null, filter.id ?? null, filter.limit ?? 1000],
      );
      return rows.map((r) => ({ kind: r.kind, id: r.id, subjectId: r.subject_id, status: r.status, dueAt: r.due_at, data: r.data }));
    },

    async listStats(filter = {}) {
      const rows = await db.query<Omit<StatRow, 'count'> & { count: string }>(
        `SELECT month, category, purpose, metric, count FROM ${s}.stats
         WHERE ($1::text IS NULL OR month >= $1) AND ($2::text IS NULL OR month <= $2)
         ORDER BY month, category, purpose, metric`,
        [filter.fromMonth ?? null, filter.toMonth ?? null],
      );
      return rows.map((r) => ({ month: r.month, category: r.category, purpose: r.purpose, metric: r.metric, count: Number(r.count) }));
    },

    close: () => db.close(),
  };
}
