import { rmSync } from 'node:fs';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { getPostgresAccessLog, getPostgresKeyStore, isVaultError, loadConfig, openStores } from '@pdv/vault';
import { dropSchema, freshSchema, probePostgres, TEST_POSTGRES_URL } from '../support/postgres.js';

/** What the PostgreSQL adapters do beyond the port contracts: the access log, migrations, unavailability, and openStores. */
const probe = await probePostgres();

if (!probe.ok) {
  describe.skip(`PostgreSQL stores (skipped: ${probe.reason})`, () => {
    it('appends access-log entries and runs migrations once', () => {});
  });
} else {
  describe('PostgreSQL stores', () => {
    const schemas: string[] = [];
    const schema = () => {
      const s = freshSchema();
      schemas.push(s);
      return s;
    };
    afterAll(async () => {
      for (const s of schemas) await dropSchema(s);
    });

    it('appends access-log batches and lists a subject’s entries newest first', async () => {
      const log = await getPostgresAccessLog({ connectionString: TEST_POSTGRES_URL, schema: schema() });
      await log.append([
        { actor: 'service:crm', purpose: 'contract', subjectId: 's1', categories: ['contact'], at: '2025-01-01T00:00:00.000Z' },
        { actor: 'service:billing', purpose: 'billing', subjectId: 's1', categories: ['accounting', 'contact'], at: '2025-01-02T00:00:00.000Z' },
        { actor: 'service:crm', purpose: 'contract', subjectId: 's2', categories: [], at: '2025-01-03T00:00:00.000Z' },
      ]);
      await log.append([]);
      expect((await log.listBySubject('s1')).map((e) => e.actor)).toEqual(['service:billing', 'service:crm']);
      expect(await log.listBySubject('s1', { since: '2025-01-02T00:00:00.000Z' })).toEqual([
        { actor: 'service:billing', purpose: 'billing', subjectId: 's1', categories: ['accounting', 'contact'], at: '2025-01-02T00:00:00.000Z' },
      ]);
      expect((await log.listBySubject('s2'))[0]!.categories).toEqual([]);
      expect(await log.listBySubject('s1', { limit: 1 })).toHaveLength(1);
      await log.close();
      await expect(log.listBySubject('s1')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    });

    it('runs each migration once when several replicas start together', async () => {
      const s = schema();
      const stores = await Promise.all(Array.from({ length: 4 }, () => getPostgresKeyStore({ connectionString: TEST_POSTGRES_URL, schema: s })));
      const c = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await c.connect();
      const rows = (await c.query(`SELECT component, version FROM "${s}".schema_migrations`)).rows;
      await c.end();
      expect(rows).toEqual([{ component: 'keys', version: 1 }]);
      await Promise.all(stores.map((k) => k.close()));
    });

    it('fails with STORE_UNAVAILABLE, not a hang, when PostgreSQL is not there', async () => {
      const started = Date.now();
      const error = await getPostgresKeyStore({ connectionString: 'postgres://postgres@127.0.0.1:1/test', schema: 'vault', connectTimeoutMs: 1000 }).catch((e: unknown) => e);
      expect(isVaultError(error, 'STORE_UNAVAILABLE'), String(error)).toBe(true);
      expect(Date.now() - started).toBeLessThan(3000);
    });

    it('opens keys, views and the access log on PostgreSQL from the configuration, sharing one pool', async () => {
      const s = schema();
      const config = loadConfig({
        VAULT_MASTER_KEY: Buffer.alloc(32, 1).toString('base64'),
        VAULT_STATE_STORE: 'postgres',
        VAULT_POSTGRES_URL: TEST_POSTGRES_URL,
        VAULT_POSTGRES_SCHEMA: s,
        VAULT_DATA_DIR: `/tmp/pdv-openstores-${s}`,
      });
      const stores = await openStores(config);
      expect(stores.access).toBeDefined();
      expect(await stores.views.checkpoint('subjects')).toBe(0);
      expect(await stores.keys.getMeta('nothing')).toBeUndefined();
      await Promise.all([stores.log.close(), stores.keys.close(), stores.views.close(), stores.access!.close()]);
      await expect(stores.views.checkpoint('subjects')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      rmSync(config.dataDir, { recursive: true, force: true });
    });
  });
}
