import { type FieldNode, type FragmentDefinitionNode, Kind, type OperationDefinitionNode, parse } from 'graphql';
import { describe, expect, it } from 'vitest';

import { selectsField } from './selectsField.js';

/** The resolve info of the query's first root field, as graphql-js and graphql-jit hand it. */
function infoOf(query: string, variableValues: Record<string, unknown> = {}) {
  const doc = parse(query);
  const op = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = Object.fromEntries(
    doc.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((f) => [f.name.value, f]),
  );
  return { fieldNodes: [op.selectionSet.selections[0] as FieldNode], fragments, variableValues };
}

describe('selectsField', () => {
  it.each([
    ['directly', '{ subject { id items { status } } }', {}, true],
    ['under an alias', '{ subject { id all: items { status } } }', {}, true],
    ['through a named fragment', '{ subject { ...F } } fragment F on Subject { items { status } }', {}, true],
    [
      'through a fragment inside a fragment',
      '{ subject { ...F } } fragment F on Subject { ...G } fragment G on Subject { items { status } }',
      {},
      true,
    ],
    ['through an inline fragment', '{ subject { ... on Subject { items { status } } } }', {}, true],
    [
      'with @include(if: true)',
      'query($y: Boolean!) { subject { items @include(if: $y) { status } } }',
      { y: true },
      true,
    ],
    ['not at all', '{ subject { id registeredAt } }', {}, false],
    ['only as a deeper field of something else', '{ subject { other { items } } }', {}, false],
    ['skipped', '{ subject { items @skip(if: true) { status } } }', {}, false],
    [
      'excluded by a variable',
      'query($y: Boolean!) { subject { items @include(if: $y) { status } } }',
      { y: false },
      false,
    ],
    ['in a skipped inline fragment', '{ subject { ... @skip(if: true) { items { status } } } }', {}, false],
    [
      'in a skipped fragment spread',
      '{ subject { ...F @skip(if: true) } } fragment F on Subject { items { status } }',
      {},
      false,
    ],
  ])('finds items selected %s: %s', (_, query, variables, expected) => {
    expect(selectsField(infoOf(query, variables), 'items')).toBe(expected);
  });

  it('ends on fragments that spread each other', () => {
    expect(
      selectsField(
        infoOf('{ subject { ...F } } fragment F on Subject { ...G } fragment G on Subject { ...F id }'),
        'items',
      ),
    ).toBe(false);
  });
});
