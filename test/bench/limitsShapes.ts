// Request shapes for limits.bench.ts, shared by the bench and its client process: the widest
// requests the default limits admit, each made fresh (a prefix per request) so that no cache
// (Apollo's parsed documents, the compiled operations) answers for it.

/** `n` aliases of `field` named `<prefix><i>`. */
const aliases = (n: number, field: string, prefix: string) =>
  Array.from({ length: n }, (_, i) => `${prefix}${i}: ${field}`).join(' ');

/** Fragment `k` of six: the last selects three fields, each other spreads the next twice. */
const fragment = (k: number) =>
  `fragment F${k} on Query { ${k === 5 ? 'me { role name purposes }' : `...F${k + 1} ...F${k + 1}`} }`;

/** The default text limit in bytes (VAULT_MAX_QUERY_BYTES). */
const MAX_BYTES = 32_768;

export const SHAPES = {
  /** The baseline: one field, the same text every time. */
  trivial: () => '{ __typename }',
  /** 150 fields (30 aliases of 2, then 90 merged under one key), a comment filling the text to its byte limit. */
  widest: (i: number) => {
    const merged = Array.from({ length: 22 }, () => 'me { role name purposes }').join(' ');
    const text = `{ ${aliases(30, 'me { role }', `q${i}x`)} ${merged} me { role } }`;
    return `${text}\n#${'x'.repeat(MAX_BYTES - Buffer.byteLength(text) - 3)}`;
  },
  /**
   * 128 fields reached through fragments that spread each other twice at five levels: 32 copies of one selection to
   * merge.
   */
  fragments: (i: number) => `query Q${i} { ...F0 } ${Array.from({ length: 6 }, (_, k) => fragment(k)).join(' ')}`,
  /** 10 commands, the most one request may hold. */
  commands: (i: number) => `mutation M${i} { ${aliases(10, 'registerSubject { subjectId }', 'r')} }`,
} as const;

export type Shape = keyof typeof SHAPES;
