import { Writable } from 'node:stream';
import { GraphQLError } from 'graphql';
import { describe, expect, it, vi } from 'vitest';
import { VaultError, badInput } from '../domain/errors.js';
import { createFormatError, scrubValues } from './formatError.js';
import { createLogger } from './logger.js';

const logger = { error: vi.fn() };
const format = createFormatError(logger);
const wrapped = (original: unknown) => new GraphQLError('x', { originalError: original as Error, path: ['f'] });

describe('formatError', () => {
  it('maps vault codes to client codes, with the input path', () => {
    expect(format({ message: 'x', path: ['f'] }, wrapped(badInput('Malformed email address', 'items[0].value')))).toEqual({
      path: ['f'],
      message: 'Malformed email address',
      extensions: { code: 'BAD_USER_INPUT', path: 'items[0].value' },
    });
    expect(format({ message: 'x' }, wrapped(new VaultError('SUBJECT_ERASED', 'Subject was erased'))).extensions).toEqual({ code: 'CONFLICT', reason: 'SUBJECT_ERASED' });
  });

  it('masks everything else, logging only the error type and where it happened', () => {
    const lines: string[] = [];
    const real = createFormatError(createLogger({ level: 'info', destination: new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) }) }));
    const out = real({ message: 'secret ann@example.com', path: ['f'], extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at x'] } }, wrapped(new TypeError('secret ann@example.com')));
    expect(out).toEqual({ path: ['f'], message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'internal error', err: { type: 'TypeError' }, path: ['f'] });
    expect(lines[0]).not.toContain('ann@');
    expect(lines[0]).not.toContain('stack');
    expect(format({ message: 'x' }, wrapped(new VaultError('CIPHERTEXT_INVALID', 'bad'))).extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
  });

  it('cuts values out of GraphQL coercion and validation messages', () => {
    expect(scrubValues('Variable "$items" got invalid value "ann@example.com" at "items[0].value"; String cannot represent a non string value')).toBe(
      'Variable "$items" got an invalid value at "items[0].value"',
    );
    expect(scrubValues('Expected value of type "String!", found 12345678.')).not.toContain('12345678');
    expect(scrubValues('String cannot represent a non string value: {secret: 1}')).not.toContain('secret');
  });
});
