import { describe, expect, it } from 'vitest';

import { closeCase, play, recordCase, runAt as run, S, T1 } from '../../testing/givenCases.js';
import { item } from '../../testing/givenSubject.js';
import { entryKeyIdFor } from '../state.js';
import type { Command } from './command.js';

// Erasing one field of one case (issue 23): the case's value goes and every past value of that field
// in the case becomes unreadable, by re-keying that case alone (its other values re-sealed under the
// case's next key) or shredding its key when nothing else of it is left. The debtor's own values and
// its other cases are not touched, so the cost is the case's values, whatever the history.

const T2 = '2027-03-01T09:00:00.000Z';
const caseKey = (entry: string, generation = 1) => entryKeyIdFor(S, 'debtor', entry, generation);
const erase = (entry: string | undefined, field = 'name', remaining: Record<string, unknown> = {}): Command => ({
  type: 'ErasePersonalData',
  category: 'debtor',
  field,
  reason: 'subjectRequest',
  remaining,
  ...(entry === undefined ? {} : { entry }),
});
const twoCases = (...more: [string, Command][]) =>
  play(
    [T1, recordCase('A', 'name', 'email')],
    [T1, { type: 'RecordPersonalData', items: [item('debtor', 'name', 'Own name')] }],
    [T2, recordCase('B', 'name')],
    ...more,
  );

describe('erasing one field of one case', () => {
  it('erases the case’s value and re-keys that case alone around its other values', () => {
    expect(run(twoCases(), erase('A', 'name', { email: 'a@example.com' }), T2)).toEqual([
      { type: 'PersonalDataErased', data: { category: 'debtor', field: 'name', reason: 'subjectRequest', entry: 'A' } },
      {
        type: 'CategoryRekeyed',
        data: {
          category: 'debtor',
          oldKeyIds: [caseKey('A')],
          newKeyId: caseKey('A', 2),
          values: [{ field: 'email', value: { plain: 'a@example.com' } }],
          entry: 'A',
        },
      },
    ]);
  });

  it('shreds the case’s key when the field was the case’s last value', () => {
    expect(run(twoCases(), erase('B'), T2)).toEqual([
      { type: 'PersonalDataErased', data: { category: 'debtor', field: 'name', reason: 'subjectRequest', entry: 'B' } },
      {
        type: 'CategoryShredded',
        data: { category: 'debtor', keyIds: [caseKey('B')], reason: 'fieldErasure', entry: 'B' },
      },
    ]);
  });

  it('folds into the case alone: field erased, key moved on, the other case and the own values unchanged', () => {
    const state = twoCases([T2, erase('A', 'name', { email: 'a@example.com' })]);
    const c = state.categories['debtor']!;
    expect(c.fields['name']!.value).toBe('sealed-Own name');
    expect(c.erasedFields).toBeUndefined();
    const a = c.entries!['A']!;
    expect([a.keyId, Object.keys(a.fields), a.erasedFields]).toEqual([
      caseKey('A', 2),
      ['email'],
      { name: { at: T2, reason: 'subjectRequest' } },
    ]);
    expect(a.fields['email']!.value).toBe('sealed-a@example.com');
    expect(c.entries!['B']!.keyId).toBe(caseKey('B'));
    // Recorded again, under the case's new key, the field is no longer erased.
    const again = twoCases([T2, erase('A', 'name', { email: 'a@example.com' })], [T2, recordCase('A', 'name')]);
    const e = again.categories['debtor']!.entries!['A']!;
    expect([e.fields['name']!.value, e.erasedFields]).toEqual(['sealed-name of A', {}]);
    expect(run(again, recordCase('A', 'phone'), T2)).toMatchObject([{ data: { keyId: caseKey('A', 2), entry: 'A' } }]);
  });

  it('keeps the case’s clock: the erasure changes nothing of when the case goes', () => {
    const state = twoCases([T2, closeCase('A')], [T2, erase('A', 'name', { email: 'a@example.com' })]);
    expect(state.categories['debtor']!.entries!['A']!.lifecycle).toEqual({ caseClosed: T2 });
  });
});

describe('erasing one field of a case refused, changing nothing', () => {
  const state = twoCases();
  const fails = (command: Command, code: string, path?: string) =>
    expect(() => run(state, command, T2)).toThrow(expect.objectContaining({ code, ...(path ? { path } : {}) }));

  it('refuses a case the debtor does not have, and a field the case does not hold', () => {
    fails(erase('C'), 'UNKNOWN_ENTRY', 'entry');
    fails(erase('B', 'email'), 'NOT_FOUND', 'field');
    fails(erase('a@b'), 'BAD_USER_INPUT', 'entry');
  });

  it('refuses a case in a category whose period does not run per case', () => {
    const accounting: Command = { ...erase('A'), category: 'accounting', field: 'iban' } as Command;
    fails(accounting, 'BAD_USER_INPUT', 'entry');
  });

  it('refuses without the case’s other values to carry over, the category’s own not taken for them', () => {
    fails(erase('A', 'name', { 'debtor.email': 'a@example.com' }), 'CONFLICT');
  });

  it('leaves the category’s own field alone when no case is named', () => {
    expect(run(state, erase(undefined), T2)).toMatchObject([
      { type: 'PersonalDataErased', data: { category: 'debtor', field: 'name' } },
      { type: 'CategoryShredded', data: { keyIds: [`${S}/debtor/1`], reason: 'fieldErasure' } },
    ]);
    expect(run(state, erase(undefined), T2)[0]!.data).not.toHaveProperty('entry');
  });
});
