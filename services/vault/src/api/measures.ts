import {
  type FieldNode,
  type FragmentDefinitionNode,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  valueFromASTUntyped,
  type ValueNode,
} from 'graphql';

/**
 * What an operation asks of the server, measured on its syntax tree before anything runs: depth,
 * size, cost, subjects read and writes. Pure functions; `limits.ts` compares them with the limits.
 */

export type Fragments = ReadonlyMap<string, FragmentDefinitionNode>;

/**
 * A fragment's measure, computed once per operation however often it is spread: fragments that
 * spread each other twice over would otherwise be walked 2^depth times (a query of 1 KB could
 * hold the event loop for minutes). A cycle (refused by graphql's NoFragmentCycles rule before
 * the limits run) counts nothing.
 */
function viaFragment(
  name: string,
  fragments: Fragments,
  memo: Map<string, number>,
  measure: (f: FragmentDefinitionNode) => number,
): number {
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
    if (s.kind === Kind.FIELD)
      max = Math.max(max, s.selectionSet ? 1 + operationDepth(s.selectionSet, fragments, memo) : 1);
    else if (s.kind === Kind.INLINE_FRAGMENT) max = Math.max(max, operationDepth(s.selectionSet, fragments, memo));
    else
      max = Math.max(
        max,
        viaFragment(s.name.value, fragments, memo, (f) => operationDepth(f.selectionSet, fragments, memo)),
      );
  }
  return max;
}

/**
 * The request's variables with the operation's defaults filled in where the request gives none, as
 * execution will: a list the client leaves to a default (`$ids: [ID!] = [...]`) counts as long as it is.
 */
export function withDefaults(
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): Record<string, unknown> {
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
    // A variable left out (or null) holds nothing; a single value stands for a list of one, as GraphQL coerces it.
    return v == null ? 0 : Array.isArray(v) ? v.length : 1;
  }
  return 1;
}

/** The cost of a selection set with the request's variables: list arguments multiply what they select. */
export function operationCost(
  set: SelectionSetNode,
  fragments: Fragments,
  variables: Record<string, unknown>,
  memo = new Map<string, number>(),
): number {
  let cost = 0;
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) cost += fieldCost(s, fragments, variables, memo);
    else if (s.kind === Kind.INLINE_FRAGMENT) cost += operationCost(s.selectionSet, fragments, variables, memo);
    else
      cost += viaFragment(s.name.value, fragments, memo, (f) =>
        operationCost(f.selectionSet, fragments, variables, memo),
      );
  }
  return cost;
}

/** How many ids a `subjects` field asks for (undefined without an `ids` argument). */
const idsOf = (field: FieldNode, variables: Record<string, unknown>): number | undefined =>
  listLength(field.arguments?.find((a) => a.name.value === 'ids')?.value, variables);

function fieldCost(
  field: FieldNode,
  fragments: Fragments,
  variables: Record<string, unknown>,
  memo: Map<string, number>,
): number {
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
export function subjectReads(
  set: SelectionSetNode,
  fragments: Fragments,
  variables: Record<string, unknown>,
  perField = Infinity,
  memo = new Map<string, number>(),
): number {
  let reads = 0;
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) {
      const own = Object.hasOwn(SUBJECT_READS, s.name.value)
        ? Math.min(perField, SUBJECT_READS[s.name.value]!(s, variables))
        : 0;
      reads += own > 0 ? own : s.selectionSet ? subjectReads(s.selectionSet, fragments, variables, perField, memo) : 0;
    } else if (s.kind === Kind.INLINE_FRAGMENT)
      reads += subjectReads(s.selectionSet, fragments, variables, perField, memo);
    else
      reads += viaFragment(s.name.value, fragments, memo, (f) =>
        subjectReads(f.selectionSet, fragments, variables, perField, memo),
      );
  }
  return reads;
}

/** The fragment definitions of a document by name. */
export function fragmentsOf(definitions: readonly { kind: Kind }[]): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of definitions)
    if (d.kind === Kind.FRAGMENT_DEFINITION)
      fragments.set((d as FragmentDefinitionNode).name.value, d as FragmentDefinitionNode);
  return fragments;
}

/**
 * Fields an operation selects, with every fragment spread counted as often as it is spread: what
 * validation's overlap check and the compiler walk. `aliased` counts only fields under an alias
 * other than their own name (the way one request repeats a field many times).
 */
export function operationFields(
  set: SelectionSetNode,
  fragments: Fragments,
  aliased = false,
  memo = new Map<string, number>(),
): number {
  let n = 0;
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) {
      if (!aliased || (s.alias && s.alias.value !== s.name.value)) n += 1;
      if (s.selectionSet) n += operationFields(s.selectionSet, fragments, aliased, memo);
    } else if (s.kind === Kind.INLINE_FRAGMENT) n += operationFields(s.selectionSet, fragments, aliased, memo);
    else
      n += viaFragment(s.name.value, fragments, memo, (f) => operationFields(f.selectionSet, fragments, aliased, memo));
  }
  return n;
}

/** Mutation fields whose list argument holds that many items: each item is one value or one category written. */
const ITEM_LISTS: Record<string, string> = {
  recordPersonalData: 'items',
  rectifyPersonalData: 'items',
  restrictProcessing: 'categories',
  liftRestriction: 'categories',
};

export interface Writes {
  /** Mutation fields (commands), aliases and fragment spreads included. */
  commands: number;
  /**
   * Values, categories and consents they write: a list argument's length (plus the consents given with it), else 1 a
   * command.
   */
  items: number;
}

/**
 * What a mutation writes, counted over its root fields with the request's variables. Fields are
 * collected as execution collects them: by response key (alias, else name), through fragments and
 * inline fragments, so a key spread twice runs (and counts) once and every alias counts again.
 */
export function operationWrites(
  set: SelectionSetNode,
  fragments: Fragments,
  variables: Record<string, unknown>,
): Writes {
  const byKey = new Map<string, FieldNode>();
  const collect = (s: SelectionSetNode, seen: ReadonlySet<string>): void => {
    for (const sel of s.selections) {
      if (sel.kind === Kind.FIELD) {
        const key = sel.alias?.value ?? sel.name.value;
        if (sel.name.value !== '__typename' && !byKey.has(key)) byKey.set(key, sel);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) collect(sel.selectionSet, seen);
      else {
        const f = fragments.get(sel.name.value);
        if (f && !seen.has(f.name.value)) collect(f.selectionSet, new Set([...seen, f.name.value]));
      }
    }
  };
  collect(set, new Set());
  let items = 0;
  for (const field of byKey.values()) {
    const list = ITEM_LISTS[field.name.value];
    items +=
      (list ? listLength(field.arguments?.find((a) => a.name.value === list)?.value, variables) : undefined) ?? 1;
    // Consents given with a write are written too (an event each).
    items += listLength(field.arguments?.find((a) => a.name.value === 'consents')?.value, variables) ?? 0;
  }
  return { commands: byKey.size, items };
}
