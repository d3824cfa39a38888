/**
 * A writer process for the PostgreSQL event-log ordering test: appends `APPENDS` batches of one to
 * three events, `CONCURRENCY` at a time, to streams of its own (exact expected revisions) and to
 * streams every writer shares (ANY), then prints the ids and positions it got as one JSON line.
 * Run with `node --import tsx`; configured by environment: PG_URL, PG_SCHEMA, WRITER, APPENDS,
 * CONCURRENCY, STREAMS.
 */
import { getPostgresEventLog } from '../../services/vault/src/adapters/postgres/events/index.js';
import type { NewEvent } from '../../services/vault/src/ports/EventLog.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const writer = env('WRITER');
const appends = Number(env('APPENDS'));
const concurrency = Number(env('CONCURRENCY'));
const streams = Number(env('STREAMS'));

const log = await getPostgresEventLog({ connectionString: env('PG_URL'), schema: env('PG_SCHEMA'), maxConnections: 8 });
const revisions = new Map<string, number>();
/** The append under way on each of this writer's own streams: the next one to that stream waits for it. */
const tails = new Map<string, Promise<unknown>>();
const stored: { id: string; position: number }[] = [];
let next = 0;

const event = (n: number, i: number): NewEvent => ({
  id: `${writer}-${n}-${i}`,
  type: 'OrderTested',
  data: { writer, n, i },
  metadata: { actor: 'ordering-test', at: new Date().toISOString() },
});

async function worker(): Promise<void> {
  while (next < appends) {
    const n = next++;
    const batch = Array.from({ length: 1 + (n % 3) }, (_, i) => event(n, i));
    const shared = n % 4 === 0;
    const stream = shared ? `shared-${n % streams}` : `${writer}-${n % streams}`;
    // This writer's own streams take one append at a time, with the exact revision it left them at.
    const append = async () => {
      const r = await log.append(stream, batch, shared ? 'any' : (revisions.get(stream) ?? 'no_stream'));
      if (!shared) revisions.set(stream, r.nextRevision);
      return r;
    };
    const done = shared ? append() : (tails.get(stream) ?? Promise.resolve()).then(append);
    if (!shared)
      tails.set(
        stream,
        done.catch(() => undefined),
      );
    const result = await done;
    const first = result.position - batch.length + 1;
    batch.forEach((e, i) => stored.push({ id: e.id, position: first + i }));
  }
}

await Promise.all(Array.from({ length: concurrency }, () => worker()));
await log.close();
process.stdout.write(`${JSON.stringify(stored)}\n`);
