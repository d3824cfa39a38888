import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { importSubjects, NO_STREAM, openVault, uuidv7, type Vault } from '@pdv/vault';
import nacl from 'tweetnacl';

import { dropSchema, freshSchema, probePostgres, TEST_POSTGRES_URL } from '../support/postgres.js';
import { tempVault } from '../support/tempVault.js';

type Figures = Record<string, number>;

const SUBJECTS = 4_000;
/** Lines in flight, as `vault import` runs by default, and as many writers for the raw appends. */
const WRITERS = 256;
const T = '2021-03-01T00:00:00Z';

/** A migration's line: name, email and phone on contract; every other subject also subscribed on consent. */
function line(i: number): string {
  const field = (category: string, name: string, value: string, purpose: string, legalBasis: string) => ({
    category,
    field: name,
    value,
    purpose,
    legalBasis,
    source: 'subject',
    collectedAt: T,
  });
  const fields = [
    field('contact', 'name', `Person ${i}`, 'contract', 'contract'),
    field('contact', 'email', `p${i}@example.com`, 'contract', 'contract'),
    field('contact', 'phone', `+3120${String(1_000_000 + i)}`, 'contract', 'contract'),
  ];
  if (i % 2 === 1) return JSON.stringify({ externalId: `crm-${i}`, fields });
  fields.push(field('newsletterSubscription', 'email', `n${i}@example.com`, 'newsletter', 'consent'));
  const consents = [
    { purpose: 'newsletter', noticeId: 'privacy-notice', noticeVersion: '2021-01', channel: 'webForm', givenAt: T },
  ];
  return JSON.stringify({ externalId: `crm-${i}`, fields, consents });
}

/** The log's raw batched append rate: 256 writers, each appending one event of 200 bytes to a new stream, no checks. */
async function rawAppendRate(vault: Vault, events: number): Promise<number> {
  const log = vault.stores.log;
  const data = { v: 'x'.repeat(200) };
  const t = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (next < events) {
        next += 1;
        const metadata = { actor: 'bench', at: new Date().toISOString() };
        await log.append(`raw-${uuidv7()}`, [{ id: uuidv7(), type: 'BenchEvent', data, metadata }], NO_STREAM);
      }
    }),
  );
  return events / ((performance.now() - t) / 1000);
}

async function* lines(count: number): AsyncGenerator<string> {
  for (let i = 1; i <= count; i++) yield line(i);
}

/**
 * `vault import`'s engine on the embedded default, and on PostgreSQL alone where it answers at
 * TEST_POSTGRES_URL, in fields a second sealed, validated, appended and projected, against the
 * event log's raw batched append rate measured before and after it in the same vault (the mean of
 * the two). Acceptance (issue 25): at least 0.3 on each.
 */
export async function importBench(): Promise<Figures> {
  const embedded = await tempVault();
  const figures = await measureImport(embedded.vault, 'import').finally(() => embedded.cleanup());
  const probe = await probePostgres();
  if (!probe.ok) {
    console.log(`  (import on PostgreSQL skipped: ${probe.reason})`);
    return figures;
  }
  const schema = freshSchema('pdv_bench_import');
  const dataDir = mkdtempSync(join(tmpdir(), 'pdv-bench-'));
  try {
    const vault = await openVault(
      {
        dataDir,
        masterKey: Buffer.from(nacl.randomBytes(32)).toString('base64'),
        synchronous: 'FULL',
        port: 0,
        logLevel: 'silent',
        eventStore: 'postgres',
        stateStore: 'postgres',
        postgresUrl: TEST_POSTGRES_URL,
        postgresSchema: schema,
      },
      { warn: () => {} },
    );
    return { ...figures, ...(await measureImport(vault, 'import_postgres').finally(() => vault.close())) };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    await dropSchema(schema);
  }
}

/** One vault's figures, named `<prefix>_…`. */
async function measureImport(vault: Vault, prefix: string): Promise<Figures> {
  const before = await rawAppendRate(vault, 10_000);
  await vault.projector.catchUp();
  await vault.projector.start();
  const t = performance.now();
  const counts = await importSubjects(
    { log: vault.stores.log, keyRing: vault.keyRing, register: vault.register, now: () => vault.now() },
    lines(SUBJECTS),
    { concurrency: WRITERS },
  );
  await vault.projector.waitFor(await vault.stores.log.headPosition(), 600_000);
  const seconds = (performance.now() - t) / 1000;
  if (counts.imported !== SUBJECTS) throw new Error(`imported ${counts.imported} of ${SUBJECTS}`);
  await vault.projector.stop();
  const after = await rawAppendRate(vault, 10_000);
  const raw = (before + after) / 2;
  const fieldsPerSecond = counts.fields / seconds;
  return {
    [`${prefix}_subjects`]: SUBJECTS,
    [`${prefix}_fields_per_s`]: Math.round(fieldsPerSecond),
    [`${prefix}_subjects_per_s`]: Math.round(SUBJECTS / seconds),
    [`${prefix}_raw_append_events_per_s`]: Math.round(raw),
    [`${prefix}_ratio_fields_vs_raw_append`]: fieldsPerSecond / raw,
  };
}
