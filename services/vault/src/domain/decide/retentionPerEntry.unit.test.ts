import { describe, expect, it } from 'vitest';

import { ACTOR, recorded, register, S } from '../../testing/givenSubject.js';
import type { DomainEvent, Sealed } from '../events.js';
import { holdOn, holdsOf, retentionOf } from '../retention.js';
import { decide, evolve, initialState, keyIdFor, type SubjectState } from '../subject.js';
import { addIsoDuration } from '../time.js';

// Retention that runs from recording runs per entry (issue 23, case 1): two invoices recorded
// years apart are kept 10 years each, not both until 10 years after the first.

const T1 = '2026-01-10T10:00:00.000Z';
const T2 = '2029-06-01T09:00:00.000Z';
const day = (iso: string, days: number) => new Date(Date.parse(iso) + days * 86_400_000).toISOString();

/** Folds events, each at its own time. */
function history(...events: [string, DomainEvent<Sealed>][]): SubjectState {
  return events.reduce<SubjectState>((s, [at, e], i) => evolve(s, { ...e, id: `e${i}`, at }), initialState(S));
}
const registered: DomainEvent<Sealed> = { type: 'SubjectRegistered', data: { subjectId: S } };
const run = (state: SubjectState, now: string, remaining?: Record<string, unknown>) =>
  decide(
    structuredClone(state),
    { type: 'ApplyRetention', category: 'accounting', ...(remaining ? { remaining } : {}) },
    { register, now, actor: ACTOR },
  );

/** Invoice A's IBAN recorded at T1; at T2 a second invoice's total (and the IBAN again, unchanged field). */
const twoInvoices = () =>
  history(
    [T1, registered],
    [T1, recorded('accounting', 'iban', 1, 'billing')],
    [T1, recorded('accounting', 'invoiceTotal', 1, 'billing')],
    [T2, recorded('accounting', 'invoiceTotal', 1, 'billing')],
  );
const firstEnds = addIsoDuration(T1, 'P10Y');
const secondEnds = addIsoDuration(T2, 'P10Y');

describe('retention per entry', () => {
  it('is due when the oldest entry’s period ends, not when the category’s first or last does', () => {
    const state = twoInvoices();
    expect(retentionOf(state, register, holdsOf(state, register))).toEqual([
      { subjectId: S, category: 'accounting', dueAt: firstEnds, rule: 'P10Y after recorded (each entry)' },
    ]);
    expect(run(state, day(firstEnds, -1))).toEqual([]);
  });

  it('drops the entries whose period ended and carries the others to a new key, shredding the old one', () => {
    const events = run(twoInvoices(), day(firstEnds, 1), { invoiceTotal: 1250 });
    expect(events).toEqual([
      { type: 'PersonalDataErased', data: { category: 'accounting', field: 'iban', reason: 'retention' } },
      {
        type: 'CategoryRekeyed',
        data: {
          category: 'accounting',
          oldKeyIds: [keyIdFor(S, 'accounting', 1)],
          newKeyId: keyIdFor(S, 'accounting', 2),
          values: [{ field: 'invoiceTotal', value: { plain: 1250 } }],
          reason: 'retention',
        },
      },
    ]);
  });

  it('refuses to re-key without the values to carry over, changing nothing', () => {
    expect(() => run(twoInvoices(), day(firstEnds, 1))).toThrow(/invoiceTotal/);
    expect(() => run(twoInvoices(), day(firstEnds, 1), { iban: 'DE00' })).toThrow(/not supplied/);
  });

  it('after the re-key, is next due from the carried entry’s own recording, then shreds the category', () => {
    const rekeyed = history(
      [T1, registered],
      [T1, recorded('accounting', 'iban', 1, 'billing')],
      [T1, recorded('accounting', 'invoiceTotal', 1, 'billing')],
      [T2, recorded('accounting', 'invoiceTotal', 1, 'billing')],
      [
        day(firstEnds, 1),
        { type: 'PersonalDataErased', data: { category: 'accounting', field: 'iban', reason: 'retention' } },
      ],
      [
        day(firstEnds, 1),
        {
          type: 'CategoryRekeyed',
          data: {
            category: 'accounting',
            oldKeyIds: [keyIdFor(S, 'accounting', 1)],
            newKeyId: keyIdFor(S, 'accounting', 2),
            values: [{ field: 'invoiceTotal', value: 'resealed' }],
          },
        },
      ],
    );
    expect(rekeyed.categories['accounting']?.keySince).toBe(T2);
    expect(retentionOf(rekeyed, register, holdsOf(rekeyed, register))).toEqual([
      { subjectId: S, category: 'accounting', dueAt: secondEnds, rule: 'P10Y after recorded' },
    ]);
    expect(run(rekeyed, day(secondEnds, -1))).toEqual([]);
    expect(run(rekeyed, day(secondEnds, 1))).toEqual([
      {
        type: 'CategoryShredded',
        data: {
          category: 'accounting',
          keyIds: [keyIdFor(S, 'accounting', 2)],
          reason: 'retention',
          rule: 'P10Y after recorded',
        },
      },
    ]);
  });

  it('keeps an erased subject’s accounting until its newest entry’s legal period ends, the older going first', () => {
    const erasedAt = '2030-03-01T00:00:00.000Z';
    const state = history(
      [T1, registered],
      [T1, recorded('accounting', 'iban', 1, 'billing')],
      [T2, recorded('accounting', 'invoiceTotal', 1, 'billing')],
      [
        erasedAt,
        {
          type: 'SubjectErased',
          data: {
            reason: 'subjectRequest',
            shredded: [],
            retained: [{ category: 'accounting', basis: 'Bookkeeping law: 10 years', until: secondEnds }],
          },
        },
      ],
    );
    expect(holdOn(state, register.categories['accounting'], 'accounting', erasedAt)).toMatchObject({
      until: secondEnds,
    });
    expect(retentionOf(state, register, holdsOf(state, register))).toEqual([
      { subjectId: S, category: 'accounting', dueAt: firstEnds, rule: 'P10Y after recorded (each entry)' },
    ]);
    expect(run(state, day(firstEnds, 1), { invoiceTotal: 99 }).map((e) => e.type)).toEqual([
      'PersonalDataErased',
      'CategoryRekeyed',
    ]);
  });

  it('waits for a DPO hold before any entry goes', () => {
    const held = history(
      [T1, registered],
      [T1, recorded('accounting', 'iban', 1, 'billing')],
      [T2, recorded('accounting', 'invoiceTotal', 1, 'billing')],
      [
        T2,
        { type: 'LegalHoldPlaced', data: { category: 'accounting', basis: 'litigation', until: day(firstEnds, 30) } },
      ],
    );
    const [row] = retentionOf(held, register, holdsOf(held, register));
    expect(row?.dueAt).toBe(day(firstEnds, 30));
    expect(run(held, day(firstEnds, 1), { invoiceTotal: 1 })).toEqual([]);
    expect(run(held, day(firstEnds, 31), { invoiceTotal: 1 }).map((e) => e.type)).toEqual([
      'PersonalDataErased',
      'CategoryRekeyed',
    ]);
  });

  it('leaves a category of one entry to the usual shred', () => {
    const one = history([T1, registered], [T1, recorded('callRecordings', 'recording')]);
    const due = addIsoDuration(T1, 'P30D');
    expect(retentionOf(one, register, holdsOf(one, register))).toEqual([
      { subjectId: S, category: 'callRecordings', dueAt: due, rule: 'P30D after recorded' },
    ]);
  });
});
