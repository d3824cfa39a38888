import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  getPostgresKeyStore,
  getPostgresViewStore,
  getSqliteEventLog,
  KEY_TABLES,
  openVault,
  type Vault,
  type VaultConfig,
} from '@pdv/vault';
import pg from 'pg';
import nacl from 'tweetnacl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { keepLocalKek } from '../support/kekCustody.js';
import { dropSchema, freshSchema, probePostgres, TEST_POSTGRES_URL } from '../support/postgres.js';

// This file tests carving with the master key: its vaults keep their KEKs under it whatever TEST_KEK_PROVIDER says.
keepLocalKek();

/**
 * Forensic erasure against the PostgreSQL key store. After a shred the key row must be gone from
 * everything PostgreSQL returns at once, and its bytes from the keys table's files as soon as no
 * older snapshot holds them back: the store rewrites each partition a shred touched (a plain
 * VACUUM marks the space free but leaves the old tuple bytes in the page, measured on
 * PostgreSQL 15). WAL and backups keep the bytes until the epoch ends: see
 * erasureAtScale.postgres.int.test.ts.
 */
const probe = await probePostgres();

type FileAccess = { how: 'fs' | 'sql'; dataDir: string } | { how: 'none'; reason: string };

/** How this test can read a relation's file: directly, through pg_read_binary_file (superuser), or not at all. */
async function fileAccess(): Promise<FileAccess> {
  if (!probe.ok) return { how: 'none', reason: probe.reason };
  const c = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    const dataDir = (await c.query<{ data_directory: string }>('SHOW data_directory')).rows[0]!.data_directory;
    try {
      accessSync(join(dataDir, 'base'), constants.R_OK | constants.X_OK);
      return { how: 'fs', dataDir };
    } catch {
      try {
        await c.query("SELECT pg_read_binary_file('PG_VERSION')");
        return { how: 'sql', dataDir };
      } catch (e) {
        return {
          how: 'none',
          reason:
            `relation files not readable by this user (data directory ${dataDir} not readable, ` +
            `pg_read_binary_file: ${(e as { code?: string }).code ?? 'denied'})`,
        };
      }
    }
  } catch (e) {
    return { how: 'none', reason: `cannot ask PostgreSQL for its data directory (${(e as Error).message})` };
  } finally {
    await c.end().catch(() => {});
  }
}

const access = await fileAccess();

if (!probe.ok) {
  describe.skip(`forensic erasure on the PostgreSQL key store (skipped: ${probe.reason})`, () => {
    it('removes the key row at once and its bytes from the table files', () => {});
  });
} else {
  describe('forensic erasure on the PostgreSQL key store', () => {
    const schema = freshSchema('pdv_forensic');
    const dataDir = mkdtempSync(join(tmpdir(), 'pdv-forensic-pg-'));
    const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    const table = `"${schema}".${KEY_TABLES.keys}`;
    let vault: Vault;

    /** The keys table's partitions' main files as PostgreSQL has written them (after a CHECKPOINT). */
    const relationFiles = async (): Promise<{ path: string; bytes: Buffer }[]> => {
      await admin.query('CHECKPOINT');
      const rels = (
        await admin.query<{ p: string }>(
          'SELECT pg_relation_filepath(i.inhrelid) AS p FROM pg_inherits i WHERE i.inhparent = $1::regclass',
          [table],
        )
      ).rows.map((r) => r.p);
      expect(rels.length).toBeGreaterThan(1);
      const read = async (rel: string) => {
        if (access.how === 'fs') {
          const path = join(access.dataDir, rel);
          return { path, bytes: existsSync(path) ? readFileSync(path) : Buffer.alloc(0) };
        }
        return {
          path: rel,
          bytes: (await admin.query<{ b: Buffer }>('SELECT pg_read_binary_file($1) AS b', [rel])).rows[0]!.b,
        };
      };
      return Promise.all(rels.map(read));
    };
    const holds = (fs: { bytes: Buffer }[], w: Buffer) => fs.some((f) => f.bytes.includes(w));
    let beforeErasure: { path: string; bytes: Buffer }[] = [];

    beforeAll(async () => {
      await admin.connect();
      const config: VaultConfig = {
        dataDir,
        masterKey: Buffer.from(nacl.randomBytes(32)).toString('base64'),
        synchronous: 'FULL',
        port: 0,
        logLevel: 'silent',
      };
      const connection = { connectionString: TEST_POSTGRES_URL, schema };
      const stores = {
        log: getSqliteEventLog({ path: join(dataDir, 'events.db') }),
        keys: await getPostgresKeyStore(connection),
        views: await getPostgresViewStore(connection),
      };
      vault = await openVault(config, { stores, warn: () => {} });
      // Autovacuum must not clean up behind the test's back: only the store's own rewrite may.
      const parts = await admin.query<{ r: string }>(
        'SELECT i.inhrelid::regclass::text AS r FROM pg_inherits i WHERE i.inhparent = $1::regclass',
        [table],
      );
      for (const { r } of parts.rows) await admin.query(`ALTER TABLE ${r} SET (autovacuum_enabled = false)`);
    });

    afterAll(async () => {
      await vault?.close().catch(() => {});
      await admin.end().catch(() => {});
      await dropSchema(schema);
      rmSync(dataDir, { recursive: true, force: true });
    });

    const itFiles = access.how === 'none' ? it.skip : it;
    const fileTestName =
      access.how === 'none'
        ? `removes the wrapped key bytes from the partitions' files (skipped: ${access.reason})`
        : 'removes the wrapped key bytes from the files of the partitions that held them';

    let keyIds: string[] = [];
    let wrapped: Buffer[] = [];
    let hash = '';

    it('removes the key row from everything PostgreSQL returns as soon as the subject is erased', async () => {
      const actor = { actor: 'test' };
      const { subjectId } = await vault.commands.registerSubject(actor);
      await vault.execute(
        subjectId,
        {
          type: 'RecordPersonalData',
          items: [
            {
              category: 'contact',
              field: 'email',
              value: 'pg.marker.5521@marker-example.com',
              purpose: 'contract',
              legalBasis: 'contract',
              source: 'subject',
            },
            {
              category: 'contact',
              field: 'name',
              value: 'Postgres Marker-Quill',
              purpose: 'contract',
              legalBasis: 'contract',
              source: 'subject',
            },
          ],
        },
        actor,
      );
      const state = await vault.commands.load(subjectId);
      keyIds = Object.values(state.categories).map((c) => c.keyId);
      const stored = await vault.stores.keys.getByIds(keyIds);
      wrapped = keyIds.map((id) => Buffer.from(stored.get(id)!.wrapped));
      expect(wrapped.length).toBeGreaterThan(0);
      hash = await vault.blindIndex.hash('email:pg.marker.5521@marker-example.com');
      expect(await vault.stores.views.findByBlindIndex([hash])).toHaveLength(1);
      if (access.how !== 'none') {
        // The scanner must be able to see what it looks for: the wrapped keys are in the table file until erasure.
        beforeErasure = await relationFiles();
        expect(wrapped.every((w) => holds(beforeErasure, w))).toBe(true);
      }

      const signed = await vault.erase(subjectId, { actor: 'dpo:test', reason: 'subjectRequest' });
      expect(signed.certificate.keyIdsDestroyed.sort()).toEqual([...keyIds].sort());

      // The rows by id, and every row of every table in the schema, as PostgreSQL returns them.
      expect((await admin.query(`SELECT key_id FROM ${table} WHERE key_id = ANY($1)`, [keyIds])).rowCount).toBe(0);
      const tables = (
        await admin.query<{ t: string }>(
          'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1',
          [schema],
        )
      ).rows.map((r) => r.t);
      expect(tables).toEqual(expect.arrayContaining(['keys', 'tombstones', 'meta', 'blind_index']));
      const hex = wrapped.map((w) => w.toString('hex'));
      for (const t of tables) {
        const rows = (await admin.query<{ row: string }>(`SELECT t::text AS row FROM "${schema}"."${t}" t`)).rows.map(
          (r) => r.row.toLowerCase(),
        );
        for (const h of hex)
          expect(
            rows.some((r) => r.includes(h)),
            `wrapped key bytes returned from ${t}`,
          ).toBe(false);
        expect(
          rows.some((r) => r.includes(hash)),
          `blind-index hash returned from ${t}`,
        ).toBe(false);
      }
      const tombstones = await vault.stores.keys.listTombstones({ keyIds });
      expect(tombstones.map((t) => t.keyId).sort()).toEqual([...keyIds].sort());
      expect(await vault.stores.views.findByBlindIndex([hash])).toEqual([]);
    });

    itFiles(fileTestName, async () => {
      expect(keyIds.length, 'the erasure test ran first').toBeGreaterThan(0);
      // Autovacuum is off for the test, and the store's own rewrite ran before the erasure returned
      // (or, held back by another suite's snapshot on this database, runs as soon as it can).
      const pending = async () =>
        Number((await admin.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".scrub_pending`)).rows[0]!.n);
      for (let i = 0; i < 60 && (await pending()) > 0; i++) await new Promise((r) => setTimeout(r, 500));
      expect(await pending()).toBe(0);
      const after = await relationFiles();
      for (const w of wrapped)
        expect(holds(after, w), 'wrapped key bytes in a partition of the keys table').toBe(false);
      if (access.how === 'fs') {
        // The files the rows were in before the rewrite: truncated, then unlinked at the next checkpoint.
        const old = beforeErasure.filter((f) => !after.some((a) => a.path === f.path));
        expect(old.length).toBeGreaterThan(0);
        for (const f of old) {
          const now = existsSync(f.path) ? readFileSync(f.path) : Buffer.alloc(0);
          for (const w of wrapped) expect(now.includes(w), 'wrapped key bytes in an old partition file').toBe(false);
        }
      }
      // Still a working key store afterwards.
      expect((await vault.stores.keys.getByIds(keyIds)).size).toBe(0);
    });
  });
}
