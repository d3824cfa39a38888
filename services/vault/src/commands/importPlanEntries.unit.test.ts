import { describe, expect, it } from 'vitest';

import { isVaultError } from '../domain/errors.js';
import { caseRegister } from '../testing/givenCases.js';
import { planImport } from './importPlan.js';

// Bulk import of values that belong to an entry (issue 23): a debtor's data as a collection system
// holds it, per debt-collection case, with each case's closure. Checked as the API checks it.

const NOW = '2026-12-06T12:00:00.000Z';
const debtorField = (field: string, value: string, at: string, entry?: unknown) => ({
  category: 'debtor',
  field,
  value,
  purpose: 'contract',
  legalBasis: 'contract',
  source: 'subject',
  collectedAt: at,
  ...(entry === undefined ? {} : { entry }),
});
const plan = (line: object) => planImport(JSON.stringify(line), caseRegister, () => 'subject-1', NOW);

function refusal(line: object): { code: string; path: string | undefined } {
  try {
    plan(line);
  } catch (e) {
    if (isVaultError(e)) return { code: e.code, path: e.path };
    throw e;
  }
  throw new Error('the line was accepted');
}

describe('importing the values of cases', () => {
  it('records each case’s values under the case, and closes each case on its own', () => {
    const p = plan({
      externalId: 'debtor-1',
      fields: [
        debtorField('name', 'Ann A', '2021-01-01T00:00:00Z', 'A-1'),
        debtorField('name', 'Ann B', '2022-01-01T00:00:00Z', 'B-2'),
        debtorField('email', 'ann@example.com', '2021-01-01T00:00:00Z'),
      ],
      lifecycle: [{ event: 'caseClosed', at: '2023-01-01T00:00:00Z', entry: 'A-1' }],
    });
    const events = p.steps.flatMap((s) => s.events.map((e) => ({ at: s.at, type: e.type, data: e.data })));
    expect(events.filter((e) => e.type === 'PersonalDataRecorded').map((e) => e.data)).toMatchObject([
      { field: 'name', entry: 'A-1', keyId: 'subject-1/debtor~A-1/1' },
      { field: 'email', keyId: 'subject-1/debtor/1' },
      { field: 'name', entry: 'B-2', keyId: 'subject-1/debtor~B-2/1' },
    ]);
    expect(events.find((e) => e.type === 'LifecycleEventRecorded')).toEqual({
      at: '2023-01-01T00:00:00.000Z',
      type: 'LifecycleEventRecorded',
      data: { event: 'caseClosed', categories: ['debtor'], entry: 'A-1' },
    });
    expect(p.fields).toBe(3);
  });

  it('takes the same field of two cases as two values, and refuses it twice in one case', () => {
    const at = '2021-01-01T00:00:00Z';
    expect(() =>
      plan({ externalId: 'x', fields: [debtorField('name', 'a', at, 'A-1'), debtorField('name', 'b', at, 'B-2')] }),
    ).not.toThrow();
    expect(
      refusal({ externalId: 'x', fields: [debtorField('name', 'a', at, 'A-1'), debtorField('name', 'b', at, 'A-1')] }),
    ).toEqual({ code: 'BAD_USER_INPUT', path: 'fields[1]' });
  });

  it('refuses what the API refuses, naming the path in the line and never the id', () => {
    const at = '2021-01-01T00:00:00Z';
    expect(refusal({ externalId: 'x', fields: [debtorField('name', 'a', at, 'a@b.example')] })).toEqual({
      code: 'BAD_USER_INPUT',
      path: 'fields[0].entry',
    });
    expect(refusal({ externalId: 'x', fields: [debtorField('name', 'a', at, 42)] })).toEqual({
      code: 'BAD_USER_INPUT',
      path: 'fields[0].entry',
    });
    const invoice = { ...debtorField('iban', 'NL00', at, 'INV-1'), category: 'accounting', purpose: 'billing' };
    expect(refusal({ externalId: 'x', fields: [invoice] })).toEqual({
      code: 'BAD_USER_INPUT',
      path: 'fields[0].entry',
    });
  });

  it('refuses a case closed before any of its values was collected, or never collected', () => {
    const fields = [debtorField('name', 'a', '2022-01-01T00:00:00Z', 'A-1')];
    for (const entry of ['A-1', 'C-3'])
      expect(
        refusal({ externalId: 'x', fields, lifecycle: [{ event: 'caseClosed', at: '2021-06-01T00:00:00Z', entry }] }),
      ).toEqual({ code: 'UNKNOWN_ENTRY', path: 'lifecycle[0].entry' });
    expect(
      refusal({ externalId: 'x', fields, lifecycle: [{ event: 'caseClosed', at: '2023-01-01T00:00:00Z', entry: 7 }] }),
    ).toEqual({ code: 'BAD_USER_INPUT', path: 'lifecycle[0].entry' });
  });
});
