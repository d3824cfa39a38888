import { addIsoDuration } from '@pdv/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Api, DPO, startApi } from '../e2e/apiHarness.js';
import { caseItems } from '../support/caseItems.js';
import { schemaErrors } from '../support/rightsSchemas.js';

// Retention per case (issue 23), played through the API on the shipped register and the controlled
// clock: a hundred debtors with two debt-collection cases each, over ten years. A debtor's data is
// tied to its case and goes 3 years after *that* case closes (Alektum: "senest 3 år etter sakens
// avslutningsdato"), so case B's data outlives case A's, and a case still open keeps its data.

const T0 = '2026-03-02T08:00:00.000Z';
const at = (duration: string, from = T0) => addIsoDuration(from, duration);
const shift = (iso: string, days: number) => new Date(Date.parse(iso) + days * 86_400_000).toISOString();
const N = 100;
/** Cases A open at T0 and close after 2 years; cases B open after 1 year, and half of them close after 6. */
const B_OPENED = at('P1Y');
const A_CLOSED = at('P2Y');
const B_CLOSED = at('P6Y');
const A_ENDS = at('P3Y', A_CLOSED);
const B_ENDS = at('P3Y', B_CLOSED);
/** Debtors 0-9 are under a litigation hold on their debtor data until half a year past case A's end. */
const HELD = 10;
const HOLD_UNTIL = at('P6M', A_ENDS);
/** Debtors 0-4 (held) ask for erasure before any case ends. */
const ERASED = 5;
const ERASED_AT = at('P3Y');

const clock = { now: T0 };
let api: Api;
let service: string;
let dpo: string;
const ids: string[] = [];
const caseA = (i: number) => `A-${i}`;
const caseB = (i: number) => `B-${i}`;

const RECORD = `mutation($id: ID!, $items: [PersonalDataInput!]!) {
  recordPersonalData(subjectId: $id, items: $items) { eventCount } }`;
const LIFECYCLE = `mutation($id: ID!, $event: String!, $entry: String) {
  recordLifecycleEvent(subjectId: $id, event: $event, entry: $entry) { eventCount } }`;
const PREVIEW = `query($at: DateTime!) { retentionPreview(asOf: $at) {
  items { subjectId category dueAt rule outcome entries } } }`;
const HOLDS = `query($id: ID!) { legalHolds(subjectId: $id) { category basis until source entries { entry until } } }`;

/** A case's items: the debtor's name and email as the creditor handed them over, and the case link. */
const debtCase = (i: number, entry: string) =>
  caseItems(entry, [
    ['debtor', 'name', `Debtor ${i} (${entry})`],
    ['debtor', 'email', `debtor${i}.${entry.toLowerCase()}@example.com`],
    ['debtCollection', 'caseReference', `REF-${entry}`],
  ]);

async function gqlOk(token: string, query: string, variables: Record<string, unknown>) {
  const r = await api.gql(token, query, variables);
  expect(r.errors).toBeUndefined();
  return r.data!;
}

const READ = `query($id: ID!) { subject(id: $id, purpose: "debtCollection") {
  items(categories: ["debtor"]) { status field ... on PersonalDataValue { value entry } } } }`;

/** The debtor values a collection service reads, as `entry field value`, sorted. */
async function debtorValues(id: string): Promise<string[]> {
  const data = (await gqlOk(service, READ, { id })) as {
    subject: { items: { status: string; field: string; value?: unknown; entry?: string | null }[] };
  };
  return data.subject.items
    .filter((i) => i.status === 'VALUE')
    .map((i) => `${i.entry ?? '-'} ${i.field} ${String(i.value)}`)
    .sort();
}

/** The entries of a category still live in the subject's state (what the key store can still open). */
async function liveEntries(id: string, category: string): Promise<string[]> {
  const c = (await api.vault.commands.load(id)).categories[category];
  return Object.entries(c?.entries ?? {})
    .filter(([, e]) => !e.shredded)
    .map(([entry]) => entry)
    .sort();
}

type PreviewItem = { subjectId: string; category: string; rule: string; outcome: string; entries: string[] | null };
async function preview(asOf: string): Promise<PreviewItem[]> {
  return ((await gqlOk(dpo, PREVIEW, { at: asOf })) as { retentionPreview: { items: PreviewItem[] } }).retentionPreview
    .items;
}

beforeAll(async () => {
  api = await startApi({ vault: { register: undefined, now: () => clock.now } });
  service = await api.token({ role: 'service', name: 'collections', purposes: ['debtCollection'] });
  dpo = await api.token(DPO);
  for (let i = 0; i < N; i++) {
    const { registerSubject } = await gqlOk(service, 'mutation { registerSubject { subjectId } }', {});
    ids.push((registerSubject as { subjectId: string }).subjectId);
    await gqlOk(service, RECORD, { id: ids[i], items: debtCase(i, caseA(i)) });
  }
  clock.now = B_OPENED;
  for (let i = 0; i < N; i++) await gqlOk(service, RECORD, { id: ids[i], items: debtCase(i, caseB(i)) });
  clock.now = A_CLOSED;
  for (let i = 0; i < N; i++) await gqlOk(service, LIFECYCLE, { id: ids[i], event: 'caseClosed', entry: caseA(i) });
  for (let i = 0; i < HELD; i++) {
    const hold = `mutation($id: ID!, $until: DateTime!) {
      placeLegalHold(subjectId: $id, category: "debtor", basis: litigation, until: $until) { eventCount } }`;
    await gqlOk(dpo, hold, { id: ids[i], until: HOLD_UNTIL });
  }
}, 120_000);

afterAll(async () => {
  await api?.stop();
});

describe('a hundred debtors with two cases each, over ten years', () => {
  it('keeps the same field of two cases as two values', async () => {
    const state = await api.vault.commands.load(ids[7]!);
    const entries = state.categories['debtor']!.entries!;
    expect(Object.keys(entries).sort()).toEqual([caseA(7), caseB(7)]);
    expect(entries[caseA(7)]!.keyId).not.toBe(entries[caseB(7)]!.keyId);
    expect(Object.keys(entries[caseA(7)]!.fields).sort()).toEqual(['email', 'name']);
    // The case's own event, not the subject's: no clock runs for the debtor as a whole.
    expect(state.lifecycle).toEqual({});
    expect(await debtorValues(ids[7]!)).toEqual([
      'A-7 email debtor7.a-7@example.com',
      'A-7 name Debtor 7 (A-7)',
      'B-7 email debtor7.b-7@example.com',
      'B-7 name Debtor 7 (B-7)',
    ]);
  });

  it('turns a debtor’s correction of a case’s value into a request the DPO decides, contested meanwhile', async () => {
    const id = ids[60]!;
    const subject = await api.token({ role: 'subject', subjectId: id });
    const RECTIFY = `mutation($id: ID!, $items: [PersonalDataInput!]!) {
      rectifyPersonalData(subjectId: $id, items: $items) { eventCount } }`;
    const correction = { ...debtCase(60, caseB(60))[0]!, value: 'Debtor 60 corrected', source: 'subject' };
    await gqlOk(subject, RECTIFY, { id, items: [correction] });
    const open = Object.values((await api.vault.commands.load(id)).rights.requests).filter(
      (r) => r.requestType === 'RECTIFICATION' && r.status === 'OPEN',
    );
    expect(open).toHaveLength(1);
    const DENIED = `query($id: ID!) { subject(id: $id, purpose: "debtCollection") {
      items(categories: ["debtor"]) { ... on PersonalDataDenied { field reason entry } } } }`;
    const denied = (await gqlOk(service, DENIED, { id })) as { subject: { items: Record<string, unknown>[] } };
    expect(denied.subject.items.filter((i) => i['reason'])).toEqual([
      { field: 'name', reason: 'CONTESTED', entry: caseB(60) },
    ]);
    const complete = 'mutation($r: ID!) { completeRequest(requestId: $r) { request { status } } }';
    await gqlOk(dpo, complete, { r: open[0]!.requestId });
    expect(await debtorValues(id)).toContain(`${caseB(60)} name Debtor 60 corrected`);
    expect(await debtorValues(id)).toContain(`${caseA(60)} name Debtor 60 (${caseA(60)})`);
  });

  it('states each held case’s end in the legal holds, an open case as open', async () => {
    const { legalHolds } = (await gqlOk(dpo, HOLDS, { id: ids[7] })) as { legalHolds: unknown[] };
    expect(legalHolds).toEqual([
      {
        category: 'debtor',
        basis: 'litigation',
        until: HOLD_UNTIL,
        source: 'dpo',
        entries: [
          { entry: caseA(7), until: HOLD_UNTIL },
          { entry: caseB(7), until: 'open' },
        ],
      },
    ]);
  });

  it('refuses a lifecycle event for a case the debtor does not have, changing nothing', async () => {
    const before = (await api.vault.commands.load(ids[20]!)).revision;
    const unknown = await api.gql(service, LIFECYCLE, { id: ids[20], event: 'caseClosed', entry: caseA(21) });
    expect(unknown.errors?.[0]?.extensions).toMatchObject({
      code: 'NOT_FOUND',
      reason: 'UNKNOWN_ENTRY',
      path: 'entry',
    });
    expect(unknown.errors?.[0]?.message).not.toContain(caseA(21));
    const malformed = await api.gql(service, LIFECYCLE, { id: ids[20], event: 'caseClosed', entry: 'a@b.example' });
    expect(malformed.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', path: 'entry' });
    expect(malformed.errors?.[0]?.message).not.toContain('a@b.example');
    // Accounting runs 10 years from each recording, kept by bookkeeping law: not per case.
    const invoice = { category: 'accounting', field: 'invoiceReference', value: 'INV-20', purpose: 'billing' };
    const billing = await api.token({ role: 'service', name: 'billing', purposes: ['billing'] });
    const notPerEntry = await api.gql(billing, RECORD, {
      id: ids[20],
      items: [{ ...invoice, legalBasis: 'contract', source: 'internal', entry: 'C-20' }],
    });
    expect(notPerEntry.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', path: 'items[0].entry' });
    expect((await api.vault.commands.load(ids[20]!)).revision).toBe(before);
  });

  it('erases held debtors with a certificate that names each case’s values and their end', async () => {
    clock.now = ERASED_AT;
    const erase = `mutation($id: ID!) { eraseSubject(subjectId: $id, reason: subjectRequest) { certificate {
      categoriesShredded categoriesRetained { category basis until entries { field until entry } } }
      jws { payload } } }`;
    for (let i = 0; i < ERASED; i++) {
      const { eraseSubject } = (await gqlOk(dpo, erase, { id: ids[i] })) as {
        eraseSubject: { certificate: Record<string, unknown>; jws: { payload: string } };
      };
      const { certificate } = eraseSubject;
      expect(certificate['categoriesShredded']).toContain('debtCollection');
      expect(certificate['categoriesRetained']).toEqual([
        {
          category: 'debtor',
          basis: 'litigation',
          until: HOLD_UNTIL,
          entries: [caseA(i), caseB(i)].flatMap((entry) =>
            ['email', 'name'].map((field) => ({ field, until: HOLD_UNTIL, entry })),
          ),
        },
      ]);
      const signed = JSON.parse(Buffer.from(eraseSubject.jws.payload, 'base64url').toString()) as unknown;
      expect(schemaErrors('erasure-certificate.schema.json', signed)).toEqual([]);
    }
  });

  it('previews and sweeps case A alone when its period ends, case B staying', async () => {
    await api.vault.projector.catchUp();
    const asOf = shift(A_ENDS, 1);
    expect((await preview(shift(A_ENDS, -1))).filter((i) => i.outcome === 'wouldShred')).toEqual([]);
    const items = await preview(asOf);
    const free = ids.slice(HELD);
    const debtorItems = items.filter((i) => i.category === 'debtor');
    // The held debtors' rows are not due: the hold moved them to its end.
    expect(debtorItems.map((i) => i.subjectId).sort()).toEqual([...free].sort());
    for (const item of debtorItems) {
      const i = ids.indexOf(item.subjectId);
      expect(item).toMatchObject({
        outcome: 'wouldShred',
        entries: [caseA(i)],
        rule: `P3Y after caseClosed (entry ${caseA(i)})`,
      });
    }
    // The case link has no hold: every debtor not erased loses case A's.
    const links = items.filter((i) => i.category === 'debtCollection');
    expect(links).toHaveLength(N - ERASED);
    expect(links.every((i) => i.entries?.length === 1)).toBe(true);

    clock.now = asOf;
    const sweep = await api.vault.sweepRetention();
    expect(sweep.shredded).toBe(free.length + N - ERASED);
    // The access report (Art. 15) shows each case's values with their case, and case A's no more.
    const { accessReport } = (await gqlOk(dpo, 'query($id: ID!) { accessReport(subjectId: $id) { report } }', {
      id: ids[42],
    })) as { accessReport: { report: { items: { category: string; field: string; entry?: string }[] } } };
    expect(schemaErrors('access-report.schema.json', accessReport.report)).toEqual([]);
    expect(
      accessReport.report.items
        .filter((i) => i.category === 'debtor')
        .map((i) => `${i.entry} ${i.field}`)
        .sort(),
    ).toEqual(['B-42 email', 'B-42 name']);
    expect(await debtorValues(ids[42]!)).toEqual([
      'B-42 email debtor42.b-42@example.com',
      'B-42 name Debtor 42 (B-42)',
    ]);
    for (const i of [HELD, 42, N - 1]) {
      expect(await liveEntries(ids[i]!, 'debtor')).toEqual([caseB(i)]);
      expect(await liveEntries(ids[i]!, 'debtCollection')).toEqual([caseB(i)]);
    }
    // Held, not erased: case A's debtor data waits for the hold, its case link did not.
    expect(await liveEntries(ids[7]!, 'debtor')).toEqual([caseA(7), caseB(7)]);
    expect(await liveEntries(ids[7]!, 'debtCollection')).toEqual([caseB(7)]);
    // Held and erased: everything goes when the hold ends; nothing before.
    expect(await liveEntries(ids[2]!, 'debtor')).toEqual([caseA(2), caseB(2)]);
  });

  it('lets the hold end: the held cases A go, the erased debtors lose both cases', async () => {
    clock.now = shift(HOLD_UNTIL, 1);
    await api.vault.sweepRetention();
    for (let i = 0; i < ERASED; i++) expect(await liveEntries(ids[i]!, 'debtor')).toEqual([]);
    for (let i = ERASED; i < HELD; i++) expect(await liveEntries(ids[i]!, 'debtor')).toEqual([caseB(i)]);
  });

  it('closes half the cases B and sweeps each 3 years later; open cases stay through year ten', async () => {
    clock.now = B_CLOSED;
    const closing = ids.slice(ERASED).filter((_, k) => k % 2 === 0);
    for (const id of closing)
      await gqlOk(service, LIFECYCLE, { id, event: 'caseClosed', entry: caseB(ids.indexOf(id)) });
    // Before its own end, case B is not due.
    clock.now = shift(B_ENDS, -1);
    expect((await api.vault.sweepRetention()).shredded).toBe(0);
    clock.now = shift(B_ENDS, 1);
    const sweep = await api.vault.sweepRetention();
    expect(sweep.shredded).toBe(closing.length * 2);
    expect(new Set(sweep.items.flatMap((i) => i.entries ?? []))).toEqual(
      new Set(closing.map((id) => caseB(ids.indexOf(id)))),
    );
    clock.now = at('P10Y');
    expect((await api.vault.sweepRetention()).shredded).toBe(0);
    const open = ids.slice(ERASED).filter((id) => !closing.includes(id));
    for (const id of closing) expect(await liveEntries(id, 'debtor')).toEqual([]);
    for (const id of open) expect(await liveEntries(id, 'debtor')).toEqual([caseB(ids.indexOf(id))]);
  });

  it('keeps finding a debtor by its own email after one of its cases is shredded', async () => {
    const { registerSubject } = (await gqlOk(service, 'mutation { registerSubject { subjectId } }', {})) as {
      registerSubject: { subjectId: string };
    };
    const id = registerSubject.subjectId;
    const own = { ...debtCase(100, 'Z-1')[1]!, value: 'debtor100@example.com' };
    delete (own as { entry?: string }).entry;
    await gqlOk(service, RECORD, { id, items: [own, ...debtCase(100, 'Z-1')] });
    await gqlOk(service, LIFECYCLE, { id, event: 'caseClosed', entry: 'Z-1' });
    clock.now = shift(at('P3Y', clock.now), 1);
    await api.vault.sweepRetention();
    expect(await liveEntries(id, 'debtor')).toEqual([]);
    const find = `query { findSubjects(identifier: { email: "debtor100@example.com" }, purpose: "debtCollection") {
      id } }`;
    expect(((await gqlOk(service, find, {})) as { findSubjects: { id: string }[] }).findSubjects).toEqual([{ id }]);
  });

  it('writes no debtor’s value to the log', () => {
    expect(api.logLines.length).toBeGreaterThan(0);
    const log = api.logLines.join('\n');
    for (const i of [0, 7, 42, N - 1]) {
      for (const item of [...debtCase(i, caseA(i)), ...debtCase(i, caseB(i))])
        expect(log).not.toContain(String(item.value));
    }
  });
});
