import { getPostgresEventLog, type NewEvent } from '@pdv/vault';
import pg from 'pg';
import { describe, it } from 'vitest';

import { dropSchema, freshSchema, probePostgres, TEST_POSTGRES_URL } from '../support/postgres.js';
import { eventLogContract } from './eventLog.contract.js';
import type { HeldAppend } from './eventLogProcesses.js';

const probe = await probePostgres();

/** Calls the log's own append function inside a transaction left open until `commit`. */
async function holdAppend(schema: string, streamId: string, events: NewEvent[]): Promise<HeldAppend> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  await client.query('BEGIN');
  const { rows } = await client.query<{ outcome: string; last_position: string }>(
    `SELECT outcome, last_position FROM "${schema}".append_events($1, 'no_stream', $2, $3, $4, $5)`,
    [
      streamId,
      events.map((e) => e.id),
      events.map((e) => e.type),
      events.map((e) => JSON.stringify(e.data)),
      events.map((e) => JSON.stringify(e.metadata)),
    ],
  );
  if (rows[0]?.outcome !== 'appended') throw new Error(`held append: ${rows[0]?.outcome ?? 'no row'}`);
  return {
    firstPosition: Number(rows[0].last_position) - events.length + 1,
    commit: async () => (await client.query('COMMIT'), await client.end()),
  };
}

if (probe.ok) {
  // Each test gets an empty log in its own schema, dropped afterwards.
  eventLogContract('PostgreSQL', async () => {
    const schema = freshSchema();
    const log = await getPostgresEventLog({ connectionString: TEST_POSTGRES_URL, schema });
    return {
      log,
      cleanup: async () => (await log.close(), await dropSchema(schema)),
      processEnv: { EVENT_LOG: 'postgres', PG_URL: TEST_POSTGRES_URL, PG_SCHEMA: schema },
      holdAppend: (streamId, events) => holdAppend(schema, streamId, events),
    };
  });
} else {
  describe.skip(`PostgreSQL EventLog contract (skipped: ${probe.reason})`, () => {
    it('runs the EventLog contract against PostgreSQL', () => {});
  });
}
