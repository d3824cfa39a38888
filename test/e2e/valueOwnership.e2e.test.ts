import { fixtureRegister, type ProcessingRegister } from '@pdv/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { schemaErrors } from '../support/rightsSchemas.js';
import { type Api, DPO, type GqlResponse, startApi, subjectPrincipal } from './apiHarness.js';

/**
 * Who may change a value, over GraphQL (issue 23, cases 9 and 10), on a few hundred subjects: a
 * newsletter-only service cannot replace the email the contract service recorded (and so cannot
 * make a lookup by its own address find the victim); a subject's rectification of a credit score it
 * did not provide becomes a rectification request the DPO decides, the score contested meanwhile.
 */

const SUBJECTS = 240;

/** The fixture register with a credit score from a credit agency (the subject does not provide it). */
function register(): ProcessingRegister {
  const r = fixtureRegister();
  r.purposes.creditCheck = { ...r.purposes.contract!, name: 'creditCheck', description: 'Credit check' };
  r.categories.credit = {
    ...r.categories.contact!,
    name: 'credit',
    description: 'Credit score from a credit agency',
    purposes: ['creditCheck'],
    fields: { score: { type: 'number', lookup: false, providedBySubject: false } },
    sources: ['creditAgency'],
  };
  return r;
}

const WRITE = (op: 'recordPersonalData' | 'rectifyPersonalData') => `mutation($id: ID!, $items: [PersonalDataInput!]!,
  $consents: [ConsentInput!]) { ${op}(subjectId: $id, items: $items, consents: $consents) { revision eventCount } }`;
const READ = `query($id: ID!, $purpose: String!) { subject(id: $id, purpose: $purpose) { items {
  __typename ... on PersonalDataValue { category field value }
  ... on PersonalDataDenied { category field reason } } } }`;
const FIND = 'query($email: String!) { findSubjects(identifier: { email: $email }, purpose: "contract") { id } }';
const REQUESTS = 'query { requests(status: OPEN) { id subjectId type status verifiedAt } }';
const COMPLETE = 'mutation($r: ID!) { completeRequest(requestId: $r) { request { id status } } }';
const REFUSE =
  'mutation($r: ID!) { refuseRequest(requestId: $r, reason: "The agency confirmed the score") { status } }';
const REPORT = 'query($id: ID!) { accessReport(subjectId: $id) { report } }';

const emailOf = (i: number) => `holder-${i}@example.test`;
const attackerOf = (i: number) => `attacker-${i}@evil.example`;
const newsletterConsent = {
  purpose: 'marketing',
  noticeId: 'newsletter',
  noticeVersion: '2026-01',
  channel: 'webForm',
};
const item = (
  category: string,
  field: string,
  value: unknown,
  purpose: string,
  legalBasis: string,
  source: string,
) => ({
  category,
  field,
  value,
  purpose,
  legalBasis,
  source,
});

let api: Api;
let contract: string;
let newsletter: string;
let credit: string;
let dpo: string;
const ids: string[] = [];

/** Runs `f` over 0..n-1, a few dozen at a time. */
async function each(n: number, f: (i: number) => Promise<void>): Promise<void> {
  for (let from = 0; from < n; from += 40)
    await Promise.all(Array.from({ length: Math.min(40, n - from) }, (_, k) => f(from + k)));
}

function ok<T>(r: GqlResponse<T>): T {
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data!;
}

async function scoreAs(token: string, id: string): Promise<Record<string, unknown>> {
  const r = ok(await api.gql(token, READ, { id, purpose: 'creditCheck' }));
  return (r.subject.items as Record<string, unknown>[]).find((x) => x.field === 'score')!;
}

beforeAll(async () => {
  api = await startApi({
    vault: { register: register() },
    server: { writeBudget: { commandsPerMinute: 1_000_000, itemsPerMinute: 1_000_000 }, rateLimitPerMinute: 1_000_000 },
  });
  contract = await api.token({ role: 'service', name: 'crm', purposes: ['contract'] });
  newsletter = await api.token({ role: 'service', name: 'newsletter', purposes: ['marketing'] });
  credit = await api.token({ role: 'service', name: 'scoring', purposes: ['creditCheck'] });
  dpo = await api.token(DPO);
  await each(SUBJECTS, async (i) => {
    const { registerSubject } = ok(await api.gql(contract, 'mutation { registerSubject { subjectId } }'));
    const id = (registerSubject as { subjectId: string }).subjectId;
    ids[i] = id;
    ok(
      await api.gql(contract, WRITE('recordPersonalData'), {
        id,
        items: [item('contact', 'email', emailOf(i), 'contract', 'contract', 'subject')],
      }),
    );
    ok(
      await api.gql(credit, WRITE('recordPersonalData'), {
        id,
        items: [item('credit', 'score', 312, 'creditCheck', 'contract', 'creditAgency')],
      }),
    );
  });
}, 120_000);
afterAll(async () => {
  await api?.stop();
});

describe('a service replaces only what its purposes hold', () => {
  it('refuses a newsletter-only token recording another email over the contract one, naming the holder', async () => {
    await each(SUBJECTS, async (i) => {
      const r = await api.gql(newsletter, WRITE('recordPersonalData'), {
        id: ids[i],
        items: [item('contact', 'email', attackerOf(i), 'marketing', 'consent', 'subject')],
        consents: [newsletterConsent],
      });
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'VALUE_HELD', heldFor: 'contract' });
      expect(JSON.stringify(r.errors)).not.toContain(emailOf(i));
      expect(JSON.stringify(r.errors)).not.toContain(attackerOf(i));
    });
  }, 120_000);
  it("leaves the attacker's address finding nobody, and the holder's finding only its subject", async () => {
    await each(SUBJECTS, async (i) => {
      expect(ok(await api.gql(contract, FIND, { email: attackerOf(i) })).findSubjects).toEqual([]);
      expect(ok(await api.gql(contract, FIND, { email: emailOf(i) })).findSubjects).toEqual([{ id: ids[i] }]);
    });
  }, 120_000);
  it('keeps the same email, recorded again for the newsletter, for that purpose too', async () => {
    await each(SUBJECTS, async (i) => {
      const r = ok(
        await api.gql(newsletter, WRITE('recordPersonalData'), {
          id: ids[i],
          items: [item('contact', 'email', emailOf(i).toUpperCase(), 'marketing', 'consent', 'subject')],
          consents: [newsletterConsent],
        }),
      );
      expect(r.recordPersonalData.eventCount).toBe(2); // the consent, and the value held for marketing too
    });
    const read = ok(await api.gql(contract, READ, { id: ids[0], purpose: 'contract' }));
    expect(read.subject.items).toContainEqual({
      __typename: 'PersonalDataValue',
      category: 'contact',
      field: 'email',
      value: emailOf(0),
    });
  }, 120_000);
  it('lets the DPO rectify the email', async () => {
    ok(
      await api.gql(dpo, WRITE('rectifyPersonalData'), {
        id: ids[0],
        items: [item('contact', 'email', 'moved@example.test', 'contract', 'contract', 'subject')],
      }),
    );
    expect(ok(await api.gql(contract, FIND, { email: 'moved@example.test' })).findSubjects).toEqual([{ id: ids[0] }]);
  });
});

describe("a subject's rectification of what it did not provide", () => {
  it('becomes a verified rectification request, and the score reads as contested to services', async () => {
    await each(SUBJECTS, async (i) => {
      const self = await api.token(subjectPrincipal(ids[i]!));
      const r = ok(
        await api.gql(self, WRITE('rectifyPersonalData'), {
          id: ids[i],
          items: [item('credit', 'score', 999, 'creditCheck', 'contract', 'subject')],
        }),
      );
      expect(r.rectifyPersonalData.eventCount).toBe(3);
      expect(await scoreAs(credit, ids[i]!)).toMatchObject({ __typename: 'PersonalDataDenied', reason: 'CONTESTED' });
      // The subject and the DPO still see the score as it stands.
      expect(await scoreAs(self, ids[i]!)).toMatchObject({ value: 312 });
    });
    const open = ok(await api.gql(dpo, REQUESTS)).requests as {
      subjectId: string;
      type: string;
      verifiedAt: unknown;
    }[];
    const rectifications = open.filter((q) => q.type === 'RECTIFICATION');
    expect(new Set(rectifications.map((q) => q.subjectId))).toEqual(new Set(ids));
    expect(rectifications.every((q) => q.verifiedAt)).toBe(true);
  }, 120_000);
  it('is applied when the DPO completes the request, and lifted when the DPO refuses it', async () => {
    const open = ok(await api.gql(dpo, REQUESTS)).requests as { id: string; subjectId: string; type: string }[];
    const bySubject = new Map(open.filter((q) => q.type === 'RECTIFICATION').map((q) => [q.subjectId, q.id]));
    await each(SUBJECTS, async (i) => {
      const requestId = bySubject.get(ids[i]!)!;
      if (i % 2 === 0) ok(await api.gql(dpo, COMPLETE, { r: requestId }));
      else ok(await api.gql(dpo, REFUSE, { r: requestId }));
      expect(await scoreAs(credit, ids[i]!)).toMatchObject({ value: i % 2 === 0 ? 999 : 312 });
    });
  }, 120_000);
  it('shows in the access report who rectified the score and when, with its source kept', async () => {
    const report = ok(await api.gql(dpo, REPORT, { id: ids[2] })).accessReport.report as Record<string, any>;
    expect(schemaErrors('access-report.schema.json', report)).toEqual([]);
    const score = (report.items as Record<string, any>[]).find((x) => x.field === 'score')!;
    expect(score).toMatchObject({ value: 999, source: 'creditAgency', rectified: { by: 'dpo:dpo-1' } });
    expect(score.contested).toBeUndefined();
    const refused = ok(await api.gql(dpo, REPORT, { id: ids[1] })).accessReport.report as Record<string, any>;
    const kept = (refused.items as Record<string, any>[]).find((x) => x.field === 'score')!;
    expect(kept).toMatchObject({ value: 312, source: 'creditAgency' });
    expect(kept.rectified).toBeUndefined();
  });
  it('shows a pending contest in the access report', async () => {
    const id = ids[3]!;
    const self = await api.token(subjectPrincipal(id));
    ok(
      await api.gql(self, WRITE('rectifyPersonalData'), {
        id,
        items: [item('credit', 'score', 700, 'creditCheck', 'contract', 'subject')],
      }),
    );
    const report = ok(await api.gql(self, REPORT, { id })).accessReport.report as Record<string, any>;
    expect(schemaErrors('access-report.schema.json', report)).toEqual([]);
    const score = (report.items as Record<string, any>[]).find((x) => x.field === 'score')!;
    expect(score.contested).toMatchObject({ requestId: expect.any(String) });
  });
});
