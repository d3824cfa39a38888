import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  createLogger,
  fixtureRegister,
  getWebhookTransport,
  mintDevToken,
  type NotificationRecipient,
  type NotificationTransport,
  openVault,
  type OpenVaultOptions,
  type ProcessingRegister,
  startServer,
  type Vault,
  type VaultConfig,
} from '@pdv/vault';
import { Webhook } from 'standardwebhooks';
import nacl from 'tweetnacl';
import { afterEach, describe, expect, it } from 'vitest';

import {
  contactItem,
  eventually,
  inParallel,
  type Receiver,
  type Reply,
  startReceiver,
} from './propagationReceivers.js';

/** Each recipient's Standard Webhooks secret, made for this run. */
const secretOf = (name: string) =>
  `whsec_${Buffer.from(nacl.hash(Buffer.from(`propagation-test:${name}`)).subarray(0, 32)).toString('base64')}`;

const SUBJECTS = 120;
const actor = { actor: 'test' };
/** Personal values of subject i: each must never reach a receiver. */
const valuesOf = (i: number) => ({
  email: `person.${i}.propagation@example.test`,
  rectified: `renamed.${i}.propagation@example.test`,
  phone: `+3160${String(1000000 + i)}`,
  name: `Propagation Person ${i} Lastname`,
});

function registerWith(receivers: Record<string, { receiver: Receiver; service?: string }>): ProcessingRegister {
  const recipients: Record<string, NotificationRecipient> = {};
  for (const [name, { receiver, service }] of Object.entries(receivers)) {
    recipients[name] = {
      name,
      ...(service ? { service } : { categories: ['contact'] }),
      delivery: { kind: 'webhook', url: receiver.url, secret: { env: 'UNUSED' } },
      acknowledgement: 'response',
      acknowledgeWithin: 'P7D',
    };
  }
  return { ...fixtureRegister(), recipients };
}

const cleanups: (() => Promise<void>)[] = [];
/** The configuration of the vault `liveVault` opened last (tokens are minted against it). */
let lastConfig: VaultConfig | undefined;
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function receiver(reply: (id: string, attempt: number) => Reply): Promise<Receiver> {
  const r = await startReceiver(reply);
  cleanups.push(() => r.close().catch(() => {}));
  return r;
}

async function liveVault(register: ProcessingRegister, propagation: OpenVaultOptions['propagation'] = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'pdv-propagation-'));
  const secrets = new Map(Object.keys(register.recipients ?? {}).map((n) => [n, secretOf(n)]));
  const config = {
    dataDir,
    masterKey: Buffer.from(nacl.randomBytes(32)).toString('base64'),
    synchronous: 'FULL' as const,
    port: 0,
    logLevel: 'silent',
  };
  lastConfig = config;
  const vault = await openVault(config, {
    register,
    live: true,
    warn: () => {},
    propagation: propagation === false ? false : { secrets, ...propagation },
  });
  cleanups.push(async () => {
    await vault.close().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  });
  return vault;
}

/** SUBJECTS subjects with contact data, the even ones read by crm for `contract`; each rectified, then erased. */
async function workload(vault: Vault): Promise<string[]> {
  const ids: string[] = [];
  await inParallel(SUBJECTS, 12, async (i) => {
    const v = valuesOf(i);
    const { subjectId } = await vault.commands.registerSubject(actor);
    ids[i] = subjectId;
    const items = [contactItem('email', v.email), contactItem('phone', v.phone), contactItem('name', v.name)];
    await vault.execute(subjectId, { type: 'RecordPersonalData', items }, actor);
    if (i % 2 === 0) {
      const at = new Date().toISOString();
      await vault.accessLog.append([
        { actor: 'service:crm', purpose: 'contract', subjectId, categories: ['contact'], at },
      ]);
    }
  });
  await inParallel(SUBJECTS, 12, async (i) => {
    const subjectId = ids[i]!;
    await vault.execute(
      subjectId,
      { type: 'RectifyPersonalData', items: [contactItem('email', valuesOf(i).rectified)] },
      actor,
    );
    await vault.erase(subjectId, { ...actor, reason: 'subjectRequest' });
  });
  return ids;
}

/** The webhook transport, counting the attempts in flight to each recipient (the vault's side of its limit). */
function countingTransport(): NotificationTransport & { max: Map<string, number> } {
  const inner = getWebhookTransport();
  const now = new Map<string, number>();
  const max = new Map<string, number>();
  return {
    max,
    verify: (...a) => inner.verify(...a),
    close: () => inner.close(),
    deliver: async (target, n, o) => {
      const k = (now.get(n.recipient) ?? 0) + 1;
      now.set(n.recipient, k);
      max.set(n.recipient, Math.max(max.get(n.recipient) ?? 0, k));
      try {
        return await inner.deliver(target, n, o);
      } finally {
        now.set(n.recipient, now.get(n.recipient)! - 1);
      }
    },
  };
}

/** No personal value of any subject anywhere in what a receiver got, headers included. */
function expectNoPersonalValues(receivers: Receiver[]): void {
  const bytes = receivers
    .flatMap((r) => r.received.map((x) => JSON.stringify(x.headers) + x.body))
    .join('\n')
    .toLowerCase();
  for (let i = 0; i < SUBJECTS; i++)
    for (const value of Object.values(valuesOf(i))) expect(bytes.includes(value.toLowerCase()), value).toBe(false);
}

/** Every request verifies with Standard Webhooks under the recipient's secret; a tampered body does not. */
function expectSigned(name: string, r: Receiver): void {
  const wh = new Webhook(secretOf(name));
  for (const x of r.received) {
    const headers = x.headers as Record<string, string>;
    expect(() => wh.verify(x.body, headers)).not.toThrow();
    expect(() =>
      wh.verify(x.body.replace('"erasure"', '"rectification"').replace('contact', 'contacT'), headers),
    ).toThrow();
  }
}

describe('propagation to real receivers', () => {
  it('delivers each notification at least once, one id, in order per subject, whatever the receivers do', async () => {
    const healthy = () => ({ status: 204 });
    const r = {
      crm: await receiver(healthy),
      billing: await receiver(healthy),
      failing: await receiver((_, n) => (n <= 2 ? { status: 500 } : { status: 200 })),
      // One notification in four hangs past the vault's timeout on its first attempt.
      hanging: await receiver((id, n) => (n === 1 && parseInt(id.slice(-1), 16) % 4 === 0 ? 'hang' : { status: 202 })),
      closing: await receiver((_, n) => (n === 1 ? 'destroy' : { status: 200 })),
      slow: await receiver(() => ({ status: 200, delayMs: 120 })),
      down: await receiver(healthy),
    };
    await r.down.close();
    const register = registerWith({
      crm: { receiver: r.crm, service: 'crm' },
      billing: { receiver: r.billing, service: 'billing' },
      failing: { receiver: r.failing },
      hanging: { receiver: r.hanging },
      closing: { receiver: r.closing },
      slow: { receiver: r.slow },
      down: { receiver: r.down },
    });
    const transport = countingTransport();
    const vault = await liveVault(register, {
      transport,
      backoffBaseMs: 40,
      backoffMaxMs: 400,
      timeoutMs: 300,
      concurrency: 4,
      maxAttempts: 1000,
    });
    const comeBack = setTimeout(() => void r.down.restart(), 2_000);
    cleanups.push(async () => clearTimeout(comeBack));
    const ids = await workload(vault);
    const propagation = vault.propagation!;
    await propagation.waitFor(await vault.stores.log.headPosition());
    await eventually(
      () => propagation.list().every((s) => s.status === 'acknowledged'),
      // Generous: on a machine shared with other suites, 300 ms timeouts fire on healthy receivers too.
      180_000,
      () => `${propagation.list().filter((s) => s.status !== 'acknowledged').length} not acknowledged`,
    );

    const external = ['failing', 'hanging', 'closing', 'slow', 'down'] as const;
    for (const name of external) {
      const mine = propagation.list({ recipient: name });
      expect(mine, name).toHaveLength(2 * SUBJECTS);
      const got = r[name].delivered;
      expect(new Set(got.keys()), name).toEqual(new Set(mine.map((s) => s.due.notificationId)));
      for (const s of mine) {
        // Every attempt of one notification carries the same id and the same envelope (the timestamp aside).
        const bodies = new Set(
          r[name].received.filter((x) => x.headers['webhook-id'] === s.due.notificationId).map((x) => x.body),
        );
        expect(bodies.size, name).toBe(1);
        expect(JSON.parse([...bodies][0]!)).toMatchObject({
          id: s.due.notificationId,
          specversion: '1.0',
          subject: s.due.subjectId,
        });
      }
      for (const subjectId of ids) {
        const [first, second] = mine.filter((s) => s.due.subjectId === subjectId);
        expect([first!.due.action, second!.due.action]).toEqual(['rectification', 'erasure']);
        expect(got.get(first!.due.notificationId)![0]!.at).toBeLessThanOrEqual(
          got.get(second!.due.notificationId)![0]!.at,
        );
      }
      expectSigned(name, r[name]);
    }
    expect(r.failing.received.length).toBeGreaterThanOrEqual(3 * 2 * SUBJECTS);
    expect(r.hanging.received.length).toBeGreaterThan(2 * SUBJECTS);
    // A service is told of what it read, and only that: crm read the even subjects' contact data, billing nothing.
    const crm = propagation.list({ recipient: 'crm' });
    expect(new Set(crm.map((s) => s.due.subjectId))).toEqual(new Set(ids.filter((_, i) => i % 2 === 0)));
    expect(crm.every((s) => s.due.categories.join() === 'contact')).toBe(true);
    expect(r.crm.delivered.size).toBe(SUBJECTS);
    expect(r.billing.received).toEqual([]);
    // At most 4 attempts in flight to one recipient (a receiver may see more: one the vault timed out runs on there).
    for (const name of Object.keys(r)) expect(transport.max.get(name) ?? 0, name).toBeLessThanOrEqual(4);
    expect(r.slow.maxInFlight).toBeGreaterThan(1);
    expectNoPersonalValues(Object.values(r));
  }, 300_000);
});

describe('acknowledgements and retries', () => {
  it('a recipient that must acknowledge is delivered until its signed callback; a forged one is refused', async () => {
    const acker = await receiver(() => ({ status: 200 }));
    const register = registerWith({ acker: { receiver: acker } });
    register.recipients!['acker'] = { ...register.recipients!['acker']!, acknowledgement: 'callback' };
    const vault = await liveVault(register, { backoffBaseMs: 20 });
    const server = await startServer(vault, { port: 0, logger: createLogger({ level: 'silent' }) });
    cleanups.push(() => server.close());
    const { subjectId } = await vault.commands.registerSubject(actor);
    await vault.execute(
      subjectId,
      { type: 'RecordPersonalData', items: [contactItem('email', 'ack@example.test')] },
      actor,
    );
    await vault.erase(subjectId, { ...actor, reason: 'subjectRequest' });
    const propagation = vault.propagation!;
    await eventually(
      () => acker.delivered.size === 1,
      10_000,
      () => 'not delivered',
    );
    await propagation.idle();
    const [n] = propagation.list({ subjectId });
    expect(n).toMatchObject({ status: 'delivered', due: { action: 'erasure', categories: ['contact'] } });

    const id = n!.due.notificationId;
    const body = JSON.stringify({ notificationIds: [id] });
    const post = (signedWith: string, text = body) => {
      const at = new Date();
      return fetch(`${server.url}/notifications/acker/acknowledgements`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': `ack-${id}`,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': new Webhook(signedWith).sign(`ack-${id}`, at, body),
        },
        body: text,
      });
    };
    expect((await post(secretOf('someoneElse'))).status).toBe(401);
    // A body naming another notification under the same signature: the id's last character changed, never to itself.
    const otherId = id.slice(0, -1) + (id.endsWith('0') ? '1' : '0');
    expect((await post(secretOf('acker'), body.replace(id, otherId))).status).toBe(401);
    expect(propagation.get(id)?.status).toBe('delivered');
    const ok = await post(secretOf('acker'));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ acknowledged: [id] });
    expect(propagation.get(id)).toMatchObject({ status: 'acknowledged', acknowledgedVia: 'callback' });
  });

  it('dead-letters after the configured attempts, and a manual retry delivers it under the same id', async () => {
    let up = false;
    const flaky = await receiver(() => (up ? { status: 200 } : { status: 503 }));
    const vault = await liveVault(registerWith({ flaky: { receiver: flaky } }), { backoffBaseMs: 10, maxAttempts: 3 });
    const { subjectId } = await vault.commands.registerSubject(actor);
    await vault.execute(
      subjectId,
      { type: 'RecordPersonalData', items: [contactItem('email', 'dead@example.test')] },
      actor,
    );
    await vault.erase(subjectId, { ...actor, reason: 'subjectRequest' });
    const propagation = vault.propagation!;
    await eventually(
      () => propagation.list({ status: 'deadLettered' }).length === 1,
      10_000,
      () => 'no dead letter',
    );
    const [dead] = propagation.list({ status: 'deadLettered' });
    expect(dead).toMatchObject({ attempts: 2, totalAttempts: 2, lastReason: 'status:503' });
    expect(flaky.received).toHaveLength(3);
    up = true;
    await propagation.retry(dead!.due.notificationId);
    await eventually(
      () => flaky.delivered.size === 1,
      10_000,
      () => 'not delivered after retry',
    );
    expect([...flaky.delivered.keys()]).toEqual([dead!.due.notificationId]);
    await eventually(
      () => propagation.get(dead!.due.notificationId)?.status === 'acknowledged',
      5_000,
      () => 'not acked',
    );
  });
});

describe('the pull feed and the DPO view', () => {
  it('a pull recipient pages its notifications, acknowledges them, and the DPO sees each state', async () => {
    const register: ProcessingRegister = {
      ...fixtureRegister(),
      recipients: {
        crm: {
          name: 'crm',
          service: 'crm',
          delivery: { kind: 'pull' },
          acknowledgement: 'callback',
          acknowledgeWithin: 'P1D',
        },
      },
    };
    const vault = await liveVault(register);
    const server = await startServer(vault, { port: 0, logger: createLogger({ level: 'silent' }) });
    cleanups.push(() => server.close());
    const gql = async (principal: Parameters<typeof mintDevToken>[1], query: string, variables = {}) => {
      const res = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${await mintDevToken(lastConfig!, principal)}`,
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as { data?: Record<string, any>; errors?: unknown };
      expect(body.errors).toBeUndefined();
      return body.data!;
    };
    const crm = { role: 'service' as const, name: 'crm', purposes: ['contract'] };
    const dpo = { role: 'dpo' as const, name: 'dpo' };
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { subjectId } = await vault.commands.registerSubject(actor);
      ids.push(subjectId);
      await vault.execute(
        subjectId,
        { type: 'RecordPersonalData', items: [contactItem('email', `pull${i}@example.test`)] },
        actor,
      );
      await vault.accessLog.append([
        { actor: 'service:crm', purpose: 'contract', subjectId, categories: ['contact'], at: new Date().toISOString() },
      ]);
      await vault.erase(subjectId, { ...actor, reason: 'subjectRequest' });
    }
    await vault.propagation!.waitFor(await vault.stores.log.headPosition());
    const FEED =
      'query($after: String) { notifications(after: $after, first: 2) { cursor ' +
      'items { id subjectId action status overdue } } }';
    const page1 = (await gql(crm, FEED)).notifications;
    expect(page1.items.map((n: { subjectId: string }) => n.subjectId)).toEqual(ids.slice(0, 2));
    expect(page1.items[0]).toMatchObject({ action: 'erasure', status: 'pending', overdue: false });
    const page2 = (await gql(crm, FEED, { after: page1.cursor })).notifications;
    expect(page2.items.map((n: { subjectId: string }) => n.subjectId)).toEqual([ids[2]]);
    expect((await gql(crm, FEED, { after: page2.cursor })).notifications).toEqual({ cursor: null, items: [] });
    // Another service is no recipient: its feed is empty.
    expect((await gql({ ...crm, name: 'billing' }, FEED)).notifications.items).toEqual([]);

    const all = [...page1.items, ...page2.items].map((n: { id: string }) => n.id);
    const acked = await gql(crm, 'mutation($ids: [ID!]!) { acknowledgeNotifications(ids: $ids) { id status } }', {
      ids: all,
    });
    expect(acked.acknowledgeNotifications.every((n: { status: string }) => n.status === 'acknowledged')).toBe(true);
    const seen = await gql(
      dpo,
      'query($id: ID!) { propagation(subjectId: $id) { recipient action status acknowledgedAt } }',
      {
        id: ids[0],
      },
    );
    expect(seen.propagation).toEqual([
      { recipient: 'crm', action: 'erasure', status: 'acknowledged', acknowledgedAt: expect.any(String) },
    ]);
  });
});
