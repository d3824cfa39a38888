import { describe, expect, it } from 'vitest';

import { isVaultError } from './errors.js';
import { lookupForm, validateValue } from './values.js';

const refusal = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    if (isVaultError(e, 'BAD_USER_INPUT')) return e.message;
    throw e;
  }
  return undefined;
};

describe('validateValue', () => {
  it('normalises emails and phones to the form the blind index hashes', () => {
    expect(validateValue('email', '  Ann.Example@Example.COM ', 'v')).toBe('ann.example@example.com');
    expect(validateValue('phone', '0031 (20) 555-0199', 'v')).toBe('+31205550199');
    expect(lookupForm('email', ' A@B.org')).toBe('email:a@b.org');
    // A decomposed accent is the same address as a composed one.
    expect(validateValue('email', 'Jose\u0301@example.com', 'v')).toBe('jos\u00e9@example.com');
    expect(lookupForm('email', 'jose\u0301@example.com')).toBe(lookupForm('email', 'jos\u00e9@example.com'));
  });

  it.each([
    ['a lone high surrogate', 'string', 'Ann\uD800e'],
    ['a lone low surrogate', 'email', 'a\uDFFFb@example.com'],
    ['a lone surrogate in free text', 'freeText', 'note \uDC00'],
    ['a NUL', 'email', 'a\u0000b@example.com'],
    ['a NUL in a name', 'string', 'Ann\u0000'],
    ['an escape character', 'freeText', 'text \u001b[31m red'],
    ['a zero-width space in an email', 'email', 'a\u200Bb@example.com'],
    ['a bidi override in a phone', 'phone', '+31 20\u202E 555 0199'],
    ['a variation selector in an email', 'email', 'a\uFE0Fb@example.com'],
    ['a combining grapheme joiner in an email', 'email', 'a\u034Fb@example.com'],
  ] as const)('refuses %s with a message that names no value', (_what, type, value) => {
    const message = refusal(() => validateValue(type, value, 'items[0].value'));
    expect(message).toBeDefined();
    expect(message).not.toContain(value);
  });

  it('refuses a lone surrogate inside an address part, at that part', () => {
    try {
      validateValue('address', { street: 'Main St\uD800', city: 'Amsterdam' }, 'v');
      expect.unreachable();
    } catch (e) {
      expect(isVaultError(e, 'BAD_USER_INPUT') && e.path).toBe('v.street');
    }
  });

  it('keeps what real text holds: emoji (surrogate pairs), joiners in names, line breaks and tabs', () => {
    expect(validateValue('string', 'Zoë 👩‍👩‍👧', 'v')).toBe('Zoë 👩‍👩‍👧');
    expect(validateValue('string', 'می‌خواهم', 'v')).toBe('می‌خواهم');
    expect(validateValue('freeText', 'line one\nline two\ttabbed', 'v')).toBe('line one\nline two\ttabbed');
    expect(validateValue('string', 'c/o Smith\r\nFlat 2', 'v')).toBe('c/o Smith\r\nFlat 2');
  });
});
