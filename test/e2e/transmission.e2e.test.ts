import { createHash, createPublicKey, verify } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { loadRegister, type Vault } from '@pdv/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { schemaErrors } from '../support/rightsSchemas.js';
import { dataItem as item } from '../support/tempVault.js';
import { type Api, DPO, startApi, subjectPrincipal } from './apiHarness.js';

/**
 * Direct transmission to another controller (Art. 20(2), issue 24): the subject has its signed
 * portability export sent to a receiving controller its register names. A receiving controller
 * here is a plain HTTP server that imports as docs/api.md tells one to: it takes the key set from
 * the URL it trusts, checks the JWS over the digest and the digest over the bytes, then reads them.
 */

interface Received {
  path: string;
  signature: string;
  keyUrl: string;
  body: Buffer;
}

let api: Api;
let receiver: Server;
const received: Received[] = [];
/** What the receiver answers next: a status, or a redirect to where the export must never go. */
let answer: { status: number; location?: string } = { status: 202 };

async function collect(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

const TRANSMIT =
  'mutation($id: ID!, $to: String!) { transmitPortabilityExport(subjectId: $id, receiver: $to) { receiver controller ' +
  'endpoint delivered status sha256 bytes at } }';

/** A customer with contact data on contract, web analytics observed on consent and a credit score from an agency. */
async function customer(vault: Vault, n: number): Promise<string> {
  const actor = { actor: 'service:crm' };
  const { subjectId: s } = await vault.commands.registerSubject(actor);
  await vault.execute(
    s,
    { type: 'GiveConsent', purpose: 'analytics', noticeId: 'cookie-notice', noticeVersion: '3', channel: 'webForm' },
    actor,
  );
  await vault.execute(
    s,
    {
      type: 'RecordPersonalData',
      items: [
        item('contact', 'name', `Customer ${n}`, 'contract', 'contract'),
        item('contact', 'email', `customer${n}@example.com`, 'contract', 'contract'),
        item('webAnalytics', 'visitorId', `v-${n}`, 'analytics', 'consent', 'observed'),
        item('webAnalytics', 'browsingEvents', `/pricing (${n})`, 'analytics', 'consent', 'observed'),
        item('creditInformation', 'creditScore', 600 + n, 'creditCheck', 'legitimateInterest', 'creditAgency'),
      ],
    },
    actor,
  );
  return s;
}

/** What a receiving controller does before it imports: verify with the key set it trusts, then parse. */
async function importExport(r: Received, trustedKeySet: string): Promise<Record<string, any>> {
  expect(r.keyUrl).toBe(trustedKeySet);
  const { keys } = (await (await fetch(trustedKeySet)).json()) as { keys: { x: string }[] };
  const [header, payload, signature] = r.signature.split('.') as [string, string, string];
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: keys[0]!.x }, format: 'jwk' });
  expect(verify(null, Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'))).toBe(true);
  const digest = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  expect(digest).toMatchObject({
    type: 'ReportDigest',
    kind: 'PORTABILITY',
    sha256: createHash('sha256').update(r.body).digest('hex'),
    bytes: r.body.length,
  });
  return JSON.parse(r.body.toString('utf8')) as Record<string, any>;
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    void collect(req).then((body) => {
      received.push({
        path: req.url ?? '',
        signature: String(req.headers['vault-signature']),
        keyUrl: String(req.headers['vault-signing-key']),
        body,
      });
      res.writeHead(answer.status, answer.location ? { location: answer.location } : {}).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const port = (receiver.address() as AddressInfo).port;
  const register = await loadRegister();
  register.receivingControllers = {
    acme: { name: 'Acme Energy AS', endpoint: `http://127.0.0.1:${port}/imports` },
    gone: { name: 'Gone Ltd', endpoint: 'http://127.0.0.1:9/imports' },
  };
  api = await startApi({ vault: { register } });
}, 60_000);
afterAll(async () => {
  await api?.stop();
  receiver?.close();
});

describe('transmission of a portability export to another controller (Art. 20(2))', () => {
  it('sends the signed export the subject asks for, which the receiver verifies and imports', async () => {
    const s = await customer(api.vault, 1);
    received.length = 0;
    answer = { status: 202 };
    const res = await api.gql(await api.token(subjectPrincipal(s)), TRANSMIT, { id: s, to: 'acme' });
    expect(res.errors).toBeUndefined();
    const t = res.data!.transmitPortabilityExport;
    expect(t).toMatchObject({ receiver: 'acme', controller: 'Acme Energy AS', delivered: true, status: 202 });
    expect(received).toHaveLength(1);
    expect(received[0]!.path).toBe('/imports');
    const doc = await importExport(received[0]!, `${api.server.url}/.well-known/jwks.json`);
    expect(createHash('sha256').update(received[0]!.body).digest('hex')).toBe(t.sha256);
    expect(received[0]!.body.length).toBe(t.bytes);
    expect(schemaErrors('portability-export.schema.json', doc)).toEqual([]);
    // Provided and observed data, never the derived credit score.
    expect(doc.subjectId).toBe(s);
    expect((doc.items as { field: string; origin: string }[]).map((i) => `${i.field}:${i.origin}`).sort()).toEqual([
      'browsingEvents:observed',
      'email:provided',
      'name:provided',
      'visitorId:observed',
    ]);
    // The disclosure is on the subject's record: the receiving controller read what the export holds.
    const report = (await api.vault.rights.report(s, 'ACCESS')).report as Record<string, any>;
    const readers = (report.items as { category: string; recipients: { actual: { actor: string }[] } }[])
      .filter((i) => i.category === 'webAnalytics')
      .flatMap((i) => i.recipients.actual.map((r) => r.actor));
    expect(readers).toContain('controller:acme');
  });

  it('answers undelivered when the receiver refuses, redirects or is not there, and follows no redirect', async () => {
    const s = await customer(api.vault, 2);
    const token = await api.token(DPO);
    for (const [next, to, status] of [
      [{ status: 500 }, 'acme', 500],
      [{ status: 302, location: 'http://127.0.0.1:9/elsewhere' }, 'acme', 302],
      [{ status: 202 }, 'gone', null],
    ] as const) {
      answer = next;
      received.length = 0;
      const res = await api.gql(token, TRANSMIT, { id: s, to });
      expect(res.errors).toBeUndefined();
      expect(res.data!.transmitPortabilityExport).toMatchObject({ delivered: false, status });
      expect(received.map((r) => r.path)).toEqual(to === 'gone' ? [] : ['/imports']);
    }
    answer = { status: 202 };
  });

  it('refuses a receiver the register does not name, listing those it does; and another subject', async () => {
    const s = await customer(api.vault, 3);
    const other = await customer(api.vault, 4);
    received.length = 0;
    const unknown = await api.gql(await api.token(subjectPrincipal(s)), TRANSMIT, {
      id: s,
      to: 'https://attacker.example/collect',
    });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(unknown.errors?.[0]?.message).toContain('allowed: acme, gone');
    expect(JSON.stringify(unknown.errors)).not.toContain('attacker.example');
    const foreign = await api.gql(await api.token(subjectPrincipal(s)), TRANSMIT, { id: other, to: 'acme' });
    expect(foreign.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(received).toEqual([]);
  });

  it('delivers the exports of 30 subjects sent at once, each its own and each verifying', async () => {
    const subjects = await Promise.all(Array.from({ length: 30 }, (_, n) => customer(api.vault, 100 + n)));
    received.length = 0;
    answer = { status: 200 };
    const token = await api.token(DPO);
    const results = await Promise.all(subjects.map((id) => api.gql(token, TRANSMIT, { id, to: 'acme' })));
    expect(results.every((r) => r.data?.transmitPortabilityExport.delivered === true)).toBe(true);
    expect(received).toHaveLength(30);
    const imported = await Promise.all(received.map((r) => importExport(r, `${api.server.url}/.well-known/jwks.json`)));
    expect(imported.map((d) => d.subjectId as string).sort()).toEqual([...subjects].sort());
  });
});
