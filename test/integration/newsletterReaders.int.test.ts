import { addIsoDuration } from '@pdv/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Api, DPO, startApi } from '../e2e/apiHarness.js';

// A hundred newsletter readers over ten years (issue 23), played through the API on the shipped register and the
// controlled clock, beside the debtors of casesRetention.int. Each reader is a customer whose contract K-<i> holds its
// contact details, and who subscribed to the newsletter with the same address, kept apart in newsletterSubscription
// (Altius: "Your email address is stored in a separate database and deleted when you unsubscribe"). A third
// unsubscribe in the first year: the newsletter address goes at once, the contract's stays. The address of a reader
// who shows no newsletter activity goes 3 years after the last (the register: inactive addresses are removed). Half the
// contracts end in the first year and a second one follows: each contract's contact details go 8 years after *that*
// contract ended, the second contract's staying.

const T0 = '2026-03-02T08:00:00.000Z';
const at = (duration: string, from = T0) => addIsoDuration(from, duration);
const shift = (iso: string, days: number) => new Date(Date.parse(iso) + days * 86_400_000).toISOString();
const N = 100;
/** Readers 0-29 unsubscribe in the first year; 30-59 move their newsletter to a new address in the second. */
const UNSUBSCRIBED = 30;
const ACTIVE = 60;
/** Readers 0-49's first contract ends in the first year, and a second one starts in the second. */
const RENEWED = 50;
const YEAR1 = at('P6M');
const YEAR2 = at('P1Y6M');

const clock = { now: T0 };
let api: Api;
let crm: string;
let mailer: string;
let dpo: string;
const ids: string[] = [];
const address = (i: number) => `reader${i}@example.com`;
const contract = (i: number) => `K-${i}`;
const renewal = (i: number) => `K2-${i}`;

const RECORD = `mutation($id: ID!, $items: [PersonalDataInput!]!, $consents: [ConsentInput!]) {
  recordPersonalData(subjectId: $id, items: $items, consents: $consents) { eventCount } }`;
const RECTIFY = `mutation($id: ID!, $items: [PersonalDataInput!]!) {
  rectifyPersonalData(subjectId: $id, items: $items) { eventCount } }`;
const WITHDRAW = `mutation($id: ID!) { withdrawConsent(subjectId: $id, purpose: "newsletter") { eventCount } }`;
const ENDED = `mutation($id: ID!, $entry: String) {
  recordLifecycleEvent(subjectId: $id, event: "relationshipEnded", entry: $entry) { eventCount } }`;
const FIND = `query($email: String!, $purpose: String!) {
  findSubjects(identifier: { email: $email }, purpose: $purpose) { id } }`;
const READ = `query($id: ID!, $purpose: String!, $categories: [String!]) { subject(id: $id, purpose: $purpose) {
  items(categories: $categories) { status field ... on PersonalDataValue { value entry }
    ... on PersonalDataErased { erasureReason } } } }`;

const newsletterConsent = {
  purpose: 'newsletter',
  noticeId: 'privacy-notice',
  noticeVersion: '2026-03',
  channel: 'webForm',
};
const subscription = (value: string) => ({
  category: 'newsletterSubscription',
  field: 'email',
  value,
  purpose: 'newsletter',
  legalBasis: 'consent',
  source: 'subject',
});
/** The contact details of one contract of the reader's. */
const contractItems = (i: number, entry: string) =>
  [
    ['name', `Reader ${i}`],
    ['email', address(i)],
  ].map(([field, value]) => ({
    category: 'contact',
    field,
    value,
    purpose: 'contract',
    legalBasis: 'contract',
    source: 'subject',
    entry,
  }));

async function gqlOk(token: string, query: string, variables: Record<string, unknown>) {
  const r = await api.gql(token, query, variables);
  expect(r.errors).toBeUndefined();
  return r.data!;
}

/** The subjects a lookup by `email` finds for `purpose`, as reader indexes. */
async function find(email: string, token: string, purpose: string): Promise<number[]> {
  const data = (await gqlOk(token, FIND, { email, purpose })) as { findSubjects: { id: string }[] };
  return data.findSubjects.map((s) => ids.indexOf(s.id));
}

/** What a category shows a purpose: `entry field value`, or `field ERASED:reason` (`*`: the whole category), sorted. */
async function shown(i: number, purpose: string, category: string, token: string): Promise<string[]> {
  const data = (await gqlOk(token, READ, { id: ids[i], purpose, categories: [category] })) as {
    subject: { items: { status: string; field: string; value?: unknown; entry?: string; erasureReason?: string }[] };
  };
  return data.subject.items
    .map((x) =>
      x.status === 'VALUE'
        ? `${x.entry ?? '-'} ${x.field} ${String(x.value)}`
        : `${x.field ?? '*'} ${x.status}:${x.erasureReason}`,
    )
    .sort();
}

/** The live entries of the reader's contact details: one per contract whose details are still kept. */
async function contracts(i: number): Promise<string[]> {
  const c = (await api.vault.commands.load(ids[i]!)).categories['contact'];
  return Object.entries(c?.entries ?? {})
    .filter(([, e]) => !e.shredded)
    .map(([entry]) => entry)
    .sort();
}

const newsletterLive = async (i: number) =>
  !(await api.vault.commands.load(ids[i]!)).categories['newsletterSubscription']?.shredded;

beforeAll(async () => {
  api = await startApi({ vault: { register: undefined, now: () => clock.now } });
  crm = await api.token({ role: 'service', name: 'crm', purposes: ['contract'] });
  mailer = await api.token({ role: 'service', name: 'mailer', purposes: ['newsletter'] });
  dpo = await api.token(DPO);
  for (let i = 0; i < N; i++) {
    const { registerSubject } = (await gqlOk(crm, 'mutation { registerSubject { subjectId } }', {})) as {
      registerSubject: { subjectId: string };
    };
    ids.push(registerSubject.subjectId);
    await gqlOk(crm, RECORD, { id: ids[i], items: contractItems(i, contract(i)) });
    await gqlOk(mailer, RECORD, { id: ids[i], items: [subscription(address(i))], consents: [newsletterConsent] });
  }
}, 240_000);

afterAll(async () => {
  await api?.stop();
});

describe('a hundred newsletter readers over ten years', () => {
  it('keeps the newsletter address apart from the contract’s, each found for its own purpose', async () => {
    expect(await shown(7, 'contract', 'contact', crm)).toEqual([`K-7 email ${address(7)}`, 'K-7 name Reader 7']);
    expect(await shown(7, 'newsletter', 'newsletterSubscription', mailer)).toEqual([`- email ${address(7)}`]);
    expect(await find(address(7), crm, 'contract')).toEqual([7]);
    expect(await find(address(7), mailer, 'newsletter')).toEqual([7]);
  });

  it('erases the newsletter address on unsubscribe, at once, and keeps the contract’s', async () => {
    clock.now = YEAR1;
    for (let i = 0; i < UNSUBSCRIBED; i++) await gqlOk(mailer, WITHDRAW, { id: ids[i] });
    for (const i of [0, UNSUBSCRIBED - 1]) {
      expect(await newsletterLive(i)).toBe(false);
      expect(await shown(i, 'newsletter', 'newsletterSubscription', dpo)).toEqual(['* ERASED:withdrawal']);
      expect(await find(address(i), mailer, 'newsletter')).toEqual([]);
      // The contract's details, under its own contract, are untouched, and still find the customer.
      expect(await shown(i, 'contract', 'contact', crm)).toContain(`K-${i} email ${address(i)}`);
      expect(await find(address(i), crm, 'contract')).toEqual([i]);
    }
    expect(await newsletterLive(UNSUBSCRIBED)).toBe(true);
  });

  it('ends the first contract of half the readers and records each one’s second, under its own entry', async () => {
    for (let i = 0; i < RENEWED; i++) await gqlOk(crm, ENDED, { id: ids[i], entry: contract(i) });
    clock.now = YEAR2;
    for (let i = 0; i < RENEWED; i++) await gqlOk(crm, RECORD, { id: ids[i], items: contractItems(i, renewal(i)) });
    // Readers 30-59 move their newsletter to a new address: newsletter activity.
    for (let i = UNSUBSCRIBED; i < ACTIVE; i++)
      await gqlOk(mailer, RECTIFY, { id: ids[i], items: [subscription(`reader${i}.new@example.com`)] });
    expect(await contracts(7)).toEqual(['K-7', 'K2-7']);
    expect(await contracts(70)).toEqual(['K-70']);
    expect(await find('reader40.new@example.com', mailer, 'newsletter')).toEqual([40]);
    expect(await shown(40, 'newsletter', 'newsletterSubscription', mailer)).toEqual([
      '- email reader40.new@example.com',
    ]);
  });

  it('removes an address with no newsletter activity 3 years after the last, and no sooner', async () => {
    const inactiveEnds = at('P3Y');
    clock.now = shift(inactiveEnds, -1);
    expect((await api.vault.sweepRetention()).items.filter((x) => x.category === 'newsletterSubscription')).toEqual([]);
    clock.now = shift(inactiveEnds, 1);
    const sweep = await api.vault.sweepRetention();
    const gone = sweep.items.filter((x) => x.category === 'newsletterSubscription' && x.outcome === 'shredded');
    expect(gone.map((x) => ids.indexOf(x.subjectId)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: N - ACTIVE }, (_, k) => ACTIVE + k),
    );
    expect(gone.every((x) => x.rule === 'P3Y after last activity')).toBe(true);
    expect(await shown(80, 'newsletter', 'newsletterSubscription', dpo)).toEqual(['* ERASED:retention']);
    expect(await newsletterLive(40)).toBe(true);
    // Contract details are not newsletter data: every reader's stay.
    expect(await contracts(80)).toEqual(['K-80']);

    clock.now = shift(at('P3Y', YEAR2), 1);
    await api.vault.sweepRetention();
    for (const i of [UNSUBSCRIBED, 40, ACTIVE - 1]) expect(await newsletterLive(i)).toBe(false);
  });

  it('keeps each contract’s details 8 years after that contract ended, the second contract’s staying', async () => {
    const firstEnds = at('P8Y', YEAR1);
    clock.now = shift(firstEnds, -1);
    expect((await api.vault.sweepRetention()).shredded).toBe(0);
    clock.now = shift(firstEnds, 1);
    const sweep = await api.vault.sweepRetention();
    const contactRows = sweep.items.filter((x) => x.category === 'contact');
    expect(contactRows.map((x) => ids.indexOf(x.subjectId)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: RENEWED }, (_, k) => k),
    );
    for (const row of contactRows) {
      const i = ids.indexOf(row.subjectId);
      expect(row).toMatchObject({ outcome: 'shredded', entries: [contract(i)] });
    }
    for (const i of [0, 7, RENEWED - 1]) {
      expect(await contracts(i)).toEqual([renewal(i)]);
      expect(await shown(i, 'contract', 'contact', crm)).toEqual([
        `${renewal(i)} email ${address(i)}`,
        `${renewal(i)} name Reader ${i}`,
      ]);
      // Found through the second contract's address alone.
      expect(await find(address(i), crm, 'contract')).toEqual([i]);
    }

    clock.now = at('P10Y');
    expect((await api.vault.sweepRetention()).shredded).toBe(0);
    for (const i of [RENEWED, 70, N - 1]) expect(await contracts(i)).toEqual([contract(i)]);
    for (const i of [0, 40, 80]) expect(await newsletterLive(i)).toBe(false);
  });

  it('writes no reader’s address to the log', () => {
    const log = api.logLines.join('\n');
    for (const i of [0, 7, 40, 80, N - 1]) expect(log).not.toContain(address(i));
    expect(log).not.toContain('reader40.new@example.com');
  });
});
