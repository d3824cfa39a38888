import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  createLogger,
  importSubjects,
  mintDevToken,
  NO_STREAM,
  startServer,
  uuidv7,
  type Vault,
  type VaultConfig,
} from '@pdv/vault';
import pg from 'pg';

import { dropSchema, freshSchema, probePostgres, TEST_POSTGRES_URL } from '../support/postgres.js';
import { tempVault } from '../support/tempVault.js';
import { benchRegister, load } from './api.bench.js';

/**
 * `npm run bench:scale`: the cost curve (issue 25). At each size (`BENCH_SCALE_SIZES`, default
 * 10000,100000,pg:10000; a `pg:` size runs on PostgreSQL's event log and state stores, in a fresh schema of
 * `TEST_POSTGRES_URL`, and is skipped with the reason when no server answers) a fresh vault imports that many
 * subjects (10 fields in 5 categories, 11 events each) through `vault import`'s engine, then measures, each against
 * a baseline of the same run: the import rate against the log's raw batched appends; record and read throughput
 * and read p99 against the trivial query (the API benchmark's load generator, in its own
 * process); lookup by email; the time a restarted server takes to be ready; the rebuild rate
 * against a raw scan of the log; resident memory and disk per subject. Figures go to
 * bench-scale-results.json at the repository root, merged as `npm run bench` merges its own.
 */
type Backend = 'sqlite' | 'postgres';
/** The prefix of a size's figures in bench-scale-results.json. */
const keyOf = (size: number, backend: Backend) => (backend === 'postgres' ? `scale_pg_${size}` : `scale_${size}`);
const SIZES = (process.env.BENCH_SCALE_SIZES ?? '10000,100000,pg:10000').split(',').map((s) => {
  const [, pgPrefix, n] = /^(pg:)?(\d+)$/.exec(s.trim()) ?? [];
  if (!n) throw new Error(`BENCH_SCALE_SIZES: "${s}" is neither a number of subjects nor pg:<number>`);
  const backend: Backend = pgPrefix ? 'postgres' : 'sqlite';
  return { size: Number(n), backend };
});
const LOAD_SECONDS = Number(process.env.BENCH_SCALE_LOAD_SECONDS ?? 3);
const ROUNDS = 3;
const T = '2021-03-01T00:00:00Z';
type Figures = Record<string, number>;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p99 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)]!;
const email = (i: number) => `s${i}@example.com`;

/** Subject `i`: name and email in `contact`, two fields in each of bench0..bench3, all on contract. */
function line(i: number): string {
  const field = (category: string, name: string, value: string) => ({
    category,
    field: name,
    value,
    purpose: 'contract',
    legalBasis: 'contract',
    source: 'subject',
    collectedAt: T,
  });
  const fields = [field('contact', 'email', email(i)), field('contact', 'name', `Person ${i}`)];
  for (let c = 0; c < 4; c++) for (let f = 0; f < 2; f++) fields.push(field(`bench${c}`, `f${f}`, `v${i}-${c}-${f}`));
  return JSON.stringify({ externalId: `scale-${i}`, fields });
}

async function* lines(count: number): AsyncGenerator<string> {
  for (let i = 1; i <= count; i++) yield line(i);
}

/** The log's raw batched append rate: 256 writers, one event of 200 bytes each to a new stream, no checks. */
async function rawAppendRate(vault: Vault, events: number): Promise<number> {
  const data = { v: 'x'.repeat(200) };
  const t = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 256 }, async () => {
      while (next < events) {
        next += 1;
        const metadata = { actor: 'bench', at: new Date().toISOString() };
        await vault.stores.log.append(
          `raw-${uuidv7()}`,
          [{ id: uuidv7(), type: 'BenchEvent', data, metadata }],
          NO_STREAM,
        );
      }
    }),
  );
  return events / ((performance.now() - t) / 1000);
}

async function importFigures(vault: Vault, size: number): Promise<Figures> {
  const before = await rawAppendRate(vault, 10_000);
  await vault.projector.catchUp();
  const t = performance.now();
  const counts = await importSubjects(
    { log: vault.stores.log, keyRing: vault.keyRing, register: vault.register, now: () => vault.now() },
    lines(size),
    { concurrency: 256 },
  );
  await vault.projector.waitFor(await vault.stores.log.headPosition(), 3_600_000);
  const seconds = (performance.now() - t) / 1000;
  if (counts.imported !== size) throw new Error(`imported ${counts.imported} of ${size}`);
  const after = await rawAppendRate(vault, 10_000);
  const raw = (before + after) / 2;
  return {
    import_fields_per_s: Math.round(counts.fields / seconds),
    import_raw_append_events_per_s: Math.round(raw),
    import_ratio_vs_raw_append: counts.fields / seconds / raw,
  };
}

async function gql(url: string, token: string, query: string, variables: object = {}) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const json = (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  if (json.errors) throw new Error(`scale bench: ${JSON.stringify(json.errors)}`);
  return json.data!;
}

/** Throughput and p99 of read and record against the trivial query, the median of three rounds. */
async function apiFigures(url: string, token: string, size: number): Promise<Figures> {
  // Subjects spread over the whole vault, found by their email as a service would.
  const ids: string[] = [];
  const lookups: number[] = [];
  const find = 'query($e: String!) { findSubjects(identifier: { email: $e }, purpose: "contract") { id } }';
  for (let k = 0; k < 500; k++) {
    const i = 1 + Math.floor((k * size) / 500);
    const t = performance.now();
    const found = (await gql(url, token, find, { e: email(i) })).findSubjects as { id: string }[];
    lookups.push(performance.now() - t);
    if (found.length !== 1) throw new Error(`lookup of subject ${i} found ${found.length}`);
    ids.push(found[0]!.id);
  }
  const rounds: Figures[] = [];
  await load(url, token, 'trivial', ids, 2);
  for (let r = 0; r < ROUNDS; r++) {
    const trivial = await load(url, token, 'trivial', ids, LOAD_SECONDS);
    const read = await load(url, token, 'read', ids, LOAD_SECONDS);
    const record = await load(url, token, 'record', ids, LOAD_SECONDS);
    rounds.push({
      read_ratio: read.rps / trivial.rps,
      record_ratio: record.rps / trivial.rps,
      read_p99_ms: read.p99,
      trivial_p99_ms: trivial.p99,
      read_rps: read.rps,
      record_rps: record.rps,
    });
  }
  const m = (k: string) => median(rounds.map((r) => r[k]!));
  return {
    lookup_by_email_p99_ms: p99(lookups),
    read_ratio_vs_trivial: m('read_ratio'),
    record_ratio_vs_trivial: m('record_ratio'),
    read_p99_ms: m('read_p99_ms'),
    trivial_p99_ms: m('trivial_p99_ms'),
    read_rps: Math.round(m('read_rps')),
    record_rps: Math.round(m('record_rps')),
  };
}

function bytesUnder(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    total += e.isDirectory() ? bytesUnder(path) : statSync(path).size;
  }
  return total;
}

/** Closes the vault and its server, then times a new one on the same data directory until /readyz says 200. */
async function restartFigures(
  config: VaultConfig & { masterKey: string },
): Promise<{ figures: Figures; vault: Vault }> {
  const t = performance.now();
  const { dataDir, masterKey, ...rest } = config;
  const { vault } = await tempVault({ dataDir, masterKey, config: rest, register: benchRegister(), live: true });
  const server = await startServer(vault, { port: 0, logger: createLogger({ level: 'warn' }) });
  const token = await mintDevToken(config, { role: 'dpo', name: 'bench' });
  for (;;) {
    const res = await fetch(`${server.url}/readyz`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status === 200) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const readyS = (performance.now() - t) / 1000;
  await server.close();
  return { figures: { restart_to_ready_s: readyS }, vault };
}

/** Rebuild rate against reading and parsing the same log without projecting it. */
async function rebuildFigures(vault: Vault): Promise<Figures> {
  globalThis.gc?.();
  let t = performance.now();
  let scanned = 0;
  for (let after = 0; ;) {
    const page = await vault.stores.log.readAll({ after, maxCount: 5000 });
    if (page.length === 0) break;
    scanned += page.length;
    after = page[page.length - 1]!.position;
  }
  const scanRate = scanned / ((performance.now() - t) / 1000);
  vault.keyRing.clearCache();
  t = performance.now();
  const count = await vault.projector.rebuild();
  const rate = count / ((performance.now() - t) / 1000);
  return {
    rebuild_events_per_s: Math.round(rate),
    log_scan_events_per_s: Math.round(scanRate),
    rebuild_ratio_vs_log_scan: rate / scanRate,
  };
}

/** Bytes of every table, index and TOAST table in the schema. */
async function schemaBytes(schema: string): Promise<number> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ bytes: string | null }>(
      `SELECT sum(pg_total_relation_size(c.oid)) AS bytes FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')`,
      [schema],
    );
    return Number(rows[0]?.bytes ?? 0);
  } finally {
    await client.end();
  }
}

/** The stores' settings of a backend, and how to measure and drop what it keeps outside the data directory. */
function storesOf(backend: Backend): {
  config: Partial<VaultConfig>;
  bytes: () => Promise<number>;
  drop: () => Promise<void>;
} {
  if (backend === 'sqlite') return { config: {}, bytes: async () => 0, drop: async () => {} };
  const postgresSchema = freshSchema('pdv_scale');
  return {
    config: { eventStore: 'postgres', stateStore: 'postgres', postgresUrl: TEST_POSTGRES_URL, postgresSchema },
    bytes: () => schemaBytes(postgresSchema),
    drop: () => dropSchema(postgresSchema),
  };
}

async function atSize(size: number, backend: Backend): Promise<Figures> {
  const stores = storesOf(backend);
  const { vault, config, cleanup } = await tempVault({ register: benchRegister(), live: true, config: stores.config });
  let current = vault;
  try {
    const imported = await importFigures(vault, size);
    const server = await startServer(vault, {
      port: 0,
      logger: createLogger({ level: 'warn' }),
      rateLimitPerMinute: 0,
      writeBudget: { commandsPerMinute: 0, itemsPerMinute: 0 },
    });
    const token = await mintDevToken(config, { role: 'service', name: 'bench', purposes: ['contract'] });
    const api = await apiFigures(server.url, token, size).finally(() => server.close());
    globalThis.gc?.();
    const rss = process.memoryUsage().rss;
    await vault.close();
    const disk = bytesUnder(config.dataDir) + (await stores.bytes());
    const restarted = await restartFigures(config);
    current = restarted.vault;
    const rebuilt = await rebuildFigures(current);
    const all: Figures = {
      subjects: size,
      ...imported,
      ...api,
      ...restarted.figures,
      ...rebuilt,
      rss_mb: Math.round(rss / 2 ** 20),
      disk_bytes_per_subject: Math.round(disk / size),
    };
    return Object.fromEntries(Object.entries(all).map(([k, v]) => [`${keyOf(size, backend)}_${k}`, v]));
  } finally {
    await current.close().catch(() => {});
    await cleanup();
    await stores.drop();
  }
}

let root = new URL('..', import.meta.url);
while (!existsSync(new URL('turbo.json', root))) root = new URL('..', root);
const out = new URL('bench-scale-results.json', root);
const results: Record<string, number | string> = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : {};
const postgres = SIZES.some((s) => s.backend === 'postgres') ? await probePostgres() : { ok: true as const };
for (const { size, backend } of SIZES) {
  const name = backend === 'postgres' ? `pg:${size}` : String(size);
  if (backend === 'postgres' && !postgres.ok) {
    console.log(`scale ${name}: skipped (${postgres.reason})`);
    continue;
  }
  process.stdout.write(`scale ${name}… `);
  const figures = await atSize(size, backend);
  console.log('done');
  for (const [k, v] of Object.entries(figures)) {
    results[k] = Number.isInteger(v) ? v : Number(v.toFixed(3));
    console.log(`  ${k}: ${results[k]}`);
  }
  results[`${keyOf(size, backend)}_measured_at`] = new Date().toISOString();
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
}
results.machine = `${(await import('node:os')).cpus().length} cores, node ${process.version}`;
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
console.log('written to bench-scale-results.json');
