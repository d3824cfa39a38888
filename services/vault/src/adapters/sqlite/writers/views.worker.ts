import { scrubWal } from '../openDatabase.js';
import { applyBatchTransaction, type EncodedBatch } from '../views/applyBatch.js';
import { prepareViewStatements } from '../views/statements.js';
import { serveWrites } from './serve.js';

/** One projection batch for the views' writer thread: `ViewStore.apply`'s arguments, its JSON columns already text. */
export interface ViewWrite {
  projection: string;
  batch: EncodedBatch;
  position: number;
  expected: number | undefined;
}

/**
 * The embedded read models' writer thread: each projection batch is its own IMMEDIATE transaction with its checkpoint
 * (one per commit, `maxPerCommit` 1), answered whether it applied. A batch that deleted or overwrote personal data
 * truncates the WAL after it, as on the owning thread.
 */
serveWrites<ViewWrite, boolean>((db) => {
  const apply = applyBatchTransaction(db, prepareViewStatements(db));
  return {
    size: () => 1,
    commit: (writes) =>
      writes.map(({ projection, batch, position, expected }) => {
        const { applied, scrub } = apply.immediate(projection, batch, position, expected);
        if (scrub) scrubWal(db);
        return applied;
      }),
  };
});
