import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, type FieldNode, type FragmentDefinitionNode, type SelectionSetNode, type ValueNode } from 'graphql';

/** Bounds on what one request may ask for. */
export interface ApiLimits {
  /** Deepest nesting of fields in an operation. Default 10. */
  maxDepth: number;
  /** Highest cost: each field costs 1, `subjects` multiplies its selection by the number of ids. Default 20,000. */
  maxCost: number;
  /** Most ids in one `subjects` call. Default 500. */
  maxSubjectsPerQuery: number;
  /** Most items in one `recordPersonalData` or `rectifyPersonalData` call. Default 100. */
  maxItemsPerCommand: number;
}

export const DEFAULT_LIMITS: ApiLimits = { maxDepth: 10, maxCost: 20_000, maxSubjectsPerQuery: 500, maxItemsPerCommand: 100 };

const tooComplex = (message: string) => new GraphQLError(message, { extensions: { code: 'QUERY_TOO_COMPLEX', http: { status: 400 } } });

/** Deepest field nesting of a selection set, fragments followed. */
export function operationDepth(set: SelectionSetNode, fragments: Record<string, FragmentDefinitionNode>, seen = new Set<string>()): number {
  let max = 0;
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) max = Math.max(max, s.selectionSet ? 1 + operationDepth(s.selectionSet, fragments, seen) : 1);
    else if (s.kind === Kind.INLINE_FRAGMENT) max = Math.max(max, operationDepth(s.selectionSet, fragments, seen));
    else {
      const f = fragments[s.name.value];
      // A fragment cycle is reported by graphql's own NoFragmentCycles rule before this runs.
      if (f && !seen.has(f.name.value)) max = Math.max(max, operationDepth(f.selectionSet, fragments, new Set([...seen, f.name.value])));
    }
  }
  return max;
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
export function operationCost(set: SelectionSetNode, fragments: Record<string, FragmentDefinitionNode>, variables: Record<string, unknown>, seen = new Set<string>()): number {
  let cost = 0;
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) cost += fieldCost(s, fragments, variables, seen);
    else if (s.kind === Kind.INLINE_FRAGMENT) cost += operationCost(s.selectionSet, fragments, variables, seen);
    else {
      const f = fragments[s.name.value];
      if (f && !seen.has(f.name.value)) cost += operationCost(f.selectionSet, fragments, variables, new Set([...seen, f.name.value]));
    }
  }
  return cost;
}

function fieldCost(field: FieldNode, fragments: Record<string, FragmentDefinitionNode>, variables: Record<string, unknown>, seen: Set<string>): number {
  if (!field.selectionSet) return 1;
  const ids = field.name.value === 'subjects' ? listLength(field.arguments?.find((a) => a.name.value === 'ids')?.value, variables) : undefined;
  return 1 + (ids ?? 1) * operationCost(field.selectionSet, fragments, variables, seen);
}

/**
 * Refuses operations nested deeper than `maxDepth` or costing more than `maxCost` (with their
 * variables), before anything resolves. A plugin rather than a validation rule, so the error keeps
 * its own code instead of Apollo's GRAPHQL_VALIDATION_FAILED.
 */
export function operationLimitsPlugin({ maxDepth, maxCost }: Pick<ApiLimits, 'maxDepth' | 'maxCost'>): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, request, document }) {
          if (!operation) return;
          const fragments: Record<string, FragmentDefinitionNode> = {};
          for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
          const depth = operationDepth(operation.selectionSet, fragments);
          if (depth > maxDepth) throw tooComplex(`The operation is nested ${depth} levels deep; the limit is ${maxDepth}`);
          const cost = operationCost(operation.selectionSet, fragments, request.variables ?? {});
          if (cost > maxCost) throw tooComplex(`The operation would cost ${cost}; the limit is ${maxCost}`);
        },
      };
    },
  };
}
