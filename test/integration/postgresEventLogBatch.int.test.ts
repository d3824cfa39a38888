import { getPostgresEventLog, isVaultError, type NewEvent } from '@pdv/vault';
import { afterAll, describe, expect, it } from 'vitest';

import { dropSchema, freshSchema, probePostgres, TEST_POSTGRES_URL } from '../support/postgres.js';

/**
 * The PostgreSQL event log's group commit: appends that queue while a statement runs go together
 * in one transaction, yet each is checked as if it were alone, in arrival order per stream.
 */
const probe = await probePostgres();
let counter = 0;
const events = (n: number): NewEvent[] =>
  Array.from({ length: n }, () => ({
    id: `batch-${++counter}`,
    type: 'BatchTested',
    data: { counter },
    metadata: { actor: 'batch-test', at: '2024-01-01T00:00:00.000Z' },
  }));

if (!probe.ok) {
  describe.skip(`PostgreSQL event log group commit (skipped: ${probe.reason})`, () => {
    it('checks every append of a group on its own', () => {});
  });
} else {
  describe('PostgreSQL event log: appends sent together', () => {
    const schema = freshSchema('pdv_batch');
    afterAll(() => dropSchema(schema));

    it('checks every append of a group on its own: conflicts, retries, duplicates and empty appends', async () => {
      // One statement at a time: the first append goes alone, the seven after it queue and go as one group.
      const log = await getPostgresEventLog({ connectionString: TEST_POSTGRES_URL, schema, maxConcurrentAppends: 1 });
      try {
        await log.append('a', events(1), 'no_stream');
        const stored = events(2);
        const original = await log.append('x', stored, 'no_stream');
        const [blocker, first, stale, fresh, retry, duplicate, empty, second] = await Promise.allSettled([
          log.append('blocker', events(1), 'no_stream'),
          log.append('a', events(1), 0),
          log.append('a', events(1), 0),
          log.append('b', events(2), 'no_stream'),
          log.append('x', stored, 'no_stream'),
          log.append('c', [...events(1), stored[0]!], 'any'),
          log.append('d', [], 'any'),
          log.append('a', events(1), 1),
        ]);
        const value = <T>(r: PromiseSettledResult<T>) => (r.status === 'fulfilled' ? r.value : r.reason);
        expect(blocker.status).toBe('fulfilled');
        expect(value(first)).toMatchObject({ nextRevision: 1 });
        expect(isVaultError(value(stale), 'CONFLICT')).toBe(true);
        expect(value(fresh)).toMatchObject({ nextRevision: 1 });
        expect(value(retry)).toEqual(original);
        expect(isVaultError(value(duplicate), 'DUPLICATE_EVENT')).toBe(true);
        expect(value(empty)).toEqual({ nextRevision: -1, position: 0 });
        expect(value(second)).toMatchObject({ nextRevision: 2 });

        expect((await log.readStream('a')).map((e) => e.revision)).toEqual([0, 1, 2]);
        expect(await log.readStream('c')).toEqual([]);
        expect(await log.readStream('x')).toHaveLength(2);
        const all = await log.readAll();
        expect(all).toHaveLength(1 + 2 + 1 + 1 + 2 + 1);
        for (let i = 1; i < all.length; i++) expect(all[i]!.position).toBeGreaterThan(all[i - 1]!.position);
      } finally {
        await log.close();
      }
    });
  });
}
