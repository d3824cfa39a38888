import { describe, it } from 'vitest';
import {
  getPostgresAccessLog,
  getPostgresKeyStore,
  getPostgresViewStore,
  type AccessLog,
  type KeyStore,
  type ViewStore,
} from '@pdv/vault';
import { accessLogContract } from './accessLog.contract.js';
import { dropSchema, freshSchema, probePostgres, TEST_POSTGRES_URL } from '../support/postgres.js';
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
