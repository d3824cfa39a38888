import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { ErrorCodes, isConflictError, isVaultError, VaultError } from './errors.js';

describe('the error registry', () => {
  it('documents every code in docs/errors.md, and documents no code that does not exist', () => {
    // The first table; the second lists the codes of the GraphQL layer, not VaultError codes.
    const doc = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8').split(
      '\nThe GraphQL layer also answers',
    )[0]!;
    const documented = [...doc.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.filter((c) => c !== undefined && !(c in ErrorCodes))).toEqual([]);
    expect(Object.keys(ErrorCodes).filter((c) => !documented.includes(c))).toEqual([]);
  });

  it('matches errors by code, also across copies of the class', () => {
    const copy = Object.assign(new Error('x'), { code: 'CONFLICT' });
    expect(isVaultError(copy, 'CONFLICT')).toBe(true);
    expect(isVaultError(new VaultError('NOT_FOUND', 'y'), 'CONFLICT')).toBe(false);
    expect(isVaultError(Object.assign(new Error('z'), { code: 'ENOENT' }))).toBe(false);
  });

  it("retries only an append's concurrency conflict, not a CONFLICT a decision gives as its answer", () => {
    const append = new VaultError('CONFLICT', 'Stream s is at revision 3, expected 2', {
      details: { streamId: 's', currentRevision: 3, expectedRevision: 2 },
    });
    expect(isConflictError(append)).toBe(true);
    expect(
      isConflictError(new VaultError('CONFLICT', 'Request is already completed', { details: { requestId: 'r' } })),
    ).toBe(false);
    expect(isConflictError(new VaultError('NOT_FOUND', 'x', { details: { expectedRevision: 1 } }))).toBe(false);
  });
});
