import { fixtureRegister } from '@pdv/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { schemaErrors } from '../support/rightsSchemas.js';
import { type Api, DPO, startApi, subjectPrincipal } from './apiHarness.js';

/**
 * Issue 23, cases 2 and 3, over HTTP on the controlled clock: a controller that promises 30 days
 * (Altius: "we have 30 days to process your inquiry"), the stricter of that and the law's month,
 * extensions only within the first period, and a missed deadline that stays on the record.
 */

const clock = { now: '2026-03-01T08:00:00.000Z' };
let api: Api;
let dpo: string;

const FIELDS = 'id status dueAt extendedMonths closedAt overdue missedDeadlineAt';
const OPEN = `mutation($id: ID!, $at: DateTime!) {
  openRequest(subjectId: $id, type: ACCESS, receivedAt: $at, channel: email) { ${FIELDS} } }`;
const EXTEND = `mutation($r: ID!) { extendRequest(requestId: $r, months: 1, reason: "records in three systems") {
  ${FIELDS} } }`;
const VERIFY = `mutation($r: ID!) { verifyIdentity(requestId: $r, method: idDocument) { id } }`;
const COMPLETE = `mutation($r: ID!) { completeRequest(requestId: $r) { request { ${FIELDS} } } }`;
const OVERDUE = `{ requests(overdue: true) { id missedDeadlineAt } }`;

async function subject(): Promise<string> {
  return (await api.vault.commands.registerSubject({ actor: 'service:crm' })).subjectId;
}
const overdueIds = async () => ((await api.gql(dpo, OVERDUE)).data!.requests as { id: string }[]).map((q) => q.id);

beforeAll(async () => {
  api = await startApi({ vault: { register: { ...fixtureRegister(), answerPeriod: 'P30D' }, now: () => clock.now } });
  dpo = await api.token(DPO);
});
afterAll(async () => api?.stop());

describe("the controller's 30 days and the law's month: the stricter applies", () => {
  it.each([
    ['2026-03-01T08:00:00Z', '2026-03-31T08:00:00.000Z'],
    ['2026-01-31T08:00:00Z', '2026-02-28T08:00:00.000Z'],
    ['2026-02-01T08:00:00Z', '2026-03-01T08:00:00.000Z'],
  ])('a request received %s is due %s', async (at, due) => {
    const opened = await api.gql(dpo, OPEN, { id: await subject(), at });
    expect(opened.errors).toBeUndefined();
    expect(opened.data!.openRequest).toMatchObject({ dueAt: due });
  });
});

describe('a missed deadline stays on the record', () => {
  it('refuses a late extension, keeps the request overdue until answered, and the report shows the miss', async () => {
    clock.now = '2026-03-01T08:00:00.000Z';
    const s = await subject();
    const r = (await api.gql(dpo, OPEN, { id: s, at: clock.now })).data!.openRequest;
    expect(r).toMatchObject({ dueAt: '2026-03-31T08:00:00.000Z', overdue: false, missedDeadlineAt: null });

    // Apr 1, inside the law's month but after the controller's 30 days: overdue, and too late to extend.
    clock.now = '2026-04-01T08:00:00.000Z';
    expect(await overdueIds()).toContain(r.id);
    const before = (await api.vault.commands.load(s)).revision;
    const late = await api.gql(dpo, EXTEND, { r: r.id });
    expect(late.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(late.errors?.[0]?.message).toContain('first answer period');
    expect((await api.vault.commands.load(s)).revision).toBe(before);
    expect(await overdueIds()).toContain(r.id);

    // Answered late: out of the overdue list, still marked as having missed its deadline.
    await api.gql(dpo, VERIFY, { r: r.id });
    clock.now = '2026-04-03T08:00:00.000Z';
    const done = await api.gql(dpo, COMPLETE, { r: r.id });
    expect(done.errors).toBeUndefined();
    expect(done.data!.completeRequest.request).toMatchObject({
      status: 'COMPLETED',
      overdue: false,
      missedDeadlineAt: '2026-03-31T08:00:00.000Z',
    });
    expect(await overdueIds()).not.toContain(r.id);

    const report = (
      await api.gql(
        await api.token(subjectPrincipal(s)),
        'query($id: ID!) { accessReport(subjectId: $id) { report } }',
        {
          id: s,
        },
      )
    ).data!.accessReport.report;
    expect(schemaErrors('access-report.schema.json', report)).toEqual([]);
    expect(report.requests).toEqual([
      expect.objectContaining({ requestId: r.id, status: 'COMPLETED', missedDeadlineAt: '2026-03-31T08:00:00.000Z' }),
    ]);
  });

  it('extends within the first 30 days, and a request answered in time never missed its deadline', async () => {
    clock.now = '2026-03-01T08:00:00.000Z';
    const s = await subject();
    const r = (await api.gql(dpo, OPEN, { id: s, at: clock.now })).data!.openRequest;
    clock.now = '2026-03-31T08:00:00.000Z';
    const extended = await api.gql(dpo, EXTEND, { r: r.id });
    expect(extended.errors).toBeUndefined();
    // The law's two months from receipt end May 1, the controller's 30 days after one month too.
    expect(extended.data!.extendRequest).toMatchObject({ extendedMonths: 1, dueAt: '2026-05-01T08:00:00.000Z' });

    clock.now = '2026-04-20T08:00:00.000Z';
    await api.gql(dpo, VERIFY, { r: r.id });
    const done = await api.gql(dpo, COMPLETE, { r: r.id });
    expect(done.data!.completeRequest.request).toMatchObject({ status: 'COMPLETED', missedDeadlineAt: null });
    clock.now = '2026-06-01T08:00:00.000Z';
    const listed = await api.gql(dpo, `{ requests(status: COMPLETED) { id overdue missedDeadlineAt } }`);
    expect(listed.data!.requests).toContainEqual({ id: r.id, overdue: false, missedDeadlineAt: null });
  });

  it('keeps a refused late request marked, and an open one in the overdue list as the clock moves on', async () => {
    clock.now = '2026-03-01T08:00:00.000Z';
    const s = await subject();
    const refused = (await api.gql(dpo, OPEN, { id: s, at: '2026-02-27T08:00:00Z' })).data!.openRequest;
    const open = (await api.gql(dpo, OPEN, { id: s, at: '2026-02-27T08:00:00Z' })).data!.openRequest;
    expect(open).toMatchObject({ dueAt: '2026-03-27T08:00:00.000Z', overdue: false });
    clock.now = '2026-05-01T08:00:00.000Z';
    const res = await api.gql(
      dpo,
      `mutation($r: ID!) { refuseRequest(requestId: $r, reason: "excessive") { ${FIELDS} } }`,
      {
        r: refused.id,
      },
    );
    expect(res.data!.refuseRequest).toMatchObject({ status: 'REFUSED', missedDeadlineAt: '2026-03-27T08:00:00.000Z' });
    const overdue = (await api.gql(dpo, OVERDUE)).data!.requests as { id: string; missedDeadlineAt: string }[];
    expect(overdue).toContainEqual({ id: open.id, missedDeadlineAt: '2026-03-27T08:00:00.000Z' });
    expect(overdue.map((q) => q.id)).not.toContain(refused.id);
  });
});
