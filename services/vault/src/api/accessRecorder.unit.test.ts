import { describe, expect, it } from 'vitest';

import { subjectDisclosures } from './accessRecorder.js';

const seen = { actor: 'service:crm', purpose: 'billing', subjectId: 's1', at: '2026-01-01T00:00:00.000Z' };
const item = (status: 'VALUE' | 'DENIED' | 'ERASED', category: string) => ({ status, category });

describe('subjectDisclosures', () => {
  it('records a read of values once, under its purpose, with the categories whose values it shows', () => {
    expect(
      subjectDisclosures(seen, [item('VALUE', 'contact'), item('VALUE', 'contact'), item('VALUE', 'accounting')]),
    ).toEqual([{ ...seen, categories: ['contact', 'accounting'] }]);
  });

  it('records what it shows only the shape of under the metadata marker, apart from the values', () => {
    expect(
      subjectDisclosures(seen, [
        item('VALUE', 'contact'),
        item('DENIED', 'accounting'),
        item('ERASED', 'callRecordings'),
      ]),
    ).toEqual([
      { ...seen, categories: ['contact'] },
      { ...seen, purpose: 'metadata:billing', categories: ['accounting', 'callRecordings'] },
    ]);
  });

  it('counts a category with one value among denied or erased fields as read, not as shape only', () => {
    expect(subjectDisclosures(seen, [item('ERASED', 'contact'), item('VALUE', 'contact')])).toEqual([
      { ...seen, categories: ['contact'] },
    ]);
  });

  it('records a subject shown without items, or with none, under the marker with no category', () => {
    expect(subjectDisclosures(seen)).toEqual([{ ...seen, purpose: 'metadata:billing', categories: [] }]);
    expect(subjectDisclosures(seen, [])).toEqual([{ ...seen, purpose: 'metadata:billing', categories: [] }]);
  });
});
