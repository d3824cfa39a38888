import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  createLogger,
  fixtureRegister,
  type FlattenedJws,
  loadConfig,
  mintDevToken,
  openVault,
  type ProcessingRegister,
  type PublicJwk,
  Signer,
  signReceipt,
  startServer,
  type VaultConfig,
  verifyCertificate,
  verifyPropagationReceipt,
} from '@pdv/vault';
import { Webhook } from 'standardwebhooks';
import nacl from 'tweetnacl';
import { afterEach, describe, expect, it } from 'vitest';

import { dropSchema, freshSchema, probePostgres, TEST_POSTGRES_URL } from '../support/postgres.js';
import { receiptRegister, receiptSecrets } from '../support/receiptRegister.js';
import { schemaErrors } from '../support/rightsSchemas.js';
import { contactItem, eventually, type Receiver, startReceiver } from './propagationReceivers.js';

/**
 * What issue 26 left for last: the erasure certificate names the recipients it is notified to, a signed receipt
 * follows once the last of them acknowledged, the access report names the register's external recipients of each
 * category, and a recipient late to acknowledge shows on the request. Against a live vault, its HTTP API and real
 * receivers.
 */

const secretOf = (name: string) =>
  `whsec_${Buffer.from(nacl.hash(Buffer.from(`receipt-test:${name}`)).subarray(0, 32)).toString('base64')}`;

/** Personal values recorded: none may appear in a certificate or a receipt. */
const VALUES = ['receipt.person@example.test', 'Receipt Person Lastname', '+4791234567'];
const actor = { actor: 'test' };
const contact = contactItem;

/**
 * crm (a service, acknowledging by its 2xx), billing (a service that reads nothing), collections (external, by
 * callback).
 */
function registerWith(r: { crm: Receiver; billing: Receiver; collections: Receiver }): ProcessingRegister {
  const webhook = (receiver: Receiver) => ({ kind: 'webhook' as const, url: receiver.url, secret: { env: 'UNUSED' } });
  return {
    ...fixtureRegister(),
    recipients: {
      crm: {
        name: 'crm',
        service: 'crm',
        delivery: webhook(r.crm),
        acknowledgement: 'response',
        acknowledgeWithin: 'P7D',
      },
      billing: {
        name: 'billing',
        service: 'billing',
        delivery: webhook(r.billing),
        acknowledgement: 'response',
        acknowledgeWithin: 'P7D',
      },
      collections: {
        name: 'collections',
        label: 'Example Collections Ltd',
        categories: ['contact'],
        purposes: ['contract'],
        delivery: webhook(r.collections),
        acknowledgement: 'callback',
        acknowledgeWithin: 'P3D',
      },
    },
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function receiver(): Promise<Receiver> {
  const r = await startReceiver(() => ({ status: 204 }));
  cleanups.push(() => r.close().catch(() => {}));
  return r;
}

/** Where the vault keeps its log and state: the embedded default, or PostgreSQL alone (a fresh schema). */
type Backend = 'sqlite' | 'postgres';
const BACKENDS: Backend[] = ['sqlite', 'postgres'];
const probe = await probePostgres();

/** The stores' settings of a backend; a PostgreSQL schema is dropped with the test's cleanups. */
function storesOf(backend: Backend): Partial<VaultConfig> {
  if (backend === 'sqlite') return {};
  const postgresSchema = freshSchema('pdv_receipt');
  cleanups.unshift(() => dropSchema(postgresSchema));
  return { eventStore: 'postgres', stateStore: 'postgres', postgresUrl: TEST_POSTGRES_URL, postgresSchema };
}

/** Skips a PostgreSQL run, saying why, when no server answers. */
const unlessUnreachable = (backend: Backend, ctx: { skip: (note: string) => void }) => {
  if (backend === 'postgres' && !probe.ok) ctx.skip(probe.reason);
};

/** A live vault with its API; its clock runs `skewMs` ahead of the machine's (an acknowledgement falls overdue). */
async function liveApi(register: ProcessingRegister, backend: Backend = 'sqlite') {
  const dataDir = mkdtempSync(join(tmpdir(), 'pdv-receipt-'));
  const clock = { skewMs: 0 };
  const config: VaultConfig = {
    dataDir,
    masterKey: Buffer.from(nacl.randomBytes(32)).toString('base64'),
    synchronous: 'FULL' as const,
    port: 0,
    logLevel: 'silent',
    ...storesOf(backend),
  };
  const secrets = new Map(Object.keys(register.recipients ?? {}).map((n) => [n, secretOf(n)]));
  const open = () =>
    openVault(config, {
      register,
      live: true,
      warn: () => {},
      now: () => new Date(Date.now() + clock.skewMs).toISOString(),
      propagation: { secrets, backoffBaseMs: 20 },
    });
  const vault = await open();
  const server = await startServer(vault, { port: 0, logger: createLogger({ level: 'silent' }) });
  cleanups.push(async () => {
    await server.close().catch(() => {});
    await vault.close().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  });
  const gql = async (principal: Parameters<typeof mintDevToken>[1], query: string, variables = {}) => {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await mintDevToken(config, principal)}`,
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: Record<string, any>; errors?: unknown };
    expect(body.errors).toBeUndefined();
    return body.data!;
  };
  const jwks = async () =>
    ((await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: PublicJwk[] }).keys[0]!;
  /** A recipient's signed acknowledgement of `ids`, as docs/propagation.md shows it. */
  const acknowledge = (recipient: string, ids: string[]) => {
    const body = JSON.stringify({ notificationIds: ids });
    const id = `ack-${ids[0]}`;
    const at = new Date();
    return fetch(`${server.url}/notifications/${recipient}/acknowledgements`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': new Webhook(secretOf(recipient)).sign(id, at, body),
      },
      body,
    });
  };
  /** Stops the API and the vault, and opens the vault again on the same data (the caller closes it). */
  const reopen = async () => {
    await server.close();
    await vault.close();
    const again = await open();
    cleanups.push(() => again.close().catch(() => {}));
    return again;
  };
  return { vault, server, gql, jwks, acknowledge, clock, reopen };
}

const dpo = { role: 'dpo' as const, name: 'dpo' };
const crm = { role: 'service' as const, name: 'crm', purposes: ['contract'] };

const CERTIFICATE_FIELDS =
  'certificate { subjectId erasedAt reason requestId actor categoriesShredded keyIdsDestroyed keysDestroyedAt ' +
  'staleCopiesUnreadableBy kekCustody eventId signingKeyId categoriesRetained { category basis until } ' +
  'recipients { recipient categories notificationId } } jws { protected payload signature }';
const RECEIPT =
  'query($r: ID, $s: ID) { propagationReceipts(requestId: $r, subjectId: $s) { receipt { subjectId requestId ' +
  'erasureEventId erasedAt completedAt signingKeyId recipients { recipient notificationId categories deliveredAt ' +
  'acknowledgedAt acknowledgedVia } } jws { protected payload signature } } }';
const RECEIPT_OF_FIELDS = RECEIPT.replace('erasureEventId', 'erasureEventId fields entry');
const LATE = 'query { requests(propagationOverdue: true) { id status overdue propagationOverdue } }';

const payloadOf = (jws: FlattenedJws) => JSON.parse(Buffer.from(jws.payload, 'base64url').toString('utf8'));
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** A subject with contact data that crm read through the API (the read still buffered when the erasure comes). */
async function readSubject(api: Awaited<ReturnType<typeof liveApi>>): Promise<string> {
  const { subjectId } = await api.vault.commands.registerSubject(actor);
  const [email, name, phone] = VALUES as [string, string, string];
  await api.vault.execute(
    subjectId,
    { type: 'RecordPersonalData', items: [contact('email', email), contact('name', name), contact('phone', phone)] },
    actor,
  );
  const read = await api.gql(
    crm,
    'query($id: ID!) { subject(id: $id, purpose: "contract") { items { status category } } }',
    { id: subjectId },
  );
  expect(read.subject.items.every((i: { status: string }) => i.status === 'VALUE')).toBe(true);
  return subjectId;
}

describe.each(BACKENDS)('the erasure certificate, the propagation receipt and the late request (%s)', (backend) => {
  it('names the recipients in the certificate, signs a receipt on the last acknowledgement, flags late', async (c) => {
    unlessUnreachable(backend, c);
    const r = { crm: await receiver(), billing: await receiver(), collections: await receiver() };
    const api = await liveApi(registerWith(r), backend);
    const subjectId = await readSubject(api);
    const opened = await api.gql(
      dpo,
      'mutation($id: ID!, $at: DateTime!) { openRequest(subjectId: $id, type: ERASURE, receivedAt: $at, ' +
        'channel: email) { id } }',
      { id: subjectId, at: api.vault.now() },
    );
    const requestId = opened.openRequest.id as string;
    await api.gql(dpo, 'mutation($r: ID!) { verifyIdentity(requestId: $r, method: idDocument) { id } }', {
      r: requestId,
    });
    const done = await api.gql(
      dpo,
      `mutation($r: ID!) { completeRequest(requestId: $r) { certificate { ${CERTIFICATE_FIELDS} } } }`,
      {
        r: requestId,
      },
    );

    // The certificate names crm (it read the contact data) and collections (the register), not billing (read nothing).
    const key = await api.jwks();
    const { certificate, jws } = done.completeRequest.certificate;
    const signed = verifyCertificate({ certificate, jws }, key);
    expect(signed.recipients.map((x) => [x.recipient, x.categories])).toEqual([
      ['collections', ['contact']],
      ['crm', ['contact']],
    ]);
    expect(schemaErrors('erasure-certificate.schema.json', signed)).toEqual([]);

    // Propagation uses the same ids; crm's 2xx acknowledges, collections still owes its callback: no receipt yet.
    const propagation = api.vault.propagation!;
    await eventually(
      () => r.crm.delivered.size === 1 && r.collections.delivered.size === 1,
      20_000,
      () => 'not delivered',
    );
    const notified = propagation.list({ requestId });
    expect(new Set(notified.map((n) => n.due.notificationId))).toEqual(
      new Set(signed.recipients.map((x) => x.notificationId)),
    );
    expect(r.billing.received).toEqual([]);
    await eventually(
      () => propagation.get(signed.recipients[1]!.notificationId)?.status === 'acknowledged',
      10_000,
      () => 'crm not acknowledged',
    );
    expect((await api.gql(dpo, RECEIPT, { r: requestId })).propagationReceipts).toEqual([]);

    // Past collections' acknowledgeWithin (P3D) the request shows it, as an overdue answer shows.
    expect((await api.gql(dpo, LATE)).requests).toEqual([]);
    api.clock.skewMs = 4 * 24 * 3600_000;
    expect((await api.gql(dpo, LATE)).requests).toEqual([
      { id: requestId, status: 'COMPLETED', overdue: false, propagationOverdue: true },
    ]);
    const late = await api.gql(dpo, 'query { requests(status: COMPLETED) { id propagationOverdue } }');
    expect(late.requests).toEqual([{ id: requestId, propagationOverdue: true }]);

    // The last acknowledgement: the receipt is recorded and signed, and the request is no longer late.
    const collectionsId = signed.recipients[0]!.notificationId;
    expect((await api.acknowledge('collections', [collectionsId])).status).toBe(200);
    await eventually(
      () => propagation.receipt({ requestId }) !== undefined,
      10_000,
      () => 'no receipt',
    );
    expect((await api.gql(dpo, LATE)).requests).toEqual([]);
    const shown = (await api.gql(dpo, RECEIPT, { r: requestId })).propagationReceipts[0];
    const receipt = verifyPropagationReceipt(shown, key);
    expect(schemaErrors('propagation-receipt.schema.json', receipt)).toEqual([]);
    expect(receipt).toMatchObject({
      type: 'PropagationReceipt',
      subjectId,
      requestId,
      erasureEventId: signed.eventId,
      erasedAt: signed.erasedAt,
      completedAt: propagation.get(collectionsId)!.acknowledgedAt,
      signingKeyId: key.kid,
    });
    expect(receipt.recipients.map((x) => [x.recipient, x.notificationId, x.acknowledgedVia])).toEqual(
      signed.recipients.map((x) => [x.recipient, x.notificationId, x.recipient === 'crm' ? 'response' : 'callback']),
    );
    // By subject too; the same bytes each time (signed once, in effect); a retry afterwards changes nothing.
    const bySubject = (await api.gql(dpo, RECEIPT, { s: subjectId })).propagationReceipts[0];
    expect(bySubject.jws).toEqual(shown.jws);
    await propagation.retry(collectionsId);
    expect((await api.gql(dpo, RECEIPT, { r: requestId })).propagationReceipts[0].jws).toEqual(shown.jws);

    // No personal value in the certificate, the receipt or their signed payloads.
    const bytes = JSON.stringify([done, shown, payloadOf(jws), payloadOf(shown.jws)]).toLowerCase();
    for (const v of VALUES) expect(bytes.includes(v.toLowerCase()), v).toBe(false);
    for (const x of r.collections.received.concat(r.crm.received))
      for (const v of VALUES) expect(x.body.includes(v)).toBe(false);
  }, 60_000);

  it("signs a field erasure's own receipt, shown by subject, and a case's value names its entry", async (ctx) => {
    unlessUnreachable(backend, ctx);
    const r = { crm: await receiver(), billing: await receiver(), collections: await receiver() };
    const api = await liveApi(registerWith(r), backend);
    const subjectId = await readSubject(api);
    const propagation = api.vault.propagation!;
    // A value of one case (an entry), rectified: the recipients hear which case, by its id, and nothing of the value.
    const caseValue = (value: string) => ({ ...contact('address', value), entry: 'CASE-7' });
    const write = (m: string, value: string) =>
      api.gql(
        crm,
        `mutation($id: ID!, $items: [PersonalDataInput!]!) { ${m}(subjectId: $id, items: $items) { revision } }`,
        {
          id: subjectId,
          items: [caseValue(value)],
        },
      );
    await write('recordPersonalData', 'Case Street 1');
    await write('rectifyPersonalData', 'Case Street 2');
    await eventually(
      () => r.collections.delivered.size === 1,
      20_000,
      () => 'rectification not delivered',
    );
    const sent = JSON.parse(r.collections.received[0]!.body) as { data: Record<string, unknown> };
    expect(sent.data).toMatchObject({ action: 'rectification', fields: ['address'], entry: 'CASE-7' });
    const pulled = await api.gql(dpo, 'query($id: ID!) { propagation(subjectId: $id) { action entry } }', {
      id: subjectId,
    });
    expect(pulled.propagation).toContainEqual({ action: 'rectification', entry: 'CASE-7' });

    // One field erased: crm's 2xx acknowledges it, collections owes its callback; then the receipt, by subject.
    await api.gql(
      dpo,
      'mutation($id: ID!) { erasePersonalData(subjectId: $id, category: "contact", field: "phone", ' +
        'reason: subjectRequest) { revision } }',
      { id: subjectId },
    );
    const erasureOf = () => propagation.list({ subjectId }).filter((n) => n.due.action === 'erasure');
    await eventually(
      () => erasureOf().length === 2 && erasureOf().every((n) => n.status !== 'pending'),
      20_000,
      () => 'field erasure not delivered',
    );
    expect((await api.gql(dpo, RECEIPT_OF_FIELDS, { s: subjectId })).propagationReceipts).toEqual([]);
    const collectionsId = erasureOf().find((n) => n.due.recipient === 'collections')!.due.notificationId;
    expect((await api.acknowledge('collections', [collectionsId])).status).toBe(200);
    await eventually(
      () => propagation.receiptsOf({ subjectId }).length === 1,
      10_000,
      () => 'no receipt of the field erasure',
    );
    const shown = (await api.gql(dpo, RECEIPT_OF_FIELDS, { s: subjectId })).propagationReceipts;
    expect(shown).toHaveLength(1);
    const key = await api.jwks();
    const receipt = verifyPropagationReceipt(shown[0], key);
    expect(schemaErrors('propagation-receipt.schema.json', receipt)).toEqual([]);
    expect(receipt).toMatchObject({
      subjectId,
      requestId: null,
      erasureEventId: erasureOf()[0]!.due.sourceEventId,
      fields: ['phone'],
      completedAt: propagation.get(collectionsId)!.acknowledgedAt,
    });
    expect(receipt).not.toHaveProperty('entry');
    expect(receipt.recipients.map((x) => [x.recipient, x.acknowledgedVia])).toEqual([
      ['collections', 'callback'],
      ['crm', 'response'],
    ]);
    // By the erasure request: none (a field's erasure has no request). The subject's erasure adds its own receipt.
    const { certificate } = await api.vault.erase(subjectId, { ...actor, reason: 'subjectRequest' });
    await eventually(
      () => r.collections.received.length === 3,
      20_000,
      () => 'subject erasure not delivered',
    );
    const last = propagation
      .list({ subjectId })
      .find((n) => n.due.sourceEventId === certificate.eventId && n.due.recipient === 'collections')!;
    expect((await api.acknowledge('collections', [last.due.notificationId])).status).toBe(200);
    await eventually(
      () => propagation.receiptsOf({ subjectId }).length === 2,
      10_000,
      () => "no receipt of the subject's erasure",
    );
    const both = (await api.gql(dpo, RECEIPT_OF_FIELDS, { s: subjectId })).propagationReceipts;
    expect(both.map((x: { receipt: { fields: string[] | null } }) => x.receipt.fields)).toEqual([['phone'], null]);
    expect(both[0].jws).toEqual(shown[0].jws);
    expect(verifyPropagationReceipt(both[1], key)).not.toHaveProperty('fields');

    const bytes = JSON.stringify([shown, both, r.collections.received, r.crm.received]).toLowerCase();
    for (const v of [...VALUES, 'Case Street 1', 'Case Street 2'])
      expect(bytes.includes(v.toLowerCase()), v).toBe(false);
  }, 60_000);

  it('a forged or altered receipt fails verification', async (ctx) => {
    unlessUnreachable(backend, ctx);
    const r = { crm: await receiver(), billing: await receiver(), collections: await receiver() };
    const api = await liveApi(registerWith(r), backend);
    const subjectId = await readSubject(api);
    const { certificate, jws: certificateJws } = await api.vault.erase(subjectId, {
      ...actor,
      reason: 'subjectRequest',
    });
    const propagation = api.vault.propagation!;
    await eventually(
      () => propagation.get(certificate.recipients[0]!.notificationId)?.status === 'delivered',
      20_000,
      () => 'not delivered',
    );
    expect((await api.acknowledge('collections', [certificate.recipients[0]!.notificationId])).status).toBe(200);
    await eventually(
      () => propagation.receipt({ subjectId }) !== undefined,
      20_000,
      () => 'no receipt',
    );
    const { receipt, jws } = (await api.gql(dpo, RECEIPT, { s: subjectId })).propagationReceipts[0] as {
      receipt: Record<string, any>;
      jws: FlattenedJws;
    };
    const key = await api.jwks();
    expect(verifyPropagationReceipt({ jws }, key).completedAt).toBe(receipt.completedAt);

    // Its payload altered (a later completion, one recipient dropped): the signature no longer covers it.
    const altered = { ...payloadOf(jws), completedAt: '2020-01-01T00:00:00.000Z' };
    expect(() => verifyPropagationReceipt({ jws: { ...jws, payload: b64(altered) } }, key)).toThrow();
    const dropped = { ...payloadOf(jws), recipients: payloadOf(jws).recipients.slice(1) };
    expect(() => verifyPropagationReceipt({ jws: { ...jws, payload: b64(dropped) } }, key)).toThrow();
    // A genuine signature beside a receipt that shows something else.
    const shownOtherwise = structuredClone(receipt);
    shownOtherwise.recipients[0].acknowledgedAt = '2020-01-01T00:00:00.000Z';
    expect(() => verifyPropagationReceipt({ jws, receipt: shownOtherwise }, key)).toThrow(/differs/);
    // Signed with another key that claims the vault's key id.
    const forger = new Signer(nacl.randomBytes(32));
    const forged = forger.sign({ ...payloadOf(jws), signingKeyId: key.kid }, 'pdv-propagation-receipt+json');
    const header = { ...JSON.parse(Buffer.from(forged.protected, 'base64url').toString('utf8')), kid: key.kid };
    expect(() => verifyPropagationReceipt({ jws: { ...forged, protected: b64(header) } }, key)).toThrow();
    expect(() => verifyPropagationReceipt({ jws: forged }, key)).toThrow();
    // Another signed document of the vault (the certificate) does not pass for a receipt, nor the receipt for it.
    expect(() => verifyPropagationReceipt({ jws: certificateJws }, key)).toThrow(/not a propagation receipt/);
    expect(() => verifyCertificate({ jws }, key)).toThrow(/not an erasure certificate/);
    // The schema is closed.
    expect(schemaErrors('propagation-receipt.schema.json', { ...payloadOf(jws), note: 'x' })).not.toEqual([]);

    // Recorded, not recomputed: after a restart the same receipt, signed to the same bytes.
    const again = await api.reopen();
    expect(signReceipt(again.signer, again.propagation!.receipt({ subjectId })!).jws).toEqual(jws);
  }, 60_000);
});

describe('the access report names the external recipients of each category (Art. 15(1)(c), Art. 19)', () => {
  it('beside the services that read it, in JSON that validates and in the readable page, each language', async () => {
    const r = { crm: await receiver(), billing: await receiver(), collections: await receiver() };
    const api = await liveApi(registerWith(r));
    const subjectId = await readSubject(api);
    await api.server.flushAccessLog();
    const { accessReport } = await api.gql(
      dpo,
      'query($id: ID!) { accessReport(subjectId: $id) { text en: html(language: "en") nb: html(language: "nb") ' +
        'da: html(language: "da") } }',
      { id: subjectId },
    );
    const report = JSON.parse(accessReport.text);
    const items = report.items as { category: string; recipients: Record<string, any[]> }[];
    for (const item of items.filter((i) => i.category === 'contact')) {
      expect(item.recipients.external).toEqual([
        { recipient: 'collections', name: 'Example Collections Ltd', purposes: ['contract'] },
      ]);
      expect(item.recipients.actual!.map((a) => a.actor)).toEqual(['service:crm']);
    }
    expect(schemaErrors('access-report.schema.json', report)).toEqual([]);
    for (const [language, words] of [
      ['en', 'is told of every correction, erasure and restriction'],
      ['nb', 'får beskjed om hver retting, sletting og begrensning'],
      ['da', 'får besked om hver berigtigelse, sletning og begrænsning'],
    ] as const) {
      const html = accessReport[language] as string;
      expect(html).toContain(`Example Collections Ltd: `);
      expect(html).toContain(words);
    }
    // Erased, the category still names them: they were told of the erasure.
    await api.vault.erase(subjectId, { ...actor, reason: 'subjectRequest' });
    const erased = (await api.vault.rights.report(subjectId, 'ACCESS')).report;
    const contactErased = (erased.items as { category: string; recipients: Record<string, unknown[]> }[]).find(
      (i) => i.category === 'contact',
    )!;
    expect(contactErased.recipients.external).toHaveLength(1);
    expect(schemaErrors('access-report.schema.json', erased)).toEqual([]);
  }, 60_000);
});

const KILL_CHILD = fileURLToPath(new URL('../support/receiptKillChild.ts', import.meta.url));

/** Runs the child until it is about to record the receipt; returns the subject it erased once it is killed. */
async function killBeforeReceipt(env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', KILL_CHILD], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(async () => void child.kill('SIGKILL'));
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no receipt due within 90 s: ${out} ${err}`)), 90_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!out.includes('receipt-due')) return;
      clearTimeout(timer);
      resolve();
    });
    void exited.then(() => reject(new Error(`the child exited: ${err}`)));
  });
  child.kill('SIGKILL');
  await exited;
  const subjectId = /subject (\S+)/.exec(out)?.[1];
  expect(subjectId, out).toBeDefined();
  return subjectId!;
}

describe.each(BACKENDS)('a kill between the last acknowledgement and the receipt (%s)', (backend) => {
  it('leaves the acknowledgement recorded and no receipt; the vault issues it when it starts again', async (ctx) => {
    unlessUnreachable(backend, ctx);
    const r = await receiver();
    const dataDir = mkdtempSync(join(tmpdir(), 'pdv-receipt-kill-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const stores = storesOf(backend);
    const env: Record<string, string> = {
      VAULT_DATA_DIR: dataDir,
      VAULT_MASTER_KEY: Buffer.from(nacl.randomBytes(32)).toString('base64'),
      VAULT_LOG_LEVEL: 'silent',
      VAULT_RETENTION_INTERVAL_MINUTES: '0',
      ...(stores.eventStore
        ? {
            VAULT_EVENT_STORE: 'postgres',
            VAULT_STATE_STORE: 'postgres',
            VAULT_POSTGRES_URL: TEST_POSTGRES_URL,
            VAULT_POSTGRES_SCHEMA: stores.postgresSchema!,
          }
        : {}),
    };
    const subjectId = await killBeforeReceipt({ ...process.env, ...env, TEST_RECEIVER_URL: r.url });
    const register = receiptRegister(r.url);
    // Each open reads the environment anew (the master key is consumed by the custody), as a restarted process.
    const open = (live: boolean) =>
      openVault(loadConfig(env), {
        register,
        live,
        warn: () => {},
        propagation: { secrets: receiptSecrets(register) },
      });

    // What the kill left: the recipient's acknowledgement (its 2xx) is in the log, the receipt is not.
    const dead = await open(false);
    const stream = await dead.stores.log.readStream('notifications');
    await dead.close();
    expect(stream.map((e) => e.type)).toContain('NotificationDelivered');
    expect(stream.find((e) => e.type === 'NotificationDelivered')!.data).toMatchObject({ acknowledged: true });
    expect(stream.map((e) => e.type)).not.toContain('PropagationReceiptIssued');

    // Started again, it issues the receipt from what is recorded, and delivers nothing again.
    const vault = await open(true);
    cleanups.push(() => vault.close().catch(() => {}));
    await eventually(
      () => vault.propagation!.receipt({ subjectId }) !== undefined,
      20_000,
      () => 'no receipt after the restart',
    );
    const data = vault.propagation!.receipt({ subjectId })!;
    const receipt = verifyPropagationReceipt(signReceipt(vault.signer, data), vault.signer.publicJwk);
    expect(receipt).toMatchObject({ subjectId, requestId: null });
    expect(receipt.recipients.map((x) => [x.recipient, x.acknowledgedVia])).toEqual([['collections', 'response']]);
    const [id] = [...r.delivered.keys()];
    expect(receipt.recipients[0]!.notificationId).toBe(id);
    expect(r.delivered.get(id!)).toHaveLength(1);
    const recorded = (await vault.stores.log.readStream('notifications')).filter(
      (e) => e.type === 'PropagationReceiptIssued',
    );
    expect(recorded).toHaveLength(1);
  }, 120_000);
});
