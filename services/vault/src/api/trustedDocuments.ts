import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

import {
  type ASTNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  parse,
  print,
  validate,
  visit,
} from 'graphql';

import { VaultError } from '../domain/errors.js';
import { type ApiLimits, checkDocument, checkQueryText } from './limits.js';

/**
 * The operations first-party services may send by id (`VAULT_TRUSTED_DOCUMENTS`), read from a
 * manifest in either format the GraphQL tools emit: Apollo's persisted-query manifest
 * (`{"format":"apollo-persisted-query-manifest","version":1,"operations":[{"id","body",…}]}`) or
 * The Guild's client preset (`{"<id>":"<document>",…}`). `vault trusted-documents` writes one
 * from `.graphql` files.
 */
export class TrustedDocuments {
  private constructor(private readonly byId: ReadonlyMap<string, string>) {}

  /**
   * The document of an id, as sent in `documentId` (optionally `sha256:`-prefixed) or Apollo's
   * `extensions.persistedQuery.sha256Hash`.
   */
  get(id: string): string | undefined {
    return this.byId.get(id) ?? (id.startsWith('sha256:') ? this.byId.get(id.slice(7)) : undefined);
  }

  /**
   * Reads and checks a manifest: every document parses, validates against the schema and is
   * within the limits, so a broken manifest stops the start rather than the first request.
   */
  static load(file: string, schema: GraphQLSchema, limits: ApiLimits): TrustedDocuments {
    const invalid = (why: string, cause?: unknown) =>
      new VaultError('CONFIG_INVALID', `VAULT_TRUSTED_DOCUMENTS: ${why}`, { cause });
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw invalid('must name a readable JSON manifest', e);
    }
    const entries = manifestEntries(json);
    if (!entries)
      throw invalid("not a manifest: expected Apollo's persisted-query manifest or an object of id to document");
    const byId = new Map<string, string>();
    for (const [id, body] of entries) {
      if (!id || typeof body !== 'string') throw invalid('every operation needs an id and a document');
      const text = checkQueryText(body, limits);
      if (text) throw invalid(`operation ${JSON.stringify(id)}: ${text.message}`);
      let errors: readonly Error[];
      try {
        const document = parse(body);
        const shape = checkDocument(document, limits);
        if (shape) throw invalid(`operation ${JSON.stringify(id)}: ${shape.message}`);
        errors = validate(schema, document);
      } catch (e) {
        if (e instanceof VaultError) throw e;
        throw invalid(`operation ${JSON.stringify(id)} does not parse`, e);
      }
      if (errors.length > 0)
        throw invalid(`operation ${JSON.stringify(id)} does not validate against the schema: ${errors[0]!.message}`);
      byId.set(id, body);
    }
    return new TrustedDocuments(byId);
  }
}

/** One entry of Apollo's persisted-query manifest. */
export interface ManifestOperation {
  id: string;
  name: string;
  type: 'query' | 'mutation' | 'subscription';
  body: string;
}

/**
 * A manifest in Apollo's format from GraphQL sources (the `.graphql` files of a service): one
 * entry per named operation, its text printed with the fragments it uses, so that the same
 * operation always gets the same id. Every operation must validate against the schema and be
 * within the limits; anonymous operations and duplicate names are refused.
 */
export function buildManifest(
  sources: { name: string; text: string }[],
  schema: GraphQLSchema,
  limits: ApiLimits,
): { format: 'apollo-persisted-query-manifest'; version: 1; operations: ManifestOperation[] } {
  const invalid = (why: string) => new VaultError('BAD_USER_INPUT', why);
  const operations = new Map<string, OperationDefinitionNode>();
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const { name, text } of sources) {
    let document: DocumentNode;
    try {
      document = parse(text);
    } catch (e) {
      throw invalid(`${name} does not parse: ${(e as Error).message}`);
    }
    for (const d of document.definitions) {
      if (d.kind === Kind.FRAGMENT_DEFINITION) {
        if (fragments.has(d.name.value)) throw invalid(`${name}: fragment ${d.name.value} is defined twice`);
        fragments.set(d.name.value, d);
      } else if (d.kind === Kind.OPERATION_DEFINITION) {
        if (!d.name)
          throw invalid(
            `${name}: every operation needs a name (it identifies the operation in the manifest and in logs)`,
          );
        if (operations.has(d.name.value)) throw invalid(`${name}: operation ${d.name.value} is defined twice`);
        operations.set(d.name.value, d);
      }
    }
  }
  const out: ManifestOperation[] = [];
  for (const [name, op] of [...operations].sort(([a], [b]) => a.localeCompare(b))) {
    const used = new Map<string, FragmentDefinitionNode>();
    const walk = (node: ASTNode): void => {
      visit(node, {
        FragmentSpread(spread) {
          const f = fragments.get(spread.name.value);
          if (!f) throw invalid(`operation ${name} spreads fragment ${spread.name.value}, which no file defines`);
          if (!used.has(f.name.value)) {
            used.set(f.name.value, f);
            walk(f);
          }
        },
      });
    };
    walk(op);
    const document: DocumentNode = {
      kind: Kind.DOCUMENT,
      definitions: [op, ...[...used.values()].sort((a, b) => a.name.value.localeCompare(b.name.value))],
    };
    const body = print(document);
    const errors = validate(schema, document);
    if (errors.length > 0)
      throw invalid(`operation ${name} does not validate against the schema: ${errors[0]!.message}`);
    const refusal = checkQueryText(body, limits) ?? checkDocument(document, limits);
    if (refusal) throw invalid(`operation ${name}: ${refusal.message}`);
    out.push({ id: documentId(body), name, type: op.operation, body });
  }
  return { format: 'apollo-persisted-query-manifest', version: 1, operations: out };
}

/** The id of a document: the SHA-256 of its text, hex, as Apollo's and The Guild's tools compute it. */
export const documentId = (document: string): string => createHash('sha256').update(document).digest('hex');

function manifestEntries(json: unknown): [string, unknown][] | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const o = json as Record<string, unknown>;
  if (o.format === 'apollo-persisted-query-manifest') {
    if (o.version !== 1 || !Array.isArray(o.operations)) return undefined;
    return o.operations.map((op) => {
      const { id, body } = (op ?? {}) as { id?: unknown; body?: unknown };
      return [typeof id === 'string' ? id : '', body];
    });
  }
  return Object.entries(o);
}
