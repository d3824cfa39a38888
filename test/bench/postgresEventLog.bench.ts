import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { type EventLog, getPostgresEventLog, getSqliteEventLog, type NewEvent } from '@pdv/vault';
import pg from 'pg';

import { probePostgres } from '../support/postgres.js';

/**
 * Append throughput of the PostgreSQL event log against the embedded SQLite log, in one run:
 * appends of one event and of ten, `IN_FLIGHT` at a time, to 500 streams, each event carrying a
 * payload the size of a sealed value. Then a read of the whole log from position 0. Suite
 * `eventlog` of `npm run bench` (PostgreSQL at TEST_POSTGRES_URL; without it, the SQLite figures
 * alone, and the reason printed).
 */
const URL_ = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const IN_FLIGHT = 16;
const STREAMS = 500;

const payload = () => ({ sealed: randomBytes(160).toString('base64'), keyId: randomBytes(8).toString('hex') });
const event = (): NewEvent => ({
  id: randomBytes(12).toString('hex'),
  type: 'PersonalDataRecorded',
  data: payload(),
  metadata: { actor: 'bench', at: new Date().toISOString() },
});

/** Events a second for `appends` appends of `perAppend` events, `IN_FLIGHT` at a time. */
async function appendRate(log: EventLog, appends: number, perAppend: number, tag: string): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < appends) {
        const n = next++;
        // ANY: two appends to one stream queue on its lock instead of conflicting.
        await log.append(`${tag}-${n % STREAMS}`, Array.from({ length: perAppend }, event), 'any');
      }
    }),
  );
  return (appends * perAppend) / ((performance.now() - started) / 1000);
}

async function readRate(log: EventLog): Promise<number> {
  let after = 0;
  let count = 0;
  const started = performance.now();
  for (;;) {
    const page = await log.readAll({ after, maxCount: 1000 });
    if (page.length === 0) break;
    count += page.length;
    after = page[page.length - 1]!.position;
  }
  return count / ((performance.now() - started) / 1000);
}

async function measure(log: EventLog): Promise<Record<string, number>> {
  await appendRate(log, 500, 1, 'warm');
  return {
    singleEventsPerSec: await appendRate(log, 4000, 1, 'single'),
    batchedEventsPerSec: await appendRate(log, 800, 10, 'batch'),
    readAllEventsPerSec: await readRate(log),
  };
}

export async function postgresEventLogBench(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'pdv-bench-log-'));
  const schema = `pdv_bench_${randomBytes(4).toString('hex')}`;
  const sqlite = getSqliteEventLog({ path: join(dir, 'events.db'), synchronous: 'FULL' });
  const probe = await probePostgres(URL_);
  if (!probe.ok) {
    console.log(`  (event log on PostgreSQL skipped: ${probe.reason})`);
    try {
      const s = await measure(sqlite);
      return Object.fromEntries(Object.entries(s).map(([k, v]) => [`eventLog_sqlite_${k}`, Math.round(v)]));
    } finally {
      await sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const postgres = await getPostgresEventLog({ connectionString: URL_, schema, maxConnections: IN_FLIGHT });
  try {
    const s = await measure(sqlite);
    const p = await measure(postgres);
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(s)) out[`eventLog_sqlite_${k}`] = Math.round(v);
    for (const [k, v] of Object.entries(p)) out[`eventLog_postgres_${k}`] = Math.round(v);
    out.eventLog_postgres_to_sqlite_single = p.singleEventsPerSec! / s.singleEventsPerSec!;
    out.eventLog_postgres_to_sqlite_batched = p.batchedEventsPerSec! / s.batchedEventsPerSec!;
    return out;
  } finally {
    await Promise.allSettled([sqlite.close(), postgres.close()]);
    rmSync(dir, { recursive: true, force: true });
    const c = new pg.Client({ connectionString: URL_ });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(await postgresEventLogBench());
}
