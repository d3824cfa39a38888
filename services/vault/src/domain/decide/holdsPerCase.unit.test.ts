import { describe, expect, it } from 'vitest';

import {
  caseRegister as register,
  closeCase,
  day,
  inCase,
  play,
  recordCase,
  runAt as run,
  S,
  T1,
} from '../../testing/givenCases.js';
import { item, notice } from '../../testing/givenSubject.js';
import { entryEnds, holdsOf, retentionOf } from '../retention.js';
import { entryKeyIdFor, keyIdFor } from '../state.js';
import type { Command } from './command.js';

// A DPO hold on one case (issue 23): litigation over one of a debtor's debt-collection cases keeps
// that case past its own end and past an erasure, while the debtor's other cases and its own values
// go on their clocks. Given events (played commands), when a command, then events.

const T2 = '2027-03-01T09:00:00.000Z';
const CLOSED = '2028-05-01T00:00:00.000Z';
const END = '2031-05-01T00:00:00.000Z';
const HELD_UNTIL = '2032-01-01T00:00:00.000Z';
const caseKey = (entry: string, generation = 1) => entryKeyIdFor(S, 'debtor', entry, generation);
const sweep: Command = { type: 'ApplyRetention', category: 'debtor' };
const holdCase = (entry: string, until = HELD_UNTIL, basis = 'litigation'): Command => ({
  type: 'PlaceLegalHold',
  category: 'debtor',
  basis,
  until,
  entry,
});
/** Cases A and B of one debtor, both closed at CLOSED (so both end at END), case A held until HELD_UNTIL. */
const heldA = (...more: [string, Command][]) =>
  play(
    [T1, recordCase('A', 'name', 'email')],
    [T2, recordCase('B', 'name')],
    [CLOSED, closeCase('A')],
    [CLOSED, closeCase('B')],
    [day(CLOSED, 1), holdCase('A')],
    ...more,
  );

describe('a DPO hold on one case', () => {
  it('is placed on the case alone, and listed with it among the holds', () => {
    const state = play([T1, recordCase('A')], [T2, recordCase('B')]);
    expect(run(state, holdCase('A'), T2)).toEqual([
      { type: 'LegalHoldPlaced', data: { category: 'debtor', basis: 'litigation', until: HELD_UNTIL, entry: 'A' } },
    ]);
    const held = heldA();
    expect(held.holds).toEqual({});
    expect(held.categories['debtor']!.entries!['A']!.hold).toMatchObject({ basis: 'litigation', until: HELD_UNTIL });
    expect(holdsOf(held, register)).toEqual([
      { subjectId: S, category: 'debtor', entry: 'A', basis: 'litigation', until: HELD_UNTIL, source: 'dpo' },
    ]);
  });

  it('keeps the held case past its end while the other case goes at its own', () => {
    const state = heldA();
    expect(entryEnds(state, register, 'debtor')).toEqual([
      { entry: 'B', at: END, rule: 'P3Y after caseClosed (entry B)', reason: 'retention' },
      {
        entry: 'A',
        at: HELD_UNTIL,
        rule: `P3Y after caseClosed (entry A); held until ${HELD_UNTIL} (litigation)`,
        reason: 'retention',
      },
    ]);
    expect(run(state, sweep, day(END, 1))).toEqual([
      {
        type: 'CategoryShredded',
        data: {
          category: 'debtor',
          keyIds: [caseKey('B')],
          reason: 'retention',
          rule: 'P3Y after caseClosed (entry B)',
          entry: 'B',
        },
      },
    ]);
    const afterB = heldA([day(END, 1), sweep]);
    expect(retentionOf(afterB, register, holdsOf(afterB, register))).toEqual([
      {
        subjectId: S,
        category: 'debtor',
        dueAt: HELD_UNTIL,
        rule: `P3Y after caseClosed (entry A); held until ${HELD_UNTIL} (litigation)`,
      },
    ]);
    expect(run(afterB, sweep, day(HELD_UNTIL, -1))).toEqual([]);
    expect(run(afterB, sweep, day(HELD_UNTIL, 1))).toMatchObject([
      { type: 'CategoryShredded', data: { keyIds: [caseKey('A')], entry: 'A', reason: 'retention' } },
    ]);
  });

  it('lets the case go at its own end once the hold is released', () => {
    const released = heldA([day(CLOSED, 2), { type: 'ReleaseLegalHold', category: 'debtor', entry: 'A' }]);
    expect(released.categories['debtor']!.entries!['A']!.hold).toBeUndefined();
    expect(run(released, sweep, day(END, 1)).map((e) => (e.data as { entry?: string }).entry)).toEqual(['A', 'B']);
  });

  it('keeps the held case when the category’s own period ends for the whole category', () => {
    const state = play(
      [T1, { type: 'RecordPersonalData', items: [item('debtor', 'phone', '+31201234567'), inCase('A'), inCase('B')] }],
      [T2, holdCase('A')],
      [CLOSED, { type: 'RecordLifecycleEvent', event: 'caseClosed' }],
    );
    expect(run(state, sweep, day(END, 1))).toEqual([
      {
        type: 'CategoryShredded',
        data: {
          category: 'debtor',
          keyIds: [keyIdFor(S, 'debtor', 1), caseKey('B')],
          reason: 'retention',
          rule: 'P3Y after caseClosed',
        },
      },
    ]);
    const after = play(
      [T1, { type: 'RecordPersonalData', items: [item('debtor', 'phone', '+31201234567'), inCase('A'), inCase('B')] }],
      [T2, holdCase('A')],
      [CLOSED, { type: 'RecordLifecycleEvent', event: 'caseClosed' }],
      [day(END, 1), sweep],
    );
    const c = after.categories['debtor']!;
    expect(c.shredded).not.toBeNull();
    expect(c.entries!['A']!.shredded).toBeNull();
    // The whole category's event reaches the held case too: it goes when its hold ends.
    expect(entryEnds(after, register, 'debtor')).toMatchObject([{ entry: 'A', at: HELD_UNTIL }]);
    expect(run(after, sweep, day(HELD_UNTIL, 1))).toMatchObject([
      { type: 'CategoryShredded', data: { keyIds: [caseKey('A')], entry: 'A' } },
    ]);
  });

  it('keeps the held case through an erasure and shreds the rest, the certificate naming the case’s values', () => {
    const state = heldA([T2, { type: 'RecordPersonalData', items: [item('debtor', 'phone', '+31201234567')] }]);
    const events = run(state, { type: 'EraseSubject', reason: 'subjectRequest' }, day(CLOSED, 2));
    expect(events).toEqual([
      {
        type: 'CategoryShredded',
        data: { category: 'debtor', keyIds: [keyIdFor(S, 'debtor', 1), caseKey('B')], reason: 'erasure' },
      },
      {
        type: 'SubjectErased',
        data: {
          reason: 'subjectRequest',
          shredded: ['debtor'],
          retained: [
            {
              category: 'debtor',
              basis: 'litigation',
              until: HELD_UNTIL,
              entries: [
                { field: 'email', until: HELD_UNTIL, entry: 'A' },
                { field: 'name', until: HELD_UNTIL, entry: 'A' },
              ],
            },
          ],
        },
      },
    ]);
    // After the erasure, the held case goes when its hold ends, for the erasure.
    const erased = heldA([day(CLOSED, 2), { type: 'EraseSubject', reason: 'subjectRequest' }]);
    expect(entryEnds(erased, register, 'debtor')).toMatchObject([{ entry: 'A', at: HELD_UNTIL, reason: 'erasure' }]);
    expect(run(erased, sweep, day(HELD_UNTIL, 1))).toMatchObject([
      { type: 'CategoryShredded', data: { keyIds: [caseKey('A')], entry: 'A', reason: 'erasure' } },
    ]);
  });

  it('names each held case’s basis in the certificate where it differs from the row’s', () => {
    const later = '2033-01-01T00:00:00.000Z';
    const state = heldA([day(CLOSED, 1), holdCase('B', later, 'insuranceClaim')]);
    const erased = run(state, { type: 'EraseSubject', reason: 'subjectRequest' }, day(CLOSED, 2));
    expect(erased).toEqual([
      expect.objectContaining({
        type: 'SubjectErased',
        data: expect.objectContaining({
          shredded: [],
          retained: [
            {
              category: 'debtor',
              basis: 'insuranceClaim',
              until: later,
              entries: [
                { field: 'email', until: HELD_UNTIL, entry: 'A', basis: 'litigation' },
                { field: 'name', until: HELD_UNTIL, entry: 'A', basis: 'litigation' },
                { field: 'name', until: later, entry: 'B' },
              ],
            },
          ],
        }),
      }),
    ]);
  });

  it('keeps a held case’s value kept on consent when the consent is withdrawn; the other case’s goes', () => {
    const marketing = (entry: string): Command => ({
      type: 'RecordPersonalData',
      items: [inCase(entry, 'email', `${entry}@example.com`, 'marketing')],
      consents: [notice('marketing')],
    });
    const state = play([T1, marketing('A')], [T1, marketing('B')], [T2, holdCase('A')]);
    expect(run(state, { type: 'WithdrawConsent', purpose: 'marketing' }, day(T2, 1))).toEqual([
      expect.objectContaining({ type: 'ConsentWithdrawn' }),
      {
        type: 'CategoryShredded',
        data: { category: 'debtor', keyIds: [caseKey('B')], reason: 'withdrawal', entry: 'B' },
      },
    ]);
  });

  it('refuses to erase a field of the held case', () => {
    expect(() =>
      run(
        heldA(),
        {
          type: 'ErasePersonalData',
          category: 'debtor',
          field: 'name',
          reason: 'subjectRequest',
          remaining: {},
          entry: 'A',
        },
        day(CLOSED, 2),
      ),
    ).toThrow(expect.objectContaining({ code: 'CATEGORY_HELD' }));
  });
});

describe('a hold on one case refused, changing nothing', () => {
  const state = play([T1, recordCase('A')]);
  const fails = (command: Command, code: string, path: string, at = T2) =>
    expect(() => run(state, command, at)).toThrow(expect.objectContaining({ code, path }));

  it('refuses a case the debtor lacks, a malformed id, and a category whose period does not run per case', () => {
    fails(holdCase('C'), 'UNKNOWN_ENTRY', 'entry');
    fails(holdCase('a b@x'), 'BAD_USER_INPUT', 'entry');
    fails({ ...holdCase('A'), category: 'accounting' } as Command, 'BAD_USER_INPUT', 'entry');
  });

  it('takes a case id every object has as a property (constructor) for an id like any other', () => {
    // Refused as unknown, where it used to count as a live case and fold into a broken state.
    fails(holdCase('constructor'), 'UNKNOWN_ENTRY', 'entry');
    fails(closeCase('constructor'), 'UNKNOWN_ENTRY', 'entry');
    const state = play([T1, recordCase('A')], [T2, recordCase('constructor')], [CLOSED, closeCase('constructor')]);
    expect(state.categories['debtor']!.entries!['constructor']!.lifecycle).toEqual({ caseClosed: CLOSED });
  });

  it('refuses a hold that would end sooner, records the same hold once, and releases only a hold that stands', () => {
    const held = play([T1, recordCase('A')], [T2, holdCase('A')]);
    expect(() => run(held, holdCase('A', '2031-01-01T00:00:00.000Z'), T2)).toThrow(
      expect.objectContaining({ code: 'CONFLICT', path: 'until' }),
    );
    expect(run(held, holdCase('A'), T2)).toEqual([]);
    expect(run(held, holdCase('A', '2033-01-01T00:00:00.000Z'), T2)).toHaveLength(1);
    fails({ type: 'ReleaseLegalHold', category: 'debtor', entry: 'A' }, 'NOT_FOUND', 'entry');
  });
});
