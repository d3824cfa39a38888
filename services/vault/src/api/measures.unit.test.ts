import { type FragmentDefinitionNode, Kind, type OperationDefinitionNode, parse } from 'graphql';
import { describe, expect, it } from 'vitest';

import { operationCost, operationDepth, subjectReads, withDefaults } from './measures.js';

function measure(query: string, variables: Record<string, unknown> = {}) {
  const doc = parse(query);
  const op = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const vars = withDefaults(op, variables);
  return {
    depth: operationDepth(op.selectionSet, fragments),
    cost: operationCost(op.selectionSet, fragments, vars),
    reads: subjectReads(op.selectionSet, fragments, vars, 500),
  };
}

describe('operation limits', () => {
  it('counts depth through fragments and inline fragments', () => {
    expect(measure('{ a { b { c } } }').depth).toBe(3);
    expect(measure('{ a { ...F } } fragment F on T { b { ... on U { c { d } } } }').depth).toBe(4);
  });

  it('multiplies what subjects selects by the number of ids, literal or variable', () => {
    expect(measure('{ subjects(ids: ["1", "2", "3"], purpose: "p") { id items { status } } }').cost).toBe(1 + 3 * 3);
    expect(
      measure('query($ids: [ID!]!) { subjects(ids: $ids, purpose: "p") { id } }', { ids: Array(100).fill('x') }).cost,
    ).toBe(1 + 100);
  });

  it('counts every alias', () => {
    const aliases = Array.from({ length: 50 }, (_, i) => `a${i}: me { role }`).join(' ');
    expect(measure(`{ ${aliases} }`).cost).toBe(100);
  });

  it('measures each fragment once: fragments spreading the next twice over cost linear time, not 2^depth', () => {
    // Walked spread by spread this would take 2^40 steps (the test would never finish).
    const levels = 40;
    const defs = Array.from(
      { length: levels },
      (_, i) => `fragment F${i} on Caller { ...F${i + 1} ...F${i + 1} }`,
    ).join(' ');
    const m = measure(`{ me { ...F0 } } ${defs} fragment F${levels} on Caller { name }`);
    expect(m.depth).toBe(2);
    expect(m.cost).toBe(1 + 2 ** levels);
  });

  it('counts the subjects an operation reads over subject, subjects and findSubjects, fragments included', () => {
    const aliases = Array.from({ length: 30 }, (_, i) => `s${i}: subject(id: "x", purpose: "p") { id }`).join(' ');
    expect(measure(`{ ${aliases} }`).reads).toBe(30);
    expect(
      measure(
        'query($ids: [ID!]!) { a: subjects(ids: $ids, purpose: "p") { id } b: findSubjects(identifier: {}, ' +
          'purpose: ' +
          '"p") { ...F } } fragment F on Subject { id }',
        { ids: Array(40).fill('x') },
      ).reads,
    ).toBe(41);
    // Counted per spread, like the cost: a bound, even where GraphQL would merge the two into one field.
    expect(measure('{ ...Q ...Q } fragment Q on Query { subject(id: "x", purpose: "p") { id } }').reads).toBe(2);
    // One field counts at most the per-field limit: a longer list is refused by the field, with its path.
    expect(
      measure('query($ids: [ID!]!) { subjects(ids: $ids, purpose: "p") { id } }', { ids: Array(900).fill('x') }).reads,
    ).toBe(500);
    expect(measure('{ me { role } processingRegister { version } }').reads).toBe(0);
    expect(
      measure('{ a: accessReport(subjectId: "x") { subjectId } b: portabilityExport(subjectId: "x") { subjectId } }')
        .reads,
    ).toBe(2);
  });

  it('counts a list left to its default value as long as the default, and a given value over the default', () => {
    const ids = (n: number) => `[${Array.from({ length: n }, (_, i) => `"i${i}"`).join(', ')}]`;
    const query =
      `query($a: [ID!] = ${ids(300)}, $b: [ID!] = ${ids(300)}) { a: subjects(ids: $a, purpose: "p") { id ` +
      `} b: subjects(ids: $b, purpose: "p") { id } }`;
    expect(measure(query)).toMatchObject({ reads: 600, cost: 2 * (1 + 300) });
    expect(measure(query, { a: ['x'], b: ['y', 'z'] })).toMatchObject({ reads: 3, cost: 2 + 1 + 2 });
    // The request's own variables are not changed.
    const given = { a: ['x'] };
    expect(measure(query, given).reads).toBe(301);
    expect(given).toEqual({ a: ['x'] });
  });
});
