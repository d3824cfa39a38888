import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

import { load } from './api.bench.js';

/**
 * What observability costs the API (issue 28): the record and read scenarios of the API benchmark against four
 * copies of the same API, each in a process of its own, in the same run: both off, tracing on (every request
 * traced, exported by OTLP/HTTP protobuf with the SDK's default batching to a sink in another process), metrics on,
 * and both on. Rounds visit the four in a rotating order, each scenario for `BENCH_API_SECONDS` (default 2); a
 * figure is the median over `BENCH_OBS_ROUNDS` rounds (default 5) of the variant's rate over the off copy's rate in
 * the same round. Target: at most 5% lower (ratios of 0.95 or more). Beside it, the server's CPU per request, and the
 * off copy's over the variant's (`…_cpu_ratio_vs_off`), which the machine's other load moves far less than the rates.
 *
 * Tracing off is the off copy: no SDK loaded, no store wrapped; the code left on its path is one test of a module
 * variable per GraphQL operation, whose cost is measured directly (`obs_tracing_off_ns_per_operation`).
 */

export type Child = ChildProcessByStdio<Writable, Readable, null>;

const ROUNDS = Math.max(1, Number(process.env.BENCH_OBS_ROUNDS ?? 5));
const WARMUP_SECONDS = Math.max(1, Number(process.env.BENCH_API_WARMUP_SECONDS ?? 4));

export type Variant = 'off' | 'tracing' | 'metrics' | 'both';
const ALL_VARIANTS: readonly Variant[] = ['off', 'tracing', 'metrics', 'both'];
/** `BENCH_OBS_VARIANTS=tracing` runs only the copies named, beside the off copy (default: all four). */
const NAMED = process.env.BENCH_OBS_VARIANTS?.split(',').map((v) => v.trim());
export const VARIANTS = NAMED ? ALL_VARIANTS.filter((v) => v === 'off' || NAMED.includes(v)) : ALL_VARIANTS;

export interface Worker {
  child: Child;
  info: { url: string; token: string; readers: string[]; writers: string[]; metrics: boolean };
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/**
 * Starts a compiled bench module as a child and resolves with the first JSON line it prints; `wrap`: a command and
 * its arguments that run Node (valgrind), `nodeFlags` before the module's path.
 */
export function startChild<T>(
  module: string,
  env: NodeJS.ProcessEnv,
  { wrap = [], nodeFlags = [] }: { wrap?: string[]; nodeFlags?: string[] } = {},
): Promise<{ child: Child; info: T }> {
  const args = [...nodeFlags, '--max-semi-space-size=64', fileURLToPath(new URL(module, import.meta.url))];
  const [command, ...rest] = [...wrap, process.execPath, ...args];
  const child = spawn(command!, rest, { env, stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ child, info: JSON.parse(line) as T });
    });
    child.once('exit', (code) => reject(new Error(`${module} exited with ${code} before it was ready`)));
  });
}

export const stop = (child: Child) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.stdin.end();
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  });

/** The environment of a variant's server: tracing exported to the sink at `sinkPort`, metrics, both or neither. */
export function variantEnv(v: Variant, sinkPort: number): NodeJS.ProcessEnv {
  const tracing = v === 'tracing' || v === 'both';
  return {
    ...process.env,
    BENCH_OBS_TRACING: tracing ? 'on' : 'off',
    BENCH_OBS_METRICS: v === 'metrics' || v === 'both' ? 'on' : 'off',
    ...(tracing ? { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sinkPort}` } : {}),
  };
}

/**
 * ns that tracing off adds to a GraphQL operation: the executor's `tracingEnabled() ? inSpan(…) : run()` against
 * `run()` alone, over 10 million calls each, the median of 5 passes.
 */
async function tracingOffCost(): Promise<number> {
  const { inSpan, tracingEnabled } = await import('@pdv/vault/tracing');
  const N = 10_000_000;
  let sink = 0;
  const run = () => (sink += 1);
  const passes: number[] = [];
  for (let pass = 0; pass < 5; pass++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) {
      const op = () => run();
      if (tracingEnabled()) inSpan('graphql.execute', {}, op);
      else op();
    }
    const t1 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) {
      const op = () => run();
      op();
    }
    const t2 = process.hrtime.bigint();
    passes.push(Number(t1 - t0 - (t2 - t1)) / N);
  }
  if (sink !== 10 * N) throw new Error('the tracing-off loop did not run every call');
  return Math.max(0, median(passes));
}

export async function observabilityBench(): Promise<Record<string, number>> {
  const seconds = Number(process.env.BENCH_API_SECONDS ?? 2);
  const sink = await startChild<{ port: number }>('./otlpSink.js', process.env);
  const workers = new Map<Variant, Worker>();
  try {
    // One at a time: each fills its vault through its own API, which loads the machine.
    for (const v of VARIANTS)
      workers.set(v, await startChild<Worker['info']>('./observabilityServer.js', variantEnv(v, sink.info.port)));
    const hasMetrics = [...workers.values()].some((w) => w.info.metrics);
    if (!hasMetrics && VARIANTS.includes('metrics'))
      console.log('\n  (this build of the vault has no Prometheus metrics: the metrics copies run without)');
    const run = async (v: Variant, kind: 'record' | 'read', s: number) => {
      const { child, info } = workers.get(v)!;
      const cpu0 = cpuNs(child.pid!);
      const r = await load(info.url, info.token, kind, kind === 'read' ? info.readers : info.writers, s);
      return { ...r, cpuUs: (cpuNs(child.pid!) - cpu0) / 1000 / Math.max(1, r.rps * s) };
    };
    for (const v of VARIANTS) for (const kind of ['record', 'read'] as const) await run(v, kind, WARMUP_SECONDS);

    const rps = new Map<string, number[]>();
    const p99 = new Map<string, number[]>();
    // The server's CPU per request (all its threads), and the off copy's over the variant's: the rate ratio a machine
    // of its own would give. A shared machine's other load moves the rates of runs seconds apart by half or more; it
    // moves the work a request takes far less.
    const cpu = new Map<string, number[]>();
    const cpuRatio = new Map<string, number[]>();
    const sinkBefore = await sinkCount(sink.info.port);
    let tracedRequests = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // A rotating order: no copy always runs right after another's writes or at the same point of a round.
      const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]!);
      const figures = new Map<string, { rps: number; p99: number; cpuUs: number }>();
      for (const v of order) {
        for (const kind of ['record', 'read'] as const) {
          const r = await run(v, kind, seconds);
          figures.set(`${v}_${kind}`, r);
          if (v === 'tracing' || v === 'both') tracedRequests += r.rps * seconds;
        }
      }
      for (const v of VARIANTS) {
        for (const kind of ['record', 'read'] as const) {
          const key = `${v}_${kind}`;
          const base = figures.get(`off_${kind}`)!;
          const f = figures.get(key)!;
          rps.set(key, [...(rps.get(key) ?? []), f.rps / base.rps]);
          p99.set(key, [...(p99.get(key) ?? []), f.p99]);
          cpu.set(key, [...(cpu.get(key) ?? []), f.cpuUs]);
          cpuRatio.set(key, [...(cpuRatio.get(key) ?? []), base.cpuUs / f.cpuUs]);
        }
      }
    }
    const sinkAfter = await sinkCount(sink.info.port);
    const out: Record<string, number> = {
      obs_rounds: ROUNDS,
      obs_seconds_per_scenario: seconds,
      obs_metrics_available: hasMetrics ? 1 : 0,
    };
    for (const v of VARIANTS.filter((x) => x !== 'off')) {
      for (const kind of ['record', 'read'] as const) {
        const ratios = rps.get(`${v}_${kind}`)!;
        out[`obs_${v}_${kind}_ratio_vs_off`] = median(ratios);
        out[`obs_${v}_${kind}_ratio_min`] = Math.min(...ratios);
        out[`obs_${v}_${kind}_ratio_max`] = Math.max(...ratios);
        out[`obs_${v}_${kind}_p99_ms`] = median(p99.get(`${v}_${kind}`)!);
        out[`obs_${v}_${kind}_cpu_ratio_vs_off`] = median(cpuRatio.get(`${v}_${kind}`)!);
      }
    }
    for (const kind of ['record', 'read'] as const) out[`obs_off_${kind}_p99_ms`] = median(p99.get(`off_${kind}`)!);
    for (const v of VARIANTS)
      for (const kind of ['record', 'read'] as const) out[`obs_${v}_${kind}_cpu_us`] = median(cpu.get(`${v}_${kind}`)!);
    // What reached the sink: OTLP bytes per traced request (spans dropped by a full batch queue never arrive).
    out.obs_otlp_bytes_per_traced_request = (sinkAfter.bytes - sinkBefore.bytes) / Math.max(1, tracedRequests);
    out.obs_otlp_exports = sinkAfter.exports - sinkBefore.exports;
    out.obs_tracing_off_ns_per_operation = await tracingOffCost();
    return out;
  } finally {
    for (const w of workers.values()) await stop(w.child);
    await stop(sink.child);
  }
}

/** CPU time of a process so far, all its threads, in ns (Linux: the schedulers' own account, not clock ticks). */
function cpuNs(pid: number): number {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // A thread that ended meanwhile: its time is lost to this count (threads here live as long as the process).
    }
  }
  return ns;
}

async function sinkCount(port: number): Promise<{ exports: number; bytes: number }> {
  return (await (await fetch(`http://127.0.0.1:${port}/count`)).json()) as { exports: number; bytes: number };
}
