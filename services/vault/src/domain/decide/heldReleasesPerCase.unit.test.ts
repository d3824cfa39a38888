import { describe, expect, it } from 'vitest';

import { caseRegister as register, day, inCase, play, runAt as run, S, T1 } from '../../testing/givenCases.js';
import { item, notice } from '../../testing/givenSubject.js';
import { withEndedPurposes } from '../endedPurposes.js';
import { holdsOf, retentionOf } from '../retention.js';
import { entryKeyIdFor, keyIdFor, type SubjectState } from '../state.js';
import type { Command } from './command.js';

// A release a hold kept back (issue 23): a debtor's values recorded on consent alone go when that consent is
// withdrawn, but a case the DPO holds keeps its values meanwhile. The withdrawal still stands, so when the hold on
// that case ends, or the DPO releases it, the case's values kept on that consent alone go at the next sweep, as the
// withdrawal would have taken them: the schedule makes the category due then, and the sweep's release erases them
// (re-keying the case around what stays, or shredding its key), for the withdrawal's reason. The same holds for a
// final objection to direct marketing, and for the category's own values under a hold on the whole category.

const T2 = '2027-03-01T09:00:00.000Z';
const WITHDRAWN = '2027-06-01T00:00:00.000Z';
const HELD_UNTIL = '2029-01-01T00:00:00.000Z';
const caseKey = (entry: string, generation = 1) => entryKeyIdFor(S, 'debtor', entry, generation);
const release: Command = { type: 'ReleaseEndedPurposes', category: 'debtor' };
const withdraw: Command = { type: 'WithdrawConsent', purpose: 'marketing' };
const consent: Command = { type: 'GiveConsent', ...notice('marketing') };
const onConsent = (entry: string, field = 'email') => inCase(entry, field, undefined, 'marketing');
const holdCase = (entry: string): Command => ({
  type: 'PlaceLegalHold',
  category: 'debtor',
  basis: 'litigation',
  until: HELD_UNTIL,
  entry,
});
const releaseHold = (entry: string): Command => ({ type: 'ReleaseLegalHold', category: 'debtor', entry });

/** Case A: the debtor's name for the contract and its email on marketing consent alone; case B: an email alone. */
const debtor = (...more: Parameters<typeof play>) =>
  play(
    [T1, consent],
    [T1, { type: 'RecordPersonalData', items: [inCase('A', 'name'), onConsent('A'), onConsent('B')] }],
    ...more,
  );
/** Case A held, then consent to marketing withdrawn: case B's email goes at once (its key), case A's stays. */
const heldThenWithdrawn = (...more: Parameters<typeof play>) =>
  debtor([T2, holdCase('A')], [WITHDRAWN, withdraw], ...more);

const schedule = (state: SubjectState) =>
  withEndedPurposes(retentionOf(state, register, holdsOf(state, register)), state, register, holdsOf(state, register));

/** The sweep's release of case A's email, re-keying the case around its name (the command side opens the name). */
const erasesCaseAEmail = [
  { type: 'PersonalDataErased', data: { category: 'debtor', field: 'email', reason: 'withdrawal', entry: 'A' } },
  {
    type: 'CategoryRekeyed',
    data: {
      category: 'debtor',
      oldKeyIds: [caseKey('A')],
      newKeyId: caseKey('A', 2),
      values: [{ field: 'name', value: { plain: 'name of A' } }],
      reason: 'withdrawal',
      entry: 'A',
    },
  },
];
const withName: Command = { ...release, remaining: { 'debtor.name@A': 'name of A' } };

describe('a withdrawal a hold on one case kept back', () => {
  it('takes the other case’s value at once and leaves the held case’s, the withdrawal standing', () => {
    const state = heldThenWithdrawn();
    const c = state.categories['debtor']!;
    expect(c.entries!['B']!.shredded).toMatchObject({ reason: 'withdrawal' });
    expect(c.entries!['A']!.fields['email']).toMatchObject({ purpose: 'marketing', legalBasis: 'consent' });
    expect(state.consents['marketing']!.given).toBe(false);
  });

  it('makes the category due when the hold ends, and releases nothing before', () => {
    const state = heldThenWithdrawn();
    expect(schedule(state)).toContainEqual({
      subjectId: S,
      category: 'debtor',
      dueAt: HELD_UNTIL,
      rule: 'consent for marketing withdrawn',
    });
    expect(run(state, withName, day(HELD_UNTIL, -1))).toEqual([]);
    expect(run(state, withName, HELD_UNTIL)).toEqual(erasesCaseAEmail);
  });

  it('releases the held case’s value at the first sweep after the DPO releases the hold', () => {
    const released = heldThenWithdrawn([day(WITHDRAWN, 10), releaseHold('A')]);
    expect(schedule(released)).toContainEqual({
      subjectId: S,
      category: 'debtor',
      dueAt: WITHDRAWN,
      rule: 'consent for marketing withdrawn',
    });
    expect(run(released, withName, day(WITHDRAWN, 11))).toEqual(erasesCaseAEmail);
    // Done once: the value is gone, its key with it, and the schedule no longer carries the withdrawal.
    const after = heldThenWithdrawn([day(WITHDRAWN, 10), releaseHold('A')], [day(WITHDRAWN, 11), withName]);
    expect(Object.keys(after.categories['debtor']!.entries!['A']!.fields)).toEqual(['name']);
    expect(after.categories['debtor']!.entries!['A']!.keyId).toBe(caseKey('A', 2));
    expect(schedule(after).map((r) => r.rule)).not.toContain('consent for marketing withdrawn');
    expect(run(after, release, day(WITHDRAWN, 12))).toEqual([]);
  });

  it('refuses the release without the case’s values to carry over, changing nothing', () => {
    const released = heldThenWithdrawn([day(WITHDRAWN, 10), releaseHold('A')]);
    expect(() => run(released, release, day(WITHDRAWN, 11))).toThrow(/not supplied/);
  });

  it('shreds the key of a held case nothing else is left of', () => {
    const state = play(
      [T1, consent],
      [T1, { type: 'RecordPersonalData', items: [onConsent('A'), onConsent('A', 'phone')] }],
      [T2, holdCase('A')],
      [WITHDRAWN, withdraw],
      [day(WITHDRAWN, 10), releaseHold('A')],
    );
    expect(run(state, release, day(WITHDRAWN, 11))).toEqual([
      {
        type: 'CategoryShredded',
        data: { category: 'debtor', keyIds: [caseKey('A')], reason: 'withdrawal', entry: 'A' },
      },
    ]);
  });

  it('takes only the withdrawn purpose from a held case’s value another purpose keeps too', () => {
    const state = play(
      [T1, consent],
      [T1, { type: 'RecordPersonalData', items: [inCase('A', 'email')] }, { role: 'service', purposes: ['contract'] }],
      // The marketing service writes the same address for its purpose, as the command side opened the case's value.
      [
        T1,
        { type: 'RecordPersonalData', items: [onConsent('A')], current: { 'debtor.email@A': 'a@example.com' } },
        { role: 'service', purposes: ['marketing'] },
      ],
      [T2, holdCase('A')],
      [WITHDRAWN, withdraw],
      [day(WITHDRAWN, 10), releaseHold('A')],
    );
    expect(state.categories['debtor']!.entries!['A']!.fields['email']!.alsoHeldFor).toEqual([
      { purpose: 'marketing', legalBasis: 'consent' },
    ]);
    expect(run(state, release, day(WITHDRAWN, 11))).toEqual([
      { type: 'PersonalDataReleased', data: { category: 'debtor', field: 'email', purpose: 'marketing', entry: 'A' } },
    ]);
  });

  it('releases nothing for a consent given again after the withdrawal', () => {
    const state = heldThenWithdrawn([day(WITHDRAWN, 5), consent], [day(WITHDRAWN, 10), releaseHold('A')]);
    expect(schedule(state).map((r) => r.rule)).not.toContain('consent for marketing withdrawn');
    expect(run(state, withName, day(WITHDRAWN, 11))).toEqual([]);
  });
});

describe('other releases a hold kept back', () => {
  it('erases a held case’s value after a final objection to direct marketing, once the hold ends', () => {
    const state = debtor([T2, holdCase('A')], [WITHDRAWN, { type: 'ObjectToProcessing', purpose: 'marketing' }]);
    expect(schedule(state)).toContainEqual({
      subjectId: S,
      category: 'debtor',
      dueAt: HELD_UNTIL,
      rule: 'objection to marketing',
    });
    const events = run(state, withName, HELD_UNTIL);
    expect(events.map((e) => [e.type, (e.data as { reason?: string }).reason])).toEqual([
      ['PersonalDataErased', 'objection'],
      ['CategoryRekeyed', 'objection'],
    ]);
  });

  it('erases the category’s own value kept on consent alone once a hold on the whole category ends', () => {
    const state = play(
      [T1, consent],
      [T1, { type: 'RecordPersonalData', items: [item('debtor', 'email', 'a@example.com', 'marketing', 'consent')] }],
      [T1, { type: 'RecordPersonalData', items: [item('debtor', 'name', 'Ann')] }],
      [T2, { type: 'PlaceLegalHold', category: 'debtor', basis: 'litigation', until: HELD_UNTIL }],
      [WITHDRAWN, withdraw],
    );
    expect(run(state, release, day(WITHDRAWN, 1))).toEqual([]);
    expect(schedule(state)).toContainEqual({
      subjectId: S,
      category: 'debtor',
      dueAt: HELD_UNTIL,
      rule: `consent for marketing withdrawn; held until ${HELD_UNTIL} (litigation)`,
    });
    expect(run(state, { ...release, remaining: { 'debtor.name': 'Ann' } }, HELD_UNTIL)).toEqual([
      { type: 'PersonalDataErased', data: { category: 'debtor', field: 'email', reason: 'withdrawal' } },
      {
        type: 'CategoryRekeyed',
        data: {
          category: 'debtor',
          oldKeyIds: [keyIdFor(S, 'debtor', 1)],
          newKeyId: keyIdFor(S, 'debtor', 2),
          values: [{ field: 'name', value: { plain: 'Ann' } }],
          reason: 'withdrawal',
        },
      },
    ]);
  });
});
