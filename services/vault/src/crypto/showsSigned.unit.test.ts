import { describe, expect, it } from 'vitest';

import { showsSigned } from './showsSigned.js';

const signed = {
  subjectId: 's-1',
  erasedAt: '2026-03-01T00:00:00.000Z',
  categoriesRetained: [{ category: 'accounting', until: '2036-03-01' }],
  recipients: [{ recipient: 'crm', categories: ['contact'] }],
};

describe('showsSigned: a GraphQL answer against the document it shows beside its signature', () => {
  it('accepts the document itself, a selection of it, __typename added and null for a field it lacks', () => {
    expect(showsSigned(signed, signed)).toBe(true);
    expect(showsSigned(signed, { subjectId: 's-1', __typename: 'ErasureCertificate' })).toBe(true);
    expect(
      showsSigned(signed, {
        categoriesRetained: [{ category: 'accounting', entries: null, __typename: 'RetainedCategory' }],
      }),
    ).toBe(true);
  });

  it('refuses an altered value, a value for a field it lacks, and lists of another length or order', () => {
    expect(showsSigned(signed, { subjectId: 's-2' })).toBe(false);
    expect(showsSigned(signed, { categoriesRetained: [{ category: 'accounting', until: '2040-03-01' }] })).toBe(false);
    expect(showsSigned(signed, { legalHold: 'P1Y' })).toBe(false);
    expect(showsSigned(signed, { recipients: [] })).toBe(false);
    expect(showsSigned({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(showsSigned({ a: { b: 1 } }, { a: [{ b: 1 }] })).toBe(false);
    expect(showsSigned({ a: 1 }, { a: '1' })).toBe(false);
  });
});
