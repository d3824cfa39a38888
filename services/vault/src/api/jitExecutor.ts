import type { GatewayInterface } from '@apollo/server-gateway-interface';
import {
  type DocumentNode,
  type ExecutionResult,
  getVariableValues,
  GraphQLError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  printSchema,
} from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import { LRUCache } from 'lru-cache';

import { inSpan, tracingEnabled } from '../observability/tracing.js';

type Compiled = CompiledQuery | ExecutionResult;

/**
 * graphql-jit's own error objects leave `extensions` undefined and read-only, where Apollo (and
 * `formatError`) expect graphql-js's GraphQLError: rebuilt as one, keeping path, locations and the
 * error a resolver threw.
 */
function asGraphQLError(e: GraphQLError, code?: string): GraphQLError {
  const extensions = { ...e.extensions, ...(code ? { code } : {}) };
  const out = new GraphQLError(e.message, { path: e.path, originalError: e.originalError, extensions });
  if (e.locations) (out as { locations: GraphQLError['locations'] }).locations = e.locations;
  return out;
}

/**
 * Why the variables of a request that graphql-jit refused do not coerce, as graphql-js says it:
 * graphql-jit names a bad value inside an input object as if it were a variable of its own
 * (`Variable "$purpose"` for `$items[0].purpose`) and gives no path, where graphql-js names the
 * variable and the path (`at "items[0].purpose"`). Only refused requests pay for the second
 * coercion. graphql-jit's own errors stand should graphql-js find nothing wrong.
 */
function coercionErrors(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  jitErrors: readonly GraphQLError[],
): GraphQLError[] {
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables, { maxErrors: 20 });
  const errors = coerced.errors && coerced.errors.length > 0 ? coerced.errors : jitErrors;
  return errors.map((e) => asGraphQLError(e, 'BAD_USER_INPUT'));
}

/** The execution span's name and attributes: the operation's type and name (chosen by the client's code, not data). */
function executeSpan(operation: OperationDefinitionNode): [string, Record<string, string>] {
  const type = operation.operation;
  const name = operation.name?.value;
  return [
    `graphql.execute ${type}${name ? ` ${name}` : ''}`,
    { 'graphql.operation.type': type, ...(name ? { 'graphql.operation.name': name } : {}) },
  ];
}

/**
 * Runs operations with graphql-jit instead of graphql-js's interpreter: each document is compiled
 * once into a function that resolves and serialises its selection directly. On the vault's hot
 * paths (a subject's items are a list of union-typed objects) that costs a fraction of what
 * graphql-js spends walking the same selection for every item.
 *
 * Apollo Server 5 takes a custom executor through its `gateway` option (the migration guide's
 * replacement for the v3 `executor` option). Parsing, validation, the document cache, plugins
 * and `formatError` stay Apollo's; only execution changes.
 */
export function jitGateway(schema: GraphQLSchema, maxCompiled = 1_000): GatewayInterface {
  // Apollo hands the same DocumentNode for the same query text (its document cache). Compiled
  // code weighs far more than the text it came from and is not counted by Apollo's cache, so it
  // is kept in a cache of its own, bounded by entries: at most `maxCompiled` operations, the least
  // recently run dropped first (and compiled again if they come back).
  const compiled = new LRUCache<DocumentNode, Map<string, Compiled>>({ max: maxCompiled });
  const compile = (document: DocumentNode, operationName: string | undefined): Compiled => {
    let byName = compiled.get(document);
    if (!byName) compiled.set(document, (byName = new Map()));
    const key = operationName ?? '';
    let c = byName.get(key);
    if (!c)
      byName.set(key, (c = compileQuery(schema, document, operationName, { disablingCapturingStackErrors: true })));
    return c;
  };

  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => {};
    },
    async load() {
      return {
        executor: async (rc) => {
          // No operation resolved: the name the client gave matches none (an empty name included, which
          // graphql-jit would take for no name and run the document's only operation), or there are
          // several and it gave none. Refused before anything runs; Apollo answers 400
          // OPERATION_RESOLUTION_FAILURE, and the plugins that check limits had no operation to check.
          if (!rc.operation) {
            const message =
              rc.request.operationName == null
                ? 'The document holds several operations: name the one to run in operationName'
                : 'No operation in the document has the name given in operationName';
            return { errors: [new GraphQLError(message)] };
          }
          const c = compile(rc.document, rc.operationName ?? undefined);
          if (!isCompiledQuery(c)) return c;
          const variables = rc.request.variables ?? {};
          const run = () => c.query(undefined, rc.context, variables);
          // graphql-jit runs the operation, so the graphql instrumentation sees no execution: this span is its place.
          // Tracing off, nothing is built for it.
          const result = await (tracingEnabled() ? inSpan(...executeSpan(rc.operation), run) : run());
          if (!result.errors) return result;
          // Variables that do not coerce: a request error, as graphql-js reports it (HTTP 400, BAD_USER_INPUT).
          if (result.data === undefined)
            return { errors: coercionErrors(schema, rc.operation, variables, result.errors) };
          return { ...result, errors: result.errors.map((e) => asGraphQLError(e)) };
        },
      };
    },
    async stop() {},
  };
}
