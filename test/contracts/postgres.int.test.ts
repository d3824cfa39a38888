import {
  type AccessLog,
  getPostgresAccessLog,
  getPostgresKeyStore,
  getPostgresLeaseStore,
  getPostgresViewStore,
  type KeyStore,
  type LeaseStore,
  type ViewStore,
} from '@pdv/vault';
import { describe, it } from 'vitest';

import { dropSchema, freshSchema, probePostgres, TEST_POSTGRES_URL } from '../support/postgres.js';
import { accessLogContract } from './accessLog.contract.js';
import { keyStoreContract } from './keyStore.contract.js';
import { leaseStoreContract } from './leaseStore.contract.js';
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
  leaseStoreContract('PostgreSQL', async () => {
    const schema = freshSchema();
    const open = () => getPostgresLeaseStore({ connectionString: TEST_POSTGRES_URL, schema, maxConnections: 2 });
    const opened: LeaseStore[] = [await open()];
    return {
      store: opened[0]!,
      other: async () => (opened.push(await open()), opened[opened.length - 1]!),
      cleanup: async () => (await Promise.all(opened.map((s) => s.close())), await dropSchema(schema)),
    };
  });
} else {
  describe.skip(`PostgreSQL contracts (skipped: ${probe.reason})`, () => {
    it('runs the KeyStore, ViewStore, AccessLog and LeaseStore contracts against PostgreSQL', () => {});
  });
}
