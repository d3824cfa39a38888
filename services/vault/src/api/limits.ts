import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, valueFromASTUntyped, type FieldNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode, type ValueNode } from 'graphql';

/** Bounds on what one request may ask for. */
export interface ApiLimits {
  /** Deepest nesting of fields in an operation. Default 10. */
  maxDepth: number;
  /** Highest cost: each field costs 1, `subjects` multiplies its selection by the number of ids. Default 20,000. */
  maxCost: number;
  /** Most subjects one request reads: ids in one `subjects` call, and its `subject`, `subjects`, `findSubjects`, `accessReport` and `portabilityExport` fields together. Default 500. */
  maxSubjectsPerQuery: number;
  /** Most items in one `recordPersonalData` or `rectifyPersonalData` call. Default 100. */
  maxItemsPerCommand: number;
}

export const DEFAULT_LIMITS: ApiLimits = { maxDepth: 10, maxCost: 20_000, maxSubjectsPerQuery: 500, maxItemsPerCommand: 100 };

const tooComplex = (message: string) => new GraphQLError(message, { extensions: { code: 'QUERY_TOO_COMPLEX', http: { status: 400 } } });

type Fragments = ReadonlyMap<string, FragmentDefinitionNode>;

/**
 * A fragment's measure, computed once per operation however often it is spread: fragments that
 * spread each other twice over would otherwise be walked 2^depth times (a query of 1 KB could
 * hold the event loop for minutes). A cycle (refused by graphql's NoFragmentCycles rule before
 * the limits run) counts nothing.
 */
function viaFragment(name: string, fragments: Fragments, memo: Map<string, number>, measure: (f: FragmentDefinitionNode) => number): number {
  const known = memo.get(name);
  if (known !== undefined) return known;
  const f = fragments.get(name);
  if (!f) return 0;
  memo.set(name, 0);
  const value = measure(f);
  memo.set(name, value);
  return value;
}

/** Deepest field nesting of a selection set, fragments followed. */
export function operationDepth(set: SelectionSetNode, fragments: Fragments, memo = new Map<string, number>()): number {
  let max = 0;
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) max = Math.max(max, s.selectionSet ? 1 + operationDepth(s.selectionSet, fragments, memo) : 1);
    else if (s.kind === Kind.INLINE_FRAGMENT) max = Math.max(max, operationDepth(s.selectionSet, fragments, memo));
    else max = Math.max(max, viaFragment(s.name.value, fragments, memo, (f) => operationDepth(f.selectionSet, fragments, memo)));
  }
  return max;
}

/**
 * The request's variables with the operation's defaults filled in where the request gives none, as
 * execution will: a list the client leaves to a default (`$ids: [ID!] = [...]`) counts as long as it is.
 */
export function withDefaults(operation: OperationDefinitionNode, variables: Record<string, unknown>): Record<string, unknown> {
  let out = variables;
  for (const d of operation.variableDefinitions ?? []) {
    const name = d.variable.name.value;
    if (!d.defaultValue || Object.hasOwn(variables, name)) continue;
    if (out === variables) out = { ...variables };
    out[name] = valueFromASTUntyped(d.defaultValue);
  }
  return out;
}

function listLength(node: ValueNode | undefined, variables: Record<string, unknown>): number | undefined {
  if (!node) return undefined;
  if (node.kind === Kind.LIST) return node.values.length;
  if (node.kind === Kind.VARIABLE) {
    const v = variables[node.name.value];
    return Array.isArray(v) ? v.length : 1;
  }
  return 1;
}

/** The cost of a selection set with the request's variables: list arguments multiply what they select. */
export function operationCost(set: SelectionSetNode, fragments: Fragments, variables: Record<string, unknown>, memo = new Map<string, number>()): number {
  let cost = 0;
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) cost += fieldCost(s, fragments, variables, memo);
    else if (s.kind === Kind.INLINE_FRAGMENT) cost += operationCost(s.selectionSet, fragments, variables, memo);
    else cost += viaFragment(s.name.value, fragments, memo, (f) => operationCost(f.selectionSet, fragments, variables, memo));
  }
  return cost;
}

/** How many ids a `subjects` field asks for (undefined without an `ids` argument). */
const idsOf = (field: FieldNode, variables: Record<string, unknown>): number | undefined => listLength(field.arguments?.find((a) => a.name.value === 'ids')?.value, variables);

function fieldCost(field: FieldNode, fragments: Fragments, variables: Record<string, unknown>, memo: Map<string, number>): number {
  if (!field.selectionSet) return 1;
  const ids = field.name.value === 'subjects' ? idsOf(field, variables) : undefined;
  return 1 + (ids ?? 1) * operationCost(field.selectionSet, fragments, variables, memo);
}

/** Fields that read subjects' personal data, with how many subjects each reads. */
const SUBJECT_READS: Record<string, (field: FieldNode, variables: Record<string, unknown>) => number> = {
  subject: () => 1,
  // One identifier: one subject, as a rule (the lookup returns every subject that holds it).
  findSubjects: () => 1,
  accessReport: () => 1,
  portabilityExport: () => 1,
  subjects: (field, variables) => idsOf(field, variables) ?? 1,
};

/**
 * How many subjects an operation reads, over all its SUBJECT_READS fields and their aliases: each
 * read opens that subject's values, so this bounds the work one request can ask for however its
 * cost is spread. One field counts at most `perField` (a longer
 * `ids` list is refused by the field itself, with the path of the list).
 */
export function subjectReads(set: SelectionSetNode, fragments: Fragments, variables: Record<string, unknown>, perField = Infinity, memo = new Map<string, number>()): number {
  let reads = 0;
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) {
      const own = Object.hasOwn(SUBJECT_READS, s.name.value) ? Math.min(perField, SUBJECT_READS[s.name.value]!(s, variables)) : 0;
      reads += own > 0 ? own : s.selectionSet ? subjectReads(s.selectionSet, fragments, variables, perField, memo) : 0;
    } else if (s.kind === Kind.INLINE_FRAGMENT) reads += subjectReads(s.selectionSet, fragments, variables, perField, memo);
    else reads += viaFragment(s.name.value, fragments, memo, (f) => subjectReads(f.selectionSet, fragments, variables, perField, memo));
  }
  return reads;
}

/**
 * Refuses operations nested deeper than `maxDepth` or costing more than `maxCost` (with their
 * variables), before anything resolves. A plugin rather than a validation rule, so the error keeps
 * its own code instead of Apollo's GRAPHQL_VALIDATION_FAILED.
 */
export function operationLimitsPlugin({ maxDepth, maxCost, maxSubjectsPerQuery }: Pick<ApiLimits, 'maxDepth' | 'maxCost' | 'maxSubjectsPerQuery'>): ApolloServerPlugin<{ subjectReadsLeft: number }> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, request, document, contextValue }) {
          // No operation resolved (an unknown or empty operationName): the executor refuses it, nothing runs.
          if (!operation) return;
          const fragments = new Map<string, FragmentDefinitionNode>();
          for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
          const depth = operationDepth(operation.selectionSet, fragments);
          if (depth > maxDepth) throw tooComplex(`The operation is nested ${depth} levels deep; the limit is ${maxDepth}`);
          const variables = withDefaults(operation, request.variables ?? {});
          const cost = operationCost(operation.selectionSet, fragments, variables);
          if (cost > maxCost) throw tooComplex(`The operation would cost ${cost}; the limit is ${maxCost}`);
          const reads = subjectReads(operation.selectionSet, fragments, variables, maxSubjectsPerQuery);
          if (reads > maxSubjectsPerQuery) throw tooComplex(`The operation reads ${reads} subjects; the limit is ${maxSubjectsPerQuery} a request`);
          contextValue.subjectReadsLeft = maxSubjectsPerQuery - reads;
        },
      };
    },
  };
}
