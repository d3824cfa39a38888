import { describe, expect, it } from 'vitest';

import { caseRegister as register, day, play, runAt as run, S, T1 } from '../../testing/givenCases.js';
import { item } from '../../testing/givenSubject.js';
import { entryEnds, holdsOf, retentionOf } from '../retention.js';
import { entryKeyIdFor } from '../state.js';
import { addIsoDuration } from '../time.js';
import type { Command } from './command.js';

// Entries of a category a law keeps after erasure (issue 23; `erasure: keep`): due-diligence records
// kept per business relationship, 5 years after *that* relationship ended, an erasure request or
// not (anti-money-laundering law). Each relationship's records have a key of their own and the law's
// hold of their own, from their own end: an erasure keeps them until then, and the sweep shreds each
// relationship's key alone when its period is over.

const LAW = 'AML law: 5 years after the relationship ended';
const T2 = '2027-03-01T09:00:00.000Z';
const ENDED = '2028-05-01T00:00:00.000Z';
const KEPT_UNTIL = '2033-05-01T00:00:00.000Z';
const key = (entry: string, generation = 1) => entryKeyIdFor(S, 'dueDiligence', entry, generation);
const checked = (entry: string): Command => ({
  type: 'RecordPersonalData',
  items: [
    { ...item('dueDiligence', 'document', `passport for ${entry}`, 'contract', 'legalObligation'), entry },
    { ...item('dueDiligence', 'risk', 'low', 'contract', 'legalObligation'), entry },
  ],
});
const ended = (entry: string): Command => ({ type: 'RecordLifecycleEvent', event: 'relationshipEnded', entry });
const sweep: Command = { type: 'ApplyRetention', category: 'dueDiligence' };
const erase: Command = { type: 'EraseSubject', reason: 'subjectRequest' };
/** Two relationships, R-1 from T1 ended at ENDED, R-2 from T2 still running. */
const two = (...more: [string, Command][]) =>
  play([T1, checked('R-1')], [T2, checked('R-2')], [ENDED, ended('R-1')], ...more);

describe('entries of a category the law keeps after erasure', () => {
  it('takes an entry id, each relationship’s records under a key of their own', () => {
    expect(run(play(), checked('R-1'), T1)).toMatchObject([
      { type: 'PersonalDataRecorded', data: { field: 'document', keyId: key('R-1'), entry: 'R-1' } },
      { type: 'PersonalDataRecorded', data: { field: 'risk', keyId: key('R-1'), entry: 'R-1' } },
    ]);
  });

  it('starts the ended relationship’s clock alone, and states the law’s hold of each relationship', () => {
    const state = two();
    expect(state.lifecycle).toEqual({});
    expect(state.categories['dueDiligence']!.entries!['R-1']!.lifecycle).toEqual({ relationshipEnded: ENDED });
    expect(holdsOf(state, register)).toEqual([
      { subjectId: S, category: 'dueDiligence', entry: 'R-1', basis: LAW, until: KEPT_UNTIL, source: 'register' },
      { subjectId: S, category: 'dueDiligence', entry: 'R-2', basis: LAW, until: 'open', source: 'register' },
    ]);
    expect(retentionOf(state, register, holdsOf(state, register))).toEqual([
      {
        subjectId: S,
        category: 'dueDiligence',
        dueAt: KEPT_UNTIL,
        rule: 'P5Y after relationshipEnded (entry R-1)',
      },
    ]);
  });

  it('shreds the ended relationship’s key alone when its period is over, the running one staying', () => {
    expect(run(two(), sweep, day(KEPT_UNTIL, -1))).toEqual([]);
    expect(run(two(), sweep, day(KEPT_UNTIL, 1))).toEqual([
      {
        type: 'CategoryShredded',
        data: {
          category: 'dueDiligence',
          keyIds: [key('R-1')],
          reason: 'retention',
          rule: 'P5Y after relationshipEnded (entry R-1)',
          entry: 'R-1',
        },
      },
    ]);
  });

  it('keeps every relationship through an erasure, each until the law’s period of its own ends', () => {
    const events = run(two(), erase, day(ENDED, 1));
    expect(events).toEqual([
      {
        type: 'SubjectErased',
        data: {
          reason: 'subjectRequest',
          shredded: [],
          retained: [
            {
              category: 'dueDiligence',
              basis: LAW,
              until: 'open',
              entries: [
                { field: 'document', until: KEPT_UNTIL, entry: 'R-1' },
                { field: 'risk', until: KEPT_UNTIL, entry: 'R-1' },
                { field: 'document', until: 'open', entry: 'R-2' },
                { field: 'risk', until: 'open', entry: 'R-2' },
              ],
            },
          ],
        },
      },
    ]);
    const erased = two([day(ENDED, 1), erase]);
    expect(entryEnds(erased, register, 'dueDiligence')).toEqual([
      {
        entry: 'R-1',
        at: KEPT_UNTIL,
        rule: `erased by request (entry R-1); held until ${KEPT_UNTIL} (${LAW})`,
        reason: 'erasure',
      },
      { entry: 'R-2', at: 'open', rule: 'erased by request (entry R-2)', reason: 'erasure' },
    ]);
    expect(run(erased, sweep, day(KEPT_UNTIL, 1))).toMatchObject([
      { type: 'CategoryShredded', data: { keyIds: [key('R-1')], entry: 'R-1', reason: 'erasure' } },
    ]);
    // The running relationship ends later: kept 5 years from then, then shredded for the erasure.
    const later = two([day(ENDED, 1), erase], [day(ENDED, 400), ended('R-2')]);
    expect(run(later, sweep, day(ENDED, 400))).toEqual([]);
    expect(entryEnds(later, register, 'dueDiligence').find((e) => e.entry === 'R-2')).toMatchObject({
      at: addIsoDuration(day(ENDED, 400), 'P5Y'),
      reason: 'erasure',
    });
  });

  it('refuses to erase a field of a relationship the law keeps', () => {
    const command: Command = {
      type: 'ErasePersonalData',
      category: 'dueDiligence',
      field: 'risk',
      reason: 'subjectRequest',
      remaining: {},
      entry: 'R-1',
    };
    expect(() => run(two(), command, day(ENDED, 1))).toThrow(expect.objectContaining({ code: 'CATEGORY_HELD' }));
  });
});
