import { describe, expect, it } from 'vitest';

import { text } from './inputs.js';

describe('free-text arguments', () => {
  it('are trimmed, and keep line breaks', () => {
    expect(text('  records in three systems\n(see ticket) ', 'reason')).toBe('records in three systems\n(see ticket)');
  });

  it.each([
    ['empty', '   '],
    ['too long', 'x'.repeat(501)],
    ['with a NUL', 'a\u0000b'],
    ['with a lone surrogate', 'a\uD800b'],
  ])('are refused when %s, with the path and without the text', (_what, value) => {
    expect(() => text(value, 'reason')).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', path: 'reason' }));
    try {
      text(value, 'reason');
    } catch (e) {
      if (value.trim()) expect((e as Error).message).not.toContain(value);
    }
  });
});
