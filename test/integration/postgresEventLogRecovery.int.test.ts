import { randomBytes } from 'node:crypto';

import { getPostgresEventLog, type NewEvent, type RecordedEvent } from '@pdv/vault';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

import { dropSchema, freshSchema, probePostgres, TEST_POSTGRES_URL } from '../support/postgres.js';

/**
 * A subscription to the PostgreSQL event log outlives its connections: the server ends them
 * (as at a restart or failover) while another process appends, and the subscription carries on
 * by itself, every event once and in order, woken again by notifications once it listens anew.
 */
const probe = await probePostgres();

const event = (i: number): NewEvent => ({
  id: `recovery-${i}`,
  type: 'RecoveryTested',
  data: { i },
  metadata: { actor: 'recovery-test', at: '2024-01-01T00:00:00.000Z' },
});

if (!probe.ok) {
  describe.skip(`PostgreSQL event log recovery (skipped: ${probe.reason})`, () => {
    it('follows the log across connections the server ended', () => {});
  });
} else {
  describe('PostgreSQL event log: subscriptions across lost connections', () => {
    const schema = freshSchema('pdv_recovery');
    afterAll(() => dropSchema(schema));

    it('delivers every event once and in order while the server twice ends the reader’s connections', async () => {
      // The reader's own pool, named so that only its connections are ended.
      const name = `pdv-recovery-${randomBytes(4).toString('hex')}`;
      const pool = new pg.Pool({ connectionString: TEST_POSTGRES_URL, application_name: name, max: 4 });
      pool.on('error', () => {});
      const warnings: string[] = [];
      // Polling an hour apart: after the first read, only a notification (or the listener's return) wakes it.
      const reader = await getPostgresEventLog({
        pool,
        schema,
        pollIntervalMs: 3_600_000,
        warn: (m) => warnings.push(m),
      });
      const writer = await getPostgresEventLog({ connectionString: TEST_POSTGRES_URL, schema });
      const seen: RecordedEvent[] = [];
      const sub = reader.subscribe({ batchSize: 25, onEvents: (b) => void seen.push(...b) });
      const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await admin.connect();
      const endReaderConnections = async () => {
        const { rows } = await admin.query<{ ended: boolean }>(
          'SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = $1',
          [name],
        );
        return rows.length;
      };
      try {
        let last = 0;
        let ended = 0;
        for (let i = 0; i < 300; i++) {
          last = (await writer.append(`s-${i % 30}`, [event(i)], 'any')).position;
          if (i === 100 || i === 200) {
            ended += await endReaderConnections();
            // Let the reader notice and come back before the next appends (their notifications must reach it).
            await new Promise((r) => setTimeout(r, 1500));
          }
        }
        expect(ended).toBeGreaterThanOrEqual(2);
        await sub.waitFor(last, 15_000);
        expect(seen.map((e) => e.id)).toEqual(Array.from({ length: 300 }, (_, i) => `recovery-${i}`));
        for (let i = 1; i < seen.length; i++) expect(seen[i]!.position).toBeGreaterThan(seen[i - 1]!.position);
        expect(warnings.some((w) => w.includes('lost its LISTEN connection'))).toBe(true);
      } finally {
        await admin.end();
        await sub.stop();
        await Promise.allSettled([reader.close(), writer.close()]);
        await pool.end();
      }
    }, 60_000);
  });
}
