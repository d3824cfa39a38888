import { describe, expect, it } from 'vitest';

import { fixtureRegister } from '../testing/fixtureRegister.js';
import { answerPeriodIssue, requestDueAt } from './deadlines.js';
import type { DomainEvent, Sealed } from './events.js';
import { type Command, decide, evolve, initialState, type SubjectState } from './subject.js';

/**
 * Issue 23, case 3: the controller's own answer period (the stricter of it and the law's month applies).
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
const registered: AtEvent = { type: 'SubjectRegistered', at: '2020-01-01T00:00:00.000Z', data: { subjectId: 's1' } };

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
