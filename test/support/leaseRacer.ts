/**
 * A replica's part in the SQLite LeaseStore case with several processes (`sqliteLeaseProcesses.int.test.ts`): opens
 * `LEASES_PATH`, says `ready`, waits for a line on stdin so that every process starts at once, then races the
 * others and prints one JSON line. Run with `node --import tsx`; configured by environment: HOLDER, LEASES_PATH,
 * KEYS (how many), MODE:
 * - `race`: takes the keys in batches of 75 every 50 (its own order, reversed for an odd ORDER), for a minute,
 *   2 ms apart; prints the keys it won (a key twice where two of its batches overlap: it renewed it).
 * - `cycle`: ROUNDS times, takes a batch of 40 keys from a place of its own, holds each it got for a few ms as a
 *   delivery would, and gives them up; prints each holding as [key, from, to] (ms, taken after the acquire
 *   returned and before the release was called, so within the lease).
 */
import { getSqliteLeaseStore } from '../../services/vault/src/adapters/sqlite/index.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const holder = env('HOLDER');
const all = Array.from({ length: Number(env('KEYS')) }, (_, i) => `n-${String(i).padStart(4, '0')}`);
const store = getSqliteLeaseStore({ path: env('LEASES_PATH') });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function race(): Promise<string[]> {
  const order = Number(process.env.ORDER ?? 0) % 2 ? [...all].reverse() : all;
  const won: string[] = [];
  for (let at = 0; at < order.length; at += 50) {
    won.push(...(await store.acquire(order.slice(at, at + 75), holder, 60_000)).map((l) => l.key));
    // A pause as a replica's other work makes, so that processes woken a few ms apart still meet.
    await sleep(2);
  }
  return won;
}

async function cycle(): Promise<[string, number, number][]> {
  const held: [string, number, number][] = [];
  const rounds = Number(env('ROUNDS'));
  let at = Number(process.env.ORDER ?? 0) * 37;
  for (let round = 0; round < rounds; round++) {
    const batch = Array.from({ length: 40 }, (_, i) => all[(at + i) % all.length]!);
    at += 23;
    const got = (await store.acquire(batch, holder, 5_000)).map((l) => l.key);
    const from = Date.now();
    await sleep(2 + (round % 3));
    const to = Date.now();
    for (const key of got) held.push([key, from, to]);
    await store.release(got, holder);
  }
  return held;
}

process.stdout.write('ready\n');
process.stdin.once('data', () => {
  void (env('MODE') === 'race' ? race() : cycle())
    .then(async (out) => {
      await store.close();
      process.stdout.write(`${JSON.stringify(out)}\n`);
      process.exit(0);
    })
    .catch((e: unknown) => {
      process.stderr.write(`${String(e)}\n`);
      process.exit(1);
    });
});
