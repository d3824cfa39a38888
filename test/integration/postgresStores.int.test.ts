import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  CONSENTS_UNINDEXED,
  emptyBatch,
  getPostgresAccessLog,
  getPostgresKeyStore,
  getPostgresViewStore,
  initialState,
  isVaultError,
  KEY_MIGRATIONS,
  KEY_PARTITIONS,
  loadConfig,
  openStores,
  SIGNING_SECRET,
  type SubjectState,
  type SubjectView,
  VIEW_MIGRATIONS,
} from '@pdv/vault';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

import { runCli, startServeProcess } from '../support/cliProcess.js';
import { dropSchema, freshSchema, probePostgres, TEST_POSTGRES_URL } from '../support/postgres.js';

/**
 * What the PostgreSQL adapters do beyond the port contracts: the access log, migrations, unavailability, and
 * openStores.
 */
/** A fresh schema `s` holding read models as the first `n` view migrations left them. */
async function viewsMigratedTo(c: pg.Client, s: string, n: number): Promise<void> {
  await c.query(`CREATE SCHEMA "${s}"`);
  await c.query(`CREATE TABLE "${s}".schema_migrations (component text NOT NULL, version integer NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (component, version))`);
  for (const [i, step] of VIEW_MIGRATIONS.slice(0, n).entries()) {
    await c.query(step(`"${s}"`));
    await c.query(`INSERT INTO "${s}".schema_migrations (component, version) VALUES ('views', $1)`, [i + 1]);
  }
}

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
        {
          actor: 'service:crm',
          purpose: 'contract',
          subjectId: 's1',
          categories: ['contact'],
          at: '2025-01-01T00:00:00.000Z',
        },
        {
          actor: 'service:billing',
          purpose: 'billing',
          subjectId: 's1',
          categories: ['accounting', 'contact'],
          at: '2025-01-02T00:00:00.000Z',
        },
        { actor: 'service:crm', purpose: 'contract', subjectId: 's2', categories: [], at: '2025-01-03T00:00:00.000Z' },
      ]);
      await log.append([]);
      expect((await log.listBySubject('s1')).map((e) => e.actor)).toEqual(['service:billing', 'service:crm']);
      expect(await log.listBySubject('s1', { since: '2025-01-02T00:00:00.000Z' })).toEqual([
        {
          actor: 'service:billing',
          purpose: 'billing',
          subjectId: 's1',
          categories: ['accounting', 'contact'],
          at: '2025-01-02T00:00:00.000Z',
        },
      ]);
      expect((await log.listBySubject('s2'))[0]!.categories).toEqual([]);
      expect(await log.listBySubject('s1', { limit: 1 })).toHaveLength(1);
      await log.close();
      await expect(log.listBySubject('s1')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    });

    it('runs each migration once when several replicas start together', async () => {
      const s = schema();
      const stores = await Promise.all(
        Array.from({ length: 4 }, () => getPostgresKeyStore({ connectionString: TEST_POSTGRES_URL, schema: s })),
      );
      const c = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await c.connect();
      const rows = (await c.query(`SELECT component, version FROM "${s}".schema_migrations ORDER BY version`)).rows;
      await c.end();
      expect(rows).toEqual([
        { component: 'keys', version: 1 },
        { component: 'keys', version: 2 },
      ]);
      await Promise.all(stores.map((k) => k.close()));
    });

    it('moves the keys of a store made before partitioning into the partitions, and shreds there', async () => {
      const s = schema();
      const c = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await c.connect();
      try {
        // A key store as the first migration left it, holding 300 keys.
        await c.query(`CREATE SCHEMA "${s}"`);
        await c.query(`CREATE TABLE "${s}".schema_migrations (component text NOT NULL, version integer NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (component, version))`);
        await c.query(KEY_MIGRATIONS[0]!(`"${s}"`));
        await c.query(`INSERT INTO "${s}".schema_migrations (component, version) VALUES ('keys', 1)`);
        const ids = Array.from({ length: 300 }, (_, i) => `subject-${i}/contact/1`);
        await c.query(
          `INSERT INTO "${s}".keys SELECT k, split_part(k, '/', 1), 'contact', decode(md5(k), 'hex'), 1, '2026-01-01'
           FROM unnest($1::text[]) k`,
          [ids],
        );
        const store = await getPostgresKeyStore({ connectionString: TEST_POSTGRES_URL, schema: s });
        try {
          const kept = await store.getByIds(ids);
          expect(kept.size).toBe(300);
          expect(Buffer.from(kept.get(ids[7]!)!.wrapped).toString('hex')).toMatch(/^[0-9a-f]{32}$/);
          const spread = await c.query<{ n: string }>(`SELECT count(DISTINCT tableoid) AS n FROM "${s}".keys`);
          expect(Number(spread.rows[0]!.n)).toBeGreaterThan(KEY_PARTITIONS / 2);
          expect(await store.shred(ids.slice(0, 50), 'erasure', '2026-02-01T00:00:00.000Z')).toHaveLength(50);
          expect((await store.getByIds(ids)).size).toBe(250);
          const pending = await c.query(`SELECT 1 FROM "${s}".scrub_pending`);
          expect(pending.rowCount).toBe(0);
        } finally {
          await store.close();
        }
      } finally {
        await c.end();
      }
    });

    it('keys the blind index of read models made before entries had rows of their own by entry too', async () => {
      const s = schema();
      const c = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await c.connect();
      try {
        // Read models as the migrations before the entry's column left them, one category's email indexed.
        await viewsMigratedTo(c, s, 4);
        await c.query(`INSERT INTO "${s}".blind_index VALUES ('h', 's-1', 'debtor', 'email')`);
        const store = await getPostgresViewStore({ connectionString: TEST_POSTGRES_URL, schema: s });
        try {
          const own = { hash: 'h', subjectId: 's-1', category: 'debtor', field: 'email' };
          const ofCase = { ...own, entry: 'A-1' };
          expect(await store.apply('p', { ...emptyBatch(), index: [{ op: 'put', entry: ofCase }] }, 1)).toBe(true);
          expect(await store.findByBlindIndex(['h'])).toEqual([own, ofCase]);
          const shred = { op: 'delete' as const, subjectId: 's-1', category: 'debtor' };
          await store.apply('p', { ...emptyBatch(), index: [shred] }, 2);
          expect(await store.findByBlindIndex(['h'])).toEqual([ofCase]);
        } finally {
          await store.close();
        }
      } finally {
        await c.end();
      }
    });

    it('adds the consents index to read models made before it, saying up to where the log must fill it', async () => {
      const s = schema();
      const c = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await c.connect();
      try {
        // Read models as the five migrations before the index left them, having projected 420 events.
        await viewsMigratedTo(c, s, 5);
        await c.query(`INSERT INTO "${s}".checkpoints VALUES ('subjects', 420), ('consentValidity', 3)`);
        const open = () => getPostgresViewStore({ connectionString: TEST_POSTGRES_URL, schema: s });
        const store = await open();
        try {
          expect(await store.checkpoint(CONSENTS_UNINDEXED)).toBe(420);
          expect(await store.listConsentSubjects()).toEqual([]);
          expect(await store.apply('subjects', { ...emptyBatch(), consents: ['s-2', 's-1', 's-2'] }, 421)).toBe(true);
          expect(await store.listConsentSubjects()).toEqual(['s-1', 's-2']);
        } finally {
          await store.close();
        }
        // Migrated once: a second open moves nothing.
        const again = await open();
        try {
          expect(await again.checkpoint(CONSENTS_UNINDEXED)).toBe(420);
          expect(await again.listConsentSubjects({ after: 's-1' })).toEqual(['s-2']);
        } finally {
          await again.close();
        }
        // A new schema lacks nothing.
        const fresh = await getPostgresViewStore({ connectionString: TEST_POSTGRES_URL, schema: schema() });
        expect(await fresh.checkpoint(CONSENTS_UNINDEXED)).toBe(0);
        await fresh.close();
      } finally {
        await c.end();
      }
    });

    it('keeps a subject’s state in its row uncompressed up to a page, in read models made before too', async () => {
      const s = schema();
      const c = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await c.connect();
      // A state of `kb` KB whose text compresses well, as a subject's JSON does.
      const view = (subjectId: string, position: number, kb: number): SubjectView => ({
        subjectId,
        position,
        state: {
          ...initialState(subjectId),
          registeredAt: '2024-01-01T00:00:00.000Z',
          revision: position,
          pad: Array.from({ length: kb * 33 }, (_, i) => `field-${i % 7}-purpose-contract`),
        } as SubjectState,
      });
      const stored = async () =>
        (
          await c.query<{ id: string; compression: string | null; bytes: number; text: number }>(
            `SELECT subject_id AS id, pg_column_compression(state) AS compression, pg_column_size(state) AS bytes,
               octet_length(state::text) AS text FROM "${s}".subjects ORDER BY subject_id`,
          )
        ).rows;
      try {
        // Read models as the migrations before this one left them: a 5 KB state is compressed (and so toasted).
        await viewsMigratedTo(c, s, 6);
        await c.query(`INSERT INTO "${s}".subjects VALUES ('s-1', 1, $1::jsonb)`, [
          JSON.stringify(view('s-1', 1, 5).state),
        ]);
        expect((await stored())[0]!.compression).toBe('pglz');
        const store = await getPostgresViewStore({ connectionString: TEST_POSTGRES_URL, schema: s });
        try {
          const subjects = [view('s-1', 2, 5), view('s-2', 2, 5), view('s-3', 2, 12)];
          expect(await store.apply('subjects', { ...emptyBatch(), subjects }, 2)).toBe(true);
          const [s1, s2, s3] = await stored();
          // Rewritten in its row as it is: every byte of it, none compressed.
          for (const row of [s1!, s2!]) {
            expect(row.compression).toBeNull();
            expect(row.text).toBeGreaterThan(4500);
            expect(row.bytes).toBeGreaterThan(row.text * 0.8);
          }
          // Past a page, it is compressed, with lz4 where the server has it.
          expect(s3!.compression).toMatch(/^(lz4|pglz)$/);
          expect(s3!.bytes).toBeLessThan(s3!.text / 2);
          expect((await store.getSubjects(['s-1', 's-3'])).get('s-3')).toEqual(subjects[2]);
        } finally {
          await store.close();
        }
      } finally {
        await c.end();
      }
    });

    it('fails with STORE_UNAVAILABLE, not a hang, when PostgreSQL is not there', async () => {
      const started = Date.now();
      const error = await getPostgresKeyStore({
        connectionString: 'postgres://postgres@127.0.0.1:1/test',
        schema: 'vault',
        connectTimeoutMs: 1000,
      }).catch((e: unknown) => e);
      expect(isVaultError(error, 'STORE_UNAVAILABLE'), String(error)).toBe(true);
      expect(Date.now() - started).toBeLessThan(3000);
    });

    it('names VAULT_POSTGRES_URL, never the URL, when PostgreSQL cannot be reached at start-up', async () => {
      const config = loadConfig({
        VAULT_MASTER_KEY: Buffer.alloc(32, 1).toString('base64'),
        VAULT_STATE_STORE: 'postgres',
        VAULT_POSTGRES_URL: 'postgres://vault:s3cret@127.0.0.1:1/test',
        VAULT_STORE_TIMEOUT_MS: '1000',
        VAULT_DATA_DIR: `/tmp/pdv-openstores-unreachable-${process.pid}`,
      });
      const error = await openStores(config).catch((e: unknown) => e);
      expect(isVaultError(error, 'STORE_UNAVAILABLE'), String(error)).toBe(true);
      expect((error as Error).message).toMatch(/^PostgreSQL store failed \(ECONNREFUSED\); check VAULT_POSTGRES_URL$/);
      expect((error as Error).message).not.toContain('s3cret');
      rmSync(config.dataDir, { recursive: true, force: true });
    });

    it('vault verify-certificate without --public-key refuses an empty schema and creates nothing in it', async () => {
      const s = schema();
      const dataDir = mkdtempSync(join(tmpdir(), 'pdv-cli-pg-'));
      const env = {
        ...process.env,
        VAULT_DATA_DIR: dataDir,
        VAULT_MASTER_KEY: Buffer.alloc(32, 1).toString('base64'),
        VAULT_STATE_STORE: 'postgres',
        VAULT_POSTGRES_URL: TEST_POSTGRES_URL,
        VAULT_POSTGRES_SCHEMA: s,
      };
      try {
        writeFileSync(join(dataDir, 'jws.txt'), 'h.p.s');
        const verify = runCli(['verify-certificate', join(dataDir, 'jws.txt')], env);
        expect(verify.status, verify.stderr).toBe(1);
        expect(verify.stderr).toContain(`BAD_USER_INPUT: No vault in PostgreSQL schema ${s}`);
        // Not even the schema: the command looked for the key store without migrating.
        const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
        await client.connect();
        const found = await client.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [s]);
        await client.end();
        expect(found.rowCount).toBe(0);

        // A key store without a signing key (tables, no key) is refused too, and gets none.
        const keys = await getPostgresKeyStore({ connectionString: TEST_POSTGRES_URL, schema: s });
        const again = runCli(['verify-certificate', join(dataDir, 'jws.txt')], env);
        expect(again.status, again.stderr).toBe(1);
        expect(again.stderr).toContain('BAD_USER_INPUT: This vault has no signing key yet');
        expect(await keys.getMeta(SIGNING_SECRET)).toBeUndefined();
        await keys.close();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    }, 30_000);

    it('vault serve on PostgreSQL state leaves no serving marker in the (maybe read-only) data directory', async () => {
      const s = schema();
      const dataDir = mkdtempSync(join(tmpdir(), 'pdv-serve-pg-'));
      const env = {
        ...process.env,
        VAULT_DATA_DIR: dataDir,
        VAULT_MASTER_KEY: Buffer.alloc(32, 1).toString('base64'),
        VAULT_STATE_STORE: 'postgres',
        VAULT_POSTGRES_URL: TEST_POSTGRES_URL,
        VAULT_POSTGRES_SCHEMA: s,
        PORT: '0',
        VAULT_RETENTION_INTERVAL_MINUTES: '0',
        VAULT_LOG_LEVEL: 'warn',
      };
      const { child: server, stderr } = await startServeProcess(env);
      try {
        // The event log is still SQLite here (it needs the directory); the marker is for the embedded read models
        // only.
        expect(readdirSync(dataDir).filter((f) => f.startsWith('serving.'))).toEqual([]);
        server.kill('SIGTERM');
        const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
          server.once('exit', (c, s) => resolve([c, s])),
        );
        expect({ code, signal }, stderr()).toEqual({ code: 0, signal: null });
      } finally {
        server.kill('SIGKILL');
        rmSync(dataDir, { recursive: true, force: true });
        await dropSchema(s);
      }
    }, 60_000);

    it('answers STORE_UNAVAILABLE, not an internal error, once its schema is dropped under it', async () => {
      const s = schema();
      const keys = await getPostgresKeyStore({ connectionString: TEST_POSTGRES_URL, schema: s });
      await keys.putMetaIfAbsent('x', new Uint8Array([1]));
      await dropSchema(s);
      await expect(keys.getMeta('x')).rejects.toMatchObject({
        code: 'STORE_UNAVAILABLE',
        details: { pgCode: '42P01' },
      });
      await keys.close();
    });

    it('opens keys, views and the access log on PostgreSQL from the configuration, in its schema', async () => {
      const s = schema();
      const config = loadConfig({
        VAULT_MASTER_KEY: Buffer.alloc(32, 1).toString('base64'),
        VAULT_STATE_STORE: 'postgres',
        VAULT_POSTGRES_URL: TEST_POSTGRES_URL,
        VAULT_POSTGRES_SCHEMA: s,
        VAULT_DATA_DIR: `/tmp/pdv-openstores-${s}`,
      });
      const stores = await openStores(config);
      expect(await stores.views.checkpoint('subjects')).toBe(0);
      expect(await stores.keys.getMeta('nothing')).toBeUndefined();
      const at = new Date().toISOString();
      await stores.access!.append([
        { actor: 'service:test', purpose: 'contract', subjectId: 's-open', categories: ['contact'], at },
      ]);
      expect(await stores.access!.listBySubject('s-open')).toEqual([
        { actor: 'service:test', purpose: 'contract', subjectId: 's-open', categories: ['contact'], at },
      ]);
      // Each store migrated its own tables into the configured schema (none fell back to SQLite files).
      const c = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await c.connect();
      const components = (await c.query(`SELECT component FROM "${s}".schema_migrations ORDER BY component`)).rows.map(
        (r: { component: string }) => r.component,
      );
      await c.end();
      expect(new Set(components)).toEqual(new Set(['access', 'keys', 'views']));
      await Promise.all([stores.log.close(), stores.keys.close(), stores.views.close(), stores.access!.close()]);
      await expect(stores.views.checkpoint('subjects')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      rmSync(config.dataDir, { recursive: true, force: true });
    });
  });
}
