import { Kind, type OperationDefinitionNode, parse } from 'graphql';
import { describe, expect, it } from 'vitest';

import { checkDocument, checkOperation, checkQueryText, DEFAULT_LIMITS } from './limits.js';

const operation = (query: string) => {
  const document = parse(query);
  return {
    document,
    operation: document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!,
  };
};
const aliases = (n: number, field: string) => Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ');

describe('limits on the query text', () => {
  it('refuses a text over the byte limit by its UTF-8 bytes, not its characters', () => {
    expect(checkQueryText(`{ me { role } } #${'x'.repeat(100)}`, { maxQueryBytes: 100, maxTokens: 100 })?.limit).toBe(
      'maxQueryBytes',
    );
    // 40 characters of three bytes each: 120 bytes.
    expect(checkQueryText(`{ me { role } } #${'€'.repeat(40)}`, { maxQueryBytes: 100, maxTokens: 100 })?.limit).toBe(
      'maxQueryBytes',
    );
    expect(
      checkQueryText(`{ me { role } } #${'€'.repeat(20)}`, { maxQueryBytes: 100, maxTokens: 100 }),
    ).toBeUndefined();
  });

  it('counts tokens up to one past the limit, comments not counted, and names the setting', () => {
    const r = checkQueryText('{ me { role name purposes } }', { maxQueryBytes: 1000, maxTokens: 6 });
    expect(r).toEqual({
      code: 'QUERY_TOO_COMPLEX',
      limit: 'maxTokens',
      message: expect.stringContaining('VAULT_MAX_QUERY_TOKENS'),
    });
    // Eight tokens: { me { role name purposes } }.
    expect(
      checkQueryText('{ me { role name purposes } } # a comment of many words', { maxQueryBytes: 1000, maxTokens: 8 }),
    ).toBeUndefined();
    expect(checkQueryText('{ me { role name purposes } }', { maxQueryBytes: 1000, maxTokens: 7 })?.limit).toBe(
      'maxTokens',
    );
  });

  it('leaves a text the lexer refuses to the parser, which reports it as a syntax error', () => {
    expect(checkQueryText('{ me { "unterminated } }', DEFAULT_LIMITS)).toBeUndefined();
  });
});

describe('limits on the shape of the document', () => {
  it('counts fields with each fragment spread as often as it is spread', () => {
    const doc = parse(`{ ...A ...A } fragment A on Query { ...B ...B } fragment B on Query { me { role name } }`);
    // B is 3 fields, A two Bs, the operation two As: 12.
    expect(checkDocument(doc, { maxDepth: 10, maxFields: 12, maxAliases: 30 })).toBeUndefined();
    expect(checkDocument(doc, { maxDepth: 10, maxFields: 11, maxAliases: 30 })?.limit).toBe('maxFields');
  });

  it('refuses fragments that double at every level long before they are walked 2^n times', () => {
    const levels = Array.from(
      { length: 40 },
      (_, i) =>
        `fragment F${i} on Query { ${i === 39 ? 'me { role }' : `...F${i + 1} x${i}: me { role } ...F${i + 1}`} }`,
    );
    const started = performance.now();
    expect(checkDocument(parse(`{ ...F0 } ${levels.join(' ')}`), DEFAULT_LIMITS)?.limit).toBe('maxFields');
    // A walk that followed every spread would take 2^40 steps; counted once per fragment it takes microseconds. The
    // bound is wide for a loaded machine and still far below what even 2^30 steps would take.
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('counts only fields under an alias other than their name as aliases', () => {
    expect(checkDocument(parse(`{ ${aliases(30, 'me { role }')} me: me { role } }`), DEFAULT_LIMITS)).toBeUndefined();
    expect(checkDocument(parse(`{ ${aliases(31, 'me { role }')} }`), DEFAULT_LIMITS)?.limit).toBe('maxAliases');
  });

  it('checks every operation of a document, not only the first', () => {
    expect(
      checkDocument(parse(`query A { me { role } } query B { ${aliases(31, 'me { role }')} }`), DEFAULT_LIMITS)?.limit,
    ).toBe('maxAliases');
  });
});

describe('limits on what an operation writes', () => {
  const limits = { ...DEFAULT_LIMITS, maxCommandsPerRequest: 3, maxItemsPerRequest: 10 };

  it('counts each mutation field once per response key, through fragments', () => {
    const { document, operation: op } = operation(
      'mutation { ...M ...M a: registerSubject { subjectId } } fragment M on Mutation { registerSubject { subjectId ' +
        '} b: registerSubject { subjectId } }',
    );
    expect(checkOperation(op, document, {}, limits)).toEqual({ subjectReads: 0, commands: 3, items: 3 });
    const four = operation(
      'mutation { ...M c: registerSubject { subjectId } a: registerSubject { subjectId } } fragment M on Mutation { ' +
        'registerSubject { subjectId } b: registerSubject { subjectId } }',
    );
    expect(checkOperation(four.operation, four.document, {}, limits)).toEqual({
      refusal: expect.objectContaining({ code: 'WRITE_LIMIT_EXCEEDED', limit: 'maxCommandsPerRequest' }),
    });
  });

  it('counts the items of each call, from a literal list, a variable or a default', () => {
    const items = Array.from({ length: 4 }, () => ({}));
    const { document, operation: op } = operation(
      'mutation($i: [PersonalDataInput!]!, $d: [PersonalDataInput!]! = [{}, {}]) { a: recordPersonalData(subjectId: ' +
        '"s", items: $i) { revision } b: rectifyPersonalData(subjectId: "s", items: $d) { revision } c: ' +
        'restrictProcessing(subjectId: "s", categories: ["x", "y", "z"], reason: accuracyContested) { revision } }',
    );
    expect(checkOperation(op, document, { i: items }, limits)).toEqual({ subjectReads: 0, commands: 3, items: 9 });
    expect(checkOperation(op, document, { i: [...items, {}, {}] }, limits)).toEqual({
      refusal: expect.objectContaining({ limit: 'maxItemsPerRequest' }),
    });
  });

  it('counts the consents given with a write as items too', () => {
    const { document, operation: op } = operation(
      'mutation($c: [ConsentInput!]) { recordPersonalData(subjectId: "s", items: [{}, {}], consents: $c) { revision ' +
        '} }',
    );
    expect(checkOperation(op, document, { c: [{}, {}, {}] }, limits)).toEqual({
      subjectReads: 0,
      commands: 1,
      items: 5,
    });
    expect(checkOperation(op, document, {}, limits)).toEqual({ subjectReads: 0, commands: 1, items: 2 });
  });

  it('does not count queries as writes', () => {
    const { document, operation: op } = operation(`{ ${aliases(5, 'me { role }')} }`);
    expect(checkOperation(op, document, {}, limits)).toEqual({ subjectReads: 0, commands: 0, items: 0 });
  });
});
