import { accessSync, constants, copyFileSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  auditErasure,
  getLocalKekProvider,
  getPostgresKeyStore,
  openVault,
  parseMasterKeys,
  type VaultConfig,
} from '@pdv/vault';
import pg from 'pg';
import nacl from 'tweetnacl';
import { afterAll, describe, expect, it } from 'vitest';

import { keepLocalKek } from '../support/kekCustody.js';
import { dropSchema, freshSchema, probePostgres, TEST_POSTGRES_URL } from '../support/postgres.js';
import { destroyedBy, eraseAndCrash, eraseThreeWays, pool, populate, splitForErasure } from './scenario.js';

// This file tests carving with the master key: its vaults keep their KEKs under it whatever TEST_KEK_PROVIDER says.
keepLocalKek();

/**
 * The carving attack on the PostgreSQL key store, at the shape that found stale keys in the
 * embedded one (scenario.ts): a thousand subjects with three categories (one retained by law), a restart
 * between writing and erasing, concurrent erasures, field erasures, retention shreds and a
 * process killed while it erases; then, with the KEKs, every byte of every file of the database
 * carved for a destroyed key. The table files must hold none. WAL segments do (PostgreSQL never
 * rewrites them, and an archive keeps them): they are the copies an epoch ends, so the same
 * carving of an archived copy after a rotation must open nothing there either.
 */
const SUBJECTS = 1000;
const probe = await probePostgres();

/** Where this test can read PostgreSQL's files: the database's directory and the WAL directory. */
async function serverFiles(): Promise<{ base: string; wal: string } | { reason: string }> {
  if (!probe.ok) return { reason: probe.reason };
  const c = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await c.connect();
  try {
    const dataDir = (await c.query<{ data_directory: string }>('SHOW data_directory')).rows[0]!.data_directory;
    const oid = (
      await c.query<{ o: string }>('SELECT oid::text AS o FROM pg_database WHERE datname = current_database()')
    ).rows[0]!.o;
    const base = join(dataDir, 'base', oid);
    const wal = join(dataDir, 'pg_wal');
    accessSync(base, constants.R_OK);
    accessSync(wal, constants.R_OK);
    return { base, wal };
  } catch (e) {
    return { reason: `PostgreSQL's files are not readable by this user (${(e as Error).message})` };
  } finally {
    await c.end();
  }
}

const files = await serverFiles();

/**
 * Copies the WAL segments written since `since` (ms) into `to`, as an archive_command would: the
 * server recycles its own segments within minutes when other suites write to it too.
 */
function archiveWal(wal: string, since: number, to: string): string[] {
  const copied: string[] = [];
  for (const f of readdirSync(wal).filter((n) => /^[0-9A-F]{24}$/.test(n))) {
    try {
      if (statSync(join(wal, f)).mtimeMs < since) continue;
      copyFileSync(join(wal, f), join(to, f));
      copied.push(join(to, f));
    } catch {
      // Recycled (renamed) while listed: it holds newer records, not this test's.
    }
  }
  return copied;
}

const name =
  'leaves no destroyed key in any table file after concurrent erasures, re-keys, retention, a restart and a crash';

if ('reason' in files) {
  describe.skip(`forensic erasure at scale on PostgreSQL (skipped: ${files.reason})`, () => {
    it(name, () => {});
  });
} else {
  describe('forensic erasure at scale on PostgreSQL', () => {
    const schema = freshSchema('pdv_carve');
    const dataDir = mkdtempSync(join(tmpdir(), 'pdv-carve-pg-'));
    const walArchive = mkdtempSync(join(tmpdir(), 'pdv-carve-wal-'));
    const masterKey = Buffer.from(nacl.randomBytes(32)).toString('base64');
    const config = (): VaultConfig => ({
      dataDir,
      masterKey,
      synchronous: 'FULL',
      port: 0,
      logLevel: 'silent',
      stateStore: 'postgres',
      postgresUrl: TEST_POSTGRES_URL,
      postgresSchema: schema,
    });
    const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    afterAll(async () => {
      await admin.end().catch(() => {});
      await dropSchema(schema);
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(walArchive, { recursive: true, force: true });
    });

    /** Carves the database's files (and `wal`, when given) with the KEKs the custody still has. */
    async function carve(wal: string[] = []) {
      await admin.query('CHECKPOINT');
      const keys = await getPostgresKeyStore({ connectionString: TEST_POSTGRES_URL, schema });
      const custody = getLocalKekProvider({
        path: join(dataDir, 'kek.slots'),
        master: parseMasterKeys(masterKey, 't'),
      });
      try {
        // A rewrite waits while another session's snapshot is older than the shred (other suites
        // share this database): the open store's scrubber retries each second until none is left.
        const pending = async () =>
          Number((await admin.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".scrub_pending`)).rows[0]!.n);
        for (let i = 0; i < 120 && (await pending()) > 0; i++) await new Promise((r) => setTimeout(r, 500));
        expect(await pending(), 'partitions still waiting for their rewrite').toBe(0);
        await admin.query('CHECKPOINT');
        return await auditErasure({ keys, kek: custody, paths: [(files as { base: string }).base, ...wal] });
      } finally {
        await custody.close();
        await keys.close();
      }
    }

    it(
      name,
      async () => {
        await admin.connect();
        const started = Date.now();
        const first = await openVault(config(), { warn: () => {} });
        const ids = await populate(first, SUBJECTS);
        await first.close();
        // The WAL that holds the keys just written, kept as a WAL archive keeps it.
        const archive = archiveWal((files as { wal: string }).wal, started - 1000, walArchive);
        expect(archive.length).toBeGreaterThan(0);

        // Restart between writing and erasing.
        const v = await openVault(config(), { warn: () => {} });
        const split = splitForErasure(ids);
        await eraseThreeWays(v, split);
        await v.close();

        // A process killed while it erases.
        const env = {
          VAULT_DATA_DIR: dataDir,
          VAULT_MASTER_KEY: masterKey,
          VAULT_STATE_STORE: 'postgres',
          VAULT_POSTGRES_URL: TEST_POSTGRES_URL,
          VAULT_POSTGRES_SCHEMA: schema,
        };
        expect(await eraseAndCrash(split.crashed, join(dataDir, 'crash-ids.txt'), env, 40)).toBeGreaterThanOrEqual(40);

        // The next start finishes what the killed process left; then the rest is erased.
        const third = await openVault(config(), { warn: () => {} });
        await pool(split.crashed, 20, (s) => third.erase(s, { actor: 'dpo:test', reason: 'subjectRequest' }));
        await third.close();

        const live = await carve();
        const destroyed = destroyedBy(split);
        expect(live.destroyedKeys).toBeGreaterThanOrEqual(destroyed);
        expect(live.recoveredKeys, 'destroyed keys carved out of the table files').toEqual([]);
        expect(live.recoveredValues).toBe(0);

        // The carver finds them where they are: in the archived WAL, while the epoch lasts.
        const withWal = await carve(archive);
        expect(withWal.recoveredKeys.length).toBeGreaterThan(0);
        expect(withWal.recoveredKeys.every((k) => archive.includes(k.file))).toBe(true);

        // Once the epoch in force at the erasures has ended, the archived WAL opens nothing either.
        const fourth = await openVault(config(), { warn: () => {} });
        await fourth.rotateEpoch();
        await fourth.close();
        const after = await carve(archive);
        expect(after.recoveredKeys).toEqual([]);
        expect(after.recoveredValues).toBe(0);
      },
      900_000,
    );
  });
}
