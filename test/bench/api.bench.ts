import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

import {
  type CategorySpec,
  createLogger,
  fixtureRegister,
  mintDevToken,
  type OpenVaultOptions,
  type ProcessingRegister,
  startServer,
  SubjectReader,
  type Vault,
} from '@pdv/vault';

import { tempVault } from '../support/tempVault.js';

/**
 * The API under load: 50 connections against a server on port 0, driven from a second process, each scenario
 * for `seconds` (`BENCH_API_SECONDS`, default 2) in each of `BENCH_API_ROUNDS` rounds. Record and
 * read throughput are reported as ratios against a trivial query measured in the same round, so
 * the figures compare across machines. Embedded SQLite with the
 * default durability (synchronous FULL).
 */
const CONNECTIONS = 50;
/**
 * Rounds of the three scenarios; figures are the medians over rounds. `BENCH_API_ROUNDS`, default 9.
 * Many short rounds rather than a few long ones: a shared machine's speed drifts over tens of
 * seconds (the trivial query alone has moved by half within a minute), so a ratio of figures
 * taken 2 s apart, and the median of nine of them, moves much less than one of figures 5 s apart.
 */
const ROUNDS = Math.max(1, Number(process.env.BENCH_API_ROUNDS ?? 9));
/** Seconds of load per scenario before the rounds start (`BENCH_API_WARMUP_SECONDS`, default 4). */
const WARMUP_SECONDS = Math.max(1, Number(process.env.BENCH_API_WARMUP_SECONDS ?? 4));

/** `loopDelayP99` and `gcMsPerS` are the server's: what holds every request in flight at once. */
type Load = { rps: number; p99: number; cpuUs: number; elu: number; loopDelayP99: number; gcMsPerS: number };
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const CATEGORIES = 5;
const FIELDS = 4;

/** The fixture register plus five categories of four string fields each, readable for `contract`. */
export function benchRegister(): ProcessingRegister {
  const register = fixtureRegister();
  const base = register.categories.contact!;
  for (let c = 0; c < CATEGORIES; c++) {
    const name = `bench${c}`;
    const fields: CategorySpec['fields'] = {};
    for (let f = 0; f < FIELDS; f++) fields[`f${f}`] = { type: 'string', lookup: false, providedBySubject: true };
    register.categories[name] = {
      ...base,
      name,
      fields,
      purposes: ['contract'],
      retention: { duration: 'P5Y', trigger: { kind: 'recorded' } },
    };
  }
  return register;
}

/** One scenario, driven from a separate process (loadgen.ts) so client and server do not share an event loop. */
export async function load(
  url: string,
  token: string,
  kind: 'trivial' | 'read' | 'record' | 'trusted',
  ids: string[],
  seconds: number,
  documentId?: string,
): Promise<Load> {
  // BENCH_CPU_PROFILE=<dir>: the server's CPU profile of each scenario, as <dir>/<kind>.cpuprofile (Chrome DevTools).
  const profileDir = process.env.BENCH_CPU_PROFILE;
  const session = profileDir ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  const job = JSON.stringify({ url, token, kind, ids, seconds, connections: CONNECTIONS, documentId });
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  // How late the server's event loop runs (a GC pause, a long synchronous piece, the thread not
  // scheduled), and how long the collector paused it: both delay every request in flight.
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  let gcMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMs += e.duration;
  });
  gc.observe({ entryTypes: ['gc'] });
  const child = spawn(process.execPath, [fileURLToPath(new URL('./loadgen.js', import.meta.url)), job], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0).utilization;
  delay.disable();
  gc.disconnect();
  if (session) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(join(profileDir!, `${kind}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
  if (code !== 0) throw new Error(`load generator exited with ${code}`);
  const r = JSON.parse(out) as { rps: number; p99: number; non2xx: number; errors: number };
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`load run had ${r.non2xx} non-2xx answers and ${r.errors} errors`);
  const requests = r.rps * seconds;
  return {
    ...r,
    cpuUs: (cpu.user + cpu.system) / requests,
    elu,
    loopDelayP99: delay.percentile(99) / 1e6,
    gcMsPerS: gcMs / seconds,
  };
}

/** µs per `reader.read` of one subject with its 20 values opened, the median of 5 passes over the readers. */
async function readerCost(reader: Pick<Vault['reader'], 'read'>, ids: string[]): Promise<number> {
  const request = { purpose: 'contract', callerPurposes: ['contract'] };
  const passes: number[] = [];
  for (let pass = 0; pass < 5; pass++) {
    const n = 5_000;
    const t0 = process.hrtime.bigint();
    let opened = 0;
    for (let i = 0; i < n; i++) {
      const read = (await reader.read([ids[i % ids.length]!], request)).values().next().value!;
      // Values open on first use (as when GraphQL resolves `value`): use each one.
      for (const item of read.items) if (item.status === 'VALUE' && item.value !== undefined) opened++;
    }
    if (opened !== n * CATEGORIES * FIELDS)
      throw new Error(`reader bench opened ${opened} values, not ${n * CATEGORIES * FIELDS}`);
    passes.push(Number(process.hrtime.bigint() - t0) / 1000 / n);
  }
  return median(passes);
}

/** What a load scenario needs: a server on port 0 with subjects to read (20 values each) and to record into. */
export interface ApiBenchSetup {
  vault: Vault;
  url: string;
  token: string;
  readers: string[];
  writers: string[];
  close(): Promise<void>;
}

/**
 * A vault (embedded, `live`) behind a server without rate limit or write budget (the load generator is one principal
 * sending as fast as it can), 100 subjects holding 20 values in 5 categories to read and 400 to record into (spread, so
 * writers rarely meet on one stream). `prepare` runs on the vault before the server starts; `vaultOptions` go to
 * `openVault` (the observability benchmark's metrics).
 */
export async function setupApiBench(
  prepare?: (vault: Vault) => Promise<void>,
  vaultOptions: OpenVaultOptions = {},
): Promise<ApiBenchSetup> {
  const { vault, config, cleanup } = await tempVault({ register: benchRegister(), live: true, ...vaultOptions });
  await prepare?.(vault);
  const server = await startServer(vault, {
    port: 0,
    logger: createLogger({ level: 'warn' }),
    rateLimitPerMinute: 0,
    writeBudget: { commandsPerMinute: 0, itemsPerMinute: 0 },
  });
  const close = async () => {
    await server.close();
    await cleanup();
  };
  try {
    const token = await mintDevToken(config, { role: 'service', name: 'bench', purposes: ['contract'] });
    const gql = async (query: string, variables: Record<string, unknown>) => {
      const res = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      const json = (await res.json()) as { data?: any; errors?: unknown[] };
      if (json.errors) throw new Error(`bench setup failed: ${JSON.stringify(json.errors)}`);
      return json.data;
    };
    const readers: string[] = [];
    const writers: string[] = [];
    for (let i = 0; i < 500; i++) {
      const id = (await gql('mutation { registerSubject { subjectId } }', {})).registerSubject.subjectId as string;
      if (i < 100) {
        const items = [];
        for (let c = 0; c < CATEGORIES; c++)
          for (let f = 0; f < FIELDS; f++)
            items.push({
              category: `bench${c}`,
              field: `f${f}`,
              value: `value ${i}-${c}-${f}`,
              purpose: 'contract',
              legalBasis: 'contract',
              source: 'subject',
            });
        await gql(
          'mutation($id: ID!, $items: [PersonalDataInput!]!) { recordPersonalData(subjectId: $id, items: $items) { ' +
            'revision } }',
          { id, items },
        );
        readers.push(id);
      } else writers.push(id);
    }
    const readQuery =
      'query($id: ID!) { subject(id: $id, purpose: "contract") { id items { status category field ... on ' +
      'PersonalDataValue { value } } } }';
    const read = await gql(readQuery, { id: readers[0] });
    if (read.subject.items.filter((i: { status: string }) => i.status === 'VALUE').length !== CATEGORIES * FIELDS)
      throw new Error('bench subject does not read 20 values');
    return { vault, url: server.url, token, readers, writers, close };
  } catch (e) {
    await close();
    throw e;
  }
}

export async function runApiBench(options: { seconds?: number } = {}): Promise<Record<string, number>> {
  const seconds = options.seconds ?? Number(process.env.BENCH_API_SECONDS ?? 2);
  const setup = await setupApiBench();
  const { vault, url, token, readers, writers } = setup;
  try {
    if (process.env.BENCH_API_ONLY) {
      // BENCH_API_ONLY=read or a list (read,read,trivial): those scenarios alone, in order, for profiling.
      const out: Record<string, number> = {};
      for (const [i, only] of (process.env.BENCH_API_ONLY.split(',') as ('trivial' | 'read' | 'record')[]).entries()) {
        const o = await load(url, token, only, only === 'read' ? readers : writers, seconds);
        Object.assign(out, {
          [`${i}_${only}_rps`]: o.rps,
          [`${i}_${only}_p99_ms`]: o.p99,
          [`${i}_${only}_cpu_us`]: Math.round(o.cpuUs),
          [`${i}_${only}_elu`]: Number(o.elu.toFixed(2)),
          [`${i}_${only}_loop_delay_p99_ms`]: o.loopDelayP99,
          [`${i}_${only}_gc_ms_per_s`]: o.gcMsPerS,
        });
      }
      return out;
    }
    // Warm-up: every path compiled and its statements prepared before the first round counts. Each
    // scenario runs slower for its first seconds (trivial 2,500 then 3,700 req/s in 4 s runs, record
    // 1,750 then 2,000): a second of it left the first rounds still warming.
    for (const kind of ['trivial', 'record', 'read'] as const)
      await load(url, token, kind, kind === 'read' ? readers : kind === 'record' ? writers : [], WARMUP_SECONDS);
    // Rounds of trivial, record, read back to back: each ratio compares figures taken seconds
    // apart, and the median of the rounds' ratios stands, so one noisy stretch moves it little.
    const rounds: { t: Load; r: Load; q: Load }[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const t = await load(url, token, 'trivial', [], seconds);
      const r = await load(url, token, 'record', writers, seconds);
      const q = await load(url, token, 'read', readers, seconds);
      rounds.push({ t, r, q });
    }
    // The reader alone (snapshot check, 20 values opened, items built) for one subject, no HTTP or GraphQL: the share
    // of a read the crypto and reader take.
    // Kept snapshots (as in the read scenario: its 100 subjects are read again and again, so their values are boxed),
    // and none kept (every read loads and parses its snapshot and opens each value: a subject read once).
    const readerUs = await readerCost(vault.reader, readers);
    const coldReaderUs = await readerCost(
      new SubjectReader(
        { views: vault.stores.views, keyRing: vault.keyRing, register: vault.register },
        { snapshotCacheSize: 0 },
      ),
      readers,
    );
    const med = (f: (x: (typeof rounds)[number]) => number) => median(rounds.map(f));
    const spread = (f: (x: (typeof rounds)[number]) => number) => rounds.map(f).sort((a, b) => a - b);
    const recordRatios = spread((x) => x.r.rps / x.t.rps);
    const readRatios = spread((x) => x.q.rps / x.t.rps);
    return {
      api_rounds: ROUNDS,
      api_seconds_per_scenario: seconds,
      api_trivial_rps: med((x) => x.t.rps),
      api_trivial_p99_ms: med((x) => x.t.p99),
      api_record_rps: med((x) => x.r.rps),
      api_record_p99_ms: med((x) => x.r.p99),
      api_record_ratio_vs_trivial: med((x) => x.r.rps / x.t.rps),
      api_read20_rps: med((x) => x.q.rps),
      api_read20_p99_ms: med((x) => x.q.p99),
      api_read20_ratio_vs_trivial: med((x) => x.q.rps / x.t.rps),
      // The rounds' lowest and highest ratios: how much the machine moved during the run.
      api_record_ratio_min: recordRatios[0]!,
      api_record_ratio_max: recordRatios[recordRatios.length - 1]!,
      api_read20_ratio_min: readRatios[0]!,
      api_read20_ratio_max: readRatios[readRatios.length - 1]!,
      // Server CPU (all its threads) per request, in µs: where the time goes, next to the rates.
      api_trivial_cpu_us: med((x) => x.t.cpuUs),
      api_record_cpu_us: med((x) => x.r.cpuUs),
      api_read20_cpu_us: med((x) => x.q.cpuUs),
      // The server's event loop: its p99 lateness (sampled every ms) and the GC's pauses per second of load.
      api_trivial_loop_delay_p99_ms: med((x) => x.t.loopDelayP99),
      api_record_loop_delay_p99_ms: med((x) => x.r.loopDelayP99),
      api_read20_loop_delay_p99_ms: med((x) => x.q.loopDelayP99),
      api_trivial_gc_ms_per_s: med((x) => x.t.gcMsPerS),
      api_record_gc_ms_per_s: med((x) => x.r.gcMsPerS),
      api_read20_gc_ms_per_s: med((x) => x.q.gcMsPerS),
      reader_read20_us: readerUs,
      reader_read20_uncached_us: coldReaderUs,
    };
  } finally {
    await setup.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(await runApiBench());
}
