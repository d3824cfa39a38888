import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  auditErasure,
  getLocalKekProvider,
  getPostgresKeyStore,
  openVault,
  parseMasterKeys,
  type Vault,
  type VaultConfig,
} from '@pdv/vault';
import pg from 'pg';
import nacl from 'tweetnacl';
import { afterAll, describe, expect, it } from 'vitest';

import { dropSchema, freshSchema, probePostgres, TEST_POSTGRES_URL } from '../support/postgres.js';
import { dataItem } from '../support/tempVault.js';

/**
 * The carving attack on the PostgreSQL key store, at the shape that found stale keys in the
 * embedded one: a thousand subjects with three categories (one retained by law), a restart
 * between writing and erasing, concurrent erasures, field erasures, retention shreds and a
 * process killed while it erases; then, with the KEKs, every byte of every file of the database
 * carved for a destroyed key. The table files must hold none. WAL segments do (PostgreSQL never
 * rewrites them): they are the copies an epoch ends, so the same carving after a rotation must
 * open nothing there either.
 */
const SUBJECTS = 1000;
const actor = { actor: 'svc:test' };
const CHILD = fileURLToPath(new URL('./eraseChild.ts', import.meta.url));
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

async function pool<T>(items: readonly T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

async function populate(vault: Vault, n: number): Promise<string[]> {
  const ids: string[] = [];
  await pool(
    Array.from({ length: n }, (_, i) => i),
    20,
    async (i) => {
      const { subjectId } = await vault.commands.registerSubject(actor);
      await vault.commands.execute(
        subjectId,
        {
          type: 'GiveConsent',
          purpose: 'marketing',
          noticeId: 'privacy-notice',
          noticeVersion: '2026-01',
          channel: 'webForm',
        },
        actor,
      );
      await vault.commands.execute(
        subjectId,
        {
          type: 'RecordPersonalData',
          items: [
            dataItem('contact', 'email', `pgcarve.${i}@marker-example.com`, 'contract', 'contract'),
            dataItem('marketing', 'interests', `pg-marker-interest-${i}`, 'marketing', 'consent'),
            dataItem('accounting', 'bankAccount', `NO93860111${String(i).padStart(4, '0')}7`, 'billing', 'contract'),
          ],
        },
        actor,
      );
      ids.push(subjectId);
    },
  );
  return ids;
}

/** WAL segments written since `since` (ms): those that can hold this test's rows. */
const walSince = (wal: string, since: number): string[] =>
  readdirSync(wal)
    .filter((f) => /^[0-9A-F]{24}$/.test(f))
    .map((f) => join(wal, f))
    .filter((f) => statSync(f).mtimeMs >= since);

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

        // Restart between writing and erasing.
        const v = await openVault(config(), { warn: () => {} });
        const [rekeyed, retained, erasedHere, crashed] = [
          ids.slice(0, 100),
          ids.slice(100, 200),
          ids.slice(200, 800),
          ids.slice(800),
        ];
        await pool(rekeyed, 10, (s) =>
          v.execute(
            s,
            { type: 'ErasePersonalData', category: 'contact', field: 'email', reason: 'subjectRequest', remaining: {} },
            actor,
          ),
        );
        await pool(retained, 10, (s) =>
          v.execute(s, { type: 'ShredCategory', category: 'marketing', reason: 'retention' }, actor),
        );
        await pool(erasedHere, 20, (s) => v.erase(s, { actor: 'dpo:test', reason: 'subjectRequest' }));
        await v.close();

        // A process killed while it erases.
        const list = join(dataDir, 'crash-ids.txt');
        writeFileSync(list, crashed.join('\n'));
        const child = spawn(process.execPath, ['--import', 'tsx', CHILD, list], {
          env: {
            ...process.env,
            VAULT_DATA_DIR: dataDir,
            VAULT_MASTER_KEY: masterKey,
            VAULT_STATE_STORE: 'postgres',
            VAULT_POSTGRES_URL: TEST_POSTGRES_URL,
            VAULT_POSTGRES_SCHEMA: schema,
            VAULT_LOG_LEVEL: 'silent',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let acknowledged = 0;
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('the erasing process did not get going in 90 s')), 90_000);
          child.stdout.on('data', (d: Buffer) => {
            acknowledged += d.toString().split('\n').filter(Boolean).length;
            if (acknowledged >= 40) {
              clearTimeout(timer);
              child.kill('SIGKILL');
              resolve();
            }
          });
          child.once('exit', () => resolve());
        });
        await new Promise((r) =>
          child.exitCode === null && child.signalCode === null ? child.once('exit', r) : r(null),
        );
        expect(acknowledged).toBeGreaterThanOrEqual(40);

        // The next start finishes what the killed process left; then the rest is erased.
        const third = await openVault(config(), { warn: () => {} });
        await pool(crashed, 20, (s) => third.erase(s, { actor: 'dpo:test', reason: 'subjectRequest' }));
        await third.close();

        const live = await carve();
        const destroyed = rekeyed.length + retained.length + (erasedHere.length + crashed.length) * 2;
        expect(live.destroyedKeys).toBeGreaterThanOrEqual(destroyed);
        expect(live.recoveredKeys, 'destroyed keys carved out of the table files').toEqual([]);
        expect(live.recoveredValues).toBe(0);

        // The carver finds them where they are: in the WAL written meanwhile, while the epoch lasts.
        const wal = walSince((files as { wal: string }).wal, started - 1000);
        const withWal = await carve(wal);
        expect(withWal.recoveredKeys.length).toBeGreaterThan(0);
        expect(withWal.recoveredKeys.every((k) => wal.includes(k.file))).toBe(true);

        // Once the epoch in force at the erasures has ended, the WAL opens nothing either.
        const fourth = await openVault(config(), { warn: () => {} });
        await fourth.keyRing.rotateEpoch();
        await fourth.close();
        const after = await carve(wal);
        expect(after.recoveredKeys).toEqual([]);
        expect(after.recoveredValues).toBe(0);
      },
      900_000,
    );
  });
}
