import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { type EventLog, getPostgresEventLog, type RecordedEvent, type Subscription } from '@pdv/vault';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

import { dropSchema, freshSchema, probePostgres, TEST_POSTGRES_URL } from '../support/postgres.js';

/**
 * What the PostgreSQL event log promises beyond the port contract: one global order that a
 * subscription follows exactly while several processes append at once (an append that commits
 * late, under a lower position, is waited for, never skipped), resuming from a checkpoint, and
 * wake-ups by LISTEN/NOTIFY with polling behind them.
 */
const probe = await probePostgres();
const APPENDER = fileURLToPath(new URL('../support/eventLogAppender.ts', import.meta.url));

/** Starts one appender process; resolves with the ids and positions it stored once it exits. */
function runAppender(schema: string, writer: string, appends: number): Promise<{ id: string; position: number }[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', APPENDER], {
    env: {
      ...process.env,
      PG_URL: TEST_POSTGRES_URL,
      PG_SCHEMA: schema,
      WRITER: writer,
      APPENDS: String(appends),
      CONCURRENCY: '6',
      STREAMS: '40',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out) as { id: string; position: number }[]);
      else reject(new Error(`appender ${writer} exited with ${code}: ${err}`));
    });
  });
}

/** A subscription that records what it is handed. */
function follow(log: EventLog, after = 0): { seen: RecordedEvent[]; sub: Subscription } {
  const seen: RecordedEvent[] = [];
  const sub = log.subscribe({ after, batchSize: 50, onEvents: (batch) => void seen.push(...batch) });
  return { seen, sub };
}

const until = async (check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

const positionsOf = (events: readonly RecordedEvent[]) => events.map((e) => e.position);

if (!probe.ok) {
  describe.skip(`PostgreSQL event log ordering (skipped: ${probe.reason})`, () => {
    it('delivers every event once, in order, while several processes append', () => {});
  });
} else {
  describe('PostgreSQL event log: order under concurrent writers in several processes', () => {
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

    it('delivers each event once, in position order, while two processes append; waits for late commits', async () => {
      const schema = freshSchema('pdv_order');
      schemas.push(schema);
      const log = await open(schema);
      const live = follow(log);
      // A second follower, stopped a third of the way and started again from its checkpoint on a new connection.
      const restarted = follow(await open(schema));

      const writers = Promise.all([runAppender(schema, 'w1', 500), runAppender(schema, 'w2', 500)]);

      // Once the writers are under way: an append whose transaction stays open while they commit after it.
      await until(async () => (await log.headPosition()) >= 100);
      const held = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await held.connect();
      await held.query('BEGIN');
      const ids = ['held-0', 'held-1', 'held-2'];
      const { rows } = await held.query<{ outcome: string; last_position: string }>(
        `SELECT outcome, last_position FROM "${schema}".append_events($1, 'no_stream', $2, $3, $4, $5)`,
        [
          'held-stream',
          ids,
          ids.map(() => 'OrderTested'),
          ids.map((_, i) => JSON.stringify({ i })),
          ids.map(() => JSON.stringify({ actor: 'ordering-test', at: '2024-01-01T00:00:00.000Z' })),
        ],
      );
      expect(rows[0]!.outcome).toBe('appended');
      const heldFirst = Number(rows[0]!.last_position) - 2;
      // Later appends commit meanwhile; the followers stop short of the open one.
      await until(async () => (await log.headPosition()) > heldFirst + 200);
      await new Promise((r) => setTimeout(r, 300));
      expect(live.sub.position).toBeLessThan(heldFirst);
      expect(Math.max(0, ...positionsOf(live.seen))).toBeLessThan(heldFirst);
      expect(await log.readAll({ after: heldFirst - 1 })).toEqual([]);
      await held.query('COMMIT');
      await held.end();

      // Restart the second follower from its checkpoint, on a log of its own (as a new process would).
      await until(() => restarted.sub.position > 0);
      await restarted.sub.stop();
      const checkpoint = restarted.sub.position;
      const resumed = follow(await open(schema), checkpoint);

      const stored = (await writers).flat();
      const head = await log.headPosition();
      await live.sub.waitFor(head, 20_000);
      await resumed.sub.waitFor(head, 20_000);

      const all = await log.readAll({ maxCount: 100_000 });
      expect(all).toHaveLength(stored.length + ids.length);
      expect(new Set(all.map((e) => e.id))).toEqual(new Set([...stored.map((s) => s.id), ...ids]));
      // Each process's own view of its positions is the log's.
      const byId = new Map(all.map((e) => [e.id, e.position]));
      for (const s of stored) expect(byId.get(s.id)).toBe(s.position);

      // Exactly once, in order, nothing skipped: the followers saw the log as it stands.
      expect(live.seen.map((e) => e.id)).toEqual(all.map((e) => e.id));
      const twice = [...restarted.seen, ...resumed.seen];
      expect(twice.map((e) => e.id)).toEqual(all.map((e) => e.id));
      expect(restarted.seen.length).toBeGreaterThan(0);
      for (let i = 1; i < live.seen.length; i++)
        expect(live.seen[i]!.position).toBeGreaterThan(live.seen[i - 1]!.position);
    }, 90_000);

    it('finds another process’s appends by polling when no notification comes', async () => {
      const schema = freshSchema('pdv_order');
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
      const schema = freshSchema('pdv_order');
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
  });
}
