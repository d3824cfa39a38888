import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { loadConfig, mintDevToken } from '@pdv/vault';
import { Webhook } from 'standardwebhooks';
import nacl from 'tweetnacl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { dropSchema, freshSchema, probePostgres, TEST_POSTGRES_URL } from '../support/postgres.js';
import { freePort, Replica } from '../topology/topology.js';
import { contactItem, eventually } from './propagationReceivers.js';

/**
 * Three `vault serve` replicas over the same PostgreSQL stores, or three processes on one data directory of the
 * embedded default, all deliver (issue 26): each claims a notification (a lease in PostgreSQL, or in the directory's
 * `leases.db`) before it sends it, so a real receiver counts each notification delivered once, and a replica killed
 * with SIGKILL mid-delivery hands its claims over when they expire. What is honest to promise: at least once
 * overall, and a second delivery only of what the killed replica had sent and not yet recorded.
 */
const BACKENDS = [
  { name: 'the same PostgreSQL stores', postgres: true, leaseMs: 5_000 },
  // Three processes take turns at one SQLite write lock (synchronous FULL, on a loaded machine): recording an outcome
  // can wait seconds for it, and a claim that expires first is taken over and sent again. A longer claim keeps that
  // to the killed replica's, as the default (the timeout + 20 s) does.
  { name: 'one data directory of the embedded default (SQLite)', postgres: false, leaseMs: 15_000 },
];
const REPLICAS = 3;
const VICTIM = 1;
const SUBJECTS = 150;
const SHIPPED = fileURLToPath(new URL('../../services/vault/register/default-register.yaml', import.meta.url));
const SECRET = `whsec_${Buffer.from(nacl.hash(Buffer.from('replicas-test')).subarray(0, 32)).toString('base64')}`;
const probe = await probePostgres();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One request as the receiver got it: from which replica (its URL's `r`), and whether it was answered 2xx. */
interface Hit {
  id: string;
  replica: number;
  subject: string;
  type: string;
  at: number;
  answered: boolean;
  answeredAt?: number;
}

/**
 * A receiver on node:http that answers 204 after `delayMs(replica)`, unless the connection went first (the sender
 * died): then the request is not counted as delivered. Each replica's register gives it `?r=<replica>` in its URL.
 */
async function countingReceiver(delayMs: (replica: number) => number) {
  const hits: Hit[] = [];
  const wh = new Webhook(SECRET);
  const invalid: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const id = String(req.headers['webhook-id']);
      try {
        wh.verify(body, req.headers as Record<string, string>);
      } catch {
        invalid.push(id);
      }
      const event = JSON.parse(body) as { subject: string; type: string };
      const hit: Hit = {
        id,
        replica: Number(new URL(req.url ?? '/', 'http://x').searchParams.get('r')),
        subject: event.subject,
        type: event.type,
        at: Date.now(),
        answered: false,
      };
      hits.push(hit);
      setTimeout(() => {
        if (res.destroyed || req.socket.destroyed) return;
        hit.answered = true;
        hit.answeredAt = Date.now();
        res.writeHead(204).end();
      }, delayMs(hit.replica));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    hits,
    invalid,
    /** Answered 2xx, by notification id. */
    delivered(): Map<string, Hit[]> {
      const out = new Map<string, Hit[]>();
      for (const h of hits.filter((x) => x.answered)) out.set(h.id, [...(out.get(h.id) ?? []), h]);
      return out;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function gql(base: string, token: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json()) as { data?: Record<string, any>; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data!;
}

const email = (value: string) => contactItem('email', value);

if (!probe.ok) {
  describe.skip(`Propagation from replicas on PostgreSQL (skipped: ${probe.reason})`, () => {
    it('delivers each notification once from three replicas, one killed mid-delivery', () => {});
  });
}
const backends = BACKENDS.filter((b) => probe.ok || !b.postgres);
if (backends.length > 0) {
  describe.each(backends)('propagation from three replicas over $name', (backend) => {
    const dir = mkdtempSync(join(tmpdir(), 'pdv-propagation-replicas-'));
    const schema = freshSchema('pdv_propagation_replicas');
    const replicas: Replica[] = [];
    let receiver: Awaited<ReturnType<typeof countingReceiver>>;
    const tokens = { crm: '', dpo: '' };

    beforeAll(async () => {
      // The replica to be killed is answered slowly, so that it dies with requests unanswered.
      receiver = await countingReceiver((replica) => (replica === VICTIM ? 400 : 150));
      const shared = {
        ...process.env,
        ...(backend.postgres
          ? {
              VAULT_EVENT_STORE: 'postgres',
              VAULT_STATE_STORE: 'postgres',
              VAULT_POSTGRES_URL: TEST_POSTGRES_URL,
              VAULT_POSTGRES_SCHEMA: schema,
            }
          : { VAULT_DATA_DIR: join(dir, 'data') }),
        VAULT_MASTER_KEY: Buffer.from(nacl.randomBytes(32)).toString('base64'),
        VAULT_JWT_SECRET: Buffer.from(nacl.randomBytes(32)).toString('hex'),
        // One machine: the replicas share the local custody's epoch key file (on many machines, an HSM).
        VAULT_KEK_FILE: join(dir, 'kek.slots'),
        VAULT_LOG_LEVEL: 'silent',
        VAULT_RETENTION_INTERVAL_MINUTES: '0',
        VAULT_RATE_LIMIT_PER_MINUTE: '1000000',
        VAULT_COMMANDS_PER_MINUTE: '1000000',
        VAULT_ITEMS_PER_MINUTE: '1000000',
        VAULT_NOTIFY_CONCURRENCY: '2',
        VAULT_NOTIFY_TIMEOUT_MS: '2000',
        VAULT_NOTIFY_LEASE_MS: String(backend.leaseMs),
        VAULT_NOTIFY_BACKOFF_MS: '100',
        TEST_SECRET_COLLECTIONS: SECRET,
      };
      const shipped = readFileSync(SHIPPED, 'utf8');
      for (let i = 0; i < REPLICAS; i++) {
        // The same recipient for every replica; only the URL tells the receiver which replica sent a request.
        const registerFile = join(dir, `register${i}.yaml`);
        writeFileSync(
          registerFile,
          `${shipped}\nrecipients:\n  collections:\n    categories: [contact]\n` +
            `    webhook: { url: "${receiver.url}?r=${i}", secret: { env: TEST_SECRET_COLLECTIONS } }\n`,
        );
        replicas.push(
          new Replica(await freePort(), {
            ...shared,
            // On the embedded default the three share one data directory: its files are the stores.
            VAULT_DATA_DIR: backend.postgres ? join(dir, `replica${i}`) : join(dir, 'data'),
            VAULT_REGISTER_FILE: registerFile,
          }),
        );
      }
      // The first creates the schema and the first epoch; the others open what it made.
      await replicas[0]!.start();
      await Promise.all(replicas.slice(1).map((r) => r.start()));
      const config = loadConfig({ ...shared });
      tokens.crm = await mintDevToken(config, { role: 'service', name: 'crm', purposes: ['contract'] });
      tokens.dpo = await mintDevToken(config, { role: 'dpo', name: 'dpo' });
    }, 300_000);

    afterAll(async () => {
      await Promise.allSettled(replicas.map((r) => r.stop()));
      await receiver?.close();
      if (backend.postgres) await dropSchema(schema);
      rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    it('delivers each of 300 notifications once, though a replica is killed while it delivers', async () => {
      const victim = VICTIM;
      const writers = replicas.filter((_, i) => i !== victim);
      // Each subject is recorded, rectified and erased through the replicas that stay up: two notifications each.
      // All three deliver.
      const subjects: string[] = [];
      let next = 0;
      const writes = Promise.all(
        Array.from({ length: 6 }, async () => {
          while (next < SUBJECTS) {
            const i = next++;
            const base = writers[i % writers.length]!.url;
            const id = (await gql(base, tokens.crm, 'mutation { registerSubject { subjectId } }')).registerSubject
              .subjectId as string;
            await gql(base, tokens.crm, RECORD, { id, items: [email(`replica.${i}@example.test`)] });
            await gql(base, tokens.crm, RECTIFY, { id, items: [email(`replica.${i}.new@example.test`)] });
            await gql(base, tokens.dpo, ERASE, { id });
            subjects.push(id);
          }
        }),
      );

      // Killed while a request of its own is at the receiver, unanswered: mid-delivery.
      await eventually(
        () => receiver.delivered().size >= 60 && receiver.hits.some((h) => h.replica === victim && !h.answered),
        120_000,
        () => `delivered ${receiver.delivered().size}, none in flight from replica ${victim}`,
      );
      const inFlight = receiver.hits.filter((h) => h.replica === victim && !h.answered).map((h) => h.id);
      await replicas[victim]!.kill();
      const killedAt = Date.now();
      await writes;
      await eventually(
        () => receiver.delivered().size >= 2 * SUBJECTS,
        120_000,
        () => `${receiver.delivered().size} of ${2 * SUBJECTS} delivered`,
      );
      // Past the killed replica's leases: anything still to come twice would have come by now.
      await sleep(backend.leaseMs + 2000);

      const delivered = receiver.delivered();
      expect(receiver.invalid, 'requests whose signature does not verify').toEqual([]);
      // Every notification, each under its one id: a rectification and an erasure per subject.
      expect(delivered.size).toBe(2 * SUBJECTS);
      const pairs = [...delivered.values()].map((h) => `${h[0]!.subject} ${h[0]!.type.split('.').pop()}`).sort();
      expect(pairs).toEqual(subjects.flatMap((id) => [`${id} erasure`, `${id} rectification`]).sort());

      // None twice, but what the killed replica had sent (answered, its outcome not yet recorded) when it died.
      const twice = [...delivered.entries()].filter(([, h]) => h.length > 1);
      if (backend.postgres) {
        for (const [id, h] of twice) {
          expect(
            h.some((x) => x.replica === victim && x.at <= killedAt),
            `${id} delivered twice, not after the kill`,
          ).toBe(true);
          expect(h.filter((x) => x.replica !== victim)).toHaveLength(1);
        }
        // The killed replica had at most its concurrency (2) in flight, plus answers waiting to be recorded.
        expect(twice.length, `${twice.length} delivered twice`).toBeLessThanOrEqual(4);
      } else {
        // Processes on one SQLite file promise at least once, not once (docs/propagation.md, Limits): how many
        // came twice is reported, not asserted.
        process.stdout.write(`one data directory: ${twice.length} of ${delivered.size} notifications came twice\n`);
      }
      // What it was sending when it died, the others delivered.
      expect(inFlight.length).toBeGreaterThan(0);
      for (const id of inFlight) expect(delivered.get(id)!.some((h) => h.replica !== victim)).toBe(true);
      // All three delivered; the survivors finished.
      const by = (r: number) => receiver.hits.filter((h) => h.replica === r && h.answered).length;
      for (let r = 0; r < REPLICAS; r++) expect(by(r), `replica ${r} delivered`).toBeGreaterThan(0);

      // In order per subject: an erasure is sent only once its rectification was answered.
      for (const id of subjects) {
        const first = (type: string) =>
          receiver.hits.filter((h) => h.subject === id && h.type.endsWith(type) && h.answered)[0]!;
        const erasureSent = receiver.hits.find((h) => h.subject === id && h.type.endsWith('erasure'))!.at;
        expect(erasureSent, id).toBeGreaterThanOrEqual(first('rectification').answeredAt!);
      }
    }, 300_000);
  });
}

const RECORD =
  'mutation($id: ID!, $items: [PersonalDataInput!]!) { recordPersonalData(subjectId: $id, items: $items) ' +
  '{ revision } }';
const RECTIFY =
  'mutation($id: ID!, $items: [PersonalDataInput!]!) { rectifyPersonalData(subjectId: $id, items: $items) ' +
  '{ revision } }';
const ERASE =
  'mutation($id: ID!) { eraseSubject(subjectId: $id, reason: subjectRequest) { certificate { subjectId } } }';
