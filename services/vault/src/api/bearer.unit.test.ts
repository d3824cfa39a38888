import { describe, expect, it } from 'vitest';

import { bearerToken } from './bearer.js';

describe('the bearer header', () => {
  it('gives the token of every spelling authentication accepts', () => {
    for (const h of [
      'Bearer abc.def.ghi',
      'bearer abc.def.ghi',
      'BEARER  abc.def.ghi',
      'Bearer\tabc.def.ghi ',
      'Bearer abc.def.ghi\t',
    ])
      expect(bearerToken(h)).toBe('abc.def.ghi');
  });

  it('gives nothing for another scheme, no token, or two tokens', () => {
    for (const h of [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      'Basic abc',
      'Bearerabc',
      'Bearer a b',
      ' Bearer abc',
      'Token abc',
    ])
      expect(bearerToken(h)).toBeUndefined();
  });
});
