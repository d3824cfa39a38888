import { addIsoDuration } from '@pdv/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Api, DPO, startApi } from '../e2e/apiHarness.js';
import { caseItems } from '../support/caseItems.js';
import { dropSchema, freshSchema, probePostgres, TEST_POSTGRES_URL } from '../support/postgres.js';

// Lookup by an identifier that lives inside a case (issue 23), through the API on the shipped register, at the
// shape of a collection agency's book: 300 customers, a third of them debtors with one or two cases whose email the
// creditor handed over (sometimes the customer's own, once a household's shared by two debtors). A case's value is
// indexed under its case: found while the case holds it, gone when it is rectified, erased or shredded with its
// case, while the same address in another case or in the customer's own contact data still finds the subject. Run on
// the embedded stores and on PostgreSQL's.

const T0 = '2026-03-02T08:00:00.000Z';
const N = 300;
const isDebtor = (i: number) => i % 3 === 0;
/** Debtors with a second case under the same email. */
const hasCaseB = (i: number) => i % 6 === 0;
/** Customers the creditor also handed over as debtors, under their own contact email. */
const isOwnEmailDebtor = (i: number) => i % 9 === 1;
const HOUSEHOLD = [3, 6];

const customerEmail = (i: number) => `customer${i}@example.com`;
const debtorEmail = (i: number) => `debtor${i}@example.com`;

const RECORD = `mutation($id: ID!, $items: [PersonalDataInput!]!) {
  recordPersonalData(subjectId: $id, items: $items) { eventCount } }`;
const RECTIFY = `mutation($id: ID!, $items: [PersonalDataInput!]!) {
  rectifyPersonalData(subjectId: $id, items: $items) { eventCount } }`;
const ERASE_FIELD = `mutation($id: ID!, $entry: String) {
  erasePersonalData(subjectId: $id, category: "debtor", field: "email", reason: noLongerNecessary, entry: $entry) {
    eventCount } }`;
const CLOSE = `mutation($id: ID!, $entry: String) {
  recordLifecycleEvent(subjectId: $id, event: "caseClosed", entry: $entry) { eventCount } }`;
const ERASE = `mutation($id: ID!) {
  eraseSubject(subjectId: $id, reason: subjectRequest) { certificate { subjectId } } }`;
const FIND = `query($email: String!, $purpose: String!) {
  findSubjects(identifier: { email: $email }, purpose: $purpose) { id } }`;

const debtorItem = (field: string, value: string, entry: string) => caseItems(entry, [['debtor', field, value]])[0]!;
const contactItem = (i: number) => ({
  category: 'contact',
  field: 'email',
  value: customerEmail(i),
  purpose: 'contract',
  legalBasis: 'contract',
  source: 'subject',
});

/** Every case a subject has, with its email: the scenario's book. */
function casesOf(i: number): { entry: string; email: string }[] {
  const cases: { entry: string; email: string }[] = [];
  if (isDebtor(i)) cases.push({ entry: `A-${i}`, email: debtorEmail(i) });
  if (hasCaseB(i)) cases.push({ entry: `B-${i}`, email: debtorEmail(i) });
  if (isOwnEmailDebtor(i)) cases.push({ entry: `C-${i}`, email: customerEmail(i) });
  if (HOUSEHOLD.includes(i)) cases.push({ entry: `H-${i}`, email: 'household@example.com' });
  return cases;
}

const postgres = await probePostgres();

describeLookup('sqlite');
if (postgres.ok) describeLookup('postgres');
else
  describe('lookup by an email inside a case, on postgres', () => {
    it('finds a case’s email on the PostgreSQL stores', (ctx) => ctx.skip(postgres.reason));
  });

function describeLookup(stores: 'sqlite' | 'postgres'): void {
  describe(`lookup by an email inside a case, on ${stores}`, () => {
    const clock = { now: T0 };
    const schema = freshSchema('pdv_case_lookup');
    const ids: string[] = [];
    let api: Api;
    let collections: string;
    let crm: string;
    let dpo: string;

    async function gqlOk(token: string, query: string, variables: Record<string, unknown>) {
      const r = await api.gql(token, query, variables);
      expect(r.errors).toBeUndefined();
      return r.data!;
    }

    /** The indexes of the subjects a lookup by `email` for `purpose` finds, sorted. */
    async function find(email: string, token = collections, purpose = 'debtCollection'): Promise<number[]> {
      const data = (await gqlOk(token, FIND, { email, purpose })) as { findSubjects: { id: string }[] };
      return data.findSubjects.map((s) => ids.indexOf(s.id)).sort((a, b) => a - b);
    }

    beforeAll(async () => {
      api = await startApi({
        vault: {
          register: undefined,
          now: () => clock.now,
          ...(stores === 'postgres'
            ? {
                config: {
                  eventStore: 'postgres',
                  stateStore: 'postgres',
                  postgresUrl: TEST_POSTGRES_URL,
                  postgresSchema: schema,
                },
              }
            : {}),
        },
      });
      collections = await api.token({ role: 'service', name: 'collections', purposes: ['debtCollection'] });
      crm = await api.token({ role: 'service', name: 'crm', purposes: ['contract'] });
      dpo = await api.token(DPO);
      // Eight customers at a time, as services writing side by side would.
      let next = 0;
      const onboard = async () => {
        for (let i = next++; i < N; i = next++) {
          const { registerSubject } = await gqlOk(crm, 'mutation { registerSubject { subjectId } }', {});
          const id = (ids[i] = (registerSubject as { subjectId: string }).subjectId);
          await gqlOk(crm, RECORD, { id, items: [contactItem(i)] });
          const cases = casesOf(i).flatMap(({ entry, email }) => [
            debtorItem('name', `Debtor ${i}`, entry),
            debtorItem('email', email, entry),
          ]);
          if (cases.length > 0) await gqlOk(collections, RECORD, { id, items: cases });
        }
      };
      await Promise.all(Array.from({ length: 8 }, onboard));
    }, 240_000);

    afterAll(async () => {
      await api?.stop();
      if (stores === 'postgres') await dropSchema(schema);
    });

    it('finds every debtor by the email of its case, once however many of its cases hold it', async () => {
      for (let i = 0; i < N; i += 1) if (isDebtor(i)) expect(await find(debtorEmail(i))).toEqual([i]);
      // A service that may not read debtor data learns nothing of the case's address.
      expect(await find(debtorEmail(0), crm, 'contract')).toEqual([]);
      expect(await find(debtorEmail(299))).toEqual([]);
    });

    it('finds a subject once by an address that is its own contact data and a case’s too', async () => {
      // Contact data serves debt collection as well: the collection service finds customers by it, debtors or not.
      for (const i of [1, 2, 10, 28, 298]) {
        expect(isOwnEmailDebtor(i)).toBe(i !== 2);
        expect(await find(customerEmail(i), crm, 'contract')).toEqual([i]);
        expect(await find(customerEmail(i))).toEqual([i]);
      }
    });

    it('finds both debtors of a household’s shared address', async () => {
      expect(await find('household@example.com')).toEqual(HOUSEHOLD);
    });

    it('follows a rectified case: the new address finds it, the old one only through another case', async () => {
      await gqlOk(collections, RECTIFY, { id: ids[6], items: [debtorItem('email', 'debtor6.new@example.com', 'B-6')] });
      await gqlOk(collections, RECTIFY, { id: ids[9], items: [debtorItem('email', 'debtor9.new@example.com', 'A-9')] });
      expect(await find('debtor6.new@example.com')).toEqual([6]);
      expect(await find(debtorEmail(6))).toEqual([6]); // case A-6 still holds it
      expect(await find('debtor9.new@example.com')).toEqual([9]);
      expect(await find(debtorEmail(9))).toEqual([]);
    });

    it('drops a case’s address when the DPO erases that field of the case, each case on its own', async () => {
      await gqlOk(dpo, ERASE_FIELD, { id: ids[12], entry: 'A-12' });
      expect(await find(debtorEmail(12))).toEqual([12]); // case B-12 still holds it
      await gqlOk(dpo, ERASE_FIELD, { id: ids[12], entry: 'B-12' });
      expect(await find(debtorEmail(12))).toEqual([]);
      // The last value of a case: its key is shredded, and the household's other debtor stays findable.
      await gqlOk(dpo, ERASE_FIELD, { id: ids[3], entry: 'H-3' });
      expect(await find('household@example.com')).toEqual([6]);
    });

    it('drops the address of a case shredded by retention, and keeps the subject’s other case', async () => {
      for (const [i, entry] of [
        [15, 'A-15'],
        [24, 'A-24'],
      ] as const)
        await gqlOk(collections, CLOSE, { id: ids[i], entry });
      clock.now = addIsoDuration(addIsoDuration(T0, 'P3Y'), 'P1D');
      const report = await api.vault.sweepRetention();
      expect(report.items.filter((r) => r.outcome === 'shredded').map((r) => r.entries)).toEqual(
        expect.arrayContaining([['A-15'], ['A-24']]),
      );
      expect(await find(debtorEmail(15))).toEqual([]);
      expect(await find(debtorEmail(24))).toEqual([24]); // case B-24 is open
    });

    it('finds an erased subject by none of its addresses, its own or its cases’', async () => {
      await gqlOk(dpo, ERASE, { id: ids[10] });
      await gqlOk(dpo, ERASE, { id: ids[30] });
      expect(await find(customerEmail(10), crm, 'contract')).toEqual([]);
      expect(await find(customerEmail(10))).toEqual([]);
      expect(await find(debtorEmail(30))).toEqual([]);
    });

    it('finds the same subjects after a key-epoch rotation and after a rebuild of the read models', async () => {
      const emails = [
        ...Array.from({ length: N }, (_, i) => (isDebtor(i) ? debtorEmail(i) : customerEmail(i))),
        'household@example.com',
        'debtor6.new@example.com',
        'debtor9.new@example.com',
      ];
      const answers = async () => Promise.all(emails.map((e) => find(e)));
      const before = await answers();
      expect(before.filter((a) => a.length > 0).length).toBeGreaterThan(100);
      const rotation = await api.vault.rotateEpoch();
      expect(rotation.reindexed).toBeGreaterThan(N);
      expect(await api.vault.stores.views.listIndexOlderThan(rotation.to)).toEqual([]);
      expect(await answers()).toEqual(before);
      await api.vault.projector.rebuild();
      expect(await answers()).toEqual(before);
    });

    it('writes no debtor’s address to the log', () => {
      const log = api.logLines.join('\n');
      for (const i of [0, 3, 6, 42, 297]) expect(log).not.toContain(debtorEmail(i));
      expect(log).not.toContain('household@example.com');
    });
  });
}
