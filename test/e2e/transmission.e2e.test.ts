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
/**
 * A receiver that fails, then recovers: how many of each subject's exports it still answers with `status` (or, with
 * `drop`, by closing the connection unanswered) before it takes them.
 */
let flaky: { failures: number; status: number; drop?: boolean } | undefined;
const failed = new Map<string, number>();
/** How often a transmission is tried in this file: three attempts, 50 then 100 ms apart. */
const ATTEMPTS = 3;

/** The subject an export is about (a receiver reads its own copy), or '' for a body that is not one. */
function subjectOf(body: Buffer): string {
  try {
    const { subjectId } = JSON.parse(body.toString('utf8')) as { subjectId?: unknown };
    return typeof subjectId === 'string' ? subjectId : '';
  } catch {
    return '';
  }
}

async function collect(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

const TRANSMIT =
  'mutation($id: ID!, $to: String!) { transmitPortabilityExport(subjectId: $id, receiver: $to) { transmissionId ' +
  'receiver controller endpoint delivered status sha256 bytes at attempts { at status sha256 bytes } } }';

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
      const subjectId = subjectOf(body);
      const seen = failed.get(subjectId) ?? 0;
      if (flaky && seen < flaky.failures) {
        failed.set(subjectId, seen + 1);
        if (flaky.drop) req.socket.destroy();
        else res.writeHead(flaky.status).end();
        return;
      }
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
  api = await startApi({ vault: { register, transmission: { attempts: ATTEMPTS, backoffMs: 50 } } });
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
    // Provided and observed data, never the credit score obtained from an agency.
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

  it('answers undelivered when the receiver refuses, redirects or is away; retries only what may change', async () => {
    const s = await customer(api.vault, 2);
    const token = await api.token(DPO);
    // A 5xx and no answer are tried again, up to the attempts; a redirect (never followed) and a 4xx are final.
    for (const [next, to, status, sent] of [
      [{ status: 500 }, 'acme', 500, ATTEMPTS],
      [{ status: 302, location: 'http://127.0.0.1:9/elsewhere' }, 'acme', 302, 1],
      [{ status: 422 }, 'acme', 422, 1],
      [{ status: 202 }, 'gone', null, 0],
    ] as const) {
      answer = next;
      received.length = 0;
      const res = await api.gql(token, TRANSMIT, { id: s, to });
      expect(res.errors).toBeUndefined();
      const t = res.data!.transmitPortabilityExport;
      expect(t).toMatchObject({ delivered: false, status });
      expect(t.attempts).toHaveLength(to === 'gone' ? ATTEMPTS : sent);
      expect(received.map((r) => r.path)).toEqual(Array.from({ length: sent }, () => '/imports'));
    }
    answer = { status: 202 };
    // Each transmission is on the subject's record with how it ended, as the DPO reads it.
    const report = await api.gql(token, 'query($id: ID!) { accessReport(subjectId: $id) { report } }', { id: s });
    const doc = report.data!.accessReport.report;
    expect(schemaErrors('access-report.schema.json', doc)).toEqual([]);
    expect(
      (doc.transmissions as { receiver: string; outcome: string; attempts: { status: number | null }[] }[]).map(
        (t) => `${t.receiver}:${t.outcome}:${t.attempts.map((a) => a.status ?? '-').join('/')}`,
      ),
    ).toEqual(['acme:failed:500/500/500', 'acme:failed:302', 'acme:failed:422', 'gone:failed:-/-/-']);
  });

  it('delivers on a later attempt to a receiver that fails and recovers; the subject sees each attempt', async () => {
    for (const failure of [
      { failures: 2, status: 503 },
      { failures: 1, status: 0, drop: true },
    ]) {
      const s = await customer(api.vault, failure.drop ? 6 : 5);
      received.length = 0;
      flaky = failure;
      answer = { status: 202 };
      const res = await api.gql(await api.token(subjectPrincipal(s)), TRANSMIT, { id: s, to: 'acme' });
      flaky = undefined;
      expect(res.errors).toBeUndefined();
      const t = res.data!.transmitPortabilityExport;
      expect(t).toMatchObject({ delivered: true, status: 202 });
      expect(t.attempts.map((a: { status: number | null }) => a.status)).toEqual(
        failure.drop ? [null, 202] : [503, 503, 202],
      );
      // The receiver verifies what it took, and it is the export the last attempt names.
      const last = received.at(-1)!;
      expect((await importExport(last, `${api.server.url}/.well-known/jwks.json`)).subjectId).toBe(s);
      expect(createHash('sha256').update(last.body).digest('hex')).toBe(t.sha256);
      // On the subject's record: its own request, to whom, every attempt, and no personal value.
      const signed = await api.vault.rights.report(s, 'ACCESS');
      const doc = signed.report as Record<string, any>;
      expect(schemaErrors('access-report.schema.json', doc)).toEqual([]);
      expect(doc.transmissions).toEqual([
        {
          type: 'dpv:RightExerciseRecord',
          dpvRight: 'eu-gdpr:A20',
          transmissionId: t.transmissionId,
          receiver: 'acme',
          receiverName: 'Acme Energy AS',
          requestedBy: `subject:${s}`,
          requestedAt: doc.transmissions[0].requestedAt,
          outcome: 'delivered',
          attempts: t.attempts,
        },
      ]);
      // Asked for (recorded before the first attempt, so a vault stopped before it goes on with it), then attempted.
      expect(doc.transmissions[0].requestedAt <= t.attempts[0].at).toBe(true);
      const events = await api.vault.stores.log.readStream(`subject-${s}`);
      const requested = events.filter((e) => e.type === 'ExportTransmissionRequested');
      expect(requested.map((e) => e.data)).toEqual([
        { transmissionId: t.transmissionId, receiver: 'acme', requestedBy: `subject:${s}` },
      ]);
      expect(requested[0]!.position).toBeLessThan(
        events.find((e) => e.type === 'ExportTransmissionAttempted')!.position,
      );
      const attempts = events.filter((e) => e.type === 'ExportTransmissionAttempted');
      expect(attempts.map((e) => (e.data as { attempt: number }).attempt)).toEqual(
        t.attempts.map((_: unknown, i: number) => i + 1),
      );
      expect(JSON.stringify(attempts)).not.toMatch(/Customer|example\.com|pricing/);
    }
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

  it('delivers the exports of 100 subjects sent at once to a receiver failing each first try; all verify', async () => {
    const subjects = await Promise.all(Array.from({ length: 100 }, (_, n) => customer(api.vault, 100 + n)));
    received.length = 0;
    failed.clear();
    flaky = { failures: 1, status: 503 };
    answer = { status: 200 };
    const token = await api.token(DPO);
    const results = await Promise.all(subjects.map((id) => api.gql(token, TRANSMIT, { id, to: 'acme' })));
    flaky = undefined;
    expect(results.map((r) => r.errors)).toEqual(subjects.map(() => undefined));
    expect(results.every((r) => r.data?.transmitPortabilityExport.delivered === true)).toBe(true);
    expect(results.every((r) => r.data?.transmitPortabilityExport.attempts.length === 2)).toBe(true);
    expect(received).toHaveLength(200);
    // The refused first tries verify too: each attempt sends a whole, freshly signed export.
    const imported = await Promise.all(received.map((r) => importExport(r, `${api.server.url}/.well-known/jwks.json`)));
    expect([...new Set(imported.map((d) => d.subjectId as string))].sort()).toEqual([...subjects].sort());
    const reports = await Promise.all(subjects.map((s) => api.vault.rights.report(s, 'ACCESS')));
    for (const r of reports) {
      expect(schemaErrors('access-report.schema.json', r.report)).toEqual([]);
      expect((r.report.transmissions as { outcome: string }[]).map((t) => t.outcome)).toEqual(['delivered']);
    }
  }, 120_000);
});
