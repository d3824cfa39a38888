import {
  type AccessLog,
  getPostgresAccessLog,
  getPostgresKeyStore,
  getPostgresViewStore,
  type KeyStore,
  type ViewStore,
} from '@pdv/vault';
import { describe, it } from 'vitest';

import { dropSchema, freshSchema, probePostgres, TEST_POSTGRES_URL } from '../support/postgres.js';
import { accessLogContract } from './accessLog.contract.js';
import { keyStoreContract } from './keyStore.contract.js';
import { viewStoreContract } from './viewStore.contract.js';

const probe = await probePostgres();

/** Each test gets an empty store in its own schema, dropped afterwards. */
async function inFreshSchema<T extends KeyStore | ViewStore | AccessLog>(
  open: (o: { connectionString: string; schema: string }) => Promise<T>,
) {
  const schema = freshSchema();
  const store = await open({ connectionString: TEST_POSTGRES_URL, schema });
  return { store, cleanup: async () => (await store.close(), await dropSchema(schema)) };
}

if (probe.ok) {
  keyStoreContract('PostgreSQL', () => inFreshSchema(getPostgresKeyStore));
  viewStoreContract('PostgreSQL', () => inFreshSchema(getPostgresViewStore));
  accessLogContract('PostgreSQL', () => inFreshSchema(getPostgresAccessLog));
} else {
  describe.skip(`PostgreSQL contracts (skipped: ${probe.reason})`, () => {
    it('runs the KeyStore, ViewStore and AccessLog contracts against PostgreSQL', () => {});
  });
}
