import { type EventLog, getPostgresEventLog } from '@pdv/vault';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

import { follow } from '../contracts/eventLogProcesses.js';
import { dropSchema, freshSchema, probePostgres, TEST_POSTGRES_URL } from '../support/postgres.js';

/**
 * What the PostgreSQL event log promises beyond the port contract: wake-ups by LISTEN/NOTIFY,
 * with polling behind them. (Its order under writers in several processes, a late commit under a
 * lower position included, is checked by the contract: contracts/eventLog.contract.ts.)
 */
const probe = await probePostgres();

if (!probe.ok) {
  describe.skip(`PostgreSQL event log wake-ups (skipped: ${probe.reason})`, () => {
    it('wakes subscriptions of other processes by notification, and by polling without', () => {});
  });
} else {
  describe('PostgreSQL event log: wake-ups across processes', () => {
    const schemas: string[] = [];
    const logs: EventLog[] = [];
    const open = async (schema: string, options: { pollIntervalMs?: number; notify?: boolean } = {}) => {
      const log = await getPostgresEventLog({ connectionString: TEST_POSTGRES_URL, schema, ...options });
      logs.push(log);
      return log;
    };
    afterAll(async () => {
      await Promise.allSettled(logs.map((l) => l.close()));
      for (const s of schemas) await dropSchema(s);
    });

    it('finds another process’s appends by polling when no notification comes', async () => {
      const schema = freshSchema('pdv_wake');
      schemas.push(schema);
      const writer = await open(schema, { notify: false });
      const reader = await open(schema, { notify: false, pollIntervalMs: 100 });
      const { seen, sub } = follow(reader);
      const results = [];
      for (let i = 0; i < 20; i++) {
        results.push(
          await writer.append(
            `s-${i}`,
            [{ id: `poll-${i}`, type: 'T', data: i, metadata: { actor: 'test', at: 'now' } }],
            'no_stream',
          ),
        );
      }
      await sub.waitFor(results[results.length - 1]!.position, 5000);
      expect(seen.map((e) => e.id)).toEqual(results.map((_, i) => `poll-${i}`));
    });

    it('wakes another process’s subscription by notification, long before its poll is due', async () => {
      const schema = freshSchema('pdv_wake');
      schemas.push(schema);
      const writer = await open(schema);
      const reader = await open(schema, { pollIntervalMs: 60_000 });
      const { seen, sub } = follow(reader);
      // The first read (at the start) finds nothing; from then on only a notification can wake it.
      await new Promise((r) => setTimeout(r, 300));
      const started = Date.now();
      const r = await writer.append(
        's-notify',
        [{ id: 'notify-0', type: 'T', data: 0, metadata: { actor: 'test', at: 'now' } }],
        'no_stream',
      );
      await sub.waitFor(r.position, 5000);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(seen.map((e) => e.id)).toEqual(['notify-0']);
    });

    it('announces a burst of appends with far fewer notifications, the last one after the burst', async () => {
      const schema = freshSchema('pdv_wake');
      schemas.push(schema);
      const writer = await open(schema);
      const listener = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await listener.connect();
      try {
        const heard: number[] = [];
        listener.on('notification', () => heard.push(performance.now()));
        await listener.query(`LISTEN "pdv_events_${schema}"`);
        const started = performance.now();
        // Four writers, each appending one event after the other: appends keep ending for a while.
        const writers = Array.from({ length: 4 }, async (_, w) => {
          for (let i = 0; i < 50; i++) {
            const event = { id: `burst-${w}-${i}`, type: 'T', data: i, metadata: { actor: 'test', at: 'now' } };
            await writer.append(`s-${w}-${i}`, [event], 'no_stream');
          }
        });
        await Promise.all(writers);
        const ended = performance.now();
        await new Promise((r) => setTimeout(r, 300));
        expect(heard.length).toBeGreaterThan(0);
        // At most one per 10 ms (ANNOUNCE_GAP_MS), where one per append would be 200.
        expect(heard.length).toBeLessThanOrEqual(Math.ceil((ended - started) / 10) + 2);
        expect(heard.some((t) => t > ended)).toBe(true);
      } finally {
        await listener.end();
      }
    });
  });
}
