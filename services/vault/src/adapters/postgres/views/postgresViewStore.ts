import type { IndexReplacement, ViewStore } from '../../../ports/ViewStore.js';
import { openMigrated, type PostgresOptions } from '../connect.js';
import { applyBatch } from './applyBatch.js';
import * as q from './queries.js';
import { VIEW_MIGRATIONS } from './schema.js';
import { batchStatements, checkpointStatements, queryStatements } from './statements.js';

/** Options of the PostgreSQL view store. */
export type PostgresViewStoreOptions = PostgresOptions;

/**
 * Read models in PostgreSQL. `apply` is one transaction: it inserts the projection's checkpoint
 * row if missing, locks it (`SELECT … FOR UPDATE`) so replicas applying the same position
 * serialise, returns false when the checkpoint is already at or past the position, and otherwise
 * writes the batch with a constant number of statements and moves the checkpoint.
 */
export async function getPostgresViewStore(options: PostgresViewStoreOptions): Promise<ViewStore> {
  const db = await openMigrated(options, 'views', VIEW_MIGRATIONS);
  const cp = checkpointStatements(db.s);
  const write = batchStatements(db.s);
  const read = queryStatements(db.s);

  return {
    apply: (projection, batch, position, expected) =>
      db.tx(async (c) => {
        await c.query(cp.ensureCheckpoint, [projection]);
        const locked = await c.query<{ position: string }>(cp.lockCheckpoint, [projection]);
        const current = q.toPosition(locked.rows[0]!.position);
        // Another replica applied this position (or a later one), or moved the checkpoint the batch was derived from.
        if (current >= position || (expected !== undefined && current !== expected)) return false;
        await applyBatch(c, write, batch);
        await c.query(cp.setCheckpoint, [projection, position]);
        return true;
      }),

    async checkpoint(projection) {
      const [row] = await db.query<{ position: string }>(cp.checkpoint, [projection]);
      return row ? q.toPosition(row.position) : 0;
    },

    async reset() {
      await db.query(cp.reset);
    },

    getSubjects: (subjectIds) => q.getSubjects(db, read, subjectIds),
    subjectPositions: (subjectIds) => q.subjectPositions(db, read, subjectIds),
    findByBlindIndex: (hashes) => q.findByBlindIndex(db, read, hashes),
    listIndexOlderThan: (epoch, opts = {}) => q.listIndexOlderThan(db, read, epoch, opts),
    replaceIndexHashes: (changes) =>
      changes.length === 0
        ? Promise.resolve(0)
        : db.tx(async (c) => {
            const cols = (cs: IndexReplacement[]) => [
              cs.map((x) => x.subjectId),
              cs.map((x) => x.category),
              cs.map((x) => x.field),
              cs.map((x) => x.from),
            ];
            const puts = changes.filter((x) => x.to !== null);
            const dels = changes.filter((x) => x.to === null);
            const put =
              puts.length > 0
                ? await c.query(write.replaceIndexHashes, [...cols(puts), puts.map((x) => x.to)])
                : undefined;
            const del = dels.length > 0 ? await c.query(write.deleteIndexHashes, cols(dels)) : undefined;
            return (put?.rowCount ?? 0) + (del?.rowCount ?? 0);
          }),
    listHolds: (filter = {}) => q.listHolds(db, read, filter),
    listDueRetention: (asOf, opts = {}) => q.listDueRetention(db, read, asOf, opts),
    listShredded: (filter = {}) => q.listShredded(db, read, filter),
    listTracked: (kind, filter = {}) => q.listTracked(db, read, kind, filter),
    listStats: (filter = {}) => q.listStats(db, read, filter),
    countDeadlines: (asOf, soon) => q.countDeadlines(db, read, asOf, soon),
    close: () => db.close(),
  };
}
