import {
  getDirectiveValues,
  GraphQLIncludeDirective,
  type GraphQLResolveInfo,
  GraphQLSkipDirective,
  Kind,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';

/**
 * Whether the selection under the field being resolved asks for the field `name` of its result,
 * directly or through fragments, honouring `@skip` and `@include`. The subject queries use it to
 * know whether `items` will record what the caller sees of a subject, or they must.
 */
export function selectsField(
  info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments' | 'variableValues'>,
  name: string,
): boolean {
  const visited = new Set<string>();
  const included = (node: SelectionNode): boolean =>
    getDirectiveValues(GraphQLSkipDirective, node, info.variableValues)?.['if'] !== true &&
    getDirectiveValues(GraphQLIncludeDirective, node, info.variableValues)?.['if'] !== false;
  const visit = (set: SelectionSetNode | undefined): boolean =>
    set?.selections.some((s) => {
      if (!included(s)) return false;
      if (s.kind === Kind.FIELD) return s.name.value === name;
      if (s.kind === Kind.INLINE_FRAGMENT) return visit(s.selectionSet);
      if (visited.has(s.name.value)) return false;
      visited.add(s.name.value);
      return visit(info.fragments[s.name.value]?.selectionSet);
    }) ?? false;
  return info.fieldNodes.some((n) => visit(n.selectionSet));
}
