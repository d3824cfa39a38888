import { Kind, parse, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { operationCost, operationDepth } from './limits.js';

function measure(query: string, variables: Record<string, unknown> = {}) {
  const doc = parse(query);
  const op = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  return { depth: operationDepth(op.selectionSet, fragments), cost: operationCost(op.selectionSet, fragments, variables) };
}

describe('operation limits', () => {
  it('counts depth through fragments and inline fragments', () => {
    expect(measure('{ a { b { c } } }').depth).toBe(3);
    expect(measure('{ a { ...F } } fragment F on T { b { ... on U { c { d } } } }').depth).toBe(4);
  });

  it('multiplies what subjects selects by the number of ids, literal or variable', () => {
    expect(measure('{ subjects(ids: ["1", "2", "3"], purpose: "p") { id items { status } } }').cost).toBe(1 + 3 * 3);
    expect(measure('query($ids: [ID!]!) { subjects(ids: $ids, purpose: "p") { id } }', { ids: Array(100).fill('x') }).cost).toBe(1 + 100);
  });

  it('counts every alias', () => {
    const aliases = Array.from({ length: 50 }, (_, i) => `a${i}: me { role }`).join(' ');
    expect(measure(`{ ${aliases} }`).cost).toBe(100);
  });

  it('measures each fragment once: fragments spreading the next twice over cost linear time, not 2^depth', () => {
    // Walked spread by spread this would take 2^40 steps (the test would never finish).
    const levels = 40;
    const defs = Array.from({ length: levels }, (_, i) => `fragment F${i} on Caller { ...F${i + 1} ...F${i + 1} }`).join(' ');
    const m = measure(`{ me { ...F0 } } ${defs} fragment F${levels} on Caller { name }`);
    expect(m.depth).toBe(2);
    expect(m.cost).toBe(1 + 2 ** levels);
  });
});
