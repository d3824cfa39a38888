import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import nacl from 'tweetnacl';
import { afterEach, describe, expect, it } from 'vitest';

import { dropSchema, freshSchema, probePostgres, TEST_POSTGRES_URL } from '../support/postgres.js';
import { tempVault } from '../support/tempVault.js';
import {
  allEvents,
  expectEverySubjectOnce,
  importKilledAndResumed,
  KILL_AND_RESUME_MS,
  writeValidLines,
} from './importRuns.js';

/**
 * `vault import` as the CLI it is, on PostgreSQL alone (`VAULT_EVENT_STORE=postgres`, `VAULT_STATE_STORE=postgres`),
 * each test in a fresh schema of `TEST_POSTGRES_URL`: the embedded suite's crash and resume (import.int.test.ts)
 * against the log, the keys and the read models a PostgreSQL deployment keeps.
 */
const probe = await probePostgres();

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function freshPostgresEnv() {
  const dir = mkdtempSync(join(tmpdir(), 'pdv-import-pg-'));
  const schema = freshSchema('pdv_import');
  cleanups.push(async () => {
    await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  });
  const masterKey = Buffer.from(nacl.randomBytes(32)).toString('base64');
  const env = {
    ...process.env,
    VAULT_DATA_DIR: join(dir, 'data'),
    VAULT_MASTER_KEY: masterKey,
    VAULT_EVENT_STORE: 'postgres',
    VAULT_STATE_STORE: 'postgres',
    VAULT_POSTGRES_URL: TEST_POSTGRES_URL,
    VAULT_POSTGRES_SCHEMA: schema,
    VAULT_LOG_LEVEL: 'silent',
  };
  const open = () =>
    tempVault({
      dataDir: env.VAULT_DATA_DIR,
      masterKey,
      config: {
        eventStore: 'postgres',
        stateStore: 'postgres',
        postgresUrl: TEST_POSTGRES_URL,
        postgresSchema: schema,
      },
    });
  return { dir, env, open };
}

if (!probe.ok) {
  describe.skip(`vault import on PostgreSQL (skipped: ${probe.reason})`, () => {
    it('resumed after a SIGKILL mid-run, ends with every subject once and none half written', () => {});
  });
} else {
  describe('vault import on PostgreSQL', () => {
    it(
      'resumed after a SIGKILL mid-run, ends with every subject once and none half written',
      async () => {
        const { dir, env, open } = freshPostgresEnv();
        const count = 3_000;
        const file = join(dir, 'subjects.ndjson');
        writeValidLines(file, count);

        await importKilledAndResumed(file, count, env);

        const { vault, cleanup } = await open();
        try {
          const events = await allEvents(vault);
          expectEverySubjectOnce(events, count);
          // The read models the resumed run left hold every subject once, its values readable under its own key.
          const ids = events
            .filter((e) => e.type === 'SubjectRegistered')
            .map((e) => (e.data as { subjectId: string }).subjectId);
          const emails: unknown[] = [];
          for (let i = 0; i < ids.length; i += 500) {
            const read = await vault.reader.read(ids.slice(i, i + 500), { purpose: 'contract', callerPurposes: 'all' });
            for (const r of read.values()) {
              const email = r.items.find((it) => it.category === 'contact' && it.field === 'email');
              emails.push(email?.status === 'VALUE' ? (email as { value: unknown }).value : email?.status);
            }
          }
          expect(emails).toHaveLength(count);
          expect(new Set(emails)).toEqual(new Set(Array.from({ length: count }, (_, i) => `p${i + 1}@example.com`)));
        } finally {
          await cleanup();
        }
      },
      KILL_AND_RESUME_MS,
    );
  });
}
