import { randomUUID } from 'node:crypto';

import { fixtureRegister } from '@pdv/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { schemaErrors } from '../support/rightsSchemas.js';
import { type Api, DPO, type GqlResponse, SERVICE, startApi, subjectPrincipal } from './apiHarness.js';

/**
 * Lawful recording over GraphQL (issue 21): a value stored on consent needs the subject's standing
 * consent to its purpose, or the consent given in the same call; the access report and the
 * portability export show each consent with its proof.
 */

const RECORD = `mutation($id: ID!, $items: [PersonalDataInput!]!, $consents: [ConsentInput!]) {
  recordPersonalData(subjectId: $id, items: $items, consents: $consents) { revision eventCount }
}`;
const RECTIFY = `mutation($id: ID!, $items: [PersonalDataInput!]!, $consents: [ConsentInput!]) {
  rectifyPersonalData(subjectId: $id, items: $items, consents: $consents) { revision eventCount }
}`;
const GIVE = `mutation(
  $id: ID!, $purpose: String!, $noticeId: String!, $noticeVersion: String!, $channel: ConsentChannel!
) {
  giveConsent(
    subjectId: $id, purpose: $purpose, noticeId: $noticeId, noticeVersion: $noticeVersion, channel: $channel
  ) { revision eventCount }
}`;
const WITHDRAW = 'mutation($id: ID!) { withdrawConsent(subjectId: $id, purpose: "marketing") { revision } }';

const INTERESTS = 'sea kayaking, birds';
const interests = (value = INTERESTS) => ({
  category: 'marketing',
  field: 'interests',
  value,
  purpose: 'marketing',
  legalBasis: 'consent',
  source: 'subject',
});
const webConsent = { purpose: 'marketing', noticeId: 'privacy-notice', noticeVersion: '2026-01', channel: 'webForm' };

type Proof = {
  provenance: string;
  givenAt: string | null;
  notice: { id: string; version: string } | null;
  channel: string | null;
  collectedBy: string | null;
  withdrawnAt: string | null;
};
type ConsentEntry = { purpose: string; given: boolean; at: string; proofs: Proof[] };

let api: Api;
let service: string;
let dpo: string;

beforeAll(async () => {
  api = await startApi();
  service = await api.token(SERVICE);
  dpo = await api.token(DPO);
});
afterAll(async () => {
  await api?.stop();
});

async function register(): Promise<string> {
  const r = await api.gql(service, 'mutation { registerSubject { subjectId } }');
  return r.data!.registerSubject.subjectId as string;
}

const revision = async (id: string) => (await api.vault.commands.load(id)).revision;
const codeAndPath = (r: GqlResponse) => [r.errors?.[0]?.extensions?.code, r.errors?.[0]?.extensions?.path];
const eventTypes = async (id: string) => (await api.vault.stores.log.readStream(`subject-${id}`)).map((e) => e.type);

async function report(
  kind: 'accessReport' | 'portabilityExport',
  id: string,
  token = dpo,
): Promise<Record<string, any>> {
  const r = await api.gql(token, `query($id: ID!) { ${kind}(subjectId: $id) { report } }`, { id });
  expect(r.errors).toBeUndefined();
  expect(
    schemaErrors(
      kind === 'accessReport' ? 'access-report.schema.json' : 'portability-export.schema.json',
      r.data![kind].report,
    ),
  ).toEqual([]);
  return r.data![kind].report as Record<string, any>;
}

describe('recording on consent', () => {
  it('refuses a consent-based value without consent with CONSENT_REQUIRED, and writes nothing', async () => {
    const id = await register();
    const before = await revision(id);
    const r = await api.gql(service, RECORD, { id, items: [interests()] });
    expect(codeAndPath(r)).toEqual(['CONSENT_REQUIRED', 'items[0].legalBasis']);
    expect(r.errors?.[0]?.message).not.toContain(INTERESTS);
    expect(await revision(id)).toBe(before);
    expect(await eventTypes(id)).toEqual(['SubjectRegistered']);
  });

  it('accepts it with the consent given in the same call: ConsentGiven, then the data, one append', async () => {
    const id = await register();
    const r = await api.gql(service, RECORD, { id, items: [interests()], consents: [webConsent] });
    expect(r.errors).toBeUndefined();
    expect(r.data!.recordPersonalData.eventCount).toBe(2);
    const events = await api.vault.stores.log.readStream(`subject-${id}`);
    expect(events.map((e) => e.type)).toEqual(['SubjectRegistered', 'ConsentGiven', 'PersonalDataRecorded']);
    // Who collected it is the caller's token, never input.
    expect(events[1]!.data).toEqual({
      purpose: 'marketing',
      noticeId: 'privacy-notice',
      noticeVersion: '2026-01',
      channel: 'webForm',
      collectedBy: 'service:crm',
    });
    const read = await api.gql(
      service,
      'query($id: ID!) { subject(id: $id, purpose: "marketing") { items(categories: ["marketing"]) { status ... on ' +
        'PersonalDataValue { value } } } }',
      { id },
    );
    expect(read.data!.subject.items).toEqual([{ status: 'VALUE', value: INTERESTS }]);
  });

  it('refuses it after the consent was withdrawn, and accepts it again once consent is given', async () => {
    const id = await register();
    expect((await api.gql(service, GIVE, { id, ...webConsent })).errors).toBeUndefined();
    expect((await api.gql(service, RECORD, { id, items: [interests()] })).errors).toBeUndefined();
    // The fixture register shreds marketing data on withdrawal; recording it anew is what is refused.
    expect((await api.gql(service, WITHDRAW, { id })).errors).toBeUndefined();
    const before = await revision(id);
    expect(codeAndPath(await api.gql(service, RECORD, { id, items: [interests()] }))).toEqual([
      'CONSENT_REQUIRED',
      'items[0].legalBasis',
    ]);
    expect(await revision(id)).toBe(before);

    expect(
      (await api.gql(service, GIVE, { id, ...webConsent, channel: 'phone', noticeVersion: '2026-02' })).errors,
    ).toBeUndefined();
    expect((await api.gql(service, RECORD, { id, items: [interests('sailing')] })).errors).toBeUndefined();
  });

  it('erases a value kept on consent alone when it is withdrawn, even where the register only stops use', async () => {
    // A register that stops using marketing data on withdrawal rather than shredding the category: a value that
    // rested on that consent alone still goes (Art. 17(1)(b), issue 23 case 7), and comes back only with consent.
    const register = fixtureRegister();
    register.categories.marketing!.onConsentWithdrawn = 'stop';
    const kept = await startApi({ vault: { register } });
    try {
      const token = await kept.token(SERVICE);
      const id = (await kept.gql(token, 'mutation { registerSubject { subjectId } }')).data!.registerSubject
        .subjectId as string;
      expect(
        (await kept.gql(token, RECORD, { id, items: [interests()], consents: [webConsent] })).errors,
      ).toBeUndefined();
      expect((await kept.gql(token, WITHDRAW, { id })).errors).toBeUndefined();
      expect((await kept.vault.commands.load(id)).categories['marketing']?.shredded?.reason).toBe('withdrawal');
      const before = (await kept.vault.commands.load(id)).revision;
      expect(codeAndPath(await kept.gql(token, RECTIFY, { id, items: [interests('sailing')] }))).toEqual([
        'NOT_FOUND',
        'items[0].field',
      ]);
      expect(codeAndPath(await kept.gql(token, RECORD, { id, items: [interests('sailing')] }))).toEqual([
        'CONSENT_REQUIRED',
        'items[0].legalBasis',
      ]);
      expect((await kept.vault.commands.load(id)).revision).toBe(before);
      // With the consent given again in the same call, it is recorded anew.
      const again = await kept.gql(token, RECORD, { id, items: [interests('sailing')], consents: [webConsent] });
      expect(again.errors).toBeUndefined();
      expect(again.data!.recordPersonalData.eventCount).toBe(2);
    } finally {
      await kept.stop();
    }
  });

  it('writes nothing, not even the consent, when any part of the call is refused', async () => {
    const id = await register();
    const before = await revision(id);
    const bad = {
      category: 'contact',
      field: 'email',
      value: 'not-an-email',
      purpose: 'contract',
      legalBasis: 'contract',
      source: 'subject',
    };
    expect(
      codeAndPath(await api.gql(service, RECORD, { id, items: [interests(), bad], consents: [webConsent] })),
    ).toEqual(['BAD_USER_INPUT', 'items[1].value']);
    // A consent to another purpose does not make this one lawful.
    expect(
      codeAndPath(
        await api.gql(service, RECORD, { id, items: [interests()], consents: [{ ...webConsent, purpose: 'billing' }] }),
      ),
    ).toEqual(['CONSENT_REQUIRED', 'items[0].legalBasis']);
    // A notice id is a code: an address there is refused, not stored as plaintext metadata.
    expect(
      codeAndPath(
        await api.gql(service, RECORD, {
          id,
          items: [interests()],
          consents: [{ ...webConsent, noticeId: 'ann@example.com' }],
        }),
      ),
    ).toEqual(['BAD_USER_INPUT', 'consents[0].noticeId']);
    // Who collected it cannot be given: the schema has no such input.
    expect(
      (
        await api.gql(service, RECORD, {
          id,
          items: [interests()],
          consents: [{ ...webConsent, collectedBy: 'someone-else' }],
        })
      ).errors?.[0]?.extensions?.code,
    ).toBe('BAD_USER_INPUT');
    // A service may give consent only for a purpose its token carries.
    const billingOnly = await api.token({ role: 'service', name: 'invoicing', purposes: ['billing'] });
    expect(
      codeAndPath(
        await api.gql(billingOnly, RECORD, {
          id,
          items: [{ ...interests(), purpose: 'billing' }],
          consents: [webConsent],
        }),
      ),
    ).toEqual(['FORBIDDEN', 'consents[0].purpose']);
    expect(await revision(id)).toBe(before);
    expect(await eventTypes(id)).toEqual(['SubjectRegistered']);
  });
});

describe('the proof of consent', () => {
  it('shows each consent with its proof and withdrawal in the access report and the export', async () => {
    const id = await register();
    expect(
      (await api.gql(service, RECORD, { id, items: [interests()], consents: [webConsent] })).errors,
    ).toBeUndefined();
    expect((await api.gql(service, WITHDRAW, { id })).errors).toBeUndefined();
    // The subject says yes again, itself, on paper scanned in by the privacy centre.
    const own = await api.token(subjectPrincipal(id));
    expect(
      (
        await api.gql(own, GIVE, {
          id,
          purpose: 'marketing',
          noticeId: 'privacy-notice',
          noticeVersion: '2026-02',
          channel: 'paper',
        })
      ).errors,
    ).toBeUndefined();
    expect((await api.gql(service, RECORD, { id, items: [interests('sailing')] })).errors).toBeUndefined();

    const expected: ConsentEntry[] = [
      {
        purpose: 'marketing',
        given: true,
        at: expect.any(String),
        proofs: [
          {
            provenance: 'recorded',
            givenAt: expect.any(String),
            notice: { id: 'privacy-notice', version: '2026-01' },
            channel: 'webForm',
            collectedBy: 'service:crm',
            withdrawnAt: expect.any(String),
          },
          {
            provenance: 'recorded',
            givenAt: expect.any(String),
            notice: { id: 'privacy-notice', version: '2026-02' },
            channel: 'paper',
            collectedBy: `subject:${id}`,
            withdrawnAt: null,
          },
        ] as Proof[],
      },
    ];
    for (const kind of ['accessReport', 'portabilityExport'] as const) {
      const consents = (await report(kind, id)).consents as ConsentEntry[];
      expect(consents, kind).toMatchObject(expected);
      const [first, second] = consents[0]!.proofs;
      expect(first!.givenAt! <= first!.withdrawnAt!, kind).toBe(true);
      expect(first!.withdrawnAt! <= second!.givenAt!, kind).toBe(true);
      expect(consents[0]!.at, kind).toBe(second!.givenAt);
    }
    // The subject sees the same proof in its own report.
    expect((await report('accessReport', id, own)).consents).toMatchObject(expected);
  });

  it('keeps how each withdrawal came and who took it, over GraphQL, for a hundred subjects', async () => {
    const WITHDRAW_VIA =
      'mutation($id: ID!, $channel: ConsentChannel) { withdrawConsent(subjectId: $id, purpose: "marketing", ' +
      'channel: $channel) { revision } }';
    const ids = await Promise.all(Array.from({ length: 100 }, () => register()));
    await Promise.all(
      ids.map(async (id) =>
        expect((await api.gql(service, RECORD, { id, items: [interests()], consents: [webConsent] })).errors).toBe(
          undefined,
        ),
      ),
    );
    // A channel outside the enum is refused before anything is recorded.
    const before = await revision(ids[0]!);
    const bad = await api.gql(service, WITHDRAW_VIA, { id: ids[0], channel: 'carrier pigeon' });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await revision(ids[0]!)).toBe(before);
    // Half withdraw themselves in the app; the other half through customer service on the phone, and one says nothing.
    const channelOf = (i: number) => (i === 0 ? undefined : i % 2 === 0 ? 'app' : 'phone');
    const results = await Promise.all(
      ids.map(async (id, i) => {
        const token = i % 2 === 0 ? await api.token(subjectPrincipal(id)) : service;
        return api.gql(token, WITHDRAW_VIA, { id, ...(channelOf(i) ? { channel: channelOf(i) } : {}) });
      }),
    );
    expect(results.map((r) => r.errors)).toEqual(ids.map(() => undefined));
    for (const [i, id] of ids.entries()) {
      const expected =
        i === 0
          ? { type: 'dpv:WithdrawConsent', channel: null, collectedBy: `subject:${id}` }
          : {
              type: 'dpv:WithdrawConsent',
              channel: channelOf(i),
              collectedBy: i % 2 ? 'service:crm' : `subject:${id}`,
            };
      for (const kind of ['accessReport', 'portabilityExport'] as const) {
        const [consent] = (await report(kind, id)).consents as { given: boolean; proofs: { withdrawal: unknown }[] }[];
        expect(consent!.given).toBe(false);
        expect(consent!.proofs.map((p) => p.withdrawal)).toEqual([expected]);
      }
    }
    // The readable report says it in the subject's words.
    const html = await api.gql(dpo, 'query($id: ID!) { accessReport(subjectId: $id) { html(language: "en") } }', {
      id: ids[1],
    });
    expect(html.data!.accessReport.html).toContain('The withdrawal came by phone and was taken by service:crm.');
  }, 120_000);

  it('shows a consent recorded before proofs were kept as of unknown provenance', async () => {
    const id = await register();
    // An event as the vault wrote it before issue 21: the purpose only.
    const state = await api.vault.commands.load(id);
    await api.vault.stores.log.append(
      `subject-${id}`,
      [
        {
          id: randomUUID(),
          type: 'ConsentGiven',
          data: { purpose: 'marketing' },
          metadata: { actor: 'service:crm', at: new Date().toISOString() },
        },
      ],
      state.revision,
    );
    expect((await api.gql(service, RECORD, { id, items: [interests()] })).errors).toBeUndefined();
    const consents = (await report('accessReport', id)).consents as ConsentEntry[];
    expect(consents).toMatchObject([
      {
        purpose: 'marketing',
        given: true,
        proofs: [
          {
            provenance: 'unknown',
            givenAt: expect.any(String),
            notice: null,
            channel: null,
            collectedBy: null,
            withdrawnAt: null,
          },
        ],
      },
    ]);
  });
});

describe('refusing unknown names over the API', () => {
  // What a client might put where a name belongs: an address, and a marker no register holds.
  it.each(['ann.example@mail.test', 'MARKER-5c1e'])(
    'answers with the input path and the allowed names, never the name sent (%s)',
    async (sent) => {
      const id = await register();
      const before = await revision(id);
      const contact = (over: Record<string, unknown>) => ({
        category: 'contact',
        field: 'email',
        value: 'a@example.com',
        purpose: 'contract',
        legalBasis: 'contract',
        source: 'subject',
        ...over,
      });
      const cases: [string, Promise<GqlResponse>, string, string[]][] = [
        [
          'category',
          api.gql(service, RECORD, { id, items: [contact({ category: sent })] }),
          'items[0].category',
          ['contact', 'marketing', 'accounting'],
        ],
        [
          'field',
          api.gql(service, RECORD, { id, items: [contact({ field: sent })] }),
          'items[0].field',
          ['email', 'phone', 'name', 'address'],
        ],
        [
          'purpose',
          api.gql(service, RECORD, { id, items: [contact({ purpose: sent })] }),
          'items[0].purpose',
          ['contract', 'billing', 'marketing'],
        ],
        [
          'legal basis',
          api.gql(service, RECORD, { id, items: [contact({ legalBasis: sent })] }),
          'items[0].legalBasis',
          ['contract', 'consent'],
        ],
        [
          'source',
          api.gql(service, RECORD, { id, items: [contact({ source: sent })] }),
          'items[0].source',
          ['subject', 'publicRegister'],
        ],
        [
          'address key',
          api.gql(service, RECORD, {
            id,
            items: [contact({ field: 'address', value: { city: 'Delft', [sent]: 'x' } })],
          }),
          'items[0].value',
          ['street', 'postalCode', 'city'],
        ],
        [
          'consent purpose',
          api.gql(dpo, GIVE, { id, ...webConsent, purpose: sent }),
          'purpose',
          ['contract', 'marketing'],
        ],
        [
          'read purpose',
          api.gql(service, 'query($id: ID!, $p: String!) { subject(id: $id, purpose: $p) { id } }', { id, p: sent }),
          'purpose',
          ['contract', 'marketing'],
        ],
        [
          'read category',
          api.gql(
            dpo,
            'query($id: ID!, $c: [String!]) { subject(id: $id, purpose: "contract") { items(categories: $c) { status ' +
              '} } }',
            { id, c: ['contact', sent] },
          ),
          'categories[1]',
          ['contact', 'marketing'],
        ],
        [
          'erased category',
          api.gql(
            dpo,
            'mutation($id: ID!, $c: String!) { erasePersonalData(subjectId: $id, category: $c, field: "email", ' +
              'reason: subjectRequest) { revision } }',
            { id, c: sent },
          ),
          'category',
          ['contact', 'marketing'],
        ],
        [
          'lifecycle event',
          api.gql(
            service,
            'mutation($id: ID!, $e: String!) { recordLifecycleEvent(subjectId: $id, event: $e) { revision } }',
            { id, e: sent },
          ),
          'event',
          ['relationshipEnded', 'caseClosed'],
        ],
      ];
      for (const [what, pending, path, allowed] of cases) {
        const r = await pending;
        expect(codeAndPath(r), what).toEqual(['BAD_USER_INPUT', path]);
        expect(JSON.stringify(r.errors), what).not.toContain(sent);
        for (const name of allowed) expect(r.errors?.[0]?.message, what).toContain(name);
      }
      expect(await revision(id)).toBe(before);
      expect(api.logLines.join('\n')).not.toContain(sent);
    },
  );
});
