import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  createPrometheusMetrics,
  type DeliveryOutcome,
  fixtureRegister,
  type LeaseStore,
  type NotificationRecipient,
  type NotificationTransport,
  openLeaseStore,
  openStores,
  openVault,
  type ProcessingRegister,
  type PropagationOptions,
  type Vault,
  type VaultConfig,
  VaultError,
  type VaultMetrics,
} from '@pdv/vault';
import nacl from 'tweetnacl';
import { afterEach, describe, expect, it } from 'vitest';

import { dropSchema, freshSchema, probePostgres, TEST_POSTGRES_URL } from '../support/postgres.js';
import { contactItem, eventually, inParallel, type Receiver, startReceiver } from './propagationReceivers.js';

/**
 * Propagation where things happen at the same time (issue 26): a read written to the access log after its change
 * was examined (held by another vault instance on the same stores), an acknowledgement that arrives while its
 * delivery is in flight, a replica that comes back under its stable id, and a lease store that stops answering.
 */
const probe = await probePostgres();
const actor = { actor: 'test' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secretOf = (name: string) =>
  `whsec_${Buffer.from(nacl.hash(Buffer.from(`races-test:${name}`)).subarray(0, 32)).toString('base64')}`;
const emailOf = (i: number) => `person.${i}.races@example.test`;
const contact = (value: string) => contactItem('email', value);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Declared = { url: string; service?: string; acknowledgement?: 'response' | 'callback' };
function registerWith(declared: Record<string, Declared>): ProcessingRegister {
  const recipients: Record<string, NotificationRecipient> = {};
  for (const [name, d] of Object.entries(declared)) {
    recipients[name] = {
      name,
      ...(d.service ? { service: d.service } : { categories: ['contact'] }),
      delivery: { kind: 'webhook', url: d.url, secret: { env: 'UNUSED' } },
      acknowledgement: d.acknowledgement ?? 'response',
      acknowledgeWithin: 'P7D',
    };
  }
  return { ...fixtureRegister(), recipients };
}

/** A vault configuration: the embedded default in a fresh directory, or a PostgreSQL schema several vaults share. */
function configOf(shared?: { schema: string; masterKey: string; dataDir: string }): VaultConfig {
  const dataDir = shared?.dataDir ?? mkdtempSync(join(tmpdir(), 'pdv-races-'));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  return {
    dataDir,
    masterKey: shared?.masterKey ?? Buffer.from(nacl.randomBytes(32)).toString('base64'),
    synchronous: 'FULL' as const,
    port: 0,
    logLevel: 'silent',
    ...(shared
      ? {
          eventStore: 'postgres',
          stateStore: 'postgres',
          postgresUrl: TEST_POSTGRES_URL,
          postgresSchema: shared.schema,
        }
      : {}),
  };
}

/**
 * The stores several vault instances share: one PostgreSQL schema, dropped after the test, and the key custody's
 * directory (the local KEK's wrapped keys live beside the master key, as on replicas that mount one volume).
 */
function sharedStores() {
  const schema = freshSchema('pdv_races');
  cleanups.push(() => dropSchema(schema));
  const dataDir = mkdtempSync(join(tmpdir(), 'pdv-races-'));
  return { schema, dataDir, masterKey: Buffer.from(nacl.randomBytes(32)).toString('base64') };
}

async function live(
  config: VaultConfig,
  register: ProcessingRegister,
  propagation: PropagationOptions & { transport?: NotificationTransport } = {},
  more: { warn?: (m: string) => void; stores?: Awaited<ReturnType<typeof openStores>>; metrics?: VaultMetrics } = {},
): Promise<Vault> {
  const secrets = new Map(Object.keys(register.recipients ?? {}).map((n) => [n, secretOf(n)]));
  const vault = await openVault(config, {
    register,
    live: true,
    warn: more.warn ?? (() => {}),
    ...(more.stores ? { stores: more.stores } : {}),
    ...(more.metrics ? { metrics: more.metrics } : {}),
    propagation: { secrets, backoffBaseMs: 20, ...propagation },
  });
  cleanups.push(() => vault.close().catch(() => {}));
  return vault;
}

async function receiver(): Promise<Receiver> {
  const r = await startReceiver(() => ({ status: 204 }));
  cleanups.push(() => r.close().catch(() => {}));
  return r;
}

/** `n` subjects with an email each, recorded through `vault`. */
async function subjects(vault: Vault, n: number): Promise<string[]> {
  const ids: string[] = [];
  await inParallel(n, 12, async (i) => {
    const { subjectId } = await vault.commands.registerSubject(actor);
    await vault.execute(subjectId, { type: 'RecordPersonalData', items: [contact(emailOf(i))] }, actor);
    ids[i] = subjectId;
  });
  return ids;
}

/** What a receiver got, as (subject id, action) pairs per notification id. */
function deliveredActions(r: Receiver): Map<string, { subject: string; action: string }> {
  const out = new Map<string, { subject: string; action: string }>();
  for (const [id, [first]] of r.delivered) {
    const event = JSON.parse(first!.body) as { data: { subjectId: string; action: string } };
    out.set(id, { subject: event.data.subjectId, action: event.data.action });
  }
  return out;
}

/** A transport whose attempts wait until the test settles them: interleavings on purpose, not by timing. */
function gatedTransport() {
  const waiting: { id: string; settle: (o: DeliveryOutcome) => void }[] = [];
  const transport: NotificationTransport = {
    verify: () => false,
    deliver: (_target, n) =>
      new Promise<DeliveryOutcome>((settle) => {
        waiting.push({ id: n.notificationId, settle });
      }),
    close: async () => {},
  };
  /** Ends every attempt still open (so a vault that holds them can stop). */
  const release = () => {
    for (const w of waiting.splice(0)) w.settle({ ok: false, reason: 'connection' });
  };
  return { transport, waiting, release };
}

const SUBJECTS = 200;

describe.each<[string, PropagationOptions]>([
  ['while the change is remembered', {}],
  ['after the change was forgotten (checked against the stream)', { lateReadWindowMs: 1 }],
])('a read another vault instance writes after the change was examined, %s', (_name, window) => {
  it('notifies the service that read before the change, and nobody of reads after it', async (ctx) => {
    if (!probe.ok) return ctx.skip(probe.reason);
    const crm = await receiver();
    const register = registerWith({ crm: { url: crm.url, service: 'crm' } });
    const shared = sharedStores();
    // Instance a serves the reads (it holds them in memory); b makes the changes.
    const a = await live(configOf(shared), register, window);
    const b = await live(configOf(shared), register);
    const ids = await subjects(b, SUBJECTS);
    const readAt = new Date().toISOString();
    await sleep(5);
    await inParallel(SUBJECTS, 12, async (i) => {
      const items = [contact(`renamed.${i}.races@example.test`)];
      await b.execute(ids[i]!, { type: 'RectifyPersonalData', items }, actor);
      await b.erase(ids[i]!, { ...actor, reason: 'subjectRequest' });
    });
    const head = await b.stores.log.headPosition();
    await Promise.all([a.propagation!.waitFor(head), b.propagation!.waitFor(head)]);
    // Both examined every change without the reads: nobody is to be told yet.
    expect(a.propagation!.list({ recipient: 'crm' })).toEqual([]);
    expect(b.propagation!.list({ recipient: 'crm' })).toEqual([]);
    await sleep(10);
    const afterAt = new Date().toISOString();
    // Now a writes what it held: the even subjects read before their changes, the odd ones only after.
    const reads = ids.map((subjectId, i) => ({
      actor: 'service:crm',
      purpose: 'contract',
      subjectId,
      categories: ['contact'],
      at: i % 2 === 0 ? readAt : afterAt,
    }));
    for (let i = 0; i < reads.length; i += 50) await a.accessLog.append(reads.slice(i, i + 50));
    const expected = SUBJECTS; // a rectification and an erasure for each of the SUBJECTS / 2 read before
    await eventually(
      () => crm.delivered.size >= expected,
      30_000,
      () => `${crm.delivered.size} of ${expected}`,
    );
    await sleep(500);
    const got = deliveredActions(crm);
    expect(got.size).toBe(expected);
    const bySubject = new Map<string, string[]>();
    for (const { subject, action } of got.values()) bySubject.set(subject, [...(bySubject.get(subject) ?? []), action]);
    ids.forEach((id, i) => {
      if (i % 2 === 0) expect(bySubject.get(id)?.sort()).toEqual(['erasure', 'rectification']);
      else expect(bySubject.has(id)).toBe(false);
    });
    // The duties are the same in both instances' outboxes, each delivered and acknowledged.
    await eventually(
      () => b.propagation!.list({ recipient: 'crm', status: 'acknowledged' }).length === expected,
      10_000,
      () => 'b sees every late duty acknowledged',
    );
    for (const body of crm.received.map((x) => x.body)) expect(body).not.toMatch(/races@example\.test/);
  }, 240_000);
});

describe('an acknowledgement that arrives while its delivery is in flight', () => {
  it('stands whatever the attempt answers: not sent again, not dead-lettered, also after a restart', async () => {
    const n = 120;
    const gate = gatedTransport();
    const register = registerWith({ collections: { url: 'http://127.0.0.1:9/hook', acknowledgement: 'callback' } });
    const config = configOf();
    // One attempt before the dead letter: a failure recorded over the acknowledgement would dead-letter it.
    const options = { transport: gate.transport, concurrency: n, maxAttempts: 1 };
    let vault = await live(config, register, options);
    cleanups.push(async () => gate.release());
    const ids = await subjects(vault, n);
    await inParallel(n, 12, async (i) => void (await vault.erase(ids[i]!, { ...actor, reason: 'subjectRequest' })));
    await eventually(
      () => gate.waiting.length === n,
      20_000,
      () => `${gate.waiting.length} attempts in flight`,
    );
    // The recipient acts and calls back before it answers the delivery.
    for (const w of gate.waiting) await vault.propagation!.acknowledge(w.id, 'collections', 'callback');
    // Then the attempts end: a third answered, a third timed out, a third with the connection dropped.
    gate.waiting.splice(0).forEach((w, i) => {
      const reason = i % 3 === 1 ? 'timeout' : 'connection';
      w.settle(i % 3 === 0 ? { ok: true, status: 204 } : { ok: false, reason });
    });
    await vault.propagation!.idle();
    await sleep(300); // well past every backoff
    const check = (v: Vault) => {
      const all = v.propagation!.list({ recipient: 'collections' });
      expect(all).toHaveLength(n);
      for (const s of all) expect(s).toMatchObject({ status: 'acknowledged', acknowledgedVia: 'callback' });
      expect(v.propagation!.statusCounts().get('collections')).toEqual({
        pending: 0,
        delivered: 0,
        acknowledged: n,
        deadLettered: 0,
      });
      // Every erasure's propagation is complete, so each has its receipt.
      for (const id of ids) expect(v.propagation!.receiptsOf({ subjectId: id })).toHaveLength(1);
    };
    check(vault);
    expect(gate.waiting).toHaveLength(0);
    await vault.close();
    vault = await live(config, register, options);
    await sleep(300);
    check(vault);
    expect(gate.waiting).toHaveLength(0);
  }, 240_000);
});

describe('a replica with a stable id (VAULT_REPLICA_ID)', () => {
  it("takes its predecessor's claims at once when it comes back under the id; another replica waits", async (ctx) => {
    if (!probe.ok) return ctx.skip(probe.reason);
    const n = 40;
    const collections = await receiver();
    const register = registerWith({ collections: { url: collections.url } });
    const shared = sharedStores();
    // Claims that last two minutes: what waits for them to expire does not arrive within this test.
    const common = { leaseMs: 120_000, timeoutMs: 5_000, concurrency: 4 };
    const gate = gatedTransport();
    // vault-0 claims four notifications and never answers: it is as good as dead (in this process, its pid lives,
    // so only the id can tell its successor whose claims they are).
    const dead = await live(configOf(shared), register, { ...common, transport: gate.transport, replicaId: 'vault-0' });
    cleanups.push(async () => gate.release());
    const ids = await subjects(dead, n);
    await inParallel(n, 8, async (i) => void (await dead.erase(ids[i]!, { ...actor, reason: 'subjectRequest' })));
    await eventually(
      () => gate.waiting.length === 4,
      20_000,
      () => `${gate.waiting.length} claimed by vault-0`,
    );
    const held = new Set(gate.waiting.map((w) => w.id));
    // Another replica delivers the rest and leaves vault-0's four to their claims' expiry.
    const other = await live(configOf(shared), register, { ...common, replicaId: 'vault-1' });
    await eventually(
      () => collections.delivered.size === n - 4,
      30_000,
      () => `${collections.delivered.size}`,
    );
    await sleep(2_500);
    expect(collections.delivered.size).toBe(n - 4);
    for (const id of held) expect(collections.delivered.has(id)).toBe(false);
    await other.close();
    // vault-0 comes back (a new container, another machine: anywhere) and sends its predecessor's four at once.
    const started = Date.now();
    await live(configOf(shared), register, { ...common, replicaId: 'vault-0' });
    await eventually(
      () => collections.delivered.size === n,
      20_000,
      () => `${collections.delivered.size} of ${n}`,
    );
    expect(Date.now() - started).toBeLessThan(15_000);
    for (const id of held) expect(collections.delivered.get(id)).toHaveLength(1);
  }, 240_000);
});

/** The vault's lease store, refusing every call while `down` is set. */
function flakyLeases(real: LeaseStore) {
  const state = { down: false, refused: 0 };
  const guard = <R>(call: () => Promise<R>): Promise<R> => {
    if (!state.down) return call();
    state.refused += 1;
    return Promise.reject(new VaultError('STORE_UNAVAILABLE', 'the lease store does not answer'));
  };
  const leases: LeaseStore = {
    acquire: (k, h, t) => guard(() => real.acquire(k, h, t)),
    release: (k, h) => guard(() => real.release(k, h)),
    holders: (p) => guard(() => real.holders(p)),
    releaseAll: (h) => guard(() => real.releaseAll(h)),
    close: () => real.close(),
  };
  return { leases, state };
}

describe('a lease store that stops answering', () => {
  it('pauses delivery, says so once in the log and the metrics, and resumes by itself when it answers', async () => {
    const n = 150;
    const collections = await receiver();
    const register = registerWith({ collections: { url: collections.url } });
    const config = configOf();
    const flaky = flakyLeases(await openLeaseStore(config));
    const stores = { ...(await openStores(config)), leases: flaky.leases };
    const warnings: string[] = [];
    const metrics = createPrometheusMetrics({ processMetrics: false });
    const paused = async () => {
      const line = (await metrics.scrape()).body.split('\n').find((l) => l.startsWith('vault_notifications_delivery_'));
      return Number(line?.split(' ')[1]);
    };
    flaky.state.down = true;
    const vault = await live(
      config,
      register,
      { leaseRecheckMs: 100 },
      { warn: (m) => warnings.push(m), stores, metrics },
    );
    const ids = await subjects(vault, n);
    await inParallel(n, 12, async (i) => void (await vault.erase(ids[i]!, { ...actor, reason: 'subjectRequest' })));
    await eventually(
      () => flaky.state.refused > 20,
      20_000,
      () => `${flaky.state.refused} refusals`,
    );
    expect(vault.propagation!.deliveryPaused).toBe(true);
    expect(await paused()).toBe(1);
    expect(collections.received).toHaveLength(0);
    // The store answers again: everything is delivered, with no one's help.
    flaky.state.down = false;
    await eventually(
      () => collections.delivered.size === n,
      30_000,
      () => `${collections.delivered.size} of ${n}`,
    );
    expect(vault.propagation!.deliveryPaused).toBe(false);
    expect(await paused()).toBe(0);
    // Said once each way, however many claims were refused, with a code and never a value.
    expect(warnings.filter((w) => w.includes('delivery paused'))).toEqual([
      'propagation: claiming notifications failed (STORE_UNAVAILABLE), delivery paused until the lease store answers',
    ]);
    expect(warnings.filter((w) => w.includes('delivery resumed'))).toHaveLength(1);
    for (const w of warnings) expect(w).not.toMatch(/races@example\.test/);
  }, 240_000);
});
