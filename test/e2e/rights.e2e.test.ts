import { execFile, spawnSync } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { addIsoDuration, fixtureRegister } from '@pdv/vault';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { schemaErrors } from '../support/rightsSchemas.js';
import { type Api, DPO, SERVICE, startApi, subjectPrincipal } from './apiHarness.js';

const T0 = '2026-03-02T10:00:00.000Z';
const clock = { now: T0 };
let api: Api;
let dpo: string;

/** Every personal value the suite records: none may reach a log line. */
const VALUES: string[] = [];
/** Every download token the suite sees: none may reach a log line. */
const TOKENS: string[] = [];

let n = 0;
async function seedSubject(): Promise<{ id: string; email: string; name: string }> {
  const email = `rights-${++n}@example.com`;
  const name = `Rhea Rights ${n}`;
  VALUES.push(email, name);
  const actor = { actor: 'service:crm' };
  const { subjectId: id } = await api.vault.commands.registerSubject(actor);
  await api.vault.execute(
    id,
    {
      type: 'RecordPersonalData',
      items: [
        {
          category: 'contact',
          field: 'email',
          value: email,
          purpose: 'contract',
          legalBasis: 'contract',
          source: 'subject',
        },
        {
          category: 'contact',
          field: 'name',
          value: name,
          purpose: 'contract',
          legalBasis: 'contract',
          source: 'subject',
        },
      ],
    },
    actor,
  );
  return { id, email, name };
}

const LINK =
  'mutation($id: ID!, $kind: ExportKind!) { createExportLink(subjectId: $id, kind: $kind) { url kind expiresAt } }';
async function createLink(
  subjectId: string,
  kind: 'ACCESS' | 'PORTABILITY' = 'ACCESS',
): Promise<{ url: string; expiresAt: string }> {
  const res = await api.gql(dpo, LINK, { id: subjectId, kind });
  expect(res.errors).toBeUndefined();
  const link = res.data!.createExportLink as { url: string; expiresAt: string };
  TOKENS.push(link.url.split('/').pop()!);
  return link;
}

const REQUEST_FIELDS = 'id subjectId type status receivedAt channel dueAt extendedMonths verifiedAt closedAt overdue';
const OPEN =
  `mutation($id: ID!, $type: RequestType!, $at: DateTime!) { openRequest(subjectId: $id, type: $type, ` +
  `receivedAt: $at, channel: email) { ${REQUEST_FIELDS} } }`;
const EXTEND =
  `mutation($r: ID!, $months: Int!, $reason: String!) { extendRequest(requestId: $r, months: $months, ` +
  `reason: $reason) { ${REQUEST_FIELDS} } }`;
const VERIFY = `mutation($r: ID!) { verifyIdentity(requestId: $r, method: idDocument) { id verifiedAt } }`;

/** An Ed25519 compact JWS verified with node:crypto (not tweetnacl) against a JWK from the published set. */
function verifyCompact(jws: string, jwks: { keys: Record<string, string>[] }): Record<string, unknown> {
  const [protectedHeader, payload, signature] = jws.split('.') as [string, string, string];
  const header = JSON.parse(Buffer.from(protectedHeader, 'base64url').toString('utf8')) as { alg: string; kid: string };
  expect(header.alg).toBe('EdDSA');
  const jwk = jwks.keys.find((k) => k.kid === header.kid)!;
  expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
  const key = createPublicKey({ key: { kty: jwk.kty!, crv: jwk.crv!, x: jwk.x! }, format: 'jwk' });
  expect(verify(null, Buffer.from(`${protectedHeader}.${payload}`), key, Buffer.from(signature, 'base64url'))).toBe(
    true,
  );
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

beforeAll(async () => {
  // Contact data may come from a third party here, which opens an Art. 14 duty to inform.
  const register = fixtureRegister();
  register.categories.contact!.sources = ['subject', 'thirdParty'];
  api = await startApi({ vault: { register, now: () => clock.now } });
  dpo = await api.token(DPO);
});
afterAll(async () => api?.stop());

describe('request workflow over HTTP', () => {
  it('opens a request due a calendar month after receipt, verifies, extends by at most two months', async () => {
    const s = await seedSubject();
    const opened = await api.gql(dpo, OPEN, { id: s.id, type: 'ACCESS', at: '2026-01-31T09:00:00Z' });
    expect(opened.errors).toBeUndefined();
    const r = opened.data!.openRequest;
    expect(r).toMatchObject({
      subjectId: s.id,
      type: 'ACCESS',
      status: 'OPEN',
      channel: 'email',
      receivedAt: '2026-01-31T09:00:00.000Z',
      dueAt: '2026-02-28T09:00:00.000Z',
      extendedMonths: 0,
      verifiedAt: null,
      overdue: true,
    });

    const verified = await api.gql(
      dpo,
      `mutation($r: ID!) { verifyIdentity(requestId: $r, method: idDocument) { ${REQUEST_FIELDS} } }`,
      { r: r.id },
    );
    expect(verified.data!.verifyIdentity.verifiedAt).toBe(T0);
    // Art. 12(3): its first month ended Feb 28, so it can no longer be extended; it stays overdue.
    const late = await api.gql(dpo, EXTEND, { r: r.id, months: 1, reason: 'too late' });
    expect(late.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(late.errors?.[0]?.message).toMatch(/only within its first answer period/);

    // Received Feb 28, due Mar 28: within its first month on Mar 2, it can be extended.
    const recent = (await api.gql(dpo, OPEN, { id: s.id, type: 'ACCESS', at: '2026-02-28T09:00:00Z' })).data!
      .openRequest;
    expect(recent).toMatchObject({ dueAt: '2026-03-28T09:00:00.000Z', overdue: false });
    const once = await api.gql(dpo, EXTEND, { r: recent.id, months: 1, reason: 'many categories to collect' });
    expect(once.data!.extendRequest).toMatchObject({
      extendedMonths: 1,
      dueAt: '2026-04-28T09:00:00.000Z',
      overdue: false,
    });
    const twice = await api.gql(dpo, EXTEND, { r: recent.id, months: 1, reason: 'still collecting' });
    expect(twice.data!.extendRequest).toMatchObject({ extendedMonths: 2, dueAt: '2026-05-28T09:00:00.000Z' });
    const third = await api.gql(dpo, EXTEND, { r: recent.id, months: 1, reason: 'one more' });
    expect(third.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', path: 'months' });

    const ids = (res: { data?: Record<string, { id: string }[]> | null }) => res.data!.requests!.map((q) => q.id);
    const open = await api.gql(dpo, `{ requests(status: OPEN) { id } }`);
    expect(ids(open)).toEqual(expect.arrayContaining([r.id, recent.id]));
    const dueSoon = await api.gql(dpo, `query($d: DateTime!) { requests(dueBefore: $d) { id } }`, {
      d: '2026-06-01T00:00:00Z',
    });
    expect(ids(dueSoon)).toContain(recent.id);
    const dueEarlier = await api.gql(dpo, `query($d: DateTime!) { requests(dueBefore: $d) { id } }`, {
      d: '2026-05-01T00:00:00Z',
    });
    expect(ids(dueEarlier)).not.toContain(recent.id);
    const overdue = ids(await api.gql(dpo, `{ requests(overdue: true) { id } }`));
    expect(overdue).toContain(r.id);
    expect(overdue).not.toContain(recent.id);

    // The reasons read back: for the DPO on the request, and for the subject in its access report (Art. 12(3)).
    const listed = await api.gql(
      dpo,
      `{ requests(status: OPEN) { id extensions { months at reason } refusalReason } }`,
    );
    expect(listed.data!.requests.find((q: { id: string }) => q.id === recent.id)).toEqual({
      id: recent.id,
      extensions: [
        { months: 1, at: T0, reason: 'many categories to collect' },
        { months: 1, at: T0, reason: 'still collecting' },
      ],
      refusalReason: null,
    });
    const report = (
      await api.gql(
        await api.token(subjectPrincipal(s.id)),
        'query($id: ID!) { accessReport(subjectId: $id) { report } }',
        { id: s.id },
      )
    ).data!.accessReport.report;
    expect(report.requests).toEqual([
      expect.objectContaining({ requestId: r.id, missedDeadlineAt: '2026-02-28T09:00:00.000Z', extensions: [] }),
      expect.objectContaining({
        requestId: recent.id,
        missedDeadlineAt: null,
        extensions: [
          expect.objectContaining({ reason: 'many categories to collect' }),
          expect.objectContaining({ reason: 'still collecting' }),
        ],
      }),
    ]);
    expect(report.requests[0]).not.toHaveProperty('refusalReason');
  });

  it('completing an access request returns a download link, an erasure request its certificate', async () => {
    const s = await seedSubject();
    const access = (await api.gql(dpo, OPEN, { id: s.id, type: 'ACCESS', at: T0 })).data!.openRequest;
    await api.gql(dpo, VERIFY, { r: access.id });
    const done = await api.gql(
      dpo,
      'mutation($r: ID!) { completeRequest(requestId: $r) { request { status closedAt } link { url kind expiresAt ' +
        '} ' +
        'certificate { certificate { subjectId } } } }',
      { r: access.id },
    );
    expect(done.errors).toBeUndefined();
    const c = done.data!.completeRequest;
    expect(c).toMatchObject({
      request: { status: 'COMPLETED', closedAt: T0 },
      link: { kind: 'ACCESS', expiresAt: addIsoDuration(T0, 'P7D') },
      certificate: null,
    });
    expect(c.link.url).toMatch(new RegExp(`^${api.server.url}/exports/[A-Za-z0-9_-]{43}$`));
    TOKENS.push(c.link.url.split('/').pop());
    const res = await fetch(c.link.url);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(s.email);

    const again = await api.gql(dpo, 'mutation($r: ID!) { completeRequest(requestId: $r) { request { status } } }', {
      r: access.id,
    });
    expect(again.errors?.[0]?.extensions?.code).toBe('CONFLICT');

    const erasure = (await api.gql(dpo, OPEN, { id: s.id, type: 'ERASURE', at: T0 })).data!.openRequest;
    await api.gql(dpo, VERIFY, { r: erasure.id });
    const erased = await api.gql(
      dpo,
      'mutation($r: ID!) { completeRequest(requestId: $r) { request { status } link { url } certificate { ' +
        'certificate { subjectId categoriesShredded } jws { signature } } } }',
      { r: erasure.id },
    );
    expect(erased.errors).toBeUndefined();
    expect(erased.data!.completeRequest).toMatchObject({
      request: { status: 'COMPLETED' },
      link: null,
      certificate: { certificate: { subjectId: s.id, categoriesShredded: ['contact'] } },
    });
  });

  it('two completions of one access request racing make one link: the other is CONFLICT', async () => {
    const s = await seedSubject();
    const access = (await api.gql(dpo, OPEN, { id: s.id, type: 'ACCESS', at: T0 })).data!.openRequest;
    await api.gql(dpo, VERIFY, { r: access.id });
    const COMPLETE = 'mutation($r: ID!) { completeRequest(requestId: $r) { link { url } } }';
    const answers = await Promise.all([
      api.gql(dpo, COMPLETE, { r: access.id }),
      api.gql(dpo, COMPLETE, { r: access.id }),
    ]);
    expect(answers.map((a) => (a.errors ? a.errors[0]!.extensions!.code : 'OK')).sort()).toEqual(['CONFLICT', 'OK']);
    expect(Object.keys((await api.vault.commands.load(s.id)).rights.links)).toHaveLength(1);
  });

  it('refuses to complete a request whose requester was not verified, and erases or hands over nothing', async () => {
    const s = await seedSubject();
    for (const type of ['ERASURE', 'ACCESS']) {
      const r = (await api.gql(dpo, OPEN, { id: s.id, type, at: T0 })).data!.openRequest;
      const refused = await api.gql(
        dpo,
        'mutation($r: ID!) { completeRequest(requestId: $r) { request { status } link { url } } }',
        { r: r.id },
      );
      expect(refused.data).toBeNull();
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'IDENTITY_NOT_VERIFIED' });
      const after = await api.gql(dpo, `{ requests(status: OPEN) { id } }`);
      expect(after.data!.requests.map((q: { id: string }) => q.id)).toContain(r.id);
    }
    // Still there: the erasure request erased nothing.
    const report = await api.gql(dpo, 'query($id: ID!) { accessReport(subjectId: $id) { text } }', { id: s.id });
    expect(report.data!.accessReport.text).toContain(s.email);
  });

  it('refuses with a reason, and a refused request cannot be completed', async () => {
    const s = await seedSubject();
    const r = (await api.gql(dpo, OPEN, { id: s.id, type: 'OBJECTION', at: T0 })).data!.openRequest;
    const refused = await api.gql(
      dpo,
      `mutation($r: ID!) { refuseRequest(requestId: $r, reason: "manifestly unfounded") { ${REQUEST_FIELDS} } }`,
      { r: r.id },
    );
    expect(refused.data!.refuseRequest).toMatchObject({ status: 'REFUSED', closedAt: T0, overdue: false });
    // The reason is sealed in the log, read back for the DPO (the read is logged) and given to the subject (Art.
    // 12(4)).
    expect(JSON.stringify(await api.vault.stores.log.readStream(`subject-${s.id}`))).not.toContain(
      'manifestly unfounded',
    );
    const before = (await api.vault.accessLog.listBySubject(s.id)).length;
    const read = await api.gql(dpo, `query { requests(status: REFUSED) { id refusalReason extensions { reason } } }`);
    expect(read.data!.requests.find((q: { id: string }) => q.id === r.id)).toEqual({
      id: r.id,
      refusalReason: 'manifestly unfounded',
      extensions: [],
    });
    await api.server.flushAccessLog();
    const entries = await api.vault.accessLog.listBySubject(s.id);
    expect(entries).toHaveLength(before + 1);
    expect(entries[0]).toMatchObject({ actor: 'dpo:dpo-1', purpose: 'dataSubjectRights', categories: ['_requests'] });
    const report = (await api.gql(dpo, 'query($id: ID!) { accessReport(subjectId: $id) { report } }', { id: s.id }))
      .data!.accessReport.report;
    expect(report.requests).toEqual([
      expect.objectContaining({
        requestId: r.id,
        status: 'REFUSED',
        refusalReason: 'manifestly unfounded',
        extensions: [],
      }),
    ]);
    await api.server.flushAccessLog();
    expect((await api.vault.accessLog.listBySubject(s.id))[0]).toMatchObject({
      actor: 'dpo:dpo-1',
      purpose: 'dataSubjectRights',
      categories: ['contact', '_requests'],
    });
    expect(
      (await api.gql(dpo, `{ requests(status: REFUSED) { id } }`)).data!.requests.map((q: { id: string }) => q.id),
    ).toContain(r.id);
    const complete = await api.gql(dpo, 'mutation($r: ID!) { completeRequest(requestId: $r) { request { status } } }', {
      r: r.id,
    });
    expect(complete.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });

  it('rejects bad input with BAD_USER_INPUT and changes nothing', async () => {
    const s = await seedSubject();
    const r = (await api.gql(dpo, OPEN, { id: s.id, type: 'ACCESS', at: T0 })).data!.openRequest;
    const before = (await api.vault.commands.load(s.id)).revision;
    const code = (res: { errors?: { extensions?: { code?: string; path?: string } }[] }) => res.errors?.[0]?.extensions;

    expect(code(await api.gql(dpo, EXTEND, { r: r.id, months: 3, reason: 'too long' }))).toMatchObject({
      code: 'BAD_USER_INPUT',
      path: 'months',
    });
    expect(code(await api.gql(dpo, EXTEND, { r: r.id, months: 1, reason: '   ' }))).toMatchObject({
      code: 'BAD_USER_INPUT',
      path: 'reason',
    });
    expect(code(await api.gql(dpo, EXTEND, { r: r.id, months: 1 }))?.code).toBe('BAD_USER_INPUT');
    expect(
      code(await api.gql(dpo, `mutation($r: ID!) { refuseRequest(requestId: $r, reason: "") { id } }`, { r: r.id })),
    ).toMatchObject({ code: 'BAD_USER_INPUT', path: 'reason' });
    expect(code(await api.gql(dpo, OPEN, { id: s.id, type: 'COMPLAINT', at: T0 }))?.code).toBe('BAD_USER_INPUT');
    expect(code(await api.gql(dpo, OPEN, { id: s.id, type: 'ACCESS', at: '2026-04-01T00:00:00Z' }))).toMatchObject({
      code: 'BAD_USER_INPUT',
      path: 'receivedAt',
    });
    expect(code(await api.gql(dpo, LINK, { id: s.id, kind: 'EVERYTHING' }))?.code).toBe('BAD_USER_INPUT');
    expect(code(await api.gql(dpo, '{ statistics(fromMonth: "2026-13") { count } }'))).toMatchObject({
      code: 'BAD_USER_INPUT',
      path: 'fromMonth',
    });
    expect(
      code(await api.gql(dpo, `mutation { verifyIdentity(requestId: "no-such-request", method: idDocument) { id } }`))
        ?.code,
    ).toBe('NOT_FOUND');

    expect((await api.vault.commands.load(s.id)).revision).toBe(before);
  });
});

describe('duty to inform (Art. 14)', () => {
  it('lists data recorded from another source as pending until markInformed closes it', async () => {
    const s = await seedSubject();
    VALUES.push('+31 20 555 0101');
    const item = {
      category: 'contact',
      field: 'phone',
      value: '+31 20 555 0101',
      purpose: 'contract',
      legalBasis: 'contract',
      source: 'thirdParty',
    };
    await api.vault.execute(s.id, { type: 'RecordPersonalData', items: [item] }, { actor: 'service:crm' });
    const pending = await api.gql(
      dpo,
      'query($d: DateTime!) { pendingNotifications(dueBefore: $d) { subjectId categories openedAt dueAt } }',
      { d: '2026-04-03T00:00:00Z' },
    );
    expect(pending.data!.pendingNotifications).toContainEqual({
      subjectId: s.id,
      categories: ['contact'],
      openedAt: T0,
      dueAt: '2026-04-02T10:00:00.000Z',
    });

    const informed = await api.gql(
      dpo,
      'mutation($id: ID!) { markInformed(subjectId: $id, at: "2026-03-02T11:00:00Z", channel: post) { eventCount } }',
      { id: s.id },
    );
    expect(informed.data!.markInformed.eventCount).toBe(1);
    const after = await api.gql(dpo, '{ pendingNotifications { subjectId } }');
    expect(after.data!.pendingNotifications.map((p: { subjectId: string }) => p.subjectId)).not.toContain(s.id);
    const twice = await api.gql(
      dpo,
      'mutation($id: ID!) { markInformed(subjectId: $id, at: "2026-03-02T11:00:00Z", channel: post) { eventCount } }',
      { id: s.id },
    );
    expect(twice.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('reports over GraphQL', () => {
  it('the subject reads its own access report, its SHA-256 signed, the JWS verified by node:crypto', async () => {
    const s = await seedSubject();
    const res = await api.gql(
      await api.token(subjectPrincipal(s.id)),
      'query($id: ID!) { accessReport(subjectId: $id) { report text signature { type kind subjectId generatedAt ' +
        'sha256 bytes } jws { protected payload signature } } }',
      { id: s.id },
    );
    expect(res.errors).toBeUndefined();
    const { report, text, signature, jws } = res.data!.accessReport;
    expect(JSON.parse(text)).toEqual(report);
    expect(schemaErrors('access-report.schema.json', report)).toEqual([]);
    expect(text).toContain(s.email);
    expect(signature).toMatchObject({
      type: 'ReportDigest',
      kind: 'ACCESS',
      subjectId: s.id,
      generatedAt: T0,
      bytes: Buffer.byteLength(text),
    });
    expect(createHash('sha256').update(text).digest('hex')).toBe(signature.sha256);
    const jwks = (await (await fetch(`${api.server.url}/.well-known/jwks.json`)).json()) as {
      keys: Record<string, string>[];
    };
    expect(verifyCompact(`${jws.protected}.${jws.payload}.${jws.signature}`, jwks)).toEqual(signature);
  });

  it('the DPO reads a portability export; an unknown subject is NOT_FOUND', async () => {
    const s = await seedSubject();
    const res = await api.gql(
      dpo,
      'query($id: ID!) { portabilityExport(subjectId: $id) { text signature { kind sha256 } } }',
      { id: s.id },
    );
    expect(res.data!.portabilityExport.signature.kind).toBe('PORTABILITY');
    expect(createHash('sha256').update(res.data!.portabilityExport.text).digest('hex')).toBe(
      res.data!.portabilityExport.signature.sha256,
    );
    expect(schemaErrors('portability-export.schema.json', JSON.parse(res.data!.portabilityExport.text))).toEqual([]);
    const unknown = await api.gql(dpo, '{ accessReport(subjectId: "no-such-subject") { text } }');
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('logs a report the DPO reads as a disclosure, and the subject reading its own as none', async () => {
    const s = await seedSubject();
    await api.gql(
      await api.token(subjectPrincipal(s.id)),
      'query($id: ID!) { accessReport(subjectId: $id) { text } }',
      { id: s.id },
    );
    await api.gql(dpo, 'query($id: ID!) { accessReport(subjectId: $id) { text } }', { id: s.id });
    await api.server.flushAccessLog();
    const entries = await api.vault.accessLog.listBySubject(s.id);
    expect(entries).toEqual([
      expect.objectContaining({
        actor: expect.stringMatching(/^dpo:/),
        purpose: 'dataSubjectRights',
        subjectId: s.id,
        categories: expect.arrayContaining(['contact']),
      }),
    ]);
  });
});

describe('subject download over HTTP', () => {
  it('streams the report once with its signature, verifiable against the JWKS; a second GET is 410', async () => {
    const s = await seedSubject();
    const link = await createLink(s.id);
    expect(link.expiresAt).toBe(addIsoDuration(T0, 'P7D'));

    // A HEAD (a link previewer) must not use the link up.
    expect((await fetch(link.url, { method: 'HEAD' })).status).toBe(404);

    const res = await fetch(link.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="access-report.json"');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('vault-signing-key')).toBe(`${api.server.url}/.well-known/jwks.json`);
    const body = Buffer.from(await res.arrayBuffer());
    expect(JSON.parse(body.toString('utf8')).items.map((i: { value: unknown }) => i.value)).toEqual(
      expect.arrayContaining([s.email, s.name]),
    );

    const jwksRes = await fetch(res.headers.get('vault-signing-key')!);
    expect(jwksRes.status).toBe(200);
    const jwks = (await jwksRes.json()) as { keys: Record<string, string>[] };
    expect(jwks.keys).toEqual([api.vault.signer.publicJwk]);
    const digest = verifyCompact(res.headers.get('vault-signature')!, jwks);
    expect(digest).toMatchObject({
      type: 'ReportDigest',
      kind: 'ACCESS',
      subjectId: s.id,
      generatedAt: T0,
      bytes: body.length,
    });
    expect(createHash('sha256').update(body).digest('hex')).toBe(digest.sha256);
    expect(Number(res.headers.get('content-length'))).toBe(body.length);
    // Whoever holds a link reads the report: the read is in the access log like any other.
    await api.server.flushAccessLog();
    expect((await api.vault.accessLog.listBySubject(s.id))[0]).toEqual({
      actor: 'subject:download',
      purpose: 'dataSubjectRights',
      subjectId: s.id,
      categories: ['contact'],
      at: T0,
    });

    const again = await fetch(link.url);
    expect(again.status).toBe(410);
    expect(await again.json()).toEqual({ code: 'LINK_GONE', message: expect.stringContaining('already used') });
  });

  it('a download the access log cannot take is 503 and leaves the link usable', async () => {
    const full = await startApi({ server: { accessLog: { maxBuffered: 0 } } });
    try {
      const fullDpo = await full.token(DPO);
      const { subjectId: id } = await full.vault.commands.registerSubject({ actor: 'service:crm' });
      await full.vault.execute(
        id,
        {
          type: 'RecordPersonalData',
          items: [
            {
              category: 'contact',
              field: 'name',
              value: 'Rhea Unlogged',
              purpose: 'contract',
              legalBasis: 'contract',
              source: 'subject',
            },
          ],
        },
        { actor: 'service:crm' },
      );
      const link = (await full.gql(fullDpo, LINK, { id, kind: 'ACCESS' })).data!.createExportLink as { url: string };
      const res = await fetch(link.url);
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(JSON.parse(text)).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      expect(text).not.toContain('Rhea');
      expect(Object.values((await full.vault.commands.load(id)).rights.links).map((l) => l.usedAt)).toEqual([null]);
    } finally {
      await full.stop();
    }
  });

  it('a portability link downloads the export under its own file name', async () => {
    const s = await seedSubject();
    const res = await fetch((await createLink(s.id, 'PORTABILITY')).url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="portability-export.json"');
    await res.arrayBuffer();
  });

  it('an unknown or malformed token is 404 and says nothing about subjects', async () => {
    for (const token of ['A'.repeat(43), 'short', `${'x'.repeat(40)}%2F..`]) {
      const res = await fetch(`${api.server.url}/exports/${token}`);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ code: 'NOT_FOUND', message: 'Unknown download link' });
    }
  });

  it('an expired link is 410, the same answer whoever the subject is', async () => {
    const s = await seedSubject();
    const link = await createLink(s.id);
    const erasedSubject = await seedSubject();
    const erasedLink = await createLink(erasedSubject.id);
    await api.vault.erase(erasedSubject.id, { actor: 'dpo:test', reason: 'subjectRequest' });
    const saved = clock.now;
    clock.now = addIsoDuration(T0, 'P7DT1S');
    try {
      for (const url of [link.url, erasedLink.url]) {
        const res = await fetch(url);
        expect(res.status).toBe(410);
        expect(await res.json()).toEqual({
          code: 'LINK_GONE',
          message: 'This download link has expired; ask the controller for a new link',
        });
      }
    } finally {
      clock.now = saved;
    }
  });

  it('publishes the signing key as a JWK Set without a token', async () => {
    const res = await fetch(`${api.server.url}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    const jwks = (await res.json()) as { keys: Record<string, string>[] };
    expect(jwks.keys).toEqual([
      expect.objectContaining({
        kty: 'OKP',
        crv: 'Ed25519',
        alg: 'EdDSA',
        use: 'sig',
        kid: api.vault.signer.publicJwk.kid,
      }),
    ]);
    expect(Object.keys(jwks.keys[0]!)).not.toContain('d');
  });

  it('downloads are rate-limited per address, with the other requests that carry no valid token', async () => {
    const limited = await startApi({ server: { unauthenticatedPerMinute: 2 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++)
        statuses.push((await fetch(`${limited.server.url}/exports/${'B'.repeat(43)}`)).status);
      expect(statuses).toEqual([404, 404, 429]);
    } finally {
      await limited.stop();
    }
  });
});

/** Why the script cannot run here (a tool it calls is missing), or undefined. */
const opensslReason = (() => {
  for (const [tool, args] of [
    ['curl', ['--version']],
    ['sha256sum', ['--version']],
  ] as const) {
    if (spawnSync(tool, args, { encoding: 'utf8', timeout: 10_000 }).error) return `${tool} is not installed`;
  }
  const r = spawnSync('openssl', ['pkeyutl', '-help'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return 'openssl is not installed';
  return `${r.stdout}${r.stderr}`.includes('-rawin')
    ? undefined
    : 'this openssl has no `pkeyutl -rawin` (needs OpenSSL 3)';
})();

describe('verifying a download with tools that are not this project', () => {
  if (opensslReason) console.warn(`skipping docs/verify-download.sh: ${opensslReason}`);
  const script = fileURLToPath(new URL('../../docs/verify-download.sh', import.meta.url));
  /** Runs the script in `cwd`, as a subject would. Asynchronous: the server that answers it runs in this process. */
  const run = (cwd: string, args: string[]) =>
    new Promise<{ code: number; out: string }>((resolve) => {
      execFile('bash', [script, ...args], { cwd, encoding: 'utf8', timeout: 30_000 }, (e, stdout, stderr) =>
        resolve({ code: e ? Number(e.code ?? -1) : 0, out: `${stdout}${stderr}` }),
      );
    });
  /** The vault's key set, at the URL its downloads name. */
  const jwksOf = (link: { url: string }) => link.url.replace(/\/exports\/[^/]+$/, '/.well-known/jwks.json');
  const kid = () => api.vault.signer.publicJwk.kid;
  /** Every file under `dir`, relative, so a test sees anything a run wrote anywhere below it. */
  const filesUnder = (dir: string): string[] => readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pdv-verify-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.skipIf(opensslReason !== undefined)(
    'verifies a real download with the key set given, or the key id given, and keeps it in the current directory',
    async () => {
      const s = await seedSubject();
      const link = await createLink(s.id);
      const byKeySet = await run(dir, ['--jwks', jwksOf(link), link.url, 'report.json']);
      expect(byKeySet).toEqual({
        code: 0,
        out: expect.stringMatching(
          new RegExp(
            `^OK: report\\.json \\(\\d+ bytes\\) matches the signed digest; signature verified with key ${kid()}`,
          ),
        ),
      });
      expect(readFileSync(join(dir, 'report.json'), 'utf8')).toContain(s.email);
      // The same script refuses a link that was used.
      expect(await run(dir, ['--jwks', jwksOf(link), link.url, 'again.json'])).toEqual({
        code: 1,
        out: expect.stringContaining('HTTP 410'),
      });

      const second = await createLink(s.id);
      const byKeyId = await run(dir, ['--kid', kid(), second.url]);
      expect(byKeyId).toEqual({ code: 0, out: expect.stringContaining(`OK: access-report.json`) });
      expect(filesUnder(dir)).toEqual(['access-report.json', 'report.json']);
    },
  );

  it.skipIf(opensslReason !== undefined)(
    'will not run without a key to trust, nor write anywhere but a plain file name here, and spends no link refusing',
    async () => {
      const s = await seedSubject();
      const link = await createLink(s.id);
      expect(await run(dir, [link.url])).toEqual({
        code: 2,
        out: expect.stringContaining('name the key to trust with --jwks <key-set-url> or --kid <key-id>'),
      });
      for (const out of ['../x.json', '/tmp/x.json', 'sub/x.json', '.bashrc']) {
        expect(await run(dir, ['--kid', kid(), link.url, out])).toEqual({
          code: 1,
          out: expect.stringContaining('output-file must be a plain file name in the current directory'),
        });
      }
      writeFileSync(join(dir, 'taken.json'), 'mine');
      expect(await run(dir, ['--kid', kid(), link.url, 'taken.json'])).toMatchObject({
        code: 1,
        out: expect.stringContaining('taken.json already exists'),
      });
      expect(readFileSync(join(dir, 'taken.json'), 'utf8')).toBe('mine');
      expect(await run(dir, ['--kid', kid(), link.url, 'ok.json'])).toMatchObject({ code: 0 });
    },
  );

  /**
   * A server in the middle answering in the vault's place. `sign` makes its response: a body of its
   * own signed with a key of its own, named as it likes; `pass` relays a real download, headers
   * changed as it likes.
   */
  async function impostor(
    answer: (origin: string) => Promise<{ body: string | Buffer; headers: Record<string, string> }>,
    keySet?: object,
  ) {
    const server = createServer((req, res) => {
      if (req.url === '/jwks.json' && keySet)
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(keySet));
      void answer(`http://127.0.0.1:${(server.address() as AddressInfo).port}`).then(({ body, headers }) =>
        res.writeHead(200, headers).end(body),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/exports/x`,
      close: () => new Promise((resolve) => server.close(resolve)),
    };
  }
  /** An Ed25519 key of the impostor's, its JWK labelled `label` (default: its true id, as the vault computes ids). */
  function impostorKey(label?: string) {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const x = publicKey.export({ format: 'jwk' }).x!;
    const trueKid = createHash('sha256').update(Buffer.from(x, 'base64url')).digest('hex').slice(0, 16);
    const kidLabel = label ?? trueKid;
    return {
      kid: kidLabel,
      keySet: { keys: [{ kty: 'OKP', crv: 'Ed25519', x, kid: kidLabel, alg: 'EdDSA', use: 'sig' }] },
      /** A forged report, signed as the vault signs one: a JWS over the digest of its exact bytes. */
      forged(origin: string, keyUrl: string | null) {
        const body = Buffer.from(JSON.stringify({ type: 'AccessReport', subjectId: 'someone', note: 'forged' }));
        const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
        const header = b64({ alg: 'EdDSA', kid: kidLabel, typ: 'pdv-report-digest+json' });
        const digest = createHash('sha256').update(body).digest('hex');
        const payload = b64({
          type: 'ReportDigest',
          kind: 'ACCESS',
          subjectId: 'someone',
          generatedAt: T0,
          sha256: digest,
          bytes: body.length,
        });
        const input = `${header}.${payload}`;
        const jws = `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`;
        const headers: Record<string, string> = {
          'content-type': 'application/json',
          'content-disposition': 'attachment; filename="access-report.json"',
          'vault-signature': jws,
        };
        if (keyUrl !== null) headers['vault-signing-key'] = keyUrl.replace('ORIGIN', origin);
        return { body, headers };
      },
    };
  }

  it.skipIf(opensslReason !== undefined)(
    'refuses a response that names a key set of its own and signs with that key, whichever way the key was given',
    async () => {
      const link = await createLink((await seedSubject()).id);
      const own = impostorKey();
      const server = await impostor(async (origin) => own.forged(origin, 'ORIGIN/jwks.json'), own.keySet);
      try {
        // The script of before would have fetched the key the response names and printed OK.
        expect(await run(dir, ['--jwks', jwksOf(link), server.url])).toEqual({
          code: 1,
          out: expect.stringMatching(
            /the response names the key set http:\/\/127\.0\.0\.1:\d+\/jwks\.json, not the .*jwks\.json you gave/,
          ),
        });
        expect(await run(dir, ['--kid', kid(), server.url])).toEqual({
          code: 1,
          out: expect.stringContaining(`the signature names key ${own.kid}, not the key ${kid()} you gave`),
        });
        // Its key passed off under the vault's key id: the id its bytes give is another.
        const posing = impostorKey(kid());
        const posingServer = await impostor(async (origin) => posing.forged(origin, 'ORIGIN/jwks.json'), posing.keySet);
        try {
          expect(await run(dir, ['--kid', kid(), posingServer.url])).toEqual({
            code: 1,
            out: expect.stringContaining(`labelled ${kid()} is another key`),
          });
        } finally {
          await posingServer.close();
        }
        // Naming no key set at all: the key set given is used, and the forged signature fails with its key.
        const silent = await impostor(async (origin) => posing.forged(origin, null));
        try {
          expect(await run(dir, ['--jwks', jwksOf(link), silent.url])).toEqual({
            code: 1,
            out: expect.stringContaining(`the signature does not verify with key ${kid()}`),
          });
        } finally {
          await silent.close();
        }
        // Nothing passes for a verified download; the forged bodies are kept apart, under their own name.
        expect(filesUnder(dir)).toEqual(['access-report.json.unverified']);
      } finally {
        await server.close();
      }
    },
  );

  it.skipIf(opensslReason !== undefined)(
    'never writes where a file name the server sends points: a path is refused, not followed',
    async () => {
      const here = join(dir, 'a', 'b');
      mkdirSync(here, { recursive: true });
      for (const name of ['../../x', '/tmp/pdv-verify-escape', 'sub/x.json', '.profile']) {
        const link = await createLink((await seedSubject()).id);
        // A real, correctly signed download, only its file name changed on the way.
        const server = await impostor(async () => {
          const res = await fetch(link.url);
          const headers: Record<string, string> = {};
          for (const h of ['content-type', 'vault-signature', 'vault-signing-key']) headers[h] = res.headers.get(h)!;
          headers['content-disposition'] = `attachment; filename="${name}"`;
          return { body: Buffer.from(await res.arrayBuffer()), headers };
        });
        try {
          expect(await run(here, ['--kid', kid(), server.url])).toEqual({
            code: 1,
            out: expect.stringContaining(`the server sent the file name "${name}", which is not a plain file name`),
          });
        } finally {
          await server.close();
        }
      }
      expect(filesUnder(dir)).toEqual(['a', join('a', 'b')]);
      expect(existsSync('/tmp/pdv-verify-escape')).toBe(false);
    },
  );
});

describe('retention and statistics for the DPO', () => {
  it('lists legal holds by subject and end date', async () => {
    const s = await seedSubject();
    await api.gql(
      dpo,
      'mutation($id: ID!) { placeLegalHold(subjectId: $id, category: "contact", basis: litigation, until: ' +
        '"2027-01-01T00:00:00Z") { revision } }',
      { id: s.id },
    );
    const holds = await api.gql(
      dpo,
      'query($id: ID!) { legalHolds(subjectId: $id) { subjectId category basis until source } }',
      { id: s.id },
    );
    expect(holds.data!.legalHolds).toEqual([
      { subjectId: s.id, category: 'contact', basis: 'litigation', until: '2027-01-01T00:00:00.000Z', source: 'dpo' },
    ]);
    const before = async (d: string) =>
      (
        await api.gql(dpo, 'query($d: DateTime!) { legalHolds(endingBefore: $d) { subjectId } }', { d })
      ).data!.legalHolds.map((h: { subjectId: string }) => h.subjectId);
    expect(await before('2027-06-01T00:00:00Z')).toContain(s.id);
    expect(await before('2026-12-01T00:00:00Z')).not.toContain(s.id);
  });

  it('previews a sweep without shredding, and counts survive as anonymous statistics', async () => {
    const s = await seedSubject();
    await api.vault.execute(
      s.id,
      {
        type: 'RecordPersonalData',
        items: [
          {
            category: 'callRecordings',
            field: 'recording',
            value: { name: 'call.ogg', mediaType: 'audio/ogg', contentBase64: 'AAAA' },
            purpose: 'contract',
            legalBasis: 'contract',
            source: 'subject',
          },
        ],
      },
      { actor: 'service:crm' },
    );
    const preview = await api.gql(
      dpo,
      'query($at: DateTime!) { retentionPreview(asOf: $at) { asOf examined items { subjectId category dueAt rule ' +
        'outcome } } }',
      { at: '2026-04-15T00:00:00Z' },
    );
    expect(preview.errors).toBeUndefined();
    expect(preview.data!.retentionPreview.items).toContainEqual({
      subjectId: s.id,
      category: 'callRecordings',
      dueAt: addIsoDuration(T0, 'P30D'),
      rule: expect.stringContaining('P30D'),
      outcome: 'wouldShred',
    });
    const items = await api.gql(
      dpo,
      'query($id: ID!) { subject(id: $id, purpose: "contract") { items(categories: ["callRecordings"]) { status } } }',
      { id: s.id },
    );
    expect(items.data!.subject.items).toEqual([{ status: 'VALUE' }]);

    const stats = await api.gql(
      dpo,
      '{ statistics(fromMonth: "2026-03", toMonth: "2026-03") { month category purpose metric count } }',
    );
    expect(stats.errors).toBeUndefined();
    const rows = stats.data!.statistics as { month: string; category: string; metric: string; count: number }[];
    expect(rows.find((r) => r.category === 'contact' && r.metric === 'recorded')?.count).toBeGreaterThan(0);
    expect(rows.every((r) => r.month === '2026-03')).toBe(true);
    expect(JSON.stringify(rows)).not.toContain(s.id);
  });
});

describe('logs', () => {
  it('hold neither a download token nor a personal value', async () => {
    // Near misses of a link, which answer 404 without spending it, are not logged with their token either.
    for (const url of TOKENS.slice(0, 1).flatMap((t) => [`/exports//${t}`, `/EXPORTS/${t}`, `/export/${t}`])) {
      expect((await fetch(`${api.server.url}${url}`)).status).toBe(404);
    }
    await api.server.flushAccessLog();
    const log = api.logLines.join('\n');
    expect(api.logLines.length).toBeGreaterThan(0);
    expect(log).toContain('"path":"/exports/:token"');
    expect(log).toContain('"path":"(no route)"');
    expect(TOKENS.length).toBeGreaterThan(5);
    for (const token of TOKENS) expect(log).not.toContain(token);
    for (const value of VALUES) expect(log).not.toContain(value);
  });
});

// The service role is denied every rights operation it has no business with (the full matrix is in
// authorization.e2e.test.ts).
it('a service token cannot create a download link', async () => {
  const s = await seedSubject();
  const res = await api.gql(await api.token(SERVICE), LINK, { id: s.id, kind: 'ACCESS' });
  expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
});
