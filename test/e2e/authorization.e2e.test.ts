import { fixtureRegister, type Operation, OPERATION_ROLES, type Principal } from '@pdv/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Api, DPO, SERVICE, startApi, subjectPrincipal } from './apiHarness.js';

type Caller = 'service' | 'dpo' | 'subject' | 'none';
const Y = 'allowed' as const;
const N = 'denied' as const;

/**
 * The authorization matrix: every operation with every kind of caller. `subject` is a subject's
 * token acting on its own id; acting on another subject's id is checked separately below.
 * The service token carries every purpose the operations use, so a denial here is the role's.
 */
const MATRIX: Record<Operation, Record<Caller, typeof Y | typeof N>> = {
  subject: { service: Y, dpo: Y, subject: Y, none: N },
  subjects: { service: Y, dpo: Y, subject: Y, none: N },
  findSubjects: { service: Y, dpo: Y, subject: N, none: N },
  processingRegister: { service: Y, dpo: Y, subject: Y, none: N },
  signingKey: { service: Y, dpo: Y, subject: Y, none: N },
  me: { service: Y, dpo: Y, subject: Y, none: N },
  accessReport: { service: N, dpo: Y, subject: Y, none: N },
  portabilityExport: { service: N, dpo: Y, subject: Y, none: N },
  consultations: { service: N, dpo: Y, subject: Y, none: N },
  requests: { service: N, dpo: Y, subject: N, none: N },
  myRequests: { service: N, dpo: N, subject: Y, none: N },
  pendingNotifications: { service: N, dpo: Y, subject: N, none: N },
  legalHolds: { service: N, dpo: Y, subject: N, none: N },
  statistics: { service: N, dpo: Y, subject: N, none: N },
  retentionPreview: { service: N, dpo: Y, subject: N, none: N },
  registerSubject: { service: Y, dpo: Y, subject: N, none: N },
  recordPersonalData: { service: Y, dpo: N, subject: N, none: N },
  rectifyPersonalData: { service: Y, dpo: Y, subject: Y, none: N },
  erasePersonalData: { service: Y, dpo: Y, subject: N, none: N },
  giveConsent: { service: Y, dpo: Y, subject: Y, none: N },
  withdrawConsent: { service: Y, dpo: Y, subject: Y, none: N },
  objectToProcessing: { service: Y, dpo: Y, subject: Y, none: N },
  overrideObjection: { service: N, dpo: Y, subject: N, none: N },
  restrictProcessing: { service: N, dpo: Y, subject: N, none: N },
  liftRestriction: { service: N, dpo: Y, subject: N, none: N },
  placeLegalHold: { service: N, dpo: Y, subject: N, none: N },
  releaseLegalHold: { service: N, dpo: Y, subject: N, none: N },
  recordLifecycleEvent: { service: Y, dpo: Y, subject: N, none: N },
  eraseSubject: { service: N, dpo: Y, subject: N, none: N },
  createExportLink: { service: N, dpo: Y, subject: N, none: N },
  transmitPortabilityExport: { service: N, dpo: Y, subject: Y, none: N },
  openRequest: { service: N, dpo: Y, subject: Y, none: N },
  verifyIdentity: { service: N, dpo: Y, subject: N, none: N },
  extendRequest: { service: N, dpo: Y, subject: N, none: N },
  completeRequest: { service: N, dpo: Y, subject: N, none: N },
  refuseRequest: { service: N, dpo: Y, subject: N, none: N },
  markInformed: { service: N, dpo: Y, subject: N, none: N },
  notifications: { service: Y, dpo: N, subject: N, none: N },
  propagation: { service: N, dpo: Y, subject: N, none: N },
  propagationReceipts: { service: N, dpo: Y, subject: N, none: N },
  acknowledgeNotifications: { service: Y, dpo: N, subject: N, none: N },
  retryNotification: { service: N, dpo: Y, subject: N, none: N },
};

/** Allowed, and answered NOT_FOUND here: this vault has no notification to act on. */
const NOTHING_TO_ACT_ON = new Set<Operation>(['retryNotification']);

interface Seeded {
  id: string;
  email: string;
  /** An open ACCESS request of the subject. */
  requestId: string;
}

const FUTURE = new Date(Date.now() + 365 * 86_400_000).toISOString();
const PAST = new Date(Date.now() - 60_000).toISOString();

/** Each operation as a request against a freshly seeded subject. */
const REQUESTS: Record<Operation, (s: Seeded) => { query: string; variables?: Record<string, unknown> }> = {
  subject: (s) => ({
    query: 'query($id: ID!) { subject(id: $id, purpose: "contract") { id items { status } } }',
    variables: { id: s.id },
  }),
  subjects: (s) => ({
    query: 'query($id: ID!) { subjects(ids: [$id], purpose: "contract") { id } }',
    variables: { id: s.id },
  }),
  findSubjects: (s) => ({
    query: 'query($e: String!) { findSubjects(identifier: { email: $e }, purpose: "contract") { id } }',
    variables: { e: s.email },
  }),
  processingRegister: () => ({
    query:
      '{ processingRegister { version purposes { name } categories { name fields { name type } retention { duration ' +
      'trigger } erasure { mode law } } } }',
  }),
  signingKey: () => ({ query: '{ signingKey { kty crv x kid } }' }),
  me: () => ({ query: '{ me { role name purposes } }' }),
  accessReport: (s) => ({
    query: 'query($id: ID!) { accessReport(subjectId: $id) { text signature { sha256 } jws { signature } } }',
    variables: { id: s.id },
  }),
  portabilityExport: (s) => ({
    query: 'query($id: ID!) { portabilityExport(subjectId: $id) { text signature { sha256 } jws { signature } } }',
    variables: { id: s.id },
  }),
  consultations: (s) => ({
    query:
      'query($id: ID!) { consultations(subjectId: $id, until: "2099-01-01T00:00:00Z") { total entries { actor } } }',
    variables: { id: s.id },
  }),
  requests: () => ({ query: '{ requests(status: OPEN) { id type dueAt overdue } }' }),
  myRequests: () => ({ query: '{ myRequests { id type status dueAt verificationMethod } }' }),
  pendingNotifications: () => ({ query: '{ pendingNotifications { subjectId dueAt } }' }),
  legalHolds: () => ({ query: '{ legalHolds { subjectId category until source } }' }),
  statistics: () => ({ query: '{ statistics { month category metric count } }' }),
  retentionPreview: () => ({ query: '{ retentionPreview { asOf examined items { subjectId outcome } } }' }),
  registerSubject: () => ({ query: 'mutation { registerSubject { subjectId } }' }),
  recordPersonalData: (s) => ({
    query:
      'mutation($id: ID!, $items: [PersonalDataInput!]!) { recordPersonalData(subjectId: $id, items: $items) { ' +
      'revision } }',
    variables: {
      id: s.id,
      items: [
        {
          category: 'contact',
          field: 'phone',
          value: '+31 20 123 4567',
          purpose: 'contract',
          legalBasis: 'contract',
          source: 'subject',
        },
      ],
    },
  }),
  rectifyPersonalData: (s) => ({
    query:
      'mutation($id: ID!, $items: [PersonalDataInput!]!) { rectifyPersonalData(subjectId: $id, items: $items) { ' +
      'revision } }',
    variables: {
      id: s.id,
      items: [
        {
          category: 'contact',
          field: 'name',
          value: 'Corrected Name',
          purpose: 'contract',
          legalBasis: 'contract',
          source: 'subject',
        },
      ],
    },
  }),
  erasePersonalData: (s) => ({
    query:
      'mutation($id: ID!) { erasePersonalData(subjectId: $id, category: "contact", field: "name", reason: ' +
      'subjectRequest) { revision } }',
    variables: { id: s.id },
  }),
  giveConsent: (s) => ({
    query:
      'mutation($id: ID!) { giveConsent(subjectId: $id, purpose: "marketing", noticeId: "privacy-notice", ' +
      'noticeVersion: "2026-01", channel: webForm) { revision } }',
    variables: { id: s.id },
  }),
  withdrawConsent: (s) => ({
    query: 'mutation($id: ID!) { withdrawConsent(subjectId: $id, purpose: "marketing") { revision } }',
    variables: { id: s.id },
  }),
  objectToProcessing: (s) => ({
    query: 'mutation($id: ID!) { objectToProcessing(subjectId: $id, purpose: "marketing") { revision } }',
    variables: { id: s.id },
  }),
  overrideObjection: (s) => ({
    query:
      'mutation($id: ID!) { overrideObjection(subjectId: $id, purpose: "billing", grounds: "legal claims") { ' +
      'revision } }',
    variables: { id: s.id },
  }),
  restrictProcessing: (s) => ({
    query:
      'mutation($id: ID!) { restrictProcessing(subjectId: $id, categories: ["contact"], reason: accuracyContested) { ' +
      'revision } }',
    variables: { id: s.id },
  }),
  liftRestriction: (s) => ({
    query: 'mutation($id: ID!) { liftRestriction(subjectId: $id, categories: ["contact"]) { revision } }',
    variables: { id: s.id },
  }),
  placeLegalHold: (s) => ({
    query:
      'mutation($id: ID!, $until: DateTime!) { placeLegalHold(subjectId: $id, category: "contact", basis: ' +
      'litigation, until: $until) { revision } }',
    variables: { id: s.id, until: FUTURE },
  }),
  releaseLegalHold: (s) => ({
    query: 'mutation($id: ID!) { releaseLegalHold(subjectId: $id, category: "contact") { revision } }',
    variables: { id: s.id },
  }),
  recordLifecycleEvent: (s) => ({
    query: 'mutation($id: ID!) { recordLifecycleEvent(subjectId: $id, event: "relationshipEnded") { revision } }',
    variables: { id: s.id },
  }),
  // The seeded request is an access request, which an erasure may not name.
  eraseSubject: (s) => ({
    query:
      'mutation($id: ID!) { eraseSubject(subjectId: $id, reason: subjectRequest) { certificate { subjectId } jws { ' +
      'signature } } }',
    variables: { id: s.id },
  }),
  createExportLink: (s) => ({
    query: 'mutation($id: ID!) { createExportLink(subjectId: $id, kind: ACCESS) { url expiresAt } }',
    variables: { id: s.id },
  }),
  transmitPortabilityExport: (s) => ({
    query: 'mutation($id: ID!) { transmitPortabilityExport(subjectId: $id, receiver: "archive") { delivered status } }',
    variables: { id: s.id },
  }),
  openRequest: (s) => ({
    query:
      'mutation($id: ID!, $at: DateTime!) { openRequest(subjectId: $id, type: ERASURE, receivedAt: $at, channel: ' +
      'email) { id dueAt } }',
    variables: { id: s.id, at: PAST },
  }),
  verifyIdentity: (s) => ({
    query: 'mutation($r: ID!) { verifyIdentity(requestId: $r, method: idDocument) { id verifiedAt } }',
    variables: { r: s.requestId },
  }),
  extendRequest: (s) => ({
    query: 'mutation($r: ID!) { extendRequest(requestId: $r, months: 1, reason: "complex request") { dueAt } }',
    variables: { r: s.requestId },
  }),
  completeRequest: (s) => ({
    query: 'mutation($r: ID!) { completeRequest(requestId: $r) { request { status } link { url } } }',
    variables: { r: s.requestId },
  }),
  refuseRequest: (s) => ({
    query: 'mutation($r: ID!) { refuseRequest(requestId: $r, reason: "manifestly unfounded") { status } }',
    variables: { r: s.requestId },
  }),
  notifications: () => ({ query: '{ notifications(first: 10) { cursor items { id status } } }' }),
  propagation: (s) => ({
    query: 'query($id: ID!) { propagation(subjectId: $id) { id recipient status overdue } }',
    variables: { id: s.id },
  }),
  propagationReceipts: (s) => ({
    query: 'query($id: ID!) { propagationReceipts(subjectId: $id) { receipt { completedAt } } }',
    variables: { id: s.id },
  }),
  acknowledgeNotifications: () => ({ query: 'mutation { acknowledgeNotifications(ids: []) { id } }' }),
  retryNotification: () => ({ query: 'mutation { retryNotification(id: "none") { id status } }' }),
  markInformed: (s) => ({
    query: 'mutation($id: ID!, $at: DateTime!) { markInformed(subjectId: $id, at: $at, channel: post) { revision } }',
    variables: { id: s.id, at: PAST },
  }),
};

let api: Api;
let n = 0;

/** A subject with contact data, marketing consent, a restriction-free state and a DPO hold (so release has one). */
async function seed(): Promise<Seeded> {
  const email = `matrix-${++n}@example.com`;
  const actor = { actor: 'test:seed' };
  const id = `s-${n}-${Date.now()}`;
  await api.vault.execute(id, { type: 'RegisterSubject' }, actor);
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
          value: `Person ${n}`,
          purpose: 'contract',
          legalBasis: 'contract',
          source: 'subject',
        },
      ],
    },
    actor,
  );
  const requestId = await api.vault.rights.openRequest(
    id,
    { requestType: 'ACCESS', receivedAt: PAST, channel: 'email' },
    actor,
  );
  // Verified, so that completeRequest is allowed or denied by role alone.
  await api.vault.rights.step(requestId, { type: 'VerifyIdentity', requestId, method: 'idDocument' }, actor);
  return { id, email, requestId };
}

beforeAll(async () => {
  // Contact data may come from a third party here, so markInformed has an Art. 14 duty to close.
  const register = fixtureRegister();
  register.categories.contact!.sources = ['subject', 'thirdParty'];
  // A receiver nobody listens at (the discard port): a transmission is answered, undelivered.
  register.receivingControllers = { archive: { name: 'Example Archive', endpoint: 'http://127.0.0.1:9/imports' } };
  api = await startApi({ vault: { register } });
});
afterAll(async () => api?.stop());

it('the matrix covers exactly the operations the server enforces, with the roles it enforces', () => {
  const fromMatrix = Object.fromEntries(
    Object.entries(MATRIX).map(([op, row]) => [
      op,
      (['service', 'dpo', 'subject'] as const).filter((r) => row[r] === Y),
    ]),
  );
  expect(fromMatrix).toEqual(
    Object.fromEntries(Object.entries(OPERATION_ROLES).map(([op, roles]) => [op, [...roles]])),
  );
});

const cases = Object.entries(MATRIX).flatMap(([op, row]) =>
  (Object.entries(row) as [Caller, typeof Y | typeof N][]).map(([caller, expected]) => ({
    op: op as Operation,
    caller,
    expected,
  })),
);

describe('authorization matrix', () => {
  it.each(cases)('$op by $caller is $expected', async ({ op, caller, expected }) => {
    const s = await seed();
    if (op === 'overrideObjection')
      await api.vault.execute(s.id, { type: 'ObjectToProcessing', purpose: 'billing' }, { actor: 'test:seed' });
    if (op === 'releaseLegalHold')
      await api.vault.execute(
        s.id,
        { type: 'PlaceLegalHold', category: 'contact', basis: 'litigation', until: FUTURE },
        { actor: 'test:seed' },
      );
    if (op === 'markInformed') {
      const item = {
        category: 'contact',
        field: 'phone',
        value: '+31 20 765 4321',
        purpose: 'contract',
        legalBasis: 'contract',
        source: 'thirdParty',
      };
      await api.vault.execute(s.id, { type: 'RecordPersonalData', items: [item] }, { actor: 'test:seed' });
    }
    const principal: Principal | undefined =
      caller === 'service'
        ? SERVICE
        : caller === 'dpo'
          ? DPO
          : caller === 'subject'
            ? subjectPrincipal(s.id)
            : undefined;
    const token = principal ? await api.token(principal) : undefined;
    const { query, variables } = REQUESTS[op](s);
    const res = await api.gql(token, query, variables);
    if (caller === 'none') {
      expect(res.status).toBe(401);
      expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(res.data ?? null).toBeNull();
    } else if (expected === Y && NOTHING_TO_ACT_ON.has(op)) {
      expect(res.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    } else if (expected === Y) {
      expect(res.errors).toBeUndefined();
      expect(res.status).toBe(200);
      expect(res.data?.[op]).toBeTruthy();
    } else {
      expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(res.data ?? null).toBeNull();
    }
  });
});

const takesSubject = (Object.keys(MATRIX) as Operation[]).filter(
  (op) =>
    MATRIX[op].subject === Y &&
    REQUESTS[op]({ id: 'x', email: 'e@example.com', requestId: 'r' }).variables?.id !== undefined,
);

describe("a subject's token on another subject's id", () => {
  it.each(takesSubject)('%s is denied', async (op) => {
    const own = await seed();
    const other = await seed();
    const { query, variables } = REQUESTS[op](other);
    const res = await api.gql(await api.token(subjectPrincipal(own.id)), query, variables);
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(res.data ?? null).toBeNull();
  });
});

describe('purposes a service token does not carry', () => {
  const narrow: Principal = { role: 'service', name: 'support', purposes: ['billing'] };
  it('erasing a field of a category no purpose of the token covers is FORBIDDEN and changes nothing', async () => {
    const s = await seed();
    await api.vault.execute(
      s.id,
      {
        type: 'RecordPersonalData',
        items: [
          {
            category: 'accounting',
            field: 'iban',
            value: 'NL00BANK0123456789',
            purpose: 'billing',
            legalBasis: 'contract',
            source: 'subject',
          },
        ],
      },
      { actor: 'test:seed' },
    );
    const before = (await api.vault.commands.load(s.id)).revision;
    const contractOnly: Principal = { role: 'service', name: 'shop', purposes: ['contract'] };
    const res = await api.gql(
      await api.token(contractOnly),
      'mutation($id: ID!) { erasePersonalData(subjectId: $id, category: "accounting", field: "iban", reason: ' +
        'subjectRequest) { revision } }',
      { id: s.id },
    );
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', path: 'category' });
    expect((await api.vault.commands.load(s.id)).revision).toBe(before);
  });

  it.each([
    'recordPersonalData',
    'rectifyPersonalData',
    'giveConsent',
    'withdrawConsent',
    'objectToProcessing',
  ] as const)(
    '%s for a purpose or category outside the token is FORBIDDEN, with the path of the input, and changes nothing',
    async (op) => {
      const s = await seed();
      const before = (await api.vault.commands.load(s.id)).revision;
      const { query, variables } = REQUESTS[op](s);
      const res = await api.gql(await api.token(narrow), query, variables);
      const path = op.endsWith('PersonalData') ? 'items[0].purpose' : 'purpose';
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', path });
      expect((await api.vault.commands.load(s.id)).revision).toBe(before);
    },
  );

  it('a forbidden mutation changes nothing', async () => {
    const s = await seed();
    const before = (await api.vault.commands.load(s.id)).revision;
    const { query, variables } = REQUESTS.recordPersonalData(s);
    await api.gql(await api.token(narrow), query, variables);
    await api.gql(await api.token(DPO), query, variables);
    expect((await api.vault.commands.load(s.id)).revision).toBe(before);
  });
});

describe("a subject's own request (the privacy centre)", () => {
  it('is received now through the web form, verified by the login, in myRequests, and completes directly', async () => {
    const s = await seed();
    const token = await api.token(subjectPrincipal(s.id));
    const opened = await api.gql(
      token,
      'mutation($id: ID!, $at: DateTime!) { openRequest(subjectId: $id, type: ACCESS, receivedAt: $at, channel: ' +
        'post) { id channel receivedAt verifiedAt verificationMethod verificationIssuer } }',
      { id: s.id, at: '2001-01-01T00:00:00Z' },
    );
    expect(opened.errors).toBeUndefined();
    const request = (opened.data as { openRequest: Record<string, string | null> }).openRequest;
    expect(request).toMatchObject({ channel: 'webForm', verificationMethod: 'accountLogin', verificationIssuer: null });
    expect(Date.now() - Date.parse(request.receivedAt!)).toBeLessThan(60_000);
    expect(request.verifiedAt).not.toBeNull();
    const mine = await api.gql(token, '{ myRequests { id status } }');
    expect((mine.data as { myRequests: { id: string }[] }).myRequests.map((r) => r.id)).toContain(request.id);
    const done = await api.gql(
      await api.token(DPO),
      'mutation($r: ID!) { completeRequest(requestId: $r) { request { status } } }',
      { r: request.id },
    );
    expect(done.errors).toBeUndefined();
  });
});
