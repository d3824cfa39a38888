import { describe, expect, it } from 'vitest';

import { fixtureRegister } from '../testing/fixtureRegister.js';
import { answerPeriodIssue, missedDeadlineAt, requestDueAt } from './deadlines.js';
import { isVaultError } from './errors.js';
import type { DomainEvent, Sealed } from './events.js';
import { trackedRowsOf } from './requests.js';
import { type Command, decide, evolve, initialState, type SubjectState } from './subject.js';

/**
 * Issue 23, cases 2 and 3: the controller's own answer period (the stricter of it and the law's
 * month applies), extensions only within the first period, and a missed deadline kept on the record.
 */

type AtEvent = DomainEvent<Sealed> & { at: string };

/** Given events, each at its own time, when a command at `now` under a register with `answerPeriod`. */
function given(...events: AtEvent[]) {
  const state = events.reduce<SubjectState>((s, e, i) => evolve(s, { ...e, id: `e${i}` }), initialState('s1'));
  return {
    state,
    when(command: Command, now: string, answerPeriod?: string) {
      const register = { ...fixtureRegister(), ...(answerPeriod ? { answerPeriod } : {}) };
      return () => decide(structuredClone(state), command, { register, now, actor: 'dpo:dpo-1' });
    },
  };
}
const failure = (run: () => unknown) => {
  try {
    run();
  } catch (e) {
    if (isVaultError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a failure');
};

const registered: AtEvent = { type: 'SubjectRegistered', at: '2020-01-01T00:00:00.000Z', data: { subjectId: 's1' } };
const opened = (receivedAt: string, answerPeriod?: string): AtEvent => ({
  type: 'RequestOpened',
  at: receivedAt,
  data: {
    requestId: 'r1',
    requestType: 'ACCESS',
    receivedAt,
    channel: 'email',
    dueAt: requestDueAt(receivedAt, answerPeriod),
    ...(answerPeriod ? { answerPeriod } : {}),
  },
});
const extended = (at: string, months: number, dueAt: string): AtEvent => ({
  type: 'RequestExtended',
  at,
  data: { requestId: 'r1', months, reason: 'sealed', dueAt },
});
const verified = (at: string): AtEvent => ({
  type: 'IdentityVerified',
  at,
  data: { requestId: 'r1', method: 'idDocument' },
});
const completed = (at: string): AtEvent => ({ type: 'RequestCompleted', at, data: { requestId: 'r1' } });
const refused = (at: string): AtEvent => ({ type: 'RequestRefused', at, data: { requestId: 'r1', reason: 'sealed' } });
const extend = (months = 1): Command => ({ type: 'ExtendRequest', requestId: 'r1', months, reason: 'many systems' });

describe("the controller's answer period: the stricter of it and the law's month applies (Art. 12(3))", () => {
  it.each([
    // Received, period, due: 30 days ends after the law's month around February, before it in 31-day months.
    ['2026-01-31T10:00:00.000Z', 'P30D', '2026-02-28T10:00:00.000Z'],
    ['2028-01-31T10:00:00.000Z', 'P30D', '2028-02-29T10:00:00.000Z'],
    ['2026-01-30T10:00:00.000Z', 'P30D', '2026-02-28T10:00:00.000Z'],
    ['2028-01-29T10:00:00.000Z', 'P30D', '2028-02-28T10:00:00.000Z'],
    ['2026-02-01T00:00:00.000Z', 'P30D', '2026-03-01T00:00:00.000Z'],
    ['2028-02-01T00:00:00.000Z', 'P30D', '2028-03-01T00:00:00.000Z'],
    ['2028-02-29T00:00:00.000Z', 'P30D', '2028-03-29T00:00:00.000Z'],
    ['2026-03-01T00:00:00.000Z', 'P30D', '2026-03-31T00:00:00.000Z'],
    ['2026-03-31T00:00:00.000Z', 'P30D', '2026-04-30T00:00:00.000Z'],
    ['2026-12-15T00:00:00.000Z', 'P30D', '2027-01-14T00:00:00.000Z'],
    ['2027-12-31T23:30:00.000Z', 'P30D', '2028-01-30T23:30:00.000Z'],
    ['2028-02-01T00:00:00.000Z', 'P4W', '2028-02-29T00:00:00.000Z'],
    ['2026-02-01T00:00:00.000Z', 'P4W', '2026-03-01T00:00:00.000Z'],
    ['2026-01-31T10:00:00.000Z', 'P1M', '2026-02-28T10:00:00.000Z'],
    ['2026-02-01T00:00:00.000Z', 'P31D', '2026-03-01T00:00:00.000Z'],
  ])('given a request received %s under %s, then it is due %s', (receivedAt, period, due) => {
    expect(requestDueAt(receivedAt, period)).toBe(due);
    const open: Command = { type: 'OpenRequest', requestId: 'r1', requestType: 'ACCESS', receivedAt, channel: 'email' };
    expect(given(registered).when(open, '2029-01-01T00:00:00.000Z', period)()).toEqual([
      {
        type: 'RequestOpened',
        data: {
          requestId: 'r1',
          requestType: 'ACCESS',
          receivedAt,
          channel: 'email',
          dueAt: due,
          answerPeriod: period,
        },
      },
    ]);
  });

  it('given no period in the register, when a request is opened, then it is due a calendar month later', () => {
    const receivedAt = '2026-01-31T10:00:00.000Z';
    const open: Command = { type: 'OpenRequest', requestId: 'r1', requestType: 'ACCESS', receivedAt, channel: 'email' };
    expect(given(registered).when(open, '2026-02-01T00:00:00.000Z')()).toEqual([
      {
        type: 'RequestOpened',
        data: {
          requestId: 'r1',
          requestType: 'ACCESS',
          receivedAt,
          channel: 'email',
          dueAt: '2026-02-28T10:00:00.000Z',
        },
      },
    ]);
  });

  it.each([
    // Received, period, months in total, due: each of the two deadlines lengthened by the months granted.
    ['2026-01-31T00:00:00.000Z', 'P30D', 2, '2026-04-30T00:00:00.000Z'],
    ['2026-12-15T00:00:00.000Z', 'P30D', 1, '2027-02-14T00:00:00.000Z'],
    ['2027-11-30T00:00:00.000Z', 'P30D', 2, '2028-02-29T00:00:00.000Z'],
    ['2026-11-30T00:00:00.000Z', 'P30D', 2, '2027-02-28T00:00:00.000Z'],
    ['2026-01-31T00:00:00.000Z', 'P1M', 2, '2026-04-30T00:00:00.000Z'],
  ])('given a request received %s under %s extended by %i months, then it is due %s', (receivedAt, p, months, due) => {
    expect(requestDueAt(receivedAt, p, months)).toBe(due);
  });

  it('accepts a period not longer than every calendar month, and names what is wrong otherwise', () => {
    for (const ok of ['P30D', 'P1M', 'P4W', 'P31D', 'PT720H']) expect(answerPeriodIssue(ok)).toBeUndefined();
    for (const long of ['P32D', 'P1M1D', 'P2M', 'P1Y', 'P5W', 'P1MT1H'])
      expect(answerPeriodIssue(long)).toMatch(/longer than the law's one calendar month/);
    expect(answerPeriodIssue('P0D')).toMatch(/longer than zero/);
    expect(answerPeriodIssue('30 days')).toMatch(/ISO 8601/);
  });
});

describe('extensions only within the first answer period (Art. 12(3))', () => {
  it('given a request received Jan 31, when it is extended on Feb 28, its last day, then it is extended', () => {
    const g = given(registered, opened('2026-01-31T09:00:00.000Z'));
    expect(g.when(extend(2), '2026-02-28T09:00:00.000Z')()).toEqual([
      {
        type: 'RequestExtended',
        data: { requestId: 'r1', months: 2, reason: { plain: 'many systems' }, dueAt: '2026-04-30T09:00:00.000Z' },
      },
    ]);
  });

  it('given a request received Jan 31, when it is extended after Feb 28, then CONFLICT says the period ended', () => {
    const g = given(registered, opened('2026-01-31T09:00:00.000Z'));
    expect(failure(g.when(extend(), '2026-02-28T09:00:00.001Z'))).toEqual({
      code: 'CONFLICT',
      message: expect.stringContaining(
        'only within its first answer period (Art. 12(3)), which ended 2026-02-28T09:00',
      ),
    });
  });

  it("given P30D and a request received Mar 1, when extended Apr 1 (in the law's month), then refused", () => {
    const g = given(registered, opened('2026-03-01T00:00:00.000Z', 'P30D'));
    expect(g.when(extend(), '2026-03-31T00:00:00.000Z')()).toMatchObject([
      { type: 'RequestExtended', data: { dueAt: '2026-05-01T00:00:00.000Z' } },
    ]);
    expect(failure(g.when(extend(), '2026-04-01T00:00:00.000Z')).code).toBe('CONFLICT');
  });

  it('given an extension within the period, when a second one comes after the first period, then it is refused', () => {
    const g = given(
      registered,
      opened('2026-01-10T00:00:00.000Z'),
      extended('2026-01-20T00:00:00.000Z', 1, '2026-03-10T00:00:00.000Z'),
    );
    expect(g.when(extend(), '2026-02-10T00:00:00.000Z')()).toMatchObject([
      { type: 'RequestExtended', data: { dueAt: '2026-04-10T00:00:00.000Z' } },
    ]);
    expect(failure(g.when(extend(), '2026-02-15T00:00:00.000Z')).code).toBe('CONFLICT');
  });

  it('given a leap year and P30D, when a request received Jan 31 is extended Feb 29, then it is still in time', () => {
    const g = given(registered, opened('2028-01-31T00:00:00.000Z', 'P30D'));
    // The law's three months end Mar 31; the controller's 30 days after one month (Feb 29) end Mar 30.
    expect(g.when(extend(1), '2028-02-29T00:00:00.000Z')()).toMatchObject([
      { type: 'RequestExtended', data: { dueAt: '2028-03-30T00:00:00.000Z' } },
    ]);
    expect(failure(g.when(extend(1), '2028-03-01T00:00:00.000Z')).code).toBe('CONFLICT');
  });
});

describe('a missed deadline stays on the record', () => {
  const received = '2026-01-31T09:00:00.000Z';
  const due = '2026-02-28T09:00:00.000Z';
  const requestOf = (s: SubjectState) => s.rights.requests['r1']!;
  const rowOf = (s: SubjectState) => trackedRowsOf(s).find((r) => r.kind === 'request')!;

  it('given an open request, then it has missed its deadline once the due date has passed, not before', () => {
    const q = requestOf(given(registered, opened(received)).state);
    expect(missedDeadlineAt(q, due)).toBeNull();
    expect(missedDeadlineAt(q, '2026-02-28T09:00:00.001Z')).toBe(due);
  });

  it('given a request answered after its due date, then it stays marked as having missed it', () => {
    for (const answered of [completed('2026-03-02T00:00:00.000Z'), refused('2026-03-02T00:00:00.000Z')]) {
      const state = given(registered, opened(received), answered).state;
      expect(requestOf(state).missedDeadlineAt).toBe(due);
      expect(missedDeadlineAt(requestOf(state), '2030-01-01T00:00:00.000Z')).toBe(due);
      expect(rowOf(state)).toMatchObject({ dueAt: due, data: { missedDeadlineAt: due } });
    }
  });

  it('given a request answered on its due date, then it never missed it', () => {
    const state = given(registered, opened(received), verified(due), completed(due)).state;
    expect(requestOf(state).missedDeadlineAt).toBeNull();
    expect(missedDeadlineAt(requestOf(state), '2030-01-01T00:00:00.000Z')).toBeNull();
  });

  it('given a late extension in the log, then the miss stays and the request stays overdue', () => {
    const late = extended('2026-03-05T00:00:00.000Z', 2, '2026-04-30T09:00:00.000Z');
    const state = given(registered, opened(received), late).state;
    expect(requestOf(state)).toMatchObject({ dueAt: '2026-04-30T09:00:00.000Z', missedDeadlineAt: due });
    // Listed by the deadline it missed while open, so it is in the overdue list until it is answered.
    expect(rowOf(state)).toMatchObject({
      status: 'OPEN',
      dueAt: due,
      data: { dueAt: '2026-04-30T09:00:00.000Z', missedDeadlineAt: due },
    });
    const answered = given(registered, opened(received), late, completed('2026-03-10T00:00:00.000Z')).state;
    expect(rowOf(answered)).toMatchObject({ status: 'COMPLETED', data: { missedDeadlineAt: due } });
  });

  it('given a request verified after its due date and still open, then the miss is recorded by that event', () => {
    const state = given(registered, opened(received), verified('2026-03-01T00:00:00.000Z')).state;
    expect(requestOf(state).missedDeadlineAt).toBe(due);
  });

  it('given a closed request from a snapshot kept before misses were recorded, then the dates tell', () => {
    const facts = { status: 'COMPLETED' as const, dueAt: due, closedAt: '2026-03-01T00:00:00.000Z' };
    expect(missedDeadlineAt(facts, '2030-01-01T00:00:00.000Z')).toBe(due);
    expect(missedDeadlineAt({ ...facts, closedAt: '2026-02-01T00:00:00.000Z' }, '2030-01-01T00:00:00.000Z')).toBeNull();
  });
});
