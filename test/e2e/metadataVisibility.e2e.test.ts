import { randomUUID } from 'node:crypto';

import { type AccessLogEntry, fixtureRegister, type Principal } from '@pdv/vault';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { type Api, DPO, startApi, subjectPrincipal } from './apiHarness.js';

/**
 * Need to know for metadata (issue 21): a service sees that a subject exists, and the shape of its
 * data (fields, times, denials, erasures), only through the categories its purposes reach; what it
 * sees is access-logged. In this register contact is processed for contract and billing only, so:
 */
const SERVICES = {
  /** billing: contact, accounting */
  invoicing: { role: 'service', name: 'invoicing', purposes: ['billing'] },
  /** contract: contact, callRecordings */
  callcentre: { role: 'service', name: 'callcentre', purposes: ['contract'] },
  /** marketing: the marketing category only, which no subject here has: it reaches no one */
  campaigns: { role: 'service', name: 'campaigns', purposes: ['marketing'] },
} as const satisfies Record<string, Principal>;
type ServiceName = keyof typeof SERVICES;
const REACH: Record<ServiceName, string[]> = {
  invoicing: ['accounting', 'contact'],
  callcentre: ['callRecordings', 'contact'],
  campaigns: ['marketing'],
};
const PURPOSE: Record<ServiceName, string> = { invoicing: 'billing', callcentre: 'contract', campaigns: 'marketing' };

const SUBJECTS = 200;
/** The five shapes, by index modulo 5; the first few of kinds 0 and 1 are erased by the DPO. */
const KINDS = ['accountingOnly', 'recordingsOnly', 'contactAndAccounting', 'allRestricted', 'empty'] as const;
type Kind = (typeof KINDS)[number];
const ERASED_PER_KIND = 4;

interface Seeded {
  id: string;
  kind: Kind;
  /** Categories the subject holds (shredded ones included). */
  categories: string[];
  erased: boolean;
  email?: string;
}

const READ = `query($id: ID!, $purpose: String!) {
  subject(id: $id, purpose: $purpose) {
    id registeredAt erasedAt
    items {
      __typename status category field
      ... on PersonalDataValue { value }
      ... on PersonalDataDenied { reason }
      ... on PersonalDataErased { erasedAt erasureReason }
    }
  }
}`;
const READ_MANY =
  `query($ids: [ID!]!, $purpose: String!) { subjects(ids: $ids, purpose: $purpose) { id registeredAt ` +
  `erasedAt items { status category field } } }`;
const FIND =
  `query($e: String!, $purpose: String!) { findSubjects(identifier: { email: $e }, purpose: $purpose) { ` +
  `id registeredAt items { status category field } } }`;

type Item = {
  __typename: string;
  status: string;
  category: string;
  field: string | null;
  value?: unknown;
  reason?: string;
  erasureReason?: string;
};
type SubjectAnswer = { id: string; registeredAt: string; erasedAt: string | null; items: Item[] };

let api: Api;
const tokens = {} as Record<ServiceName | 'dpo', string>;
const subjects: Seeded[] = [];
/** Ids no one ever registered, one per comparison. */
const unknownId = () => `s-${randomUUID()}`;

const categoriesOf = (items: readonly Pick<Item, 'category'>[]) => [...new Set(items.map((i) => i.category))].sort();
const reaches = (service: ServiceName, s: Seeded) => s.categories.some((c) => REACH[service].includes(c));

async function seed(i: number): Promise<Seeded> {
  const kind = KINDS[i % KINDS.length]!;
  const actor = { actor: 'test:seed' };
  const id = `meta-${i}-${randomUUID()}`;
  await api.vault.execute(id, { type: 'RegisterSubject' }, actor);
  const item = (category: string, field: string, value: unknown, purpose: string) => ({
    category,
    field,
    value,
    purpose,
    legalBasis: 'contract',
    source: 'subject',
  });
  const accounting = [
    item('accounting', 'iban', `NL${String(i).padStart(2, '0')}BANK0123456789`, 'billing'),
    item('accounting', 'invoiceTotal', 100 + i, 'billing'),
  ];
  const recording = [
    item(
      'callRecordings',
      'recording',
      {
        name: `call-${i}.ogg`,
        mediaType: 'audio/ogg',
        contentBase64: Buffer.from(`recording ${i}`).toString('base64'),
      },
      'contract',
    ),
  ];
  const email = `person-${i}@example.com`;
  const contact = [item('contact', 'email', email, 'contract'), item('contact', 'name', `Person ${i}`, 'contract')];
  const items = {
    accountingOnly: accounting,
    recordingsOnly: recording,
    contactAndAccounting: [...contact, ...accounting],
    allRestricted: [...contact, ...accounting, ...recording],
    empty: [],
  }[kind];
  if (items.length > 0) await api.vault.execute(id, { type: 'RecordPersonalData', items }, actor);
  if (kind === 'allRestricted')
    await api.vault.execute(
      id,
      { type: 'RestrictProcessing', categories: ['accounting'], reason: 'accuracyContested' },
      actor,
    );
  const erased =
    (kind === 'accountingOnly' || kind === 'recordingsOnly') && Math.floor(i / KINDS.length) < ERASED_PER_KIND;
  if (erased) await api.vault.erase(id, { actor: 'dpo:seed', correlationId: randomUUID(), reason: 'subjectRequest' });
  const hasContact = kind === 'contactAndAccounting' || kind === 'allRestricted';
  return {
    id,
    kind,
    categories: [...new Set(items.map((x) => x.category))].sort(),
    erased,
    ...(hasContact ? { email } : {}),
  };
}

beforeAll(async () => {
  const register = fixtureRegister();
  register.categories.contact!.purposes = ['contract', 'billing'];
  api = await startApi({ vault: { register } });
  for (const [name, p] of Object.entries(SERVICES)) tokens[name as ServiceName] = await api.token(p);
  tokens.dpo = await api.token(DPO);
  for (let i = 0; i < SUBJECTS; i += 20)
    subjects.push(...(await Promise.all(Array.from({ length: 20 }, (_, j) => seed(i + j)))));
  await api.vault.projector.catchUp();
}, 120_000);
afterAll(async () => api?.stop());

/** Runs `f` over `list`, 20 at a time. */
async function each<T, R>(list: readonly T[], f: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < list.length; i += 20) out.push(...(await Promise.all(list.slice(i, i + 20).map(f))));
  return out;
}

it('seeds subjects that only one service reaches, subjects every service reaches, and subjects none reaches', () => {
  expect(subjects).toHaveLength(SUBJECTS);
  const count = (f: (s: Seeded) => boolean) => subjects.filter(f).length;
  expect(count((s) => reaches('invoicing', s) && !reaches('callcentre', s))).toBeGreaterThanOrEqual(40);
  expect(count((s) => reaches('callcentre', s) && !reaches('invoicing', s))).toBeGreaterThanOrEqual(40);
  expect(count((s) => reaches('invoicing', s) && reaches('callcentre', s))).toBeGreaterThanOrEqual(80);
  expect(count((s) => s.categories.length === 0)).toBe(SUBJECTS / KINDS.length);
  expect(count((s) => reaches('campaigns', s))).toBe(0);
  expect(count((s) => s.erased)).toBe(2 * ERASED_PER_KIND);
});

describe("a service whose purposes reach none of a subject's categories", () => {
  it.each(Object.keys(SERVICES) as ServiceName[])(
    '%s gets, for every such subject, exactly the answer an unknown id gets',
    async (service) => {
      const hidden = subjects.filter((s) => !reaches(service, s));
      expect(hidden.length).toBeGreaterThanOrEqual(40);
      await each(hidden, async (s) => {
        const [existing, unknown] = await Promise.all([
          api.gql(tokens[service], READ, { id: s.id, purpose: PURPOSE[service] }),
          api.gql(tokens[service], READ, { id: unknownId(), purpose: PURPOSE[service] }),
        ]);
        expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
        expect(existing).toEqual(unknown);
      });
    },
  );

  it('gets the same answer from subjects(ids) whether an id is hidden or unknown, wherever it stands', async () => {
    const seen = subjects
      .filter((s) => reaches('callcentre', s))
      .slice(0, 5)
      .map((s) => s.id);
    for (const hidden of subjects.filter((s) => !reaches('callcentre', s)).slice(0, 10)) {
      for (const at of [0, 2, 5]) {
        const withId = (id: string) => [...seen.slice(0, at), id, ...seen.slice(at)];
        const [existing, unknown] = await Promise.all([
          api.gql(tokens.callcentre, READ_MANY, { ids: withId(hidden.id), purpose: 'contract' }),
          api.gql(tokens.callcentre, READ_MANY, { ids: withId(unknownId()), purpose: 'contract' }),
        ]);
        expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', path: `ids[${at}]` });
        expect(existing).toEqual(unknown);
      }
    }
  });

  it('cannot find it by email, for any purpose, any more than an email no one has', async () => {
    const withEmail = subjects.filter((s) => s.email);
    expect(withEmail.length).toBeGreaterThanOrEqual(40);
    for (const s of withEmail.slice(0, 20)) {
      for (const purpose of ['marketing', 'contract', 'billing']) {
        const [existing, unknown] = await Promise.all([
          api.gql(tokens.campaigns, FIND, { e: s.email, purpose }),
          api.gql(tokens.campaigns, FIND, { e: `nobody-${randomUUID()}@example.com`, purpose }),
        ]);
        expect(unknown).toEqual({ status: 200, data: { findSubjects: [] }, errors: undefined });
        expect(existing).toEqual(unknown);
      }
    }
  });

  it('is told nothing by the id and times alone either: a query without items is NOT_FOUND as well', async () => {
    const hidden = subjects.find((s) => s.kind === 'accountingOnly' && s.erased)!;
    const q = 'query($id: ID!) { subject(id: $id, purpose: "contract") { __typename id registeredAt erasedAt } }';
    const [existing, unknown] = await Promise.all([
      api.gql(tokens.callcentre, q, { id: hidden.id }),
      api.gql(tokens.callcentre, q, { id: unknownId() }),
    ]);
    expect(existing).toEqual(unknown);
    expect(existing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('what a service sees of a subject it reaches', () => {
  it.each(['invoicing', 'callcentre'] as const)(
    '%s sees exactly the categories its purposes reach, each field once, with the times the DPO sees',
    async (service) => {
      const visible = subjects.filter((s) => reaches(service, s));
      expect(visible.length).toBeGreaterThanOrEqual(80);
      await each(visible, async (s) => {
        const [mine, dpo] = await Promise.all([
          api.gql<{ subject: SubjectAnswer }>(tokens[service], READ, { id: s.id, purpose: PURPOSE[service] }),
          api.gql<{ subject: SubjectAnswer }>(tokens.dpo, READ, { id: s.id, purpose: PURPOSE[service] }),
        ]);
        expect(mine.errors).toBeUndefined();
        const got = mine.data!.subject;
        expect(categoriesOf(got.items)).toEqual(s.categories.filter((c) => REACH[service].includes(c)));
        // The DPO sees every category; the service the same fields and erasures of the ones it reaches.
        expect(categoriesOf(dpo.data!.subject.items)).toEqual(s.categories);
        const reached = dpo.data!.subject.items.filter((i) => REACH[service].includes(i.category));
        const fields = (items: Item[]) => items.map((i) => `${i.category}.${i.field ?? '*'}`).sort();
        expect(fields(got.items)).toEqual(fields(reached));
        expect(got.items.filter((i) => i.status === 'ERASED')).toEqual(reached.filter((i) => i.status === 'ERASED'));
        expect({ registeredAt: got.registeredAt, erasedAt: got.erasedAt }).toEqual({
          registeredAt: dpo.data!.subject.registeredAt,
          erasedAt: dpo.data!.subject.erasedAt,
        });
        expect(Boolean(got.erasedAt)).toBe(s.erased);
      });
    },
  );

  it('sees the denial reason of a category it reaches, and not even the name of one it does not', async () => {
    const s = subjects.find((x) => x.kind === 'allRestricted')!;
    const byInvoicing = (await api.gql(tokens.invoicing, READ, { id: s.id, purpose: 'billing' })).data!.subject
      .items as Item[];
    expect(
      byInvoicing
        .filter((i) => i.category === 'accounting')
        .map((i) => [i.field, i.status, i.reason])
        .sort(),
    ).toEqual([
      ['iban', 'DENIED', 'RESTRICTED'],
      ['invoiceTotal', 'DENIED', 'RESTRICTED'],
    ]);
    expect(categoriesOf(byInvoicing)).toEqual(['accounting', 'contact']);

    const byCallcentre = (await api.gql(tokens.callcentre, READ, { id: s.id, purpose: 'contract' })).data!.subject
      .items as Item[];
    expect(categoriesOf(byCallcentre)).toEqual(['callRecordings', 'contact']);
    expect(byCallcentre.every((i) => i.status === 'VALUE')).toBe(true);
    expect(JSON.stringify(byCallcentre)).not.toMatch(/accounting|iban|invoiceTotal|RESTRICTED/);

    // For a purpose it does not hold, what it reaches is denied as such; the rest stays unlisted.
    const forBilling = (await api.gql(tokens.callcentre, READ, { id: s.id, purpose: 'billing' })).data!.subject
      .items as Item[];
    expect(categoriesOf(forBilling)).toEqual(['callRecordings', 'contact']);
    expect(forBilling.every((i) => i.status === 'DENIED' && i.reason === 'PURPOSE_NOT_ALLOWED')).toBe(true);
  });

  it('sees an erasure (with its time and reason) only in a category it reaches', async () => {
    const recordings = subjects.find((s) => s.kind === 'recordingsOnly' && s.erased)!;
    const r = (await api.gql(tokens.callcentre, READ, { id: recordings.id, purpose: 'contract' })).data!
      .subject as SubjectAnswer;
    expect(r.erasedAt).toBeTruthy();
    expect(r.items).toEqual([
      {
        __typename: 'PersonalDataErased',
        status: 'ERASED',
        category: 'callRecordings',
        field: null,
        erasedAt: expect.any(String),
        erasureReason: 'erasure',
      },
    ]);
    const kept = subjects.find((s) => s.kind === 'accountingOnly' && s.erased)!;
    const k = (await api.gql(tokens.invoicing, READ, { id: kept.id, purpose: 'billing' })).data!
      .subject as SubjectAnswer;
    expect(k.erasedAt).toBeTruthy();
    // Kept by law, not in use.
    expect(k.items.map((i) => [i.category, i.status, i.reason])).toEqual([
      ['accounting', 'DENIED', 'RESTRICTED'],
      ['accounting', 'DENIED', 'RESTRICTED'],
    ]);
  });

  it('finds by email only subjects whose email it may read, and a lookup answers as the read does', async () => {
    const s = subjects.find((x) => x.kind === 'contactAndAccounting')!;
    const found = await api.gql(tokens.callcentre, FIND, { e: s.email, purpose: 'contract' });
    expect(found.data!.findSubjects.map((x: SubjectAnswer) => [x.id, categoriesOf(x.items)])).toEqual([
      [s.id, ['contact']],
    ]);
  });
});

describe('lookups and reads that show no item', () => {
  const FIND_IDS =
    'query($e: String!, $purpose: String!) { findSubjects(identifier: { email: $e }, purpose: $purpose) { id ' +
    'registeredAt erasedAt } }';
  const FIND_VALUES =
    'query($e: String!, $purpose: String!) { findSubjects(identifier: { email: $e }, purpose: $purpose) { id ' +
    'items { status category field ... on PersonalDataValue { value } } } }';
  const READ_IDS = 'query($ids: [ID!]!, $purpose: String!) { subjects(ids: $ids, purpose: $purpose) { id } }';
  const CALLERS = [...(Object.keys(SERVICES) as ServiceName[]), 'dpo'] as const;

  /** Counts the data keys asked of the key ring and of its store while `f` runs, with no key in memory before. */
  async function keyLoads<T>(f: () => Promise<T>): Promise<{ result: T; ring: number; store: number }> {
    const ring = api.vault.keyRing;
    ring.clearCache();
    const get = vi.spyOn(ring, 'get');
    const getByIds = vi.spyOn(ring.store, 'getByIds');
    try {
      const result = await f();
      return { result, ring: get.mock.calls.length, store: getByIds.mock.calls.length };
    } finally {
      get.mockRestore();
      getByIds.mockRestore();
    }
  }

  const PURPOSES = ['contract', 'billing', 'marketing'];
  type Found = { id: string; items?: Item[] }[];

  /** Every caller's lookup of each of `emails` for every purpose, by `${caller} ${purpose}`: what each email found. */
  async function lookups(query: string, emails: readonly string[]): Promise<Map<string, Found[]>> {
    const asked = CALLERS.flatMap((caller) => PURPOSES.map((purpose) => ({ caller, purpose })));
    const answers = await each(asked, async ({ caller, purpose }) => {
      const found = await each(emails, async (e) => {
        const r = await api.gql<{ findSubjects: Found }>(tokens[caller], query, { e, purpose });
        expect(r.errors).toBeUndefined();
        return r.data!.findSubjects;
      });
      return [`${caller} ${purpose}`, found] as const;
    });
    return new Map(answers);
  }
  const ids = (found: Found[] | undefined) => found?.map((f) => f.map((x) => x.id));

  it('find for every caller and purpose exactly whom a lookup with values finds, opening no data key', async () => {
    // Thirty of both kinds that hold an email (one reached through all of its categories, one partly restricted).
    const withEmail = subjects.filter((s) => s.email).slice(0, 30);
    const emails = [...withEmail.map((s) => s.email!), `nobody-${randomUUID()}@example.com`];
    const idOnly = await keyLoads(() => lookups(FIND_IDS, emails));
    expect({ ring: idOnly.ring, store: idOnly.store }).toEqual({ ring: 0, store: 0 });
    const withValues = await keyLoads(() => lookups(FIND_VALUES, emails));
    expect(withValues.store).toBeGreaterThan(0);
    for (const [asked, found] of idOnly.result)
      expect([asked, ids(found)]).toEqual([asked, ids(withValues.result.get(asked))]);
    // Need to know holds as before: whoever may read the email for the purpose finds its subject, no one else.
    const everyone = [...withEmail.map((s) => [s.id]), []];
    const noOne = emails.map(() => []);
    for (const asked of ['callcentre contract', 'invoicing billing', 'dpo contract', 'dpo billing'])
      expect([asked, ids(idOnly.result.get(asked))]).toEqual([asked, everyone]);
    for (const asked of ['campaigns contract', 'campaigns billing', 'campaigns marketing', 'callcentre billing'])
      expect([asked, ids(idOnly.result.get(asked))]).toEqual([asked, noOne]);
    // The lookup with values opened them: each subject's own email, found under it.
    const byContract = withValues.result.get('callcentre contract')!;
    withEmail.forEach((s, i) =>
      expect(byContract[i]![0]!.items).toContainEqual({
        status: 'VALUE',
        category: 'contact',
        field: 'email',
        value: s.email,
      }),
    );
  }, 60_000);

  it('read many subjects by id alone without opening a data key, hiding those the caller does not reach', async () => {
    for (const service of ['invoicing', 'callcentre'] as const) {
      const reached = subjects.filter((s) => reaches(service, s)).map((s) => s.id);
      const { result, ring, store } = await keyLoads(() =>
        each(reached, (id) => api.gql(tokens[service], READ_IDS, { ids: [id], purpose: PURPOSE[service] })),
      );
      expect({ ring, store }).toEqual({ ring: 0, store: 0 });
      expect(result.map((r) => r.data?.subjects[0]?.id)).toEqual(reached);
      const hidden = subjects.find((s) => !reached.includes(s.id))!.id;
      const refused = await api.gql(tokens[service], READ_IDS, { ids: [hidden], purpose: PURPOSE[service] });
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', path: 'ids[0]' });
    }
  });
});

describe('the DPO and the subject itself', () => {
  it('see every category and every subject, an empty one included, as before', async () => {
    const sample = KINDS.map((k) => subjects.find((s) => s.kind === k)!);
    for (const s of sample) {
      for (const token of [tokens.dpo, await api.token(subjectPrincipal(s.id))]) {
        const r = await api.gql<{ subject: SubjectAnswer }>(token, READ, { id: s.id, purpose: 'marketing' });
        expect(r.errors).toBeUndefined();
        expect(categoriesOf(r.data!.subject.items)).toEqual(s.categories);
      }
    }
    const restricted = subjects.find((s) => s.kind === 'allRestricted')!;
    const r = await api.gql<{ subject: SubjectAnswer }>(tokens.dpo, READ, { id: restricted.id, purpose: 'billing' });
    expect(r.data!.subject.items.filter((i) => i.category === 'accounting').map((i) => i.reason)).toEqual([
      'RESTRICTED',
      'RESTRICTED',
    ]);
  });
});

describe('the access log', () => {
  /** A service of its own for each case, so its entries are the case's alone. */
  const fresh = async (purposes: string[]) => {
    const p: Principal = { role: 'service', name: `audit-${randomUUID().slice(0, 8)}`, purposes };
    return { token: await api.token(p), actor: `service:${p.name}` };
  };
  const entriesOf = async (actor: string, subjectId: string): Promise<AccessLogEntry[]> => {
    await api.server.flushAccessLog();
    return (await api.vault.accessLog.listBySubject(subjectId)).filter((e) => e.actor === actor);
  };
  const sorted = (e: AccessLogEntry[]) =>
    e
      .map((x) => ({ purpose: x.purpose, categories: [...x.categories].sort() }))
      .sort((a, b) => a.purpose.localeCompare(b.purpose));

  it('holds an entry for every subject a service was shown, naming what it saw, none for the hidden', async () => {
    const { token, actor } = await fresh(['contract']);
    const shown = new Map<string, Item[]>();
    await each(subjects, async (s) => {
      const r = await api.gql<{ subject: SubjectAnswer }>(token, READ, { id: s.id, purpose: 'contract' });
      if (r.data?.subject) shown.set(s.id, r.data.subject.items);
    });
    expect(shown.size).toBe(subjects.filter((s) => reaches('callcentre', s)).length);
    await api.server.flushAccessLog();
    for (const s of subjects) {
      const entries = (await api.vault.accessLog.listBySubject(s.id)).filter((e) => e.actor === actor);
      const items = shown.get(s.id);
      if (!items) {
        expect(entries).toEqual([]);
        continue;
      }
      const values = categoriesOf(items.filter((i) => i.status === 'VALUE'));
      const shapeOnly = categoriesOf(items).filter((c) => !values.includes(c));
      const expected = [
        ...(values.length ? [{ purpose: 'contract', categories: values }] : []),
        ...(shapeOnly.length || !values.length ? [{ purpose: 'metadata:contract', categories: shapeOnly }] : []),
      ];
      expect(sorted(entries)).toEqual(expected);
    }
  });

  it('records a denial-only read under the metadata marker with the categories it showed', async () => {
    const { token, actor } = await fresh(['billing']);
    const s = subjects.find((x) => x.kind === 'allRestricted')!;
    await api.gql(token, READ, { id: s.id, purpose: 'billing' });
    expect(sorted(await entriesOf(actor, s.id))).toEqual([
      { purpose: 'billing', categories: ['contact'] },
      { purpose: 'metadata:billing', categories: ['accounting'] },
    ]);
    const erased = subjects.find((x) => x.kind === 'accountingOnly' && x.erased)!;
    await api.gql(token, READ, { id: erased.id, purpose: 'billing' });
    expect(sorted(await entriesOf(actor, erased.id))).toEqual([
      { purpose: 'metadata:billing', categories: ['accounting'] },
    ]);
  });

  it('records a read of the id and times alone as one entry with no category, however written', async () => {
    const s = subjects.find((x) => x.kind === 'contactAndAccounting')!;
    const queries = [
      '{ subject(id: "ID", purpose: "billing") { id registeredAt erasedAt } }',
      '{ subject(id: "ID", purpose: "billing") { __typename } }',
      '{ subjects(ids: ["ID"], purpose: "billing") { registeredAt } }',
      '{ subject(id: "ID", purpose: "billing") { id items @skip(if: true) { status } } }',
      'query($no: Boolean!) { subject(id: "ID", purpose: "billing") { id ... on Subject @include(if: $no) { items ' +
        '{ ' +
        'status } } } }',
    ];
    for (const q of queries) {
      const { token, actor } = await fresh(['billing']);
      const r = await api.gql(token, q.replace('"ID"', JSON.stringify(s.id)), { no: false });
      expect(r.errors).toBeUndefined();
      expect(await entriesOf(actor, s.id)).toEqual([
        expect.objectContaining({ purpose: 'metadata:billing', categories: [], subjectId: s.id }),
      ]);
    }
  });

  it('records a read whose items come through a fragment once, as a read of values', async () => {
    const { token, actor } = await fresh(['billing']);
    const s = subjects.find((x) => x.kind === 'contactAndAccounting')!;
    const q =
      'query($id: ID!) { subject(id: $id, purpose: "billing") { id ...Items } } fragment Items on Subject { items { ' +
      'status } }';
    expect((await api.gql(token, q, { id: s.id })).errors).toBeUndefined();
    expect(sorted(await entriesOf(actor, s.id))).toEqual([
      { purpose: 'billing', categories: ['accounting', 'contact'] },
    ]);
  });

  it('records the read of a subject whose items are refused for an unknown category', async () => {
    const { token, actor } = await fresh(['billing']);
    const s = subjects.find((x) => x.kind === 'contactAndAccounting')!;
    const r = await api.gql(
      token,
      'query($id: ID!) { subject(id: $id, purpose: "billing") { id items(categories: ["nope"]) { status } } }',
      { id: s.id },
    );
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', path: 'categories[0]' });
    expect(sorted(await entriesOf(actor, s.id))).toEqual([{ purpose: 'metadata:billing', categories: [] }]);
  });

  it('holds no value and no personal data of the subjects', async () => {
    const all = (await Promise.all(subjects.slice(0, 20).map((s) => api.vault.accessLog.listBySubject(s.id)))).flat();
    expect(all.length).toBeGreaterThan(0);
    expect(JSON.stringify(all)).not.toMatch(/example\.com|Person \d|NL\d\dBANK|call-\d+\.ogg/);
  });
});
