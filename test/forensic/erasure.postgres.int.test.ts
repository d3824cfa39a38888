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

import { dropSchema, freshSchema, probePostgres, TEST_POSTGRES_URL } from '../support/postgres.js';

/**
 * Forensic erasure against the PostgreSQL key store. After a shred the key row must be gone from
 * everything PostgreSQL returns at once; the bytes leave the table's files only after the
 * documented clean-up step, `VACUUM (FULL)` of the keys table (a plain VACUUM marks the space
 * free but leaves the old tuple bytes in the page: measured on PostgreSQL 15, see infra/README.md).
 * WAL and backups keep the bytes until their bounded retention expires; that is an operations
 * matter, documented there, and not asserted here.
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
    it('removes the key row at once and its bytes after VACUUM (FULL)', () => {});
  });
} else {
  describe('forensic erasure on the PostgreSQL key store', () => {
    const schema = freshSchema('pdv_forensic');
    const dataDir = mkdtempSync(join(tmpdir(), 'pdv-forensic-pg-'));
    const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    const table = `"${schema}".${KEY_TABLES.keys}`;
    let vault: Vault;

    /** The bytes of the keys table's main file as PostgreSQL has written them (after a CHECKPOINT). */
    const relationBytes = async (): Promise<{ path: string; bytes: Buffer | undefined }> => {
      await admin.query('CHECKPOINT');
      const rel = (await admin.query<{ p: string }>('SELECT pg_relation_filepath($1) AS p', [table])).rows[0]!.p;
      if (access.how === 'fs') {
        const path = join(access.dataDir, rel);
        return { path, bytes: existsSync(path) ? readFileSync(path) : undefined };
      }
      const r = await admin.query<{ b: Buffer }>('SELECT pg_read_binary_file($1) AS b', [rel]);
      return { path: rel, bytes: r.rows[0]!.b };
    };

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
      // Autovacuum must not do the clean-up step behind the test's back.
      await admin.query(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
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
        ? `removes the wrapped key bytes from the table file after VACUUM (FULL) (skipped: ${access.reason})`
        : 'removes the wrapped key bytes from the table file after VACUUM (FULL), which a plain VACUUM does not ' +
          'promise';

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
        const before = await relationBytes();
        expect(wrapped.every((w) => before.bytes?.includes(w))).toBe(true);
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
      const before = await relationBytes();
      // The documented clean-up step: rewrite the table into a new file; the old file is removed at the next
      // checkpoint.
      await admin.query(`VACUUM (FULL) ${table}`);
      const after = await relationBytes();
      expect(after.path).not.toBe(before.path);
      expect(after.bytes, 'the rewritten keys table is readable').toBeDefined();
      for (const w of wrapped)
        expect(after.bytes!.includes(w), 'wrapped key bytes in the rewritten keys table').toBe(false);
      if (access.how === 'fs') {
        const old = existsSync(before.path) ? readFileSync(before.path) : Buffer.alloc(0);
        for (const w of wrapped)
          expect(old.includes(w), 'wrapped key bytes in the old file of the keys table').toBe(false);
      }
      // Still a working key store afterwards.
      expect((await vault.stores.keys.getByIds(keyIds)).size).toBe(0);
    });
  });
}
