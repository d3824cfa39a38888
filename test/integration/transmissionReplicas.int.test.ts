import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { loadConfig, mintDevToken } from '@pdv/vault';
import nacl from 'tweetnacl';
import { afterEach, describe, expect, it } from 'vitest';

import { startServeProcess } from '../support/cliProcess.js';
import { gql, registerMovers } from '../support/gqlClient.js';
import { dropSchema, freshSchema, probePostgres, TEST_POSTGRES_URL } from '../support/postgres.js';
import { eventually } from './propagationReceivers.js';

/**
 * Art. 20(2) transmissions resumed by two `vault serve` replicas that start together over one PostgreSQL schema
 * (issue 24): each replica finds the same transmissions left retrying, and each attempt is sent by one of them, the one
 * that holds the transmission's claim (a lease in the schema) while the subject's record still has the attempt to
 * make. A receiver counts what it gets: as many requests per subject as the record has attempts, none twice.
 */

const SHIPPED = fileURLToPath(new URL('../../services/vault/register/default-register.yaml', import.meta.url));
const SUBJECTS = 8;
const probe = await probePostgres();

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A receiving controller that answers each subject's first two exports 503 and the next 202, counting them. */
async function countingReceiver() {
  const got = new Map<string, { status: number; sha256: string }[]>();
  const server = createServer((req: IncomingMessage, res) => {
    const parts: Buffer[] = [];
    req.on('data', (p: Buffer) => parts.push(p));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      const { subjectId } = JSON.parse(body.toString('utf8')) as { subjectId: string };
      const mine = got.get(subjectId) ?? [];
      const status = mine.length < 2 ? 503 : 202;
      mine.push({ status, sha256: createHash('sha256').update(body).digest('hex') });
      got.set(subjectId, mine);
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/imports`;
  return { url, got, close: () => void server.close() };
}

const REPORT = 'query($id: ID!) { accessReport(subjectId: $id) { report } }';
const TRANSMIT =
  'mutation($id: ID!) { transmitPortabilityExport(subjectId: $id, receiver: "acme") { transmissionId delivered } }';

/** Two or more `vault serve` replicas over one fresh PostgreSQL schema whose register names `receiverUrl` as `acme`. */
async function cluster(receiverUrl: string) {
  const dir = mkdtempSync(join(tmpdir(), 'pdv-transmission-replicas-'));
  const schema = freshSchema('pdv_transmission_replicas');
  cleanups.push(async () => {
    await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  });
  const registerFile = join(dir, 'register.yaml');
  writeFileSync(
    registerFile,
    `${readFileSync(SHIPPED, 'utf8')}\nreceivingControllers:\n` +
      `  acme:\n    name: Acme Energy AS\n    endpoint: "${receiverUrl}"\n`,
  );
  const shared = {
    ...process.env,
    VAULT_EVENT_STORE: 'postgres',
    VAULT_STATE_STORE: 'postgres',
    VAULT_POSTGRES_URL: TEST_POSTGRES_URL,
    VAULT_POSTGRES_SCHEMA: schema,
    VAULT_MASTER_KEY: Buffer.from(nacl.randomBytes(32)).toString('base64'),
    VAULT_JWT_SECRET: Buffer.from(nacl.randomBytes(32)).toString('hex'),
    // One machine: the replicas share the local custody's epoch key file (on many machines, an HSM).
    VAULT_KEK_FILE: join(dir, 'kek.slots'),
    VAULT_REGISTER_FILE: registerFile,
    VAULT_LOG_LEVEL: 'silent',
    VAULT_RETENTION_INTERVAL_MINUTES: '0',
    VAULT_RATE_LIMIT_PER_MINUTE: '1000000',
    PORT: '0',
  };
  const replica = async (name: string, env: Record<string, string> = {}) => {
    const r = await startServeProcess({ ...shared, VAULT_DATA_DIR: join(dir, name), ...env });
    cleanups.push(() => void r.child.kill('SIGKILL'));
    return r;
  };
  const config = loadConfig({ ...shared });
  const crm = await mintDevToken(config, { role: 'service', name: 'crm', purposes: ['contract'] });
  const dpo = await mintDevToken(config, { role: 'dpo', name: 'dpo' });
  return { replica, crm, dpo };
}

type Replica = Awaited<ReturnType<typeof startServeProcess>>;

/**
 * SUBJECTS subjects on `first`, each of whose export is sent to the receiver, which is down for each first attempt;
 * `first` is killed in the 2 s pause after it, leaving every transmission retrying. Resolves to the subjects.
 */
async function killedInPause(first: Replica, receiver: { got: Map<string, unknown[]> }, crm: string, dpo: string) {
  const ids = await registerMovers(first.url, crm, SUBJECTS);
  const asked = ids.map((id) =>
    fetch(first.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${dpo}` },
      body: JSON.stringify({ query: TRANSMIT, variables: { id } }),
    }).catch(() => undefined),
  );
  await eventually(
    () => receiver.got.size >= SUBJECTS,
    30_000,
    () => `the receiver got ${receiver.got.size} first attempts`,
  );
  await new Promise((resolve) => setTimeout(resolve, 400));
  first.child.kill('SIGKILL');
  await new Promise((resolve) => first.child.once('exit', resolve));
  await Promise.all(asked);
  expect([...receiver.got.values()].map((g) => g.length)).toEqual(Array<number>(SUBJECTS).fill(1));
  return ids;
}

/** Each subject's export delivered, each attempt sent once: what the receiver got is what the record holds. */
async function deliveredOnce(
  receiver: Awaited<ReturnType<typeof countingReceiver>>,
  ids: string[],
  url: string,
  dpo: string,
) {
  const delivered = () => [...receiver.got.values()].filter((g) => g.some((x) => x.status === 202)).length;
  await eventually(
    () => delivered() >= SUBJECTS,
    90_000,
    () => `the receiver took ${delivered()} of ${SUBJECTS} exports`,
  );
  // An attempt sent twice would come with the other: give it, and the last records, a moment.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  for (const id of ids) {
    const doc = (await gql(url, dpo, REPORT, { id })).accessReport.report as Record<string, any>;
    expect(doc.transmissions, id).toHaveLength(1);
    expect(doc.transmissions[0], id).toMatchObject({ receiver: 'acme', outcome: 'delivered' });
    const recorded = (doc.transmissions[0].attempts as { status: number; sha256: string }[]).map((x) => x.status);
    expect(recorded, id).toEqual([503, 503, 202]);
    expect(
      receiver.got.get(id)!.map((x) => x.sha256),
      id,
    ).toEqual((doc.transmissions[0].attempts as { sha256: string }[]).map((x) => x.sha256));
  }
}

if (!probe.ok) {
  describe.skip(`Transmissions resumed by replicas on PostgreSQL (skipped: ${probe.reason})`, () => {
    it('sends each attempt once from two replicas that resume the same transmissions', () => {});
  });
} else {
  describe('transmissions resumed by two replicas over one PostgreSQL schema', () => {
    it('sends each attempt once from two replicas that start together and resume the same ones', async () => {
      const receiver = await countingReceiver();
      cleanups.push(() => receiver.close());
      const { replica, crm, dpo } = await cluster(receiver.url);
      const ids = await killedInPause(await replica('first'), receiver, crm, dpo);
      // Two replicas start together: both find every transmission retrying, and both go on with them.
      const [a] = await Promise.all([replica('a'), replica('b')]);
      await deliveredOnce(receiver, ids, a.url, dpo);
    }, 300_000);

    it('is taken over by a replica that keeps running from one that died in a pause', async () => {
      const receiver = await countingReceiver();
      cleanups.push(() => receiver.close());
      const { replica, crm, dpo } = await cluster(receiver.url);
      // The live replica started first, so it found nothing to resume at its start: only its sweep can take them.
      const live = await replica('live');
      const ids = await killedInPause(await replica('first'), receiver, crm, dpo);
      await deliveredOnce(receiver, ids, live.url, dpo);
    }, 300_000);

    it('sweeps no sooner than its VAULT_TRANSMISSION_SWEEP_MS says', async () => {
      const receiver = await countingReceiver();
      cleanups.push(() => receiver.close());
      const { replica, crm, dpo } = await cluster(receiver.url);
      // A replica that sweeps once a day: had it kept the default 15 s, it would take them over within about 32 s of
      // the kill (the claim runs out 15 s after the next attempt was due, 2 s after the first, then the next sweep).
      await replica('daily', { VAULT_TRANSMISSION_SWEEP_MS: String(86_400_000) });
      const ids = await killedInPause(await replica('first'), receiver, crm, dpo);
      await new Promise((resolve) => setTimeout(resolve, 40_000));
      expect([...receiver.got.values()].map((g) => g.length)).toEqual(Array<number>(SUBJECTS).fill(1));
      // One that starts now resumes them at its start, whatever its interval: they were waiting, not lost.
      const late = await replica('late');
      await deliveredOnce(receiver, ids, late.url, dpo);
    }, 300_000);
  });
}
