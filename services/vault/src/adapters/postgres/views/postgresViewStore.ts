import type { IndexReplacement, ViewStore } from '../../../ports/ViewStore.js';
import { entryColumn } from '../../sqlRows.js';
import { openMigrated, type PostgresOptions } from '../connect.js';
import { batchDocument } from './batchDocument.js';
import * as q from './queries.js';
import { VIEW_MIGRATIONS } from './schema.js';
import { checkpointStatements, queryStatements, rehashStatements } from './statements.js';

/** Options of the PostgreSQL view store. */
export type PostgresViewStoreOptions = PostgresOptions;

/**
 * Read models in PostgreSQL. `apply` is one statement, a call of the `apply_batch` function, and so
 * one transaction and one round trip: it inserts the projection's checkpoint row if missing, locks
 * it (`SELECT … FOR UPDATE`) so replicas applying the same position serialise, returns false when
 * the checkpoint is already at or past the position, and otherwise writes the batch with a
 * constant number of statements and moves the checkpoint.
 */
export async function getPostgresViewStore(options: PostgresViewStoreOptions): Promise<ViewStore> {
  const db = await openMigrated(options, 'views', VIEW_MIGRATIONS);
  const cp = checkpointStatements(db.s);
  const write = rehashStatements(db.s);
  const read = queryStatements(db.s);

  return {
    async apply(projection, batch, position, expected) {
      const [row] = await db.query<{ applied: boolean }>(cp.apply, [
        projection,
        position,
        expected ?? null,
        JSON.stringify(batchDocument(batch)),
      ]);
      return row!.applied;
    },

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
              cs.map((x) => entryColumn(x.entry)),
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
    listConsentSubjects: (opts = {}) => q.listConsentSubjects(db, read, opts),
    listTracked: (kind, filter = {}) => q.listTracked(db, read, kind, filter),
    listStats: (filter = {}) => q.listStats(db, read, filter),
    countDeadlines: (asOf, soon) => q.countDeadlines(db, read, asOf, soon),
    close: () => db.close(),
  };
}
