/**
 * A writer process for the EventLog contract's case with writers in several processes: opens the
 * log the fixture names, appends `APPENDS` batches of one to three events, `CONCURRENCY` at a
 * time, to streams of its own (exact expected revisions) and to streams every writer shares
 * (ANY), then prints one JSON line: the ids of every event acknowledged, and the id of each
 * append's last event with the position the append returned. Run with `node --import tsx`;
 * configured by environment: WRITER, APPENDS, CONCURRENCY, STREAMS, and the log's own settings
 * (`eventLogProcessEnv`): EVENT_LOG (sqlite, postgres or kurrentdb) with EVENT_LOG_PATH; PG_URL
 * and PG_SCHEMA; or KURRENTDB_URL and KURRENTDB_NAMESPACE.
 */
import type { EventLog, NewEvent } from '../../services/vault/src/ports/EventLog.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const writer = env('WRITER');
const appends = Number(env('APPENDS'));
const concurrency = Number(env('CONCURRENCY'));
const streams = Number(env('STREAMS'));

/** The log the parent's fixture opened, opened again in this process. */
async function openLog(): Promise<EventLog> {
  const kind = env('EVENT_LOG');
  if (kind === 'sqlite') {
    const { getSqliteEventLog } = await import('../../services/vault/src/adapters/sqlite/index.js');
    return getSqliteEventLog({ path: env('EVENT_LOG_PATH') });
  }
  if (kind === 'postgres') {
    const { getPostgresEventLog } = await import('../../services/vault/src/adapters/postgres/events/index.js');
    return getPostgresEventLog({ connectionString: env('PG_URL'), schema: env('PG_SCHEMA'), maxConnections: 8 });
  }
  if (kind === 'kurrentdb') {
    const { getKurrentdbEventLog } = await import('../../services/vault/src/adapters/kurrentdb/index.js');
    const namespace = env('KURRENTDB_NAMESPACE');
    return getKurrentdbEventLog({ connectionString: env('KURRENTDB_URL'), namespace, streamPrefix: '' });
  }
  throw new Error(`EVENT_LOG ${kind} is not one this writer opens`);
}

const log = await openLog();
const revisions = new Map<string, number>();
/** The append under way on each of this writer's own streams: the next one to that stream waits for it. */
const tails = new Map<string, Promise<unknown>>();
const acknowledged: string[] = [];
/** The last event of each append, with the position the append returned for it. */
const acks: { id: string; position: number }[] = [];
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
    // Positions need not be dense (KurrentDB's are commit positions): only the last one is known.
    acks.push({ id: batch[batch.length - 1]!.id, position: result.position });
    acknowledged.push(...batch.map((e) => e.id));
  }
}

await Promise.all(Array.from({ length: concurrency }, () => worker()));
await log.close();
process.stdout.write(`${JSON.stringify({ ids: acknowledged, acks })}\n`);
