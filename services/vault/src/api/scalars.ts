import { GraphQLScalarType, Kind, valueFromASTUntyped } from 'graphql';

import { INSTANT_YEARS, parseInstant } from '../domain/time.js';

/**
 * The DateTime scalar's refusal; like every error here it names the type, never the value (it may be personal data).
 */
export const DATE_TIME_FORMAT =
  `DateTime must be an RFC 3339 date-time such as 2026-03-02T11:00:00Z (or a date, ` +
  `2026-03-02), a real day, in the years ${INSTANT_YEARS.min}–${INSTANT_YEARS.max}`;

/** Inputs arrive in the canonical UTC form (`…T10:00:00.000Z`), so that stores and deadlines compare them as text. */
function parseDateTime(v: unknown): string {
  const instant = typeof v === 'string' ? parseInstant(v) : undefined;
  if (instant === undefined) throw new TypeError(DATE_TIME_FORMAT);
  return instant;
}

export const DateTimeScalar = new GraphQLScalarType<string, string>({
  name: 'DateTime',
  serialize: (v) => (v instanceof Date ? v.toISOString() : String(v)),
  parseValue: parseDateTime,
  parseLiteral: (ast) => parseDateTime(ast.kind === Kind.STRING ? ast.value : undefined),
});

export const JSONScalar = new GraphQLScalarType<unknown, unknown>({
  name: 'JSON',
  serialize: (v) => v,
  parseValue: (v) => v,
  parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables),
});
