import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { getSqliteLeaseStore } from '@pdv/vault';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * The embedded lease store (`leases.db`) shared by several processes, as replicas on one machine over one data
 * directory share it (issue 26): the contract's racing connections live in one process; here each is its own
 * process, with its own connection, racing on the file's write lock.
 */
const RACER = fileURLToPath(new URL('../support/leaseRacer.ts', import.meta.url));

let dir = '';
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = '';
});

/** One racer process: `ready` once it has opened the file, `result` its output once it exits. */
function racer<T>(i: number, env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', RACER], {
    env: { ...process.env, ...env, HOLDER: `replica-${i}`, ORDER: String(i) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let ready!: () => void;
  const opened = new Promise<void>((resolve) => (ready = resolve));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.startsWith('ready\n')) ready();
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const result = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out.slice('ready\n'.length)) as T);
      else reject(new Error(`racer ${i} exited with ${code ?? signal}: ${err}`));
    });
  });
  return { opened, result, go: () => child.stdin.write('go\n') };
}

/** Starts `n` racer processes on one file, lets them go together once all have opened it, and gathers their output. */
async function raceProcesses<T>(n: number, env: Record<string, string>): Promise<T[]> {
  dir = await mkdtemp(join(tmpdir(), 'pdv-lease-processes-'));
  const path = join(dir, 'leases.db');
  // Made by the first replica to start, as in a deployment; the racers open what it made.
  await getSqliteLeaseStore({ path }).close();
  const racers = Array.from({ length: n }, (_, i) => racer<T>(i, { ...env, LEASES_PATH: path }));
  const results = Promise.all(racers.map((r) => r.result));
  // A racer that fails before it is ready fails the wait too.
  await Promise.race([Promise.all(racers.map((r) => r.opened)), results]);
  for (const r of racers) r.go();
  return results;
}

describe('SQLite leases shared by several processes', () => {
  it('gives each key to exactly one of six processes racing for overlapping batches', async () => {
    const keys = 3000;
    const won = await raceProcesses<string[]>(6, { MODE: 'race', KEYS: String(keys) });
    const counted = new Map<string, number>();
    // A process renews what it won when its next batch overlaps: counted once per process.
    for (const list of won) for (const k of new Set(list)) counted.set(k, (counted.get(k) ?? 0) + 1);
    expect(counted.size).toBe(keys);
    expect([...counted.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    // A race, not a queue: more than one process won keys.
    expect(won.filter((list) => list.length > 0).length).toBeGreaterThan(1);
  }, 120_000);

  it('never lets two of four processes hold one key at once while they take, hold and give up claims', async () => {
    const held = await raceProcesses<[string, number, number][]>(4, { MODE: 'cycle', KEYS: '120', ROUNDS: '60' });
    const byKey = new Map<string, { holder: number; from: number; to: number }[]>();
    held.forEach((list, holder) => {
      for (const [key, from, to] of list) byKey.set(key, [...(byKey.get(key) ?? []), { holder, from, to }]);
    });
    const overlaps: string[] = [];
    for (const [key, spans] of byKey)
      for (const a of spans)
        for (const b of spans)
          // A hand-over may fall within one millisecond (ms resolution); more is two holders at once.
          if (a.holder < b.holder && a.from < b.to && b.from < a.to) overlaps.push(`${key}: ${JSON.stringify([a, b])}`);
    expect(overlaps).toEqual([]);
    // They contended: keys changed hands between processes, and every process held some.
    const handedOver = [...byKey.values()].filter((spans) => new Set(spans.map((s) => s.holder)).size > 1);
    expect(handedOver.length).toBeGreaterThan(0);
    expect(held.every((list) => list.length > 0)).toBe(true);
  }, 120_000);
});
