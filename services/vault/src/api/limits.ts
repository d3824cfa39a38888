import type { ApolloServerPlugin } from '@apollo/server';
import {
  type DocumentNode,
  GraphQLError,
  Kind,
  Lexer,
  type OperationDefinitionNode,
  OperationTypeNode,
  Source,
  TokenKind,
} from 'graphql';

import type { Principal } from '../auth/tokens.js';
import { API_LIMIT_VARIABLES as LIMIT_SETTINGS } from '../config/apiSettings.js';
import {
  fragmentsOf,
  operationCost,
  operationDepth,
  operationFields,
  operationWrites,
  subjectReads,
  withDefaults,
} from './measures.js';
import type { WriteBudget } from './writeBudget.js';

/**
 * Bounds on what one request may ask for. Those on the query text and its shape are checked
 * before graphql-js validates or compiles anything (`checkQueryText`, `checkDocument`), so their
 * defaults keep any one request to a few milliseconds of main-thread work; the rest need the
 * request's variables and are checked once its operation is known (`operationLimitsPlugin`).
 */
export interface ApiLimits {
  /** Longest query text, in bytes of UTF-8 (`VAULT_MAX_QUERY_BYTES`). Default 32,768. */
  maxQueryBytes: number;
  /** Most lexical tokens in the query text (`VAULT_MAX_QUERY_TOKENS`). Default 4,000. */
  maxTokens: number;
  /**
   * Most fields an operation selects, fragments counted each time they are spread (`VAULT_MAX_QUERY_FIELDS`). Default
   * 150.
   */
  maxFields: number;
  /** Most aliased fields in an operation (`VAULT_MAX_QUERY_ALIASES`). Default 30. */
  maxAliases: number;
  /** Deepest nesting of fields in an operation (`VAULT_MAX_QUERY_DEPTH`). Default 10. */
  maxDepth: number;
  /**
   * Highest cost: each field costs 1, `subjects` multiplies its selection by the number of ids
   * (`VAULT_MAX_QUERY_COST`). Default 20,000.
   */
  maxCost: number;
  /**
   * Most subjects one request reads: ids in one `subjects` call, and its `subject`, `subjects`, `findSubjects`,
   * `accessReport` and `portabilityExport` fields together (`VAULT_MAX_SUBJECTS_PER_REQUEST`). Default 500.
   */
  maxSubjectsPerQuery: number;
  /**
   * Most items in one `recordPersonalData` or `rectifyPersonalData` call (`VAULT_MAX_ITEMS_PER_COMMAND`). Default 100.
   */
  maxItemsPerCommand: number;
  /**
   * Most mutation fields (commands) in one request, aliases included (`VAULT_MAX_COMMANDS_PER_REQUEST`). Default 10.
   */
  maxCommandsPerRequest: number;
  /**
   * Most items (values, categories) all the commands of one request write together (`VAULT_MAX_ITEMS_PER_REQUEST`).
   * Default 500.
   */
  maxItemsPerRequest: number;
}

export const DEFAULT_LIMITS: ApiLimits = {
  maxQueryBytes: 32_768,
  maxTokens: 4_000,
  maxFields: 150,
  maxAliases: 30,
  maxDepth: 10,
  maxCost: 20_000,
  maxSubjectsPerQuery: 500,
  maxItemsPerCommand: 100,
  maxCommandsPerRequest: 10,
  maxItemsPerRequest: 500,
};

/**
 * A refusal by a limit: the code, the limit's name and a message that names its setting (never the query's content).
 */
export interface LimitRefusal {
  code: 'QUERY_TOO_COMPLEX' | 'WRITE_LIMIT_EXCEEDED';
  limit: keyof ApiLimits;
  message: string;
}

/** Limits on what a mutation writes; every other limit refuses with QUERY_TOO_COMPLEX. */
const WRITE_LIMITS: ReadonlySet<keyof ApiLimits> = new Set(['maxCommandsPerRequest', 'maxItemsPerRequest']);

/** A refusal when `value` passes the limit, naming the limit and its setting (`what` describes the value). */
function past(
  limits: Partial<ApiLimits>,
  limit: keyof ApiLimits,
  value: number,
  what: string,
): LimitRefusal | undefined {
  const max = limits[limit]!;
  if (value <= max) return undefined;
  const code = WRITE_LIMITS.has(limit) ? 'WRITE_LIMIT_EXCEEDED' : 'QUERY_TOO_COMPLEX';
  return { code, limit, message: `${what}; the limit is ${max} (${LIMIT_SETTINGS[limit]})` };
}

/**
 * The text's size and token count, checked before it is parsed: the lexer stops one token past
 * the limit, so a text of any length costs at most `maxTokens` tokens of work. A text the lexer
 * refuses is left to the parser, which reports the syntax error as GraphQL does.
 */
export function checkQueryText(
  text: string,
  limits: Pick<ApiLimits, 'maxQueryBytes' | 'maxTokens'>,
): LimitRefusal | undefined {
  // Bytes, as the limit is stated: length counts UTF-16 units, at most 3 bytes each, so most texts skip the count.
  const bytes = text.length * 3 > limits.maxQueryBytes ? Buffer.byteLength(text, 'utf8') : text.length;
  const tooLong = past(limits, 'maxQueryBytes', bytes, 'The query text is too long');
  if (tooLong) return tooLong;
  const lexer = new Lexer(new Source(text));
  let tokens = 0;
  try {
    while (tokens <= limits.maxTokens && lexer.advance().kind !== TokenKind.EOF) tokens++;
  } catch {
    return undefined;
  }
  return past(limits, 'maxTokens', tokens, 'The query text holds too many tokens');
}

/**
 * The shape of every operation in a parsed document: depth, fields and aliases, with fragments
 * spread as execution would. Checked before validation, whose overlap rule and the compiler both
 * grow with the fields an operation selects.
 */
export function checkDocument(
  document: DocumentNode,
  limits: Pick<ApiLimits, 'maxDepth' | 'maxFields' | 'maxAliases'>,
): LimitRefusal | undefined {
  const fragments = fragmentsOf(document.definitions);
  for (const d of document.definitions) {
    if (d.kind !== Kind.OPERATION_DEFINITION) continue;
    const refused =
      past(limits, 'maxDepth', operationDepth(d.selectionSet, fragments), 'The operation is nested too deep') ??
      past(limits, 'maxFields', operationFields(d.selectionSet, fragments), 'The operation selects too many fields') ??
      past(
        limits,
        'maxAliases',
        operationFields(d.selectionSet, fragments, true),
        'The operation has too many aliases',
      );
    if (refused) return refused;
  }
  return undefined;
}

/**
 * What an operation would cost with its variables: its cost, the subjects it reads and, for a
 * mutation, its commands and items. `subjectReads` is what the request may still read once it runs.
 */
export function checkOperation(
  operation: OperationDefinitionNode,
  document: DocumentNode,
  variables: Record<string, unknown>,
  limits: ApiLimits,
): { refusal: LimitRefusal } | { subjectReads: number; commands: number; items: number } {
  const fragments = fragmentsOf(document.definitions);
  const vars = withDefaults(operation, variables);
  const set = operation.selectionSet;
  const reads = subjectReads(set, fragments, vars, limits.maxSubjectsPerQuery);
  const writes =
    operation.operation === OperationTypeNode.MUTATION
      ? operationWrites(set, fragments, vars)
      : { commands: 0, items: 0 };
  const refused =
    // Depth again: a document run without the HTTP gate (executeOperation in tests) is still bounded.
    past(limits, 'maxDepth', operationDepth(set, fragments), 'The operation is nested too deep') ??
    past(limits, 'maxCost', operationCost(set, fragments, vars), 'The operation costs too much') ??
    past(limits, 'maxSubjectsPerQuery', reads, `The operation reads ${reads} subjects`) ??
    past(limits, 'maxCommandsPerRequest', writes.commands, `The request holds ${writes.commands} commands`) ??
    past(limits, 'maxItemsPerRequest', writes.items, `The request writes ${writes.items} items`);
  return refused ? { refusal: refused } : { subjectReads: reads, ...writes };
}

export const limitError = (r: LimitRefusal): GraphQLError =>
  new GraphQLError(r.message, { extensions: { code: r.code, limit: r.limit, http: { status: 400 } } });

/**
 * Refuses operations past a limit (with their variables) before anything resolves, and charges a
 * mutation's commands and items to its principal's budget, so that nothing is written by a
 * request that is refused. A plugin rather than a validation rule, so each error keeps its own code
 * instead of Apollo's GRAPHQL_VALIDATION_FAILED.
 */
export function operationLimitsPlugin(
  limits: ApiLimits,
  budget?: WriteBudget,
): ApolloServerPlugin<{ subjectReadsLeft: number; principal?: Principal }> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, request, document, contextValue }) {
          // No operation resolved (an unknown or empty operationName): the executor refuses it, nothing runs.
          if (!operation) return;
          const checked = checkOperation(operation, document, request.variables ?? {}, limits);
          if ('refusal' in checked) throw limitError(checked.refusal);
          if (budget && contextValue.principal && checked.commands > 0) {
            const retryAfterS = budget.charge(contextValue.principal, checked.commands, checked.items);
            if (retryAfterS !== undefined) {
              throw new GraphQLError(
                `The commands and items this principal may write a minute are spent; retry in ${retryAfterS} s`,
                {
                  extensions: {
                    code: 'RATE_LIMITED',
                    http: { status: 429, headers: new Map([['retry-after', String(retryAfterS)]]) },
                  },
                },
              );
            }
          }
          contextValue.subjectReadsLeft = limits.maxSubjectsPerQuery - checked.subjectReads;
        },
      };
    },
  };
}
