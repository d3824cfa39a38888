import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import type { FastifyInstance } from 'fastify';

/** Where the vault serves the rights documents' JSON Schemas and JSON-LD contexts. */
export const SCHEMAS_PATH = '/schemas';

const MEDIA_TYPES: [suffix: string, type: string][] = [
  ['.schema.json', 'application/schema+json'],
  ['.jsonld', 'application/ld+json'],
];

export interface SchemaRouteOptions {
  /**
   * The base of the schemas' `$id`s, ending in `/` (`VAULT_SCHEMA_BASE_URL`); asked per request, as the public URL is
   * known only once the server listens.
   */
  baseUrl: () => string;
  /**
   * The directory holding the files. Default: `VAULT_SCHEMA_DIR`, else the repository's `schema/` (four levels above
   * `src/api/routes` and `dist/api/routes`).
   */
  dir?: string;
}

interface Served {
  body: string;
  etag: string;
}

/**
 * `GET /schemas/<name>`: the JSON Schemas (`*.schema.json`) of the access report, the portability
 * export and the erasure certificate, and the JSON-LD contexts (`*.jsonld`) the documents name,
 * so that a reader can fetch what a document's `$id`s and `@context` point at from the vault that
 * signed it. Only the files found at start are served, looked up by exact name: a name is never a
 * path. A schema's `$id` is relative in the repository and served absolute under `baseUrl`, so its
 * relative `$ref`s resolve to the other schemas under the same base.
 */
export async function schemaRoutes(
  app: FastifyInstance,
  { baseUrl, dir = defaultDir() }: SchemaRouteOptions,
): Promise<void> {
  const files = new Map<string, { type: string; text: string }>();
  for (const name of readdirSync(dir).sort()) {
    const type = MEDIA_TYPES.find(([suffix]) => name.endsWith(suffix))?.[1];
    if (type) files.set(name, { type, text: readFileSync(`${dir.replace(/\/$/, '')}/${name}`, 'utf8') });
  }
  // The bytes depend on the base, which is known only once the server listens: built on first
  // request for a base, kept while the base stays the same.
  let cache: { base: string; served: Map<string, Served> } | undefined;
  const served = (name: string): (Served & { type: string }) | undefined => {
    const file = files.get(name);
    if (!file) return undefined;
    const base = baseUrl();
    if (cache?.base !== base) cache = { base, served: new Map() };
    let s = cache.served.get(name);
    if (!s) {
      const body = file.type === 'application/schema+json' ? withId(file.text, new URL(name, base).href) : file.text;
      s = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
      cache.served.set(name, s);
    }
    return { ...s, type: file.type };
  };

  app.get(SCHEMAS_PATH, async (_request, reply) =>
    reply
      .header('cache-control', 'public, max-age=3600')
      .send({ schemas: [...files.keys()].map((name) => ({ name, url: new URL(name, baseUrl()).href })) }),
  );
  app.get<{ Params: { name: string } }>(`${SCHEMAS_PATH}/:name`, async (request, reply) => {
    const s = served(request.params.name);
    if (!s) return reply.code(404).send({ code: 'NOT_FOUND', message: 'No such schema or context' });
    // Public documents: any origin may read them (a JSON-LD processor in a browser fetches contexts
    // cross-origin), caches may keep them an hour and revalidate by ETag.
    void reply
      .header('cache-control', 'public, max-age=3600')
      .header('etag', s.etag)
      .header('access-control-allow-origin', '*')
      .header('x-content-type-options', 'nosniff');
    if (matches(request.headers['if-none-match'], s.etag)) return reply.code(304).send();
    return reply.type(`${s.type}; charset=utf-8`).send(s.body);
  });
}

function defaultDir(): string {
  return process.env.VAULT_SCHEMA_DIR ?? fileURLToPath(new URL('../../../../../schema/', import.meta.url));
}

/** The schema text with its root `$id` set, the rest as written. */
function withId(text: string, id: string): string {
  const schema = JSON.parse(text) as Record<string, unknown>;
  return `${JSON.stringify({ ...schema, $id: id }, null, 2)}\n`;
}

const matches = (header: string | undefined, etag: string): boolean =>
  header !== undefined && header.split(',').some((t) => t.trim() === '*' || t.trim().replace(/^W\//, '') === etag);
