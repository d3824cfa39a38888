import type { GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';

import { type ErrorCode, isVaultError } from '../domain/errors.js';
import { DATE_TIME_FORMAT } from './scalars.js';

/** The `extensions.code` a client sees for each vault error code, and the HTTP status of a whole-request failure. */
const PUBLIC: Partial<Record<ErrorCode, { code: string; status?: number }>> = {
  BAD_USER_INPUT: { code: 'BAD_USER_INPUT', status: 400 },
  NOT_FOUND: { code: 'NOT_FOUND' },
  UNKNOWN_ENTRY: { code: 'NOT_FOUND' },
  CONFLICT: { code: 'CONFLICT' },
  SUBJECT_ERASED: { code: 'CONFLICT' },
  CATEGORY_HELD: { code: 'CONFLICT' },
  KEY_SHREDDED: { code: 'CONFLICT' },
  IDENTITY_NOT_VERIFIED: { code: 'CONFLICT' },
  VALUE_HELD: { code: 'CONFLICT' },
  FORBIDDEN: { code: 'FORBIDDEN' },
  CONSENT_REQUIRED: { code: 'CONSENT_REQUIRED' },
  CONSENT_EXPIRED: { code: 'CONSENT_EXPIRED' },
  UNAUTHENTICATED: { code: 'UNAUTHENTICATED', status: 401 },
  STORE_UNAVAILABLE: { code: 'SERVICE_UNAVAILABLE', status: 503 },
  RATE_LIMITED: { code: 'RATE_LIMITED', status: 429 },
  PAYLOAD_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', status: 413 },
  QUERY_TOO_COMPLEX: { code: 'QUERY_TOO_COMPLEX', status: 400 },
};

/** Codes GraphQL and Apollo raise themselves about the request (not our data): passed through, values scrubbed. */
const REQUEST_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'QUERY_TOO_COMPLEX',
  'WRITE_LIMIT_EXCEEDED',
  'RATE_LIMITED',
  'UNAUTHENTICATED',
]);

const NAME = '[_A-Za-z][_0-9A-Za-z]*';
const TYPE = '[_A-Za-z0-9[\\]!]+';

/**
 * graphql-js's refusals of a value, with what they quote of it taken out: scalar and enum
 * refusals quote the value, and an unknown input field is named by the caller. Variables that do
 * not coerce are reported in graphql-js's words too (`jitExecutor.ts` asks graphql-js why);
 * any other wording keeps no reason at all.
 */
function withoutValue(reason: string): string {
  return (
    reason
      .replace(
        new RegExp(`^Value .* does not exist in "(${NAME})" enum\\..*$`, 's'),
        'The value does not exist in "$1" enum.',
      )
      .replace(
        new RegExp(`^Enum "(${NAME})" cannot represent non-(?:enum|string) value: .*$`, 's'),
        'Enum "$1" cannot represent this value.',
      )
      .replace(/^((?:String|Int|Float|Boolean|ID) cannot represent [a-z0-9 -]*value): .*$/s, '$1.')
      .replace(
        new RegExp(`^Field .* is not defined by type "(${NAME})"\\..*$`, 's'),
        'A field is not defined by type "$1".',
      )
      // Validation names what the query asked for: a name the caller made up is not repeated back.
      .replace(
        new RegExp(`^Cannot query field "${NAME}" on type "(${NAME})"\\..*$`, 's'),
        'Cannot query a field that type "$1" does not have.',
      )
      .replace(
        new RegExp(`^Unknown argument "${NAME}" on (field|directive) "([_A-Za-z0-9.@]+)"\\..*$`, 's'),
        'Unknown argument on $1 "$2".',
      )
      .replace(new RegExp(`^Unknown (type|fragment|directive) "@?${NAME}"\\..*$`, 's'), 'Unknown $1.')
  );
}

/**
 * The reasons a coercion message may keep, whole, besides the vault's own scalar rule: graphql-js's templates that
 * quote no value.
 */
const SAFE_REASONS = [
  new RegExp(`^The value does not exist in "${NAME}" enum\\.$`),
  new RegExp(`^Enum "${NAME}" cannot represent this value\\.$`),
  /^(?:String|Int|Float|Boolean|ID) cannot represent [a-z0-9 -]*value\.$/,
  new RegExp(`^A field is not defined by type "${NAME}"\\.$`),
  new RegExp(`^Field "${NAME}" of required type "${TYPE}" was not provided\\.$`),
  new RegExp(`^Expected non-nullable type "${TYPE}" not to be null\\.$`),
  new RegExp(`^Expected type "${TYPE}" to be an object\\.$`),
];

/**
 * The reason at the end of a coercion message (after its last `; `, so that a `; ` inside the
 * quoted value cannot pass for one), if it is one of SAFE_REASONS once any quoted value is out.
 */
function safeReason(message: string): string | undefined {
  const at = message.lastIndexOf('; ');
  if (at < 0) return undefined;
  const reason = withoutValue(message.slice(at + 2).replace(new RegExp(`^Expected type "${TYPE}"\\. `), ''));
  return reason === DATE_TIME_FORMAT || SAFE_REASONS.some((r) => r.test(reason)) ? reason : undefined;
}

/**
 * GraphQL's coercion and validation messages quote the offending value (`got invalid value
 * "ann@example.com"`, `found "x"`): that value may be personal data, so it is cut out, and the
 * reason kept only where it is a known one that quotes nothing (`Int cannot represent
 * non-integer value.`, the scalar's own rule).
 */
export function scrubValues(message: string): string {
  const variable = /^Variable "(\$[_A-Za-z][_0-9A-Za-z]*)" got invalid value /.exec(message);
  if (variable) {
    const path = / at "([_A-Za-z0-9.[\]]+)"; /.exec(message)?.[1];
    const reason = safeReason(message);
    const where = path ? ` at "${path}"` : '';
    return `Variable "${variable[1]}" got an invalid value${where}${reason ? `: ${reason}` : '.'}`;
  }
  const literal = new RegExp(`^(Expected value of type "${TYPE}"), found `).exec(message);
  if (literal) {
    const reason = safeReason(message);
    return `${literal[1]}, found an invalid value${reason ? `: ${reason}` : '.'}`;
  }
  return withoutValue(
    message
      .replace(/^Context creation failed: /, '')
      // A syntax error quotes the token it stumbled on, which may be a value pasted into the query.
      .replace(
        /^(Syntax Error: Unexpected|Syntax Error: Expected|Syntax Error: Invalid|Syntax Error: Unterminated)\b.*$/s,
        '$1 input.',
      ),
  );
}

/** The error a resolver threw, under GraphQL's wrapping (duck-typed: no `instanceof` across copies of graphql). */
function unwrap(error: unknown): unknown {
  let e = error;
  for (let i = 0; i < 5 && typeof e === 'object' && e !== null && (e as { originalError?: unknown }).originalError; i++)
    e = (e as { originalError: unknown }).originalError;
  return e;
}

/** Whether a GraphQL error was raised with an HTTP status in the 4xx range (`extensions.http.status`). */
function isClientStatus(error: unknown): boolean {
  const status = (error as { extensions?: { http?: { status?: unknown } } } | null)?.extensions?.http?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

export type FormatError = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

/** The one place errors leave the API. Everything unexpected becomes INTERNAL_SERVER_ERROR with no detail. */
export function createFormatError(logger: Pick<Logger, 'error'>): FormatError {
  return (formatted, error) => {
    const original = unwrap(error);
    const base = {
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
    };
    if (isVaultError(original)) {
      const pub = PUBLIC[original.code];
      if (pub) {
        return {
          ...base,
          message: original.message,
          extensions: {
            code: pub.code,
            ...(pub.code !== original.code ? { reason: original.code } : {}),
            ...(original.path ? { path: original.path } : {}),
            // The purpose that holds a value a service may not replace: a register name, never data.
            ...(original.code === 'VALUE_HELD' ? { heldFor: original.details?.purpose } : {}),
          },
        };
      }
    }
    const code = formatted.extensions?.code;
    if (!isVaultError(original) && typeof code === 'string' && REQUEST_CODES.has(code)) {
      // `limit` names which of the API's limits refused the request (our own word, never the caller's).
      const limit = formatted.extensions?.limit;
      return {
        ...base,
        message: scrubValues(formatted.message),
        extensions: { code, ...(typeof limit === 'string' ? { limit } : {}) },
      };
    }
    // Apollo's refusals of the request without a code of their own (a persisted-query hash that does not
    // match its query, an unknown persisted-query version) carry a 4xx status: the client's mistake.
    if (!isVaultError(original) && isClientStatus(error) && (code === undefined || code === 'INTERNAL_SERVER_ERROR')) {
      return { ...base, message: scrubValues(formatted.message), extensions: { code: 'BAD_REQUEST' } };
    }
    // The logger's `err` serializer keeps the error's name and code only: a message or a stack could carry a value.
    logger.error(
      {
        err: original instanceof Error ? original : { name: typeof original },
        ...(formatted.path ? { path: formatted.path } : {}),
      },
      'internal error',
    );
    return { ...base, message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}
