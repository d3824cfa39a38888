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

const refusal = (code: LimitRefusal['code'], limit: keyof ApiLimits, what: string, max: number): LimitRefusal => ({
  code,
  limit,
  message: `${what}; the limit is ${max} (${LIMIT_SETTINGS[limit]})`,
});

/**
 * The text's size and token count, checked before it is parsed: the lexer stops one token past
 * the limit, so a text of any length costs at most `maxTokens` tokens of work. A text the lexer
 * refuses is left to the parser, which reports the syntax error as GraphQL does.
 */
export function checkQueryText(
  text: string,
  limits: Pick<ApiLimits, 'maxQueryBytes' | 'maxTokens'>,
): LimitRefusal | undefined {
  // Bytes, as the limit is stated: length counts UTF-16 units, at most 3 bytes each.
  if (text.length * 3 > limits.maxQueryBytes && Buffer.byteLength(text, 'utf8') > limits.maxQueryBytes) {
    return refusal('QUERY_TOO_COMPLEX', 'maxQueryBytes', 'The query text is too long', limits.maxQueryBytes);
  }
  const lexer = new Lexer(new Source(text));
  try {
    for (let n = 0; lexer.advance().kind !== TokenKind.EOF;) {
      if (++n > limits.maxTokens)
        return refusal('QUERY_TOO_COMPLEX', 'maxTokens', 'The query text holds too many tokens', limits.maxTokens);
    }
  } catch {
    return undefined;
  }
  return undefined;
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
    const depth = operationDepth(d.selectionSet, fragments);
    if (depth > limits.maxDepth)
      return refusal('QUERY_TOO_COMPLEX', 'maxDepth', `The operation is nested ${depth} levels deep`, limits.maxDepth);
    const fields = operationFields(d.selectionSet, fragments);
    if (fields > limits.maxFields)
      return refusal('QUERY_TOO_COMPLEX', 'maxFields', `The operation selects ${fields} fields`, limits.maxFields);
    const aliases = operationFields(d.selectionSet, fragments, true);
    if (aliases > limits.maxAliases)
      return refusal(
        'QUERY_TOO_COMPLEX',
        'maxAliases',
        `The operation has ${aliases} aliased fields`,
        limits.maxAliases,
      );
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
  // Depth again: a document run without the HTTP gate (executeOperation in tests, a future transport) is still bounded.
  const depth = operationDepth(operation.selectionSet, fragments);
  if (depth > limits.maxDepth)
    return {
      refusal: refusal(
        'QUERY_TOO_COMPLEX',
        'maxDepth',
        `The operation is nested ${depth} levels deep`,
        limits.maxDepth,
      ),
    };
  const cost = operationCost(operation.selectionSet, fragments, vars);
  if (cost > limits.maxCost)
    return { refusal: refusal('QUERY_TOO_COMPLEX', 'maxCost', `The operation would cost ${cost}`, limits.maxCost) };
  const reads = subjectReads(operation.selectionSet, fragments, vars, limits.maxSubjectsPerQuery);
  if (reads > limits.maxSubjectsPerQuery)
    return {
      refusal: refusal(
        'QUERY_TOO_COMPLEX',
        'maxSubjectsPerQuery',
        `The operation reads ${reads} subjects`,
        limits.maxSubjectsPerQuery,
      ),
    };
  if (operation.operation !== OperationTypeNode.MUTATION) return { subjectReads: reads, commands: 0, items: 0 };
  const { commands, items } = operationWrites(operation.selectionSet, fragments, vars);
  if (commands > limits.maxCommandsPerRequest)
    return {
      refusal: refusal(
        'WRITE_LIMIT_EXCEEDED',
        'maxCommandsPerRequest',
        `The request holds ${commands} commands`,
        limits.maxCommandsPerRequest,
      ),
    };
  if (items > limits.maxItemsPerRequest)
    return {
      refusal: refusal(
        'WRITE_LIMIT_EXCEEDED',
        'maxItemsPerRequest',
        `The request writes ${items} items`,
        limits.maxItemsPerRequest,
      ),
    };
  return { subjectReads: reads, commands, items };
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
