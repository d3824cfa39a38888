import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { median, startChild, stop, type Variant, variantEnv, VARIANTS, type Worker } from './observability.bench.js';

/**
 * What observability costs the API in instructions (issue 28), the figure a shared machine cannot move: the timed
 * suite (observability.bench.ts) gives ratios that swing by a third from one run to the next when other tenants load
 * the machine, while valgrind's callgrind counts the instructions a process executes, whatever else runs.
 *
 * Each copy of the API (off, tracing, metrics, both; `BENCH_OBS_VARIANTS` as in the timed suite) runs under
 * `valgrind --tool=callgrind` with instrumentation off, all copies at once, driven one request at a time
 * (CONNECTIONS). After `BENCH_OBS_INSTR_WARMUP` records and as many reads (default 5000: V8 is still optimising
 * thousands of requests in) the suite turns counting on, and then, `BENCH_OBS_INSTR_WINDOWS` times (default 3),
 * counts `BENCH_OBS_INSTR_REQUESTS` records (default 500) and as many reads, each window zeroed before and dumped
 * after, then an idle window of IDLE_SECONDS. Node runs
 * `--single-threaded` (compilation and collection on the main thread, where they are counted and attributed) with
 * `--no-incremental-marking` (a full collection's marking inside the collection, not spread over allocations).
 *
 * A window's total holds work that comes in lumps or by the clock, not by the request:
 * - V8's optimising compiler and the garbage collector, each a sixth of a window or more in one and nothing in the
 *   next: the inclusive cost of `NOT_STEADY`'s frames is taken out;
 * - timers, pollers and the checkpointer thread, which run by the clock, and a window under valgrind on a loaded
 *   machine lasts longer: the idle window's instructions a second, times the window's seconds, are taken out.
 * What is left is a request's steady instructions (the median over windows). Beside it the collector's (all
 * windows' together over all their requests), and the off copy's over the variant's of both: steady alone
 * (`…_ratio_vs_off`) and with the collector (`…_with_gc_ratio_vs_off`), read like the timed suite's rate ratios
 * (0.95 or more: at most 5% more work a request), and what the variant adds a request, collector included
 * (`…_added_per_request`). One request at a time, a record commits alone, so its ratio flatters the copies beside a
 * load whose records share commits; the instructions added are the same there.
 */
const WINDOWS = Math.max(1, Number(process.env.BENCH_OBS_INSTR_WINDOWS ?? 3));
const REQUESTS = Math.max(100, Number(process.env.BENCH_OBS_INSTR_REQUESTS ?? 500));
const WARMUP = Math.max(0, Number(process.env.BENCH_OBS_INSTR_WARMUP ?? 5000));
/**
 * One request at a time. With more in flight the vault batches by the clock (group commits, projection batches, the
 * reader's position checks per turn of the event loop), so a window slowed by the machine's other load does less
 * batching and counts more: the off copy's record count rose 18% beside a CI run at 8 connections. One at a time, the
 * windows of one copy agree within 1% under that load.
 */
const CONNECTIONS = 1;
/** Seconds of the idle window that measures the copy's work by the clock (timers, pollers, the checkpointer). */
const IDLE_SECONDS = 10;
const NODE_FLAGS = ['--single-threaded', '--no-incremental-marking'];
const GC = 'v8::internal::Heap::CollectGarbage(';
/** The outermost frames of the work that is not a request's own: collection, and compilation of every tier. */
const NOT_STEADY = [
  GC,
  'v8::internal::Compiler::CompileOptimized(',
  'Runtime_CompileLazy',
  'v8::internal::baseline::BaselineBatchCompiler::CompileBatch(',
];
const KINDS = ['record', 'read'] as const;
type Kind = (typeof KINDS)[number];

interface WindowCount {
  steady: number;
  gc: number;
  /** How long the window took by the clock. */
  seconds: number;
}

const hasTool = (tool: string) => {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** A callgrind dump's total and the inclusive cost of each NOT_STEADY frame (callgrind_annotate's reading). */
function readDump(file: string): Omit<WindowCount, 'seconds'> {
  const out = execFileSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', file], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const totals = /^\s*([\d,]+) \S+\s+PROGRAM TOTALS/m.exec(out);
  if (!totals) throw new Error(`${file}: callgrind_annotate printed no program total`);
  const total = Number(totals[1]!.replaceAll(',', ''));
  const found = new Map<string, number>();
  for (const line of out.split('\n')) {
    const m = /^\s*([\d,]+) \(/.exec(line);
    if (!m) continue;
    for (const frame of NOT_STEADY)
      if (!found.has(frame) && line.includes(frame)) found.set(frame, Number(m[1]!.replaceAll(',', '')));
  }
  const excluded = [...found.values()].reduce((a, b) => a + b, 0);
  return { steady: total - excluded, gc: found.get(GC) ?? 0 };
}

/** Sends `amount` requests of `kind` through the API benchmark's load generator and waits for them. */
async function drive(info: Worker['info'], kind: Kind, amount: number): Promise<void> {
  const ids = kind === 'read' ? info.readers : info.writers;
  const job = JSON.stringify({
    url: info.url,
    token: info.token,
    kind,
    ids,
    seconds: 0,
    amount,
    connections: CONNECTIONS,
  });
  const child = spawn(process.execPath, [fileURLToPath(new URL('./loadgen.js', import.meta.url)), job], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((resolve) => child.on('close', resolve));
  const r = JSON.parse(out) as { non2xx: number; errors: number };
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${kind}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
}

/** What one copy counted: its windows of each kind, and its instructions a second when no request comes. */
interface CopyCount {
  windows: Record<Kind, WindowCount[]>;
  idlePerSecond: number;
}

/** One copy under callgrind: its windows' counts of each kind, then an idle window. */
async function countCopy(v: Variant, dir: string, sinkPort: number): Promise<CopyCount> {
  const wrap = ['valgrind', '--tool=callgrind', '--instr-atstart=no', `--log-file=${join(dir, `${v}.log`)}`];
  wrap.push(`--callgrind-out-file=${join(dir, `${v}.%p`)}`);
  const { child, info } = await startChild<Worker['info']>('./observabilityServer.js', variantEnv(v, sinkPort), {
    wrap,
    nodeFlags: NODE_FLAGS,
  });
  const control = (...args: string[]) =>
    execFileSync('callgrind_control', [...args, String(child.pid)], { stdio: 'ignore' });
  try {
    for (const kind of KINDS) await drive(info, kind, WARMUP);
    control('-i', 'on');
    let dumps = 0;
    const window = async (work: () => Promise<void>) => {
      control('-z');
      const started = performance.now();
      await work();
      control('-d');
      dumps += 1;
      return { ...readDump(join(dir, `${v}.${child.pid}.${dumps}`)), seconds: (performance.now() - started) / 1000 };
    };
    const windows: Record<Kind, WindowCount[]> = { record: [], read: [] };
    for (let w = 0; w < WINDOWS; w++)
      for (const kind of KINDS) windows[kind].push(await window(() => drive(info, kind, REQUESTS)));
    const idle = await window(() => new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000)));
    return { windows, idlePerSecond: idle.steady / idle.seconds };
  } finally {
    await stop(child);
  }
}

export async function observabilityInstructionsBench(): Promise<Record<string, number>> {
  if (!hasTool('valgrind') || !hasTool('callgrind_control')) {
    console.log('\n  (skipped: valgrind with callgrind is not installed; `apt-get install valgrind` adds it)');
    return {};
  }
  const dir = mkdtempSync(join(tmpdir(), 'pdv-obs-instr-'));
  const sink = await startChild<{ port: number }>('./otlpSink.js', process.env);
  try {
    const counts = new Map<Variant, CopyCount>();
    await Promise.all(VARIANTS.map(async (v) => counts.set(v, await countCopy(v, dir, sink.info.port))));
    const out: Record<string, number> = { obs_instr_windows: WINDOWS, obs_instr_requests_per_window: REQUESTS };
    const perRequest = (v: Variant, kind: Kind) => {
      const { windows: all, idlePerSecond } = counts.get(v)!;
      const windows = all[kind];
      // Less the work the clock brings (the idle window's rate for as long as the window took), which a loaded machine
      // stretches: what is left is the requests' own.
      const steady = windows.map((c) => (c.steady - idlePerSecond * c.seconds) / REQUESTS);
      const gc = windows.reduce((a, c) => a + c.gc, 0) / (windows.length * REQUESTS);
      return { steady: median(steady), gc, spread: (Math.max(...steady) - Math.min(...steady)) / median(steady) };
    };
    for (const v of VARIANTS) {
      out[`obs_instr_${v}_idle_per_second`] = Math.round(counts.get(v)!.idlePerSecond);
      for (const kind of KINDS) {
        const f = perRequest(v, kind);
        const base = perRequest('off', kind);
        out[`obs_instr_${v}_${kind}_per_request`] = Math.round(f.steady);
        out[`obs_instr_${v}_${kind}_gc_per_request`] = Math.round(f.gc);
        out[`obs_instr_${v}_${kind}_window_spread`] = f.spread;
        if (v === 'off') continue;
        out[`obs_instr_${v}_${kind}_added_per_request`] = Math.round(f.steady + f.gc - base.steady - base.gc);
        out[`obs_instr_${v}_${kind}_ratio_vs_off`] = base.steady / f.steady;
        out[`obs_instr_${v}_${kind}_with_gc_ratio_vs_off`] = (base.steady + base.gc) / (f.steady + f.gc);
      }
    }
    return out;
  } finally {
    await stop(sink.child);
    // BENCH_OBS_INSTR_KEEP=1 keeps the dumps, to compare a window's frames with another's (callgrind_annotate).
    if (process.env.BENCH_OBS_INSTR_KEEP) console.log(`\n  (callgrind dumps kept in ${dir})`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
