import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Api, DPO, SERVICE, startApi } from './apiHarness.js';

/** Every personal value this suite records: none may appear in any log line. */
const VALUES = {
  email: 'Ann.Example@Example.COM',
  emailNormalised: 'ann.example@example.com',
  phone: '+31 20 555 0199',
  phoneNormalised: '+31205550199',
  name: 'Annelies Voorbeeld',
  interests: 'kayaking and birdwatching',
  iban: 'NL91ABNA0417164300',
  badEmail: 'annelies-at-nowhere',
  /** Free text of an objection override: sealed, never logged. */
  grounds: 'Invoice 2026-114 unpaid: defending our legal claims',
};

const READ = `query($id: ID!, $purpose: String!, $categories: [String!]) {
  subject(id: $id, purpose: $purpose) {
    id registeredAt erasedAt
    items(categories: $categories) {
      __typename status category field
      ... on PersonalDataValue { value recordedAt updatedAt source legalBasis }
      ... on PersonalDataDenied { reason }
      ... on PersonalDataErased { erasedAt erasureReason }
    }
  }
}`;
const RECORD =
  'mutation($id: ID!, $items: [PersonalDataInput!]!, $consents: [ConsentInput!]) { recordPersonalData(subjectId: ' +
  '$id, items: $items, consents: $consents) { revision eventCount } }';
/** The proof of a consent as the caller gives it: the notice shown and the channel. */
const NOTICE = 'noticeId: "privacy-notice", noticeVersion: "2026-01", channel: webForm';
const MARKETING_CONSENT = {
  purpose: 'marketing',
  noticeId: 'privacy-notice',
  noticeVersion: '2026-01',
  channel: 'webForm',
};

type Item = {
  __typename: string;
  status: string;
  category: string;
  field: string | null;
  value?: unknown;
  reason?: string;
  erasureReason?: string;
};

let api: Api;
let service: string;
let dpo: string;
const stdout: string[] = [];
const restore: (() => void)[] = [];

const item = (category: string, field: string, value: unknown, purpose = 'contract', legalBasis = 'contract') => ({
  category,
  field,
  value,
  purpose,
  legalBasis,
  source: 'subject',
});

async function register(): Promise<string> {
  const r = await api.gql(service, 'mutation { registerSubject { subjectId } }');
  return r.data!.registerSubject.subjectId as string;
}

/**
 * The contact category's three fields, each with `status` (and `reason` when denied), and nothing
 * else: a check with `every` alone would pass on an empty list.
 */
function expectContact(items: Item[], status: 'VALUE' | 'DENIED', reason?: string): void {
  const shown = items
    .filter((i) => i.category === 'contact')
    .map((i) => ({ field: i.field, status: i.status, ...(status === 'DENIED' ? { reason: i.reason } : {}) }));
  expect(shown.sort((a, b) => a.field!.localeCompare(b.field!))).toEqual(
    ['email', 'name', 'phone'].map((field) => ({ field, status, ...(status === 'DENIED' ? { reason } : {}) })),
  );
}

async function read(id: string, purpose: string, token = service, categories?: string[]): Promise<Item[]> {
  const r = await api.gql(token, READ, { id, purpose, categories });
  expect(r.errors).toBeUndefined();
  return r.data!.subject.items as Item[];
}

/** A subject with contact data only (email, phone, name), and no consent: what a marketing read is denied on. */
async function contactSubject(): Promise<string> {
  const id = await register();
  const r = await api.gql(service, RECORD, {
    id,
    items: [
      item('contact', 'email', VALUES.email),
      item('contact', 'phone', VALUES.phone),
      item('contact', 'name', VALUES.name),
    ],
  });
  expect(r.errors).toBeUndefined();
  return id;
}

/**
 * A subject with contact (email, phone, name), marketing (interests, on the marketing consent given in the same call)
 * and accounting (iban).
 */
async function fullSubject(): Promise<string> {
  const id = await register();
  const r = await api.gql(service, RECORD, {
    id,
    consents: [MARKETING_CONSENT],
    items: [
      item('contact', 'email', VALUES.email),
      item('contact', 'phone', VALUES.phone),
      item('contact', 'name', VALUES.name),
      item('marketing', 'interests', VALUES.interests, 'marketing', 'consent'),
      item('accounting', 'iban', VALUES.iban, 'billing', 'contract'),
    ],
  });
  expect(r.errors).toBeUndefined();
  return id;
}

beforeAll(async () => {
  // Anything written to the console during the suite is checked for values too.
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream);
    stream.write = (chunk: unknown, ...rest: unknown[]) => {
      stdout.push(String(chunk));
      return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
    };
    restore.push(() => (stream.write = original));
  }
  api = await startApi();
  service = await api.token(SERVICE);
  dpo = await api.token(DPO);
});
afterAll(async () => {
  for (const r of restore) r();
  await api?.stop();
});

describe('purpose-bound reads', () => {
  it('serves values for an allowed purpose, normalised, with their provenance', async () => {
    const id = await fullSubject();
    const items = await read(id, 'contract', service, ['contact']);
    expect(items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          __typename: 'PersonalDataValue',
          status: 'VALUE',
          category: 'contact',
          field: 'email',
          value: VALUES.emailNormalised,
          source: 'subject',
          legalBasis: 'contract',
        }),
        expect.objectContaining({ status: 'VALUE', field: 'phone', value: VALUES.phoneNormalised }),
      ]),
    );
  });

  it('types every item, never a bare null', async () => {
    const id = await fullSubject();
    for (const purpose of ['contract', 'billing', 'marketing']) {
      const items = await read(id, purpose);
      // The three categories' five fields, whatever each purpose makes of them.
      expect(items.map((i) => `${i.category}.${i.field}`).sort()).toEqual([
        'accounting.iban',
        'contact.email',
        'contact.name',
        'contact.phone',
        'marketing.interests',
      ]);
      for (const i of items) {
        expect(['PersonalDataValue', 'PersonalDataDenied', 'PersonalDataErased']).toContain(i.__typename);
        if (i.status === 'VALUE') expect(i.value).not.toBeNull();
        if (i.status === 'DENIED') expect(i.reason).toBeTruthy();
      }
    }
  });

  it('denies PURPOSE_NOT_ALLOWED when the token or the register lacks the purpose for the category', async () => {
    const id = await fullSubject();
    const billingOnly = await api.token({ role: 'service', name: 'invoicing', purposes: ['billing'] });
    const viaToken = await read(id, 'contract', billingOnly);
    // Billing reaches contact and accounting; marketing, which no purpose of the token reaches, is not listed at all.
    expect(viaToken.map((i) => `${i.category}.${i.field}`).sort()).toEqual([
      'accounting.iban',
      'contact.email',
      'contact.name',
      'contact.phone',
    ]);
    expect(viaToken.every((i) => i.status === 'DENIED' && i.reason === 'PURPOSE_NOT_ALLOWED')).toBe(true);
    const viaRegister = await read(id, 'contract', service, ['marketing', 'accounting']);
    expect(viaRegister.map((i) => [i.category, i.status, i.reason])).toEqual(
      expect.arrayContaining([
        ['marketing', 'DENIED', 'PURPOSE_NOT_ALLOWED'],
        ['accounting', 'DENIED', 'PURPOSE_NOT_ALLOWED'],
      ]),
    );
    expect(JSON.stringify(viaToken)).not.toContain(VALUES.emailNormalised);
  });

  it('denies NO_CONSENT for a consent purpose without consent', async () => {
    // Contact data only: marketing data could not have been stored without the consent.
    const id = await contactSubject();
    expectContact(await read(id, 'marketing', service, ['contact']), 'DENIED', 'NO_CONSENT');
  });

  it('denies CONSENT_WITHDRAWN after a withdrawal, and shows a category shredded on it as erased', async () => {
    const id = await fullSubject();
    await api.gql(
      service,
      `mutation($id: ID!) { giveConsent(subjectId: $id, purpose: "marketing", ${NOTICE}) { revision } }`,
      { id },
    );
    expectContact(await read(id, 'marketing', service, ['contact']), 'VALUE');
    const w = await api.gql(
      service,
      'mutation($id: ID!) { withdrawConsent(subjectId: $id, purpose: "marketing") { shreddedCategories } }',
      { id },
    );
    expect(w.data!.withdrawConsent.shreddedCategories).toEqual(['marketing']);
    const items = await read(id, 'marketing');
    expectContact(items, 'DENIED', 'CONSENT_WITHDRAWN');
    expect(items.find((i) => i.category === 'marketing')).toMatchObject({
      __typename: 'PersonalDataErased',
      status: 'ERASED',
      field: null,
      erasureReason: 'withdrawal',
    });
  });

  it('denies OBJECTED after an objection to direct marketing', async () => {
    const id = await fullSubject();
    await api.gql(
      service,
      `mutation($id: ID!) { giveConsent(subjectId: $id, purpose: "marketing", ${NOTICE}) { revision } }`,
      { id },
    );
    await api.gql(
      service,
      'mutation($id: ID!) { objectToProcessing(subjectId: $id, purpose: "marketing") { revision } }',
      { id },
    );
    expectContact(await read(id, 'marketing', service, ['contact']), 'DENIED', 'OBJECTED');
    // Other purposes go on.
    expectContact(await read(id, 'contract', service, ['contact']), 'VALUE');
  });

  it('serves again once the DPO overrides an objection on compelling grounds, never direct marketing', async () => {
    const id = await fullSubject();
    const OVERRIDE =
      'mutation($id: ID!, $p: String!, $g: String!) { overrideObjection(subjectId: $id, purpose: $p, grounds: $g) ' +
      '{ ' +
      'revision } }';
    await api.gql(
      service,
      'mutation($id: ID!) { objectToProcessing(subjectId: $id, purpose: "billing") { revision } }',
      { id },
    );
    expectContact(await read(id, 'billing', service, ['contact']), 'DENIED', 'OBJECTED');

    const byService = await api.gql(service, OVERRIDE, { id, p: 'billing', g: VALUES.grounds });
    expect(byService.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const overridden = await api.gql(dpo, OVERRIDE, { id, p: 'billing', g: VALUES.grounds });
    expect(overridden.errors).toBeUndefined();
    expectContact(await read(id, 'billing', service, ['contact']), 'VALUE');
    const report = await api.gql(dpo, 'query($id: ID!) { accessReport(subjectId: $id) { report } }', { id });
    // The subject learns on what grounds (Art. 21(1)); the report is the one place they are opened.
    expect(report.data!.accessReport.report.objections).toEqual([
      { purpose: 'billing', since: expect.any(String), overriddenAt: expect.any(String), grounds: VALUES.grounds },
    ]);
    // Sealed like every free text: the log holds no plaintext of the grounds.
    expect(JSON.stringify(await api.vault.stores.log.readStream(`subject-${id}`))).not.toContain(VALUES.grounds);

    const again = await api.gql(dpo, OVERRIDE, { id, p: 'billing', g: VALUES.grounds });
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', path: 'purpose' });
    await api.gql(
      service,
      'mutation($id: ID!) { objectToProcessing(subjectId: $id, purpose: "marketing") { revision } }',
      { id },
    );
    const revision = (await api.vault.commands.load(id)).revision;
    const final = await api.gql(dpo, OVERRIDE, { id, p: 'marketing', g: VALUES.grounds });
    expect(final.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', path: 'purpose' });
    expect((await api.vault.commands.load(id)).revision).toBe(revision);
    expectContact(await read(id, 'marketing', service, ['contact']), 'DENIED', 'OBJECTED');
  });

  it('denies RESTRICTED while processing is restricted, and serves again once lifted', async () => {
    const id = await fullSubject();
    await api.gql(
      dpo,
      'mutation($id: ID!) { restrictProcessing(subjectId: $id, categories: ["contact"], reason: accuracyContested) { ' +
        'revision } }',
      { id },
    );
    expectContact(await read(id, 'contract', service, ['contact']), 'DENIED', 'RESTRICTED');
    await api.gql(dpo, 'mutation($id: ID!) { liftRestriction(subjectId: $id, categories: ["contact"]) { revision } }', {
      id,
    });
    expectContact(await read(id, 'contract', service, ['contact']), 'VALUE');
  });

  it('shows erased items: a category whose last field went, and the held category of an erased subject', async () => {
    const id = await fullSubject();
    const e = await api.gql(
      service,
      'mutation($id: ID!) { erasePersonalData(subjectId: $id, category: "marketing", field: "interests", reason: ' +
        'subjectRequest) { shreddedCategories } }',
      { id },
    );
    expect(e.data!.erasePersonalData.shreddedCategories).toEqual(['marketing']);
    expect((await read(id, 'contract', dpo)).find((i) => i.category === 'marketing')).toMatchObject({
      status: 'ERASED',
      field: null,
      erasureReason: 'fieldErasure',
    });

    const dsr = await api.vault.rights.openRequest(
      id,
      { requestType: 'ERASURE', receivedAt: new Date().toISOString(), channel: 'email' },
      { actor: 'dpo:test' },
    );
    const cert = await api.gql(
      dpo,
      'mutation($id: ID!, $r: String) { eraseSubject(subjectId: $id, reason: subjectRequest, requestId: $r) { ' +
        'certificate { subjectId categoriesShredded categoriesRetained { category basis until } requestId ' +
        'signingKeyId } jws { protected payload signature } } }',
      { id, r: dsr },
    );
    expect(cert.errors).toBeUndefined();
    const c = cert.data!.eraseSubject.certificate;
    expect(c).toMatchObject({ subjectId: id, categoriesShredded: ['contact'], requestId: dsr });
    expect(c.categoriesRetained.map((r: { category: string }) => r.category)).toEqual(['accounting']);
    const key = await api.gql(dpo, '{ signingKey { kid } }');
    expect(c.signingKeyId).toBe(key.data!.signingKey.kid);

    const after = await api.gql(dpo, READ, { id, purpose: 'billing' });
    expect(after.data!.subject.erasedAt).toBeTruthy();
    const items = after.data!.subject.items as Item[];
    expect(items.find((i) => i.category === 'contact')).toMatchObject({ status: 'ERASED', erasureReason: 'erasure' });
    expect(items.find((i) => i.category === 'accounting')).toMatchObject({ status: 'VALUE', value: VALUES.iban });
    // Kept by law, not in use: a service reading for billing is denied it.
    const byService = await read(id, 'billing');
    expect(byService.find((i) => i.category === 'accounting')).toMatchObject({
      status: 'DENIED',
      reason: 'RESTRICTED',
    });
    expect(JSON.stringify(byService)).not.toContain(VALUES.iban);
  });

  it('shows a field erased on its own as erased, its category reading on, until recorded again', async () => {
    const id = await fullSubject();
    const e = await api.gql(
      service,
      'mutation($id: ID!) { erasePersonalData(subjectId: $id, category: "contact", field: "phone", reason: ' +
        'subjectRequest) { shreddedCategories } }',
      { id },
    );
    expect(e.errors).toBeUndefined();
    const contact = (await read(id, 'contract')).filter((i) => i.category === 'contact');
    expect(contact.find((i) => i.field === 'phone')).toMatchObject({
      __typename: 'PersonalDataErased',
      status: 'ERASED',
      erasureReason: 'subjectRequest',
    });
    expect(contact.find((i) => i.field === 'email')).toMatchObject({
      status: 'VALUE',
      value: VALUES.emailNormalised,
    });
    const { report } = await api.vault.rights.report(id, 'ACCESS');
    expect(
      (report.items as Record<string, unknown>[]).find((i) => i.category === 'contact' && i.field === 'phone'),
    ).toMatchObject({ status: { state: 'ERASED', reason: 'subjectRequest' } });
    await api.gql(service, RECORD, { id, items: [item('contact', 'phone', '+31 20 555 0100')] });
    expect((await read(id, 'contract')).find((i) => i.field === 'phone')).toMatchObject({
      status: 'VALUE',
      value: '+31205550100',
    });
  });

  it('serves many subjects in the order asked, and a subject its own data for any purpose', async () => {
    const ids = [await fullSubject(), await fullSubject(), await fullSubject()];
    const r = await api.gql(service, 'query($ids: [ID!]!) { subjects(ids: $ids, purpose: "contract") { id } }', {
      ids: [...ids].reverse(),
    });
    expect(r.data!.subjects.map((s: { id: string }) => s.id)).toEqual([...ids].reverse());
    const own = await read(ids[0]!, 'billing', await api.token({ role: 'subject', subjectId: ids[0]! }), [
      'accounting',
    ]);
    expect(own[0]).toMatchObject({ status: 'VALUE', value: VALUES.iban });
  });
});

describe('lookup by email or phone', () => {
  it('finds a subject whatever the case and spacing of the email, or the format of the phone', async () => {
    const id = await fullSubject();
    for (const identifier of [
      { email: `  ${VALUES.email.toUpperCase()} ` },
      { phone: '0031 (20) 555-0199' },
      { phone: VALUES.phone },
    ]) {
      const r = await api.gql(
        service,
        'query($i: IdentifierInput!) { findSubjects(identifier: $i, purpose: "contract") { id items(categories: ' +
          '["contact"]) { status } } }',
        { i: identifier },
      );
      expect(r.errors).toBeUndefined();
      expect(r.data!.findSubjects.map((s: { id: string }) => s.id)).toContain(id);
    }
  });

  it('does not reveal a subject to a caller who may not read the matching field for the purpose', async () => {
    const id = await fullSubject();
    await api.gql(
      dpo,
      'mutation($id: ID!) { restrictProcessing(subjectId: $id, categories: ["contact"], reason: accuracyContested) { ' +
        'revision } }',
      { id },
    );
    const r = await api.gql(
      service,
      'query($e: String!) { findSubjects(identifier: { email: $e }, purpose: "contract") { id } }',
      { e: VALUES.email },
    );
    expect(r.data!.findSubjects.map((s: { id: string }) => s.id)).not.toContain(id);
  });
});

describe('the access log', () => {
  it('records who read which categories of whom and why, without values, off the request path', async () => {
    const id = await contactSubject();
    await read(id, 'contract', service, ['contact']);
    // All denied (no consent): no value, but the fields, their denials and the subject's times.
    await read(id, 'marketing', service);
    await api.server.flushAccessLog();
    const entries = await api.vault.accessLog.listBySubject(id);
    expect(entries).toEqual([
      expect.objectContaining({
        subjectId: id,
        actor: 'service:crm',
        purpose: 'metadata:marketing',
        categories: ['contact'],
      }),
      expect.objectContaining({ subjectId: id, actor: 'service:crm', purpose: 'contract', categories: ['contact'] }),
    ]);
    expect(JSON.stringify(entries)).not.toMatch(/example\.com|Annelies|\+31/i);
  });
});

describe('the access log for lookups', () => {
  it('records a lookup that confirms whose identifier it is, like a read', async () => {
    const id = await fullSubject();
    const email = (await api.vault.reader.read([id], { purpose: 'contract', callerPurposes: 'all' }))
      .get(id)!
      .items.find((i) => i.status === 'VALUE' && i.field === 'email');
    const r = await api.gql(
      service,
      'query($e: String!) { findSubjects(identifier: { email: $e }, purpose: "contract") { id } }',
      { e: (email as { value: string }).value },
    );
    expect(r.data!.findSubjects.map((x: { id: string }) => x.id)).toContain(id);
    await api.server.flushAccessLog();
    expect(await api.vault.accessLog.listBySubject(id)).toContainEqual(
      expect.objectContaining({ actor: 'service:crm', purpose: 'contract', categories: ['contact'] }),
    );
  });
});

describe('errors', () => {
  const codeAndPath = (r: { errors?: { extensions?: { code?: string; path?: string } }[] }) => [
    r.errors?.[0]?.extensions?.code,
    r.errors?.[0]?.extensions?.path,
  ];

  it.each([
    ['a malformed email', [item('contact', 'email', VALUES.badEmail)], 'items[0].value'],
    ['an unknown category', [item('contact', 'email', 'a@example.com'), item('nope', 'x', 'y')], 'items[1].category'],
    ['an unknown field', [item('contact', 'shoeSize', '44')], 'items[0].field'],
    ['a purpose the register does not know', [item('contact', 'name', 'X', 'astrology')], 'items[0].purpose'],
    [
      'a legal basis the category does not have',
      [item('marketing', 'interests', 'x', 'marketing', 'contract')],
      'items[0].legalBasis',
    ],
  ])('BAD_USER_INPUT for %s, with the path of the field, and nothing is recorded', async (_what, items, path) => {
    const id = await register();
    const before = (await api.vault.commands.load(id)).revision;
    const r = await api.gql(service, RECORD, { id, items });
    expect(codeAndPath(r)).toEqual(['BAD_USER_INPUT', path]);
    expect((await api.vault.commands.load(id)).revision).toBe(before);
    expect(JSON.stringify(r.errors)).not.toContain(VALUES.badEmail);
  });

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])(
    'BAD_USER_INPUT for %s as a purpose, category or field name, and nothing is recorded',
    async (name) => {
      const id = await fullSubject();
      const before = (await api.vault.commands.load(id)).revision;
      const by = (token: string, mutation: string) =>
        api.gql(token, `mutation($id: ID!, $name: String!) { ${mutation} { revision } }`, { id, name });
      expect(codeAndPath(await by(dpo, `giveConsent(subjectId: $id, purpose: $name, ${NOTICE})`))).toEqual([
        'BAD_USER_INPUT',
        'purpose',
      ]);
      expect(codeAndPath(await by(dpo, 'withdrawConsent(subjectId: $id, purpose: $name)'))).toEqual([
        'BAD_USER_INPUT',
        'purpose',
      ]);
      expect(codeAndPath(await by(dpo, 'objectToProcessing(subjectId: $id, purpose: $name)'))).toEqual([
        'BAD_USER_INPUT',
        'purpose',
      ]);
      expect(
        codeAndPath(await by(dpo, 'restrictProcessing(subjectId: $id, categories: [$name], reason: other)')),
      ).toEqual(['BAD_USER_INPUT', 'categories[0]']);
      expect(
        codeAndPath(
          await by(dpo, 'placeLegalHold(subjectId: $id, category: $name, basis: other, until: "2099-01-01T00:00:00Z")'),
        ),
      ).toEqual(['BAD_USER_INPUT', 'category']);
      expect(
        codeAndPath(
          await by(
            service,
            'erasePersonalData(subjectId: $id, category: $name, field: "email", reason: subjectRequest)',
          ),
        )?.[0],
      ).toBe('BAD_USER_INPUT');
      expect(
        codeAndPath(await api.gql(service, RECORD, { id, items: [item(name, 'email', 'a@example.com')] })),
      ).toEqual(['BAD_USER_INPUT', 'items[0].category']);
      expect(
        codeAndPath(await api.gql(service, RECORD, { id, items: [item('contact', name, 'a@example.com')] })),
      ).toEqual(['BAD_USER_INPUT', 'items[0].field']);
      expect(codeAndPath(await api.gql(service, READ, { id, purpose: name }))).toEqual(['BAD_USER_INPUT', 'purpose']);
      expect((await api.vault.commands.load(id)).revision).toBe(before);
    },
  );

  it('BAD_USER_INPUT for lookups and reads, with paths', async () => {
    const id = await register();
    // A subject the service reaches: one with no data is, to a service, no subject at all (NOT_FOUND).
    await api.gql(service, RECORD, { id, items: [item('contact', 'name', VALUES.name)] });
    expect(
      codeAndPath(
        await api.gql(service, '{ findSubjects(identifier: { email: "not an email" }, purpose: "contract") { id } }'),
      ),
    ).toEqual(['BAD_USER_INPUT', 'identifier.email']);
    expect(
      codeAndPath(
        await api.gql(
          service,
          '{ findSubjects(identifier: { email: "a@example.com", phone: "+3120" }, purpose: "contract") { id } }',
        ),
      ),
    ).toEqual(['BAD_USER_INPUT', 'identifier']);
    expect(codeAndPath(await api.gql(service, READ, { id, purpose: 'astrology' }))).toEqual([
      'BAD_USER_INPUT',
      'purpose',
    ]);
    expect(
      codeAndPath(await api.gql(service, READ, { id, purpose: 'contract', categories: ['contact', 'nope'] })),
    ).toEqual(['BAD_USER_INPUT', 'categories[1]']);
    const tooMany = Array.from({ length: 501 }, (_, i) => `id-${i}`);
    expect(
      codeAndPath(
        await api.gql(service, 'query($ids: [ID!]!) { subjects(ids: $ids, purpose: "contract") { id } }', {
          ids: tooMany,
        }),
      ),
    ).toEqual(['BAD_USER_INPUT', 'ids']);
    const items = Array.from({ length: 101 }, () => item('contact', 'name', 'X'));
    expect(codeAndPath(await api.gql(service, RECORD, { id, items }))).toEqual(['BAD_USER_INPUT', 'items']);
  });

  it('does not echo a malformed variable value', async () => {
    const r = await api.gql(
      service,
      'mutation($until: DateTime!) { placeLegalHold(subjectId: "x", category: "contact", basis: other, until: ' +
        '$until) { revision } }',
      { until: VALUES.email },
    );
    expect(r.status).toBe(400);
    expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0]?.message).toMatch(
      /^Variable "\$until" got an invalid value: DateTime must be an RFC 3339 date-time/,
    );
    expect(JSON.stringify(r.errors)).not.toContain(VALUES.email);
  });

  it('says what is wrong with a variable that does not coerce, and where, without echoing what was sent', async () => {
    const id = await fullSubject();
    const before = (await api.vault.commands.load(id)).revision;
    const cases: [string, unknown, string][] = [
      [
        'an unknown input field',
        [{ ...item('contact', 'email', VALUES.email), [VALUES.name]: VALUES.email }],
        'Variable "$items" got an invalid value at "items[0]": A field is not defined by type "PersonalDataInput".',
      ],
      [
        'a missing input field',
        [
          item('contact', 'email', VALUES.email),
          { category: 'contact', field: 'name', value: VALUES.name, purpose: 'contract', legalBasis: 'contract' },
        ],
        'Variable "$items" got an invalid value at "items[1]": Field "source" of required type "String!" was not ' +
          'provided.',
      ],
      [
        'an item that is not an object',
        [VALUES.email],
        'Variable "$items" got an invalid value at "items[0]": Expected type "PersonalDataInput" to be an object.',
      ],
      [
        'a value of the wrong type inside an item',
        [item('contact', 'email', VALUES.email), { ...item('contact', 'name', VALUES.name), purpose: 7 }],
        'Variable "$items" got an invalid value at "items[1].purpose": String cannot represent a non string value.',
      ],
      [
        'a null item',
        [null],
        'Variable "$items" got an invalid value at "items[0]": Expected non-nullable type "PersonalDataInput!" not ' +
          'to be null.',
      ],
    ];
    const refused = async (what: string, r: Awaited<ReturnType<typeof api.gql>>, message: string) => {
      expect([r.status, r.errors?.[0]?.extensions?.code, r.errors?.[0]?.message], what).toEqual([
        400,
        'BAD_USER_INPUT',
        message,
      ]);
      expect(JSON.stringify(r.errors), what).not.toContain(VALUES.email);
      expect(JSON.stringify(r.errors), what).not.toContain(VALUES.name);
    };
    for (const [what, items, message] of cases)
      await refused(what, await api.gql(service, RECORD, { id, items }), message);
    const erase =
      'mutation($id: ID!, $reason: ErasureReason!) { erasePersonalData(subjectId: $id, category: "contact", field: ' +
      '"email", reason: $reason) { revision } }';
    await refused(
      'a value outside an enum',
      await api.gql(service, erase, { id, reason: VALUES.email }),
      'Variable "$reason" got an invalid value: The value does not exist in "ErasureReason" enum.',
    );
    expect((await api.vault.commands.load(id)).revision).toBe(before);
  });

  it('takes DateTime inputs with an offset in canonical UTC, and refuses a day the calendar lacks', async () => {
    const id = await fullSubject();
    const hold = (until: string) =>
      api.gql(
        dpo,
        'mutation($id: ID!, $until: DateTime!) { placeLegalHold(subjectId: $id, category: "contact", basis: other, ' +
          'until: $until) { revision } }',
        { id, until },
      );
    const before = (await api.vault.commands.load(id)).revision;
    for (const until of ['2099-02-30', '2099-02-30T00:00:00Z', '9999-12-31T23:00:00-05:00', '0099-01-01']) {
      const r = await hold(until);
      expect([r.status, r.errors?.[0]?.extensions?.code], until).toEqual([400, 'BAD_USER_INPUT']);
    }
    expect((await api.vault.commands.load(id)).revision).toBe(before);
    expect((await hold('2099-01-01T01:00:00+01:00')).errors).toBeUndefined();
    const holds = await api.gql(dpo, 'query($id: ID!) { legalHolds(subjectId: $id) { category until source } }', {
      id,
    });
    expect(holds.data!.legalHolds).toContainEqual({
      category: 'contact',
      until: '2099-01-01T00:00:00.000Z',
      source: 'dpo',
    });
  });

  it('NOT_FOUND for an unknown subject, CONFLICT for recording into an erased one', async () => {
    expect(codeAndPath(await api.gql(service, READ, { id: 'never-registered', purpose: 'contract' }))).toEqual([
      'NOT_FOUND',
      'id',
    ]);
    expect(
      codeAndPath(await api.gql(service, RECORD, { id: 'never-registered', items: [item('contact', 'name', 'X')] })),
    ).toEqual(['NOT_FOUND', 'subjectId']);
    expect(
      codeAndPath(
        await api.gql(
          dpo,
          'mutation { eraseSubject(subjectId: "never-registered", reason: subjectRequest) { certificate { subjectId ' +
            '} } }',
        ),
      ),
    ).toEqual(['NOT_FOUND', 'subjectId']);
    const id = await fullSubject();
    await api.gql(
      dpo,
      'mutation($id: ID!) { eraseSubject(subjectId: $id, reason: subjectRequest) { certificate { subjectId } } }',
      { id },
    );
    const r = await api.gql(service, RECORD, { id, items: [item('contact', 'name', 'X')] });
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'SUBJECT_ERASED' });
  });

  it('401 without a token, with a malformed one, one signed by another secret, or an expired one', async () => {
    const { SignJWT } = await import('jose');
    const other = await new SignJWT({ role: 'dpo', name: 'x' })
      .setProtectedHeader({ alg: 'HS256' })
      .setAudience('pdv-vault')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('x'.repeat(40)));
    const { readFileSync } = await import('node:fs');
    const secret = new TextEncoder().encode(readFileSync(`${api.config.dataDir}/jwt-dev.secret`, 'utf8').trim());
    const expired = await new SignJWT({ role: 'dpo', name: 'x' })
      .setProtectedHeader({ alg: 'HS256' })
      .setAudience('pdv-vault')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(secret);
    const noRole = await new SignJWT({ name: 'x' })
      .setProtectedHeader({ alg: 'HS256' })
      .setAudience('pdv-vault')
      .setExpirationTime('1h')
      .sign(secret);
    for (const token of [undefined, 'not-a-jwt', other, expired, noRole]) {
      const r = await api.gql(token, '{ me { role } }');
      expect(r.status).toBe(401);
      expect(r.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });

  it('QUERY_TOO_COMPLEX for queries nested too deep or too costly', async () => {
    const shallow =
      '{ processingRegister { categories { retention { trigger } erasure { retention { trigger } } fields { name } } ' +
      '} }';
    expect((await api.gql(service, shallow)).errors).toBeUndefined();
    const deep = `{ __schema { types { fields { type ${'{ ofType '.repeat(9)}{ name }${' }'.repeat(9)} } } } }`;
    const tooDeep = await api.gql(service, deep);
    expect(tooDeep.status).toBe(400);
    expect(tooDeep.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    const fragmentLoop =
      `query { subjects(ids: $ids, purpose: "contract") { ...A } } fragment A on Subject { id ` + `items { status } }`;
    const ids = Array.from({ length: 500 }, (_, i) => `i${i}`);
    const costly = await api.gql(
      service,
      fragmentLoop
        .replace('query {', 'query($ids: [ID!]!) {')
        .replace(
          '{ id items { status } }',
          `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: id`).join(' ')} items { status } }`,
        ),
      { ids },
    );
    expect(costly.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    const aliases = `{ ${Array.from(
      { length: 11 },
      (_, i) => `r${i}: processingRegister { categories { fields { ` + `name } } }`,
    ).join(' ')} }`;
    expect((await api.gql(service, aliases)).errors).toBeUndefined();
    // Many cheap subject reads under aliases: bounded by the subjects read, not only by cost.
    const reads = (n: number) =>
      `{ ${Array.from(
        { length: n },
        (_, i) =>
          `s${i}: subject(id: "x${i}", purpose: "contract") { id items { status ` +
          `... on PersonalDataValue { value } } }`,
      ).join(' ')} }`;
    // 501 aliased reads pass the text and alias limits first; within them, subjects read add up across fields.
    const flood = await api.gql(service, reads(501));
    expect([flood.status, flood.errors?.[0]?.extensions?.code]).toEqual([400, 'QUERY_TOO_COMPLEX']);
    const split = await api.gql(
      service,
      'query($a: [ID!]!, $b: [ID!]!) { a: subjects(ids: $a, purpose: "contract") { id } b: subjects(ids: $b, ' +
        'purpose: "contract") { id } }',
      {
        a: Array.from({ length: 300 }, (_, i) => `a${i}`),
        b: Array.from({ length: 201 }, (_, i) => `b${i}`),
      },
    );
    expect([split.status, split.errors?.[0]?.extensions?.code]).toEqual([400, 'QUERY_TOO_COMPLEX']);
    expect(split.errors?.[0]?.message).toContain('reads 501 subjects');
    // Lists left to their defaults count as long as the defaults.
    const defaults = (p: string) => `[${Array.from({ length: 300 }, (_, i) => `"${p}${i}"`).join(', ')}]`;
    const byDefault = await api.gql(
      service,
      `query($a: [ID!] = ${defaults('a')}, $b: [ID!] = ${defaults('b')}) { a: subjects(ids: $a, purpose: "contract") ` +
        `{ id } b: subjects(ids: $b, purpose: "contract") { id } }`,
    );
    expect([byDefault.status, byDefault.errors?.[0]?.extensions?.code]).toEqual([400, 'QUERY_TOO_COMPLEX']);
    expect(byDefault.errors?.[0]?.message).toContain('reads 600 subjects');
    expect((await api.gql(service, reads(3))).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('a lookup that matches several subjects draws them from the subjects a request may read', async () => {
    const small = await startApi({ server: { limits: { maxSubjectsPerQuery: 5 } } });
    try {
      const svc = await small.token(SERVICE);
      for (let i = 0; i < 3; i++) {
        const id = (await small.gql(svc, 'mutation { registerSubject { subjectId } }')).data!.registerSubject
          .subjectId as string;
        expect(
          (await small.gql(svc, RECORD, { id, items: [item('contact', 'email', VALUES.email)] })).errors,
        ).toBeUndefined();
      }
      const find = (alias: string) =>
        `${alias}: findSubjects(identifier: { email: "${VALUES.emailNormalised}" }, purpose: "contract") { id }`;
      // Counted as 1 before it runs, matching 3: within 5.
      const one = await small.gql(svc, `{ ${find('a')} }`);
      expect(one.errors).toBeUndefined();
      expect(one.data!.a).toHaveLength(3);
      // Two lookups: 2 counted, 2 + 2 more matched, 6 in all: the second is refused, and with it the
      // request (the field is non-null), so no subject leaves.
      const two = await small.gql(svc, `{ ${find('a')} ${find('b')} }`);
      expect(two.data).toBeNull();
      expect(two.errors).toHaveLength(1);
      expect(two.errors![0]).toMatchObject({ path: ['b'], extensions: { code: 'QUERY_TOO_COMPLEX' } });
      expect(JSON.stringify(two.errors)).not.toContain(VALUES.emailNormalised);
      // Matches the caller may not see count nothing, and a refusal cannot tell it they are there.
      const blind = await small.token({ role: 'service', name: 'invoicing', purposes: ['billing'] });
      const unseen = await small.gql(blind, `{ ${find('a')} ${find('b')} }`);
      expect(unseen).toMatchObject({ data: { a: [], b: [] } });
      expect(unseen.errors).toBeUndefined();
    } finally {
      await small.stop();
    }
  });

  it('client mistakes in the request itself get a 400 with a request code, not a masked internal error', async () => {
    const post = async (body: unknown) => {
      const res = await fetch(`${api.server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${service}` },
        body: JSON.stringify(body),
      });
      return {
        status: res.status,
        body: (await res.json()) as { errors?: { message: string; extensions?: { code?: string } }[] },
      };
    };
    const unknownOperation = await post({ query: 'query A { me { role } }', operationName: 'B' });
    expect([unknownOperation.status, unknownOperation.body.errors?.[0]?.extensions?.code]).toEqual([
      400,
      'OPERATION_RESOLUTION_FAILURE',
    ]);
    // An empty name matches no operation either: refused before anything runs, a mutation included.
    const id = await register();
    const before = (await api.vault.commands.load(id)).revision;
    const unnamed = await post({
      query: `mutation { giveConsent(subjectId: "${id}", purpose: "marketing", ${NOTICE}) { revision } }`,
      operationName: '',
    });
    expect([unnamed.status, unnamed.body.errors?.[0]?.extensions?.code]).toEqual([400, 'OPERATION_RESOLUTION_FAILURE']);
    expect((await api.vault.commands.load(id)).revision).toBe(before);
    const unnamedFlood = await post({
      query: `{ ${Array.from(
        { length: 30 },
        (_, i) => `s${i}: subject(id: "x${i}", purpose: "contract") { id ` + `}`,
      ).join(' ')} }`,
      operationName: '',
    });
    expect([unnamedFlood.status, unnamedFlood.body.errors?.[0]?.extensions?.code]).toEqual([
      400,
      'OPERATION_RESOLUTION_FAILURE',
    ]);
    const wrongHash = await post({
      query: '{ me { role } }',
      extensions: { persistedQuery: { version: 1, sha256Hash: 'abc' } },
    });
    expect([wrongHash.status, wrongHash.body.errors?.[0]?.extensions?.code]).toEqual([400, 'BAD_REQUEST']);
    const wrongVersion = await post({
      query: '{ me { role } }',
      extensions: { persistedQuery: { version: 2, sha256Hash: 'abc' } },
    });
    expect([wrongVersion.status, wrongVersion.body.errors?.[0]?.extensions?.code]).toEqual([400, 'BAD_REQUEST']);
    expect(api.logLines.filter((l) => l.includes('"level":50')).length).toBe(0);
  });

  it('another method on /graphql gets 405 in the API error format, without echoing the URL', async () => {
    const url = `${api.server.url}/graphql?query=${encodeURIComponent(
      `{ findSubjects(identifier: { email: ` + `"${VALUES.email}" }, purpose: "contract") { id } }`,
    )}`;
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const res = await fetch(url, { method, headers: { authorization: `Bearer ${service}` } });
      const text = await res.text();
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
      expect(JSON.parse(text)).toMatchObject({ errors: [{ extensions: { code: 'METHOD_NOT_ALLOWED' } }] });
      expect(text).not.toContain(VALUES.email.split('@')[0]!);
    }
    const unknown = await fetch(`${api.server.url}/nowhere?email=${encodeURIComponent(VALUES.email)}`);
    const text = await unknown.text();
    expect(unknown.status).toBe(404);
    expect(JSON.parse(text)).toMatchObject({ errors: [{ extensions: { code: 'NOT_FOUND' } }] });
    expect(text).not.toContain(VALUES.email.split('@')[0]!);
  });

  it('masks unexpected failures as INTERNAL_SERVER_ERROR with no detail', async () => {
    const original = api.vault.reader.read.bind(api.vault.reader);
    api.vault.reader.read = async () => {
      throw new Error(`boom while reading ${VALUES.name}`);
    };
    try {
      const r = await api.gql(service, READ, { id: 'any', purpose: 'contract' });
      expect(r.errors?.[0]).toMatchObject({
        message: 'Internal server error',
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      });
      expect(JSON.stringify(r)).not.toMatch(/boom|Annelies|stack/);
    } finally {
      api.vault.reader.read = original;
    }
  });
});

describe('opening values', () => {
  it('opens a value only for a query that selects it; one that fails to open fails the read, masked', async () => {
    const id = await fullSubject();
    // Every key handed to the reader is the wrong one: any value the read opens fails its MAC.
    const original = api.vault.keyRing.get.bind(api.vault.keyRing);
    api.vault.keyRing.get = async (ids) => new Map([...(await original(ids))].map(([k]) => [k, new Uint8Array(32)]));
    try {
      const listed = await api.gql(
        service,
        'query($id: ID!) { subject(id: $id, purpose: "contract") { items { status category field } } }',
        { id },
      );
      expect(listed.errors).toBeUndefined();
      expect(listed.data!.subject.items).toEqual(
        expect.arrayContaining([{ status: 'VALUE', category: 'contact', field: 'email' }]),
      );
      const opened = await api.gql(service, READ, { id, purpose: 'contract' });
      expect(opened.errors?.[0]).toMatchObject({
        message: 'Internal server error',
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      });
      expect(opened.errors?.[0]?.path).toEqual(['subject', 'items', expect.any(Number), 'value']);
      expect(JSON.stringify(opened)).not.toMatch(/Annelies|example\.com|authentication/);
    } finally {
      api.vault.keyRing.get = original;
    }
    expect((await read(id, 'contract')).find((i) => i.field === 'name')?.value).toBe(VALUES.name);
  });
});

describe('serving', () => {
  it('answers /healthz and /readyz, with the log position only to an operator', async () => {
    expect((await fetch(`${api.server.url}/healthz`)).status).toBe(200);
    const readyz = async (token?: string) => {
      const res = await fetch(
        `${api.server.url}/readyz`,
        token ? { headers: { authorization: `Bearer ${token}` } } : {},
      );
      return { status: res.status, body: await res.json() };
    };
    expect(await readyz()).toEqual({ status: 200, body: { status: 'ready' } });
    expect(await readyz(await api.token(SERVICE))).toEqual({ status: 200, body: { status: 'ready' } });
    expect(await readyz('made.up.token')).toEqual({ status: 200, body: { status: 'ready' } });
    expect(await readyz(await api.token(DPO))).toEqual({
      status: 200,
      body: { status: 'ready', position: expect.any(Number) },
    });
  });
});

it('logs written during the suite contain none of the personal values recorded', () => {
  const everything = [...api.logLines, ...stdout].join('\n');
  expect(api.logLines.length).toBeGreaterThan(10);
  for (const v of Object.values(VALUES)) {
    expect(everything).not.toContain(v);
    expect(everything.toLowerCase()).not.toContain(v.toLowerCase());
  }
  expect(everything).not.toMatch(/"stack"|\n\s+at /);
});
