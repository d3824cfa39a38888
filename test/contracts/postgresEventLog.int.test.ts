import { getPostgresEventLog } from '@pdv/vault';
import { describe, it } from 'vitest';

import { dropSchema, freshSchema, probePostgres, TEST_POSTGRES_URL } from '../support/postgres.js';
import { eventLogContract } from './eventLog.contract.js';

const probe = await probePostgres();

if (probe.ok) {
  // Each test gets an empty log in its own schema, dropped afterwards.
  eventLogContract('PostgreSQL', async () => {
    const schema = freshSchema();
    const log = await getPostgresEventLog({ connectionString: TEST_POSTGRES_URL, schema });
    return { log, cleanup: async () => (await log.close(), await dropSchema(schema)) };
  });
} else {
  describe.skip(`PostgreSQL EventLog contract (skipped: ${probe.reason})`, () => {
    it('runs the EventLog contract against PostgreSQL', () => {});
  });
}
