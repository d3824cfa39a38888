import { describe, expect, it } from 'vitest';

import { ACTOR, given, item, register as fixture, registered, S } from '../../testing/givenSubject.js';
import type { DomainEvent, Sealed } from '../events.js';
import type { ProcessingRegister } from '../register.js';
import { entryEnds, holdsOf, retentionOf } from '../retention.js';
import { decide, evolve, initialState, type SubjectState } from '../subject.js';
import { addIsoDuration } from '../time.js';
import type { Command } from './command.js';

// Retention that runs from an entry's own lifecycle event (issue 23, case 5): a debtor's data is
// tied to the debt-collection case it came with and goes 3 years after *that* case closes. Two
// cases of one debtor closing years apart are kept, and become due, each on its own clock.

const debtor = structuredClone(fixture.categories['contact']!);
debtor.name = 'debtor';
debtor.retention = { ...debtor.retention, duration: 'P3Y', trigger: { kind: 'lifecycle', event: 'caseClosed' } };
const register: ProcessingRegister = { ...fixture, categories: { ...fixture.categories, debtor } };

const T1 = '2026-01-10T10:00:00.000Z';
const T2 = '2027-03-01T09:00:00.000Z';
const CLOSED_A = '2028-05-01T00:00:00.000Z';
const CLOSED_B = '2033-09-15T00:00:00.000Z';
const endA = addIsoDuration(CLOSED_A, 'P3Y');
const endB = addIsoDuration(CLOSED_B, 'P3Y');
const day = (iso: string, days: number) => new Date(Date.parse(iso) + days * 86_400_000).toISOString();

/** Decides a command at `now` on a copy of the state, with the debtor register. */
const run = (state: SubjectState, command: Command, now: string) =>
  decide(structuredClone(state), command, { register, now, actor: ACTOR });

/** Decides and folds each step at its own time, as the command side does. */
function play(...steps: [string, Command][]): SubjectState {
  let state = evolve(initialState(S), { ...registered, id: 'e0', at: T1 });
  let n = 1;
  for (const [at, command] of steps) {
    const events = run(state, command, at);
    const sealed = events.map((e) => sealedForm(e));
    state = sealed.reduce<SubjectState>((s, e) => evolve(s, { ...e, id: `e${n++}`, at }), state);
  }
  return state;
}

/** Values stand in as their plain form, as the fixture's events do. */
function sealedForm(e: ReturnType<typeof run>[number]): DomainEvent<Sealed> {
  return JSON.parse(JSON.stringify(e, (_k, v: unknown) => (isPlain(v) ? `sealed-${String(v.plain)}` : v))) as never;
}
const isPlain = (v: unknown): v is { plain: unknown } =>
  typeof v === 'object' && v !== null && Object.keys(v).length === 1 && 'plain' in v;

const debtorItem = (entry: string, value: string) => ({ ...item('debtor', 'name', value), entry });
const record = (entry: string, value: string): Command => ({
  type: 'RecordPersonalData',
  items: [debtorItem(entry, value)],
});
const close = (entry: string): Command => ({ type: 'RecordLifecycleEvent', event: 'caseClosed', entry });
const sweep: Command = { type: 'ApplyRetention', category: 'debtor' };

/** Two cases of one debtor: A recorded at T1 and closed at CLOSED_A, B recorded at T2 and closed at CLOSED_B. */
const twoCases = (...more: [string, Command][]) =>
  play([T1, record('case-A', 'Ann A')], [T2, record('case-B', 'Ann B')], [CLOSED_A, close('case-A')], ...more);

describe('retention per case (an entry’s own lifecycle event)', () => {
  it('keeps the same field of two cases as two values, each under its own key', () => {
    const state = play([T1, record('case-A', 'Ann A')], [T2, record('case-B', 'Ann B')]);
    const entries = state.categories['debtor']!.entries!;
    expect(entries['case-A']!.fields['name']!.value).toBe('sealed-Ann A');
    expect(entries['case-B']!.fields['name']!.value).toBe('sealed-Ann B');
    expect(entries['case-A']!.keyId).toBe(`${S}/debtor~case-A/1`);
    expect(entries['case-B']!.keyId).toBe(`${S}/debtor~case-B/1`);
    expect(state.categories['debtor']!.fields).toEqual({});
  });

  it('starts only the closed case’s clock: the category is due when case A’s period ends', () => {
    const state = twoCases();
    expect(state.lifecycle).toEqual({});
    expect(retentionOf(state, register, holdsOf(state, register))).toEqual([
      { subjectId: S, category: 'debtor', dueAt: endA, rule: 'P3Y after caseClosed (entry case-A)' },
    ]);
    expect(entryEnds(state, register, 'debtor').map((e) => [e.entry, e.at])).toEqual([
      ['case-A', endA],
      ['case-B', 'open'],
    ]);
  });

  it('shreds case A’s key alone when its period ends, and keeps case B until 3 years after B closes', () => {
    const state = twoCases();
    expect(run(state, sweep, day(endA, -1))).toEqual([]);
    expect(run(state, sweep, day(endA, 1))).toEqual([
      {
        type: 'CategoryShredded',
        data: {
          category: 'debtor',
          keyIds: [`${S}/debtor~case-A/1`],
          reason: 'retention',
          rule: 'P3Y after caseClosed (entry case-A)',
          entry: 'case-A',
        },
      },
    ]);
    const afterA = twoCases([day(endA, 1), sweep]);
    const c = afterA.categories['debtor']!;
    expect(c.entries!['case-A']!.shredded).toMatchObject({ reason: 'retention' });
    expect(c.entries!['case-B']!.fields['name']!.value).toBe('sealed-Ann B');
    expect(c.shredded).toBeNull();
    // Case B's case is still open: nothing is due.
    expect(retentionOf(afterA, register, holdsOf(afterA, register))).toEqual([]);

    const closedB = twoCases([day(endA, 1), sweep], [CLOSED_B, close('case-B')]);
    expect(retentionOf(closedB, register, holdsOf(closedB, register))).toEqual([
      { subjectId: S, category: 'debtor', dueAt: endB, rule: 'P3Y after caseClosed (entry case-B)' },
    ]);
    expect(run(closedB, sweep, day(endB, -1))).toEqual([]);
    expect(run(closedB, sweep, day(endB, 1))).toMatchObject([
      { type: 'CategoryShredded', data: { keyIds: [`${S}/debtor~case-B/1`], entry: 'case-B' } },
    ]);
  });

  it('records a case again under a new key after its key was shredded', () => {
    const state = twoCases([day(endA, 1), sweep], [day(endA, 2), record('case-A', 'Ann again')]);
    expect(state.categories['debtor']!.entries!['case-A']).toMatchObject({
      keyId: `${S}/debtor~case-A/2`,
      shredded: null,
      lifecycle: {},
    });
  });

  it('behaves as before for a lifecycle event without an entry: the whole category with its cases', () => {
    const state = play(
      [T1, record('case-A', 'Ann A')],
      [T1, { type: 'RecordPersonalData', items: [item('debtor', 'phone', '+31201234567')] }],
      [CLOSED_A, { type: 'RecordLifecycleEvent', event: 'caseClosed' }],
    );
    expect(retentionOf(state, register, holdsOf(state, register))).toEqual([
      { subjectId: S, category: 'debtor', dueAt: endA, rule: 'P3Y after caseClosed' },
    ]);
    expect(run(state, sweep, day(endA, 1))).toEqual([
      {
        type: 'CategoryShredded',
        data: {
          category: 'debtor',
          keyIds: [`${S}/debtor/1`, `${S}/debtor~case-A/1`],
          reason: 'retention',
          rule: 'P3Y after caseClosed',
        },
      },
    ]);
  });

  it('waits for a DPO hold on the category before a case goes, and states each case’s end', () => {
    const until = day(endA, 90);
    const hold: Command = { type: 'PlaceLegalHold', category: 'debtor', basis: 'litigation', until };
    const state = twoCases([CLOSED_A, hold]);
    expect(entryEnds(state, register, 'debtor')).toEqual([
      {
        entry: 'case-A',
        at: until,
        rule: `P3Y after caseClosed (entry case-A); held until ${until} (litigation)`,
        reason: 'retention',
      },
      { entry: 'case-B', at: 'open', rule: 'P3Y after caseClosed (entry case-B)', reason: 'retention' },
    ]);
    expect(run(state, sweep, day(endA, 1))).toEqual([]);
    expect(run(state, sweep, day(until, 1))).toMatchObject([{ data: { entry: 'case-A' } }]);
  });

  it('erases every case with the subject, and a held category’s certificate names each case’s values', () => {
    const erase: Command = { type: 'EraseSubject', reason: 'subjectRequest' };
    const state = twoCases();
    const [shred] = run(state, erase, day(CLOSED_A, 1));
    expect(shred).toMatchObject({
      type: 'CategoryShredded',
      data: { category: 'debtor', keyIds: [`${S}/debtor~case-A/1`, `${S}/debtor~case-B/1`], reason: 'erasure' },
    });
    const until = day(CLOSED_A, 400);
    const held = twoCases([CLOSED_A, { type: 'PlaceLegalHold', category: 'debtor', basis: 'litigation', until }]);
    const erased = run(held, erase, day(CLOSED_A, 1)).find((e) => e.type === 'SubjectErased');
    expect(erased?.data).toMatchObject({
      retained: [
        {
          category: 'debtor',
          basis: 'litigation',
          until,
          entries: [
            { field: 'name', until, entry: 'case-A' },
            { field: 'name', until, entry: 'case-B' },
          ],
        },
      ],
    });
  });
});

describe('entries refused, changing nothing', () => {
  const state = () => given(registered, ...twoCasesEvents());
  /** The two cases as plain events, for given/when/then. */
  function twoCasesEvents(): DomainEvent<Sealed>[] {
    return [T1, T2].map((_, i) => ({
      type: 'PersonalDataRecorded',
      data: {
        ...debtorItem(i === 0 ? 'case-A' : 'case-B', 'x'),
        value: 'sealed',
        keyId: `${S}/debtor~case-${i === 0 ? 'A' : 'B'}/1`,
        purpose: 'contract',
        legalBasis: 'contract',
        source: 'subject',
      },
    }));
  }

  it('refuses a lifecycle event for an entry the subject does not have', () => {
    state().when(close('case-C'), CLOSED_A, undefined, register).thenFails('UNKNOWN_ENTRY', 'entry');
  });

  it('refuses a lifecycle event for an entry whose key was already shredded', () => {
    const shredded = twoCases([day(endA, 1), sweep]);
    expect(() => run(shredded, close('case-A'), day(endA, 2))).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_ENTRY' }),
    );
  });

  it('refuses an entry for an event no category runs per entry from', () => {
    const audited = { ...register, lifecycleEvents: [...register.lifecycleEvents, 'audited'] };
    state()
      .when({ type: 'RecordLifecycleEvent', event: 'audited', entry: 'case-A' }, CLOSED_A, undefined, audited)
      .thenFails('BAD_USER_INPUT', 'entry');
  });

  it('refuses a malformed entry id, and an entry in a category whose period does not run per entry', () => {
    state().when(close('case A@x'), CLOSED_A, undefined, register).thenFails('BAD_USER_INPUT', 'entry');
    state().when(record('ann@example.com', 'x'), T2, undefined, register).thenFails('BAD_USER_INPUT', 'items[0].entry');
    state()
      .when(
        { type: 'RecordPersonalData', items: [{ ...item('accounting', 'iban', 'DE00', 'billing'), entry: 'inv-1' }] },
        T2,
        undefined,
        register,
      )
      .thenFails('BAD_USER_INPUT', 'items[0].entry');
  });

  it('refuses the same field of one entry twice in one command, and accepts it for two entries', () => {
    const twice: Command = {
      type: 'RecordPersonalData',
      items: [debtorItem('case-C', 'a'), debtorItem('case-C', 'b')],
    };
    state().when(twice, T2, undefined, register).thenFails('BAD_USER_INPUT', 'items[1].field');
    const two: Command = { type: 'RecordPersonalData', items: [debtorItem('case-C', 'a'), debtorItem('case-D', 'b')] };
    expect(state().when(two, T2, undefined, register).events()).toHaveLength(2);
  });

  it('refuses a service’s write over a case’s value another purpose holds, whatever the category’s own value', () => {
    const write: Command = {
      type: 'RecordPersonalData',
      items: [{ ...debtorItem('case-A', 'x'), purpose: 'billing' }],
      // The category's own value, as the command side opens it: never taken for the case's.
      current: { 'debtor.name': 'x' },
    };
    state()
      .when(write, T2, { role: 'service', purposes: ['billing'] }, register)
      .thenFails('VALUE_HELD', 'items[0].value');
  });
});
