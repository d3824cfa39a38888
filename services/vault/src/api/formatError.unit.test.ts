import { Writable } from 'node:stream';

import { GraphQLError } from 'graphql';
import { describe, expect, it, vi } from 'vitest';

import { badInput, VaultError } from '../domain/errors.js';
import { createLogger } from '../support/logger.js';
import { createFormatError, scrubValues } from './formatError.js';

const logger = { error: vi.fn() };
const format = createFormatError(logger);
const wrapped = (original: unknown) => new GraphQLError('x', { originalError: original as Error, path: ['f'] });

describe('formatError', () => {
  it('maps vault codes to client codes, with the input path', () => {
    expect(
      format({ message: 'x', path: ['f'] }, wrapped(badInput('Malformed email address', 'items[0].value'))),
    ).toEqual({
      path: ['f'],
      message: 'Malformed email address',
      extensions: { code: 'BAD_USER_INPUT', path: 'items[0].value' },
    });
    expect(
      format({ message: 'x' }, wrapped(new VaultError('SUBJECT_ERASED', 'Subject was erased'))).extensions,
    ).toEqual({ code: 'CONFLICT', reason: 'SUBJECT_ERASED' });
  });

  it('masks everything else, logging only the error type and where it happened', () => {
    const lines: string[] = [];
    const real = createFormatError(
      createLogger({
        level: 'info',
        destination: new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) }),
      }),
    );
    const out = real(
      {
        message: 'secret ann@example.com',
        path: ['f'],
        extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at x'] },
      },
      wrapped(new TypeError('secret ann@example.com')),
    );
    expect(out).toEqual({
      path: ['f'],
      message: 'Internal server error',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'internal error', err: { type: 'TypeError' }, path: ['f'] });
    expect(lines[0]).not.toContain('ann@');
    expect(lines[0]).not.toContain('stack');
    expect(format({ message: 'x' }, wrapped(new VaultError('CIPHERTEXT_INVALID', 'bad'))).extensions).toEqual({
      code: 'INTERNAL_SERVER_ERROR',
    });
  });

  it.each([
    [
      'Variable "$items" got invalid value "ann@example.com" at "items[0].value"; String cannot represent a non ' +
        'string value: "ann@example.com"',
      'Variable "$items" got an invalid value at "items[0].value": String cannot represent a non string value.',
    ],
    [
      'Variable "$d" got invalid value "ann@example.com"; Expected type "DateTime". DateTime must be an RFC 3339 ' +
        'date-time such as 2026-03-02T11:00:00Z (or a date, 2026-03-02), a real day, in the years 1900–9999',
      'Variable "$d" got an invalid value: DateTime must be an RFC 3339 date-time such as 2026-03-02T11:00:00Z (or a ' +
        'date, 2026-03-02), a real day, in the years 1900–9999',
    ],
    [
      'Variable "$e" got invalid value "ann"; Value "ann" does not exist in "E" enum. Did you mean the enum value ' +
        '"aa"?',
      'Variable "$e" got an invalid value: The value does not exist in "E" enum.',
    ],
    [
      'Variable "$x" got invalid value { n: 1 } at "x[0]"; Field "v" of required type "JSON!" was not provided.',
      'Variable "$x" got an invalid value at "x[0]": Field "v" of required type "JSON!" was not provided.',
    ],
    [
      'Variable "$x" got invalid value { zz: "ann@x" } at "x[0]"; Field "ann@x" is not defined by type "I".',
      'Variable "$x" got an invalid value at "x[0]": A field is not defined by type "I".',
    ],
    [
      'Variable "$i" got invalid value "ann@x"; Int cannot represent non-integer value: "ann@x"',
      'Variable "$i" got an invalid value: Int cannot represent non-integer value.',
    ],
    [
      'Expected value of type "DateTime", found "ann@example.com"; DateTime must be an RFC 3339 date-time such as ' +
        '2026-03-02T11:00:00Z (or a date, 2026-03-02), a real day, in the years 1900–9999',
      'Expected value of type "DateTime", found an invalid value: DateTime must be an RFC 3339 date-time such as ' +
        '2026-03-02T11:00:00Z (or a date, 2026-03-02), a real day, in the years 1900–9999',
    ],
    ['Expected value of type "String!", found 12345678.', 'Expected value of type "String!", found an invalid value.'],
    [
      'Value "ann@example.com" does not exist in "ErasureReason" enum.',
      'The value does not exist in "ErasureReason" enum.',
    ],
    [
      'Value "ann" does not exist in "E" enum. Did you mean the enum value "AB", "AC", or "AD"?',
      'The value does not exist in "E" enum.',
    ],
    [
      'Enum "E" cannot represent non-enum value: "ann@x". Did you mean the enum value "aa"?',
      'Enum "E" cannot represent this value.',
    ],
    [
      'Enum "E" cannot represent non-enum value: "A". Did you mean the enum value "AB", "AC", or "AD"?',
      'Enum "E" cannot represent this value.',
    ],
    // A "; " inside the value cannot pass for the end of it.
    [
      'Variable "$i" got invalid value "ann; bob@example.com"; Int cannot represent non-integer value: "ann; ' +
        'bob@example.com"',
      'Variable "$i" got an invalid value.',
    ],
    [
      'Variable "$s" got invalid value "x; bob@example.com"; String cannot represent a non string value: 1',
      'Variable "$s" got an invalid value: String cannot represent a non string value.',
    ],
    [
      'Expected value of type "DateTime", found "ann; bob@example.com"; DateTime must be an RFC 3339 date-time such ' +
        'as 2026-03-02T11:00:00Z (or a date, 2026-03-02), a real day, in the years 1900–9999',
      'Expected value of type "DateTime", found an invalid value: DateTime must be an RFC 3339 date-time such as ' +
        '2026-03-02T11:00:00Z (or a date, 2026-03-02), a real day, in the years 1900–9999',
    ],
    [
      'Variable "$x" got invalid value "a"; Some reason graphql may word one day: "bob@example.com"',
      'Variable "$x" got an invalid value.',
    ],
    ['String cannot represent a non string value: {secret: 1}', 'String cannot represent a non string value.'],
    ['Syntax Error: Unexpected Name "ann".', 'Syntax Error: Unexpected input.'],
    // What the executor reports for variables that do not coerce (graphql-js's getVariableValues, whatever graphql-jit
    // said).
    [
      'Variable "$x" got invalid value { a: "ann@x.com", extra: "bob@x.com" }; Field "extra" is not defined by type ' +
        '"I".',
      'Variable "$x" got an invalid value: A field is not defined by type "I".',
    ],
    [
      'Variable "$x" got invalid value { b: "ann@x.com" } at "x[0]"; Field "a" of required type "String!" was not ' +
        'provided.',
      'Variable "$x" got an invalid value at "x[0]": Field "a" of required type "String!" was not provided.',
    ],
    [
      'Variable "$x" got invalid value { k: 1 } at "x[0].j"; Field "e" of required type "E!" was not provided.',
      'Variable "$x" got an invalid value at "x[0].j": Field "e" of required type "E!" was not provided.',
    ],
    [
      'Variable "$x" got invalid value "ann@x.com" at "x[0]"; Expected type "I" to be an object.',
      'Variable "$x" got an invalid value at "x[0]": Expected type "I" to be an object.',
    ],
    [
      'Variable "$x" got invalid value null at "x[0]"; Expected non-nullable type "I!" not to be null.',
      'Variable "$x" got an invalid value at "x[0]": Expected non-nullable type "I!" not to be null.',
    ],
    [
      'Variable "$y" got invalid value "ann@x.com"; Value "ann@x.com" does not exist in "E" enum.',
      'Variable "$y" got an invalid value: The value does not exist in "E" enum.',
    ],
    [
      'Variable "$x" got invalid value 1 at "x[0].a"; String cannot represent a non string value: 1',
      'Variable "$x" got an invalid value at "x[0].a": String cannot represent a non string value.',
    ],
    // An unknown field's name is the caller's: it is never echoed, quoted or not.
    [
      'Variable "$x" got invalid value { a: 1, ann@x.com: 1 } at "x[0]"; Field "ann@x.com" is not defined by type "I".',
      'Variable "$x" got an invalid value at "x[0]": A field is not defined by type "I".',
    ],
    [
      'Variable "$until" got invalid value "ann@x.com"; DateTime must be an RFC 3339 date-time such as ' +
        '2026-03-02T11:00:00Z (or a date, 2026-03-02), a real day, in the years 1900–9999',
      'Variable "$until" got an invalid value: DateTime must be an RFC 3339 date-time such as 2026-03-02T11:00:00Z ' +
        '(or a date, 2026-03-02), a real day, in the years 1900–9999',
    ],
    // graphql-jit's own wording, should it ever stand: the value is cut out all the same.
    [
      'Variable "$purpose" got invalid value "ann@x.com"; Expected type String; String cannot represent a non string ' +
        'value: "ann@x.com"',
      'Variable "$purpose" got an invalid value: String cannot represent a non string value.',
    ],
    ['Variable "$y" got invalid value "ann@x.com"; Expected type E.', 'Variable "$y" got an invalid value.'],
  ])('cuts the value out of %j, keeping a readable reason', (message, scrubbed) => {
    expect(scrubValues(message)).toBe(scrubbed);
  });

  it('leaves messages that quote no value as they are', () => {
    const csrf =
      'This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). ' +
      "Please either specify a 'content-type' header or provide a non-empty value for one of the following headers: " +
      'x-apollo-operation-name, apollo-require-preflight';
    expect(scrubValues(csrf)).toBe(csrf);
    expect(scrubValues('Unknown operation named "B".')).toBe('Unknown operation named "B".');
  });
});

describe('validation messages', () => {
  it.each([
    [
      'Cannot query field "annJansen" on type "Query". Did you mean "subject"?',
      'Cannot query a field that type "Query" does not have.',
    ],
    ['Unknown argument "annJansen" on field "Query.subject".', 'Unknown argument on field "Query.subject".'],
    ['Unknown type "AnnJansen". Did you mean "Subject"?', 'Unknown type.'],
    ['Unknown fragment "annJansen".', 'Unknown fragment.'],
    ['Unknown directive "@annJansen".', 'Unknown directive.'],
  ])('do not repeat a name the query made up: %j', (message, scrubbed) => {
    expect(scrubValues(message)).toBe(scrubbed);
  });
});
