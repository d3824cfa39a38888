import { addIsoDuration, VaultError } from '@pdv/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Api, DPO, startApi } from '../e2e/apiHarness.js';
import { caseItems } from '../support/caseItems.js';
import { schemaErrors } from '../support/rightsSchemas.js';

// What a value of one entry (a debt-collection case, a business relationship) may go through, played
// through the API on the shipped register and the controlled clock (issue 23): a DPO hold on one
// case, one case's field erased on its own, a case's value held for a second purpose and released
// by a withdrawal or an objection, the case named in the readable report and its earlier values,
// entries of a category the law keeps after erasure, and the key of a first write the log refused.

const T0 = '2026-03-02T08:00:00.000Z';
const at = (duration: string, from = T0) => addIsoDuration(from, duration);
const shift = (iso: string, days: number) => new Date(Date.parse(iso) + days * 86_400_000).toISOString();
const CLOSED = at('P1Y');
const END = at('P3Y', CLOSED);
const HELD_UNTIL = at('P1Y', END);

const clock = { now: T0 };
let api: Api;
let collections: string;
let dpo: string;

const RECORD = `mutation($id: ID!, $items: [PersonalDataInput!]!, $consents: [ConsentInput!]) {
  recordPersonalData(subjectId: $id, items: $items, consents: $consents) { eventCount } }`;
const LIFECYCLE = `mutation($id: ID!, $event: String!, $entry: String) {
  recordLifecycleEvent(subjectId: $id, event: $event, entry: $entry) { eventCount } }`;
const HOLD = `mutation($id: ID!, $until: DateTime!, $category: String!, $entry: String) {
  placeLegalHold(subjectId: $id, category: $category, basis: litigation, until: $until, entry: $entry) {
    eventCount } }`;
const HOLDS = `query($id: ID!) { legalHolds(subjectId: $id) {
  category entry basis until source entries { entry until } } }`;
const ERASE = `mutation($id: ID!) { eraseSubject(subjectId: $id, reason: subjectRequest) { certificate {
  categoriesShredded categoriesRetained { category basis until entries { field until entry basis } } keyIdsDestroyed }
  jws { payload } } }`;
const ERASE_FIELD = `mutation($id: ID!, $field: String!, $entry: String) {
  erasePersonalData(subjectId: $id, category: "debtor", field: $field, reason: subjectRequest, entry: $entry) {
    eventCount } }`;
const READ = `query($id: ID!, $purpose: String!, $categories: [String!]) { subject(id: $id, purpose: $purpose) {
  items(categories: $categories) { status field ... on PersonalDataValue { value entry }
    ... on PersonalDataErased { erasureReason entry } ... on PersonalDataDenied { reason entry } } } }`;

async function gqlOk(token: string, query: string, variables: Record<string, unknown>) {
  const r = await api.gql(token, query, variables);
  expect(r.errors).toBeUndefined();
  return r.data!;
}

async function register(token: string): Promise<string> {
  const data = await gqlOk(token, 'mutation { registerSubject { subjectId } }', {});
  return (data as { registerSubject: { subjectId: string } }).registerSubject.subjectId;
}

/** A case's debtor data as the creditor handed it over. */
const debtorItems = (entry: string, fields: Record<string, string> = { name: `Debtor (${entry})` }) =>
  caseItems(
    entry,
    Object.entries(fields).map(([field, value]) => ['debtor', field, value] as const),
  );

/** The items a token reads for a purpose, as `entry field status value|reason`, sorted. */
async function items(token: string, id: string, purpose: string, categories?: string[]): Promise<string[]> {
  const data = (await gqlOk(token, READ, { id, purpose, categories })) as {
    subject: { items: Record<string, string | null | undefined>[] };
  };
  return data.subject.items
    .map((i) => `${i['entry'] ?? '-'} ${i['field']} ${i['status']} ${i['value'] ?? i['erasureReason'] ?? i['reason']}`)
    .sort();
}

async function liveEntries(id: string, category: string): Promise<string[]> {
  const c = (await api.vault.commands.load(id)).categories[category];
  return Object.entries(c?.entries ?? {})
    .filter(([, e]) => !e.shredded)
    .map(([entry]) => entry)
    .sort();
}

const keysHeld = async (ids: string[]) => [...(await api.vault.stores.keys.getByIds(ids)).keys()].sort();

/** Debtors with cases A and B, both closed at CLOSED: `held` gets a hold on case A, `erased` too and is erased. */
const debtors = { held: '', erased: '', corrected: '' };

beforeAll(async () => {
  api = await startApi({ vault: { register: undefined, now: () => clock.now } });
  collections = await api.token({ role: 'service', name: 'collections', purposes: ['debtCollection'] });
  dpo = await api.token(DPO);
  for (const k of Object.keys(debtors) as (keyof typeof debtors)[]) {
    const id = (debtors[k] = await register(collections));
    await gqlOk(collections, RECORD, {
      id,
      items: [
        ...debtorItems('A', { name: `Debtor ${k} (A)`, email: `${k}.a@example.com` }),
        ...debtorItems('B', { name: `Debtor ${k} (B)`, email: `${k}.b@example.com` }),
      ],
    });
  }
  clock.now = CLOSED;
  for (const id of Object.values(debtors))
    for (const entry of ['A', 'B']) await gqlOk(collections, LIFECYCLE, { id, event: 'caseClosed', entry });
}, 120_000);

afterAll(async () => {
  await api?.stop();
});

describe('the values of one case, through the API', () => {
  it('places a DPO hold on one case and lists it with that case alone; refuses a case the debtor lacks', async () => {
    clock.now = shift(CLOSED, 1);
    for (const id of [debtors.held, debtors.erased])
      await gqlOk(dpo, HOLD, { id, category: 'debtor', until: HELD_UNTIL, entry: 'A' });
    const { legalHolds } = (await gqlOk(dpo, HOLDS, { id: debtors.held })) as { legalHolds: unknown[] };
    expect(legalHolds).toEqual([
      {
        category: 'debtor',
        entry: 'A',
        basis: 'litigation',
        until: HELD_UNTIL,
        source: 'dpo',
        entries: [{ entry: 'A', until: HELD_UNTIL }],
      },
    ]);
    const revision = (await api.vault.commands.load(debtors.held)).revision;
    const unknown = await api.gql(dpo, HOLD, { id: debtors.held, category: 'debtor', until: HELD_UNTIL, entry: 'C' });
    expect(unknown.errors?.[0]?.extensions).toMatchObject({
      code: 'NOT_FOUND',
      reason: 'UNKNOWN_ENTRY',
      path: 'entry',
    });
    const notPerEntry = await api.gql(dpo, HOLD, {
      id: debtors.held,
      category: 'accounting',
      until: HELD_UNTIL,
      entry: 'A',
    });
    expect(notPerEntry.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', path: 'entry' });
    expect((await api.vault.commands.load(debtors.held)).revision).toBe(revision);
  });

  it('erases a debtor but its held case, the certificate naming that case’s values and their end', async () => {
    clock.now = shift(CLOSED, 2);
    const before = await api.vault.commands.load(debtors.erased);
    const keyOf = (entry: string) => before.categories['debtor']!.entries![entry]!.keyId;
    const { eraseSubject } = (await gqlOk(dpo, ERASE, { id: debtors.erased })) as {
      eraseSubject: { certificate: Record<string, unknown>; jws: { payload: string } };
    };
    expect(eraseSubject.certificate['categoriesShredded']).toEqual(['debtor']);
    expect(eraseSubject.certificate['categoriesRetained']).toEqual([
      {
        category: 'debtor',
        basis: 'litigation',
        until: HELD_UNTIL,
        entries: ['email', 'name'].map((field) => ({ field, until: HELD_UNTIL, entry: 'A', basis: null })),
      },
    ]);
    expect(eraseSubject.certificate['keyIdsDestroyed']).toEqual([keyOf('B')]);
    const signed = JSON.parse(Buffer.from(eraseSubject.jws.payload, 'base64url').toString()) as unknown;
    expect(schemaErrors('erasure-certificate.schema.json', signed)).toEqual([]);
    expect(await keysHeld([keyOf('A'), keyOf('B')])).toEqual([keyOf('A')]);
  });

  it('erases one field of one case: the case re-keyed, the other case and its past values as they were', async () => {
    clock.now = shift(CLOSED, 3);
    const id = debtors.corrected;
    // An earlier value of case A's name, superseded by the DPO's correction: listed among the earlier values.
    const RECTIFY = `mutation($id: ID!, $items: [PersonalDataInput!]!) {
      rectifyPersonalData(subjectId: $id, items: $items) { eventCount } }`;
    await gqlOk(dpo, RECTIFY, { id, items: debtorItems('A', { name: 'Debtor fixed (A)' }) });
    const before = await api.vault.commands.load(id);
    const keyOf = (entry: string) => before.categories['debtor']!.entries![entry]!.keyId;
    await gqlOk(dpo, ERASE_FIELD, { id, field: 'email', entry: 'B' });
    expect(await items(dpo, id, 'debtCollection', ['debtor'])).toEqual([
      'A email VALUE corrected.a@example.com',
      'A name VALUE Debtor fixed (A)',
      'B email ERASED subjectRequest',
      'B name VALUE Debtor corrected (B)',
    ]);
    const after = await api.vault.commands.load(id);
    expect(after.categories['debtor']!.entries!['B']!.keyId).toBe(`${id}/debtor~B/2`);
    expect(await keysHeld([keyOf('A'), keyOf('B'), `${id}/debtor~B/2`])).toEqual([keyOf('A'), `${id}/debtor~B/2`]);
    // The only value of a case erased: the case's key goes.
    await gqlOk(dpo, ERASE_FIELD, { id, field: 'name', entry: 'B' });
    expect(await liveEntries(id, 'debtor')).toEqual(['A']);
    const unknown = await api.gql(dpo, ERASE_FIELD, { id, field: 'name', entry: 'C' });
    expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'UNKNOWN_ENTRY' });
  });

  it('names the case in the access report, its readable page and its earlier values', async () => {
    const id = debtors.corrected;
    const QUERY = `query($id: ID!) { accessReport(subjectId: $id) { report html(language: "en") } }`;
    const { accessReport } = (await gqlOk(dpo, QUERY, { id })) as {
      accessReport: { report: Record<string, unknown>; html: string };
    };
    expect(schemaErrors('access-report.schema.json', accessReport.report)).toEqual([]);
    const history = accessReport.report['history'] as { category: string; field: string; entry?: string }[];
    expect(history.filter((h) => h.category === 'debtor').map((h) => `${h.entry} ${h.field}`)).toEqual(['A name']);
    // The page: a column for the case, in the values held and the earlier values.
    const rows = accessReport.html.split('<tr>');
    expect(accessReport.html).toContain('<th>Case or record</th>');
    expect(rows.find((r) => r.includes('Debtor fixed (A)'))).toContain('<span class="code">A</span>');
    expect(rows.find((r) => r.includes('Debtor corrected (A)'))).toContain('<span class="code">A</span>');
  });
});

describe('a case’s value kept for two purposes', () => {
  const contactItem = (entry: string, field: string, value: string, purpose: string, legalBasis: string) => ({
    category: 'contact',
    field,
    value,
    purpose,
    legalBasis,
    source: 'subject',
    entry,
  });
  const consent = (purpose: string) => ({
    purpose,
    noticeId: 'privacy-notice',
    noticeVersion: '2026-01',
    channel: 'webForm',
  });

  it('holds a contract’s case value for the newsletter too, kept for the contract when that consent goes', async () => {
    clock.now = shift(CLOSED, 4);
    const crm = await api.token({ role: 'service', name: 'crm', purposes: ['contract'] });
    const mailer = await api.token({ role: 'service', name: 'mailer', purposes: ['newsletter'] });
    const id = await register(crm);
    await gqlOk(crm, RECORD, { id, items: [contactItem('K-1', 'email', 'ann@example.com', 'contract', 'contract')] });
    // The same address for the newsletter, in the same contract's case: held for both.
    const same = contactItem('K-1', 'email', 'ann@example.com', 'newsletter', 'consent');
    const { recordPersonalData } = (await gqlOk(mailer, RECORD, {
      id,
      items: [same],
      consents: [consent('newsletter')],
    })) as {
      recordPersonalData: { eventCount: number };
    };
    expect(recordPersonalData.eventCount).toBe(2);
    const field = (await api.vault.commands.load(id)).categories['contact']!.entries!['K-1']!.fields['email']!;
    expect([field.purpose, field.alsoHeldFor]).toEqual([
      'contract',
      [{ purpose: 'newsletter', legalBasis: 'consent' }],
    ]);
    // Another address over the contract's is refused, naming the purpose that holds it.
    const other = await api.gql(mailer, RECORD, { id, items: [{ ...same, value: 'evil@example.com' }] });
    expect(other.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'VALUE_HELD' });
    const WITHDRAW = 'mutation($id: ID!) { withdrawConsent(subjectId: $id, purpose: "newsletter") { eventCount } }';
    await gqlOk(mailer, WITHDRAW, { id });
    expect(await items(crm, id, 'contract', ['contact'])).toEqual(['K-1 email VALUE ann@example.com']);
    const after = (await api.vault.commands.load(id)).categories['contact']!.entries!['K-1']!;
    expect([after.keyId, after.fields['email']!.alsoHeldFor]).toEqual([`${id}/contact~K-1/1`, undefined]);
  });

  it('erases on an objection to marketing a case value kept for it alone; one the contract keeps stays', async () => {
    clock.now = shift(CLOSED, 5);
    const crm = await api.token({ role: 'service', name: 'crm', purposes: ['contract'] });
    const shop = await api.token({ role: 'service', name: 'shop', purposes: ['marketing'] });
    const id = await register(crm);
    const subject = await api.token({ role: 'subject', subjectId: id });
    await gqlOk(crm, RECORD, {
      id,
      items: [
        contactItem('K-1', 'email', 'bo@example.com', 'contract', 'contract'),
        contactItem('K-2', 'name', 'Bo', 'contract', 'contract'),
      ],
    });
    await gqlOk(shop, RECORD, {
      id,
      items: [
        contactItem('K-1', 'email', 'bo@example.com', 'marketing', 'consent'),
        contactItem('K-2', 'phone', '+31 20 123 4567', 'marketing', 'consent'),
      ],
      consents: [consent('marketing')],
    });
    const OBJECT = 'mutation($id: ID!) { objectToProcessing(subjectId: $id, purpose: "marketing") { eventCount } }';
    await gqlOk(subject, OBJECT, { id });
    expect(await items(dpo, id, 'contract', ['contact'])).toEqual([
      'K-1 email VALUE bo@example.com',
      'K-2 name VALUE Bo',
      'K-2 phone ERASED objection',
    ]);
    // Case K-2 lost its phone by re-keying: its first key is gone with every value it sealed.
    expect(await keysHeld([`${id}/contact~K-1/1`, `${id}/contact~K-2/1`, `${id}/contact~K-2/2`])).toEqual([
      `${id}/contact~K-1/1`,
      `${id}/contact~K-2/2`,
    ]);
    const k1 = (await api.vault.commands.load(id)).categories['contact']!.entries!['K-1']!.fields['email']!;
    expect([k1.purpose, k1.alsoHeldFor]).toEqual(['contract', undefined]);
  });
});

describe('keys of writes the log refused', () => {
  it('destroys with the erasure the key of a case whose first write the log refused', async () => {
    clock.now = shift(CLOSED, 6);
    const id = await register(collections);
    await gqlOk(collections, RECORD, { id, items: debtorItems('A') });
    const log = api.vault.stores.log;
    const append = log.append.bind(log);
    log.append = () => Promise.reject(new VaultError('STORE_UNAVAILABLE', 'refused for the test'));
    let refused;
    try {
      refused = await api.gql(collections, RECORD, { id, items: debtorItems('NEW-1') });
    } finally {
      log.append = append;
    }
    expect(refused.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    const stray = `${id}/debtor~NEW-1/1`;
    expect(await keysHeld([stray])).toEqual([stray]);
    expect(await liveEntries(id, 'debtor')).toEqual(['A']);
    const { eraseSubject } = (await gqlOk(dpo, ERASE, { id })) as {
      eraseSubject: { certificate: { keyIdsDestroyed: string[] } };
    };
    expect(eraseSubject.certificate.keyIdsDestroyed.sort()).toEqual([`${id}/debtor~A/1`, stray].sort());
    expect(await keysHeld([stray])).toEqual([]);
  });
});

const RELATIONSHIP_ENDED = shift(CLOSED, 7);
let amlSubject = '';

describe('entries of a category the law keeps after erasure', () => {
  let id = '';
  const aml = (entry: string) => [
    {
      category: 'antiMoneyLaundering',
      field: 'verificationMethod',
      value: `passport checked for ${entry}`,
      purpose: 'amlCompliance',
      legalBasis: 'legalObligation',
      source: 'internal',
      entry,
    },
  ];

  it('takes a relationship’s records under its id, each kept through an erasure until its own end', async () => {
    clock.now = shift(CLOSED, 7);
    const compliance = await api.token({ role: 'service', name: 'compliance', purposes: ['amlCompliance'] });
    id = amlSubject = await register(compliance);
    await gqlOk(compliance, RECORD, { id, items: [...aml('R-1'), ...aml('R-2')] });
    await gqlOk(compliance, LIFECYCLE, { id, event: 'relationshipEnded', entry: 'R-1' });
    const law = 'anti-money-laundering law: due-diligence records kept 5 years after the relationship ended';
    const keptUntil = at('P5Y', RELATIONSHIP_ENDED);
    const { legalHolds } = (await gqlOk(dpo, HOLDS, { id })) as { legalHolds: unknown[] };
    expect(legalHolds).toEqual([
      {
        category: 'antiMoneyLaundering',
        entry: 'R-1',
        basis: law,
        until: keptUntil,
        source: 'register',
        entries: [{ entry: 'R-1', until: keptUntil }],
      },
      {
        category: 'antiMoneyLaundering',
        entry: 'R-2',
        basis: law,
        until: 'open',
        source: 'register',
        entries: [{ entry: 'R-2', until: 'open' }],
      },
    ]);
    const { eraseSubject } = (await gqlOk(dpo, ERASE, { id })) as {
      eraseSubject: { certificate: Record<string, unknown>; jws: { payload: string } };
    };
    expect(eraseSubject.certificate['categoriesRetained']).toEqual([
      {
        category: 'antiMoneyLaundering',
        basis: law,
        until: 'open',
        entries: [
          { field: 'verificationMethod', until: keptUntil, entry: 'R-1', basis: null },
          { field: 'verificationMethod', until: 'open', entry: 'R-2', basis: null },
        ],
      },
    ]);
    const signed = JSON.parse(Buffer.from(eraseSubject.jws.payload, 'base64url').toString()) as unknown;
    expect(schemaErrors('erasure-certificate.schema.json', signed)).toEqual([]);
    expect(await liveEntries(id, 'antiMoneyLaundering')).toEqual(['R-1', 'R-2']);
  });
});

describe('over the years', () => {
  it('sweeps the free case at its end, and the held case when its hold ends', async () => {
    clock.now = shift(END, 1);
    await api.vault.sweepRetention();
    expect(await liveEntries(debtors.held, 'debtor')).toEqual(['A']);
    expect(await items(collections, debtors.held, 'debtCollection', ['debtor'])).toEqual([
      'A email VALUE held.a@example.com',
      'A name VALUE Debtor held (A)',
    ]);
    expect(await liveEntries(debtors.erased, 'debtor')).toEqual(['A']);
    clock.now = shift(HELD_UNTIL, -1);
    await api.vault.projector.catchUp();
    const dry = await api.vault.sweepRetention({ dryRun: true });
    expect(dry.items.filter((i) => i.subjectId === debtors.held || i.subjectId === debtors.erased)).toEqual([]);
    await api.vault.sweepRetention();
    expect(await liveEntries(debtors.held, 'debtor')).toEqual(['A']);
    clock.now = shift(HELD_UNTIL, 1);
    await api.vault.sweepRetention();
    expect(await liveEntries(debtors.held, 'debtor')).toEqual([]);
    expect(await liveEntries(debtors.erased, 'debtor')).toEqual([]);
  });

  it('shreds the ended relationship’s records when the law’s period is over, the running one’s staying', async () => {
    clock.now = shift(at('P5Y', RELATIONSHIP_ENDED), -1);
    // Nothing of the erased subject is due before then: no row stays due that the law still keeps.
    await api.vault.projector.catchUp();
    const dry = await api.vault.sweepRetention({ dryRun: true });
    expect(dry.items.filter((i) => i.subjectId === amlSubject)).toEqual([]);
    await api.vault.sweepRetention();
    expect(await liveEntries(amlSubject, 'antiMoneyLaundering')).toEqual(['R-1', 'R-2']);
    clock.now = shift(at('P5Y', RELATIONSHIP_ENDED), 1);
    await api.vault.sweepRetention();
    expect(await liveEntries(amlSubject, 'antiMoneyLaundering')).toEqual(['R-2']);
  });
});

describe('what reaches the server log', () => {
  it('writes no case’s value to the log', () => {
    const log = api.logLines.join('\n');
    for (const value of [
      'held.a@example.com',
      'Debtor fixed (A)',
      'ann@example.com',
      'bo@example.com',
      'passport checked',
    ])
      expect(log).not.toContain(value);
  });
});
