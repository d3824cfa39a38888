import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';

import { schemaRoutes } from './schemas.js';

const repoSchemas = fileURLToPath(new URL('../../../../../schema/', import.meta.url));

async function app(baseUrl = 'https://vault.example/schemas/', dir?: string) {
  const a = Fastify();
  await a.register(schemaRoutes, { baseUrl: () => baseUrl, ...(dir ? { dir } : {}) });
  return a;
}

describe('schemas', () => {
  const names = readdirSync(repoSchemas).filter((f) => f.endsWith('.schema.json'));

  it('serves every schema of the repository with its $id under the configured base, the rest as written', async () => {
    expect(names).toEqual(
      expect.arrayContaining([
        'access-report.schema.json',
        'portability-export.schema.json',
        'erasure-certificate.schema.json',
      ]),
    );
    const a = await app('https://schemas.example.org/pdv/v1/');
    for (const name of names) {
      const res = await a.inject({ method: 'GET', url: `/schemas/${name}` });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/schema+json; charset=utf-8');
      const { $id, ...rest } = res.json<Record<string, unknown>>();
      expect($id).toBe(`https://schemas.example.org/pdv/v1/${name}`);
      const { $id: _, ...written } = JSON.parse(readFileSync(join(repoSchemas, name), 'utf8')) as Record<
        string,
        unknown
      >;
      expect(rest).toEqual(written);
    }
  });

  it('keeps the $refs between schemas relative, so they resolve under the same base', () => {
    for (const name of names) {
      const refs = [...readFileSync(join(repoSchemas, name), 'utf8').matchAll(/"\$ref": "([^"]+)"/g)].map((m) => m[1]!);
      expect(refs.filter((r) => /^[a-z]+:/.test(r) || r.startsWith('/'))).toEqual([]);
    }
  });

  describe('with a context file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pdv-schemas-'));
    writeFileSync(join(dir, 'a.schema.json'), '{"$id":"a.schema.json","type":"object"}');
    writeFileSync(join(dir, 'vault-context-v1.jsonld'), '{"@context":{"dpv":"https://w3id.org/dpv#"}}');
    writeFileSync(join(dir, 'api.graphql'), 'type Query { a: Int }');
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('serves a JSON-LD context as application/ld+json, byte for byte', async () => {
      const res = await (await app(undefined, dir)).inject({ method: 'GET', url: '/schemas/vault-context-v1.jsonld' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/ld+json; charset=utf-8');
      expect(res.body).toBe('{"@context":{"dpv":"https://w3id.org/dpv#"}}');
    });

    it('lets any origin read them, caches them an hour and revalidates by ETag', async () => {
      const a = await app(undefined, dir);
      const first = await a.inject({ method: 'GET', url: '/schemas/a.schema.json' });
      expect(first.headers).toMatchObject({
        'cache-control': 'public, max-age=3600',
        'access-control-allow-origin': '*',
        'x-content-type-options': 'nosniff',
        etag: expect.stringMatching(/^"[A-Za-z0-9_-]+"$/),
      });
      const again = await a.inject({
        method: 'GET',
        url: '/schemas/a.schema.json',
        headers: { 'if-none-match': first.headers.etag as string },
      });
      expect([again.statusCode, again.body]).toEqual([304, '']);
      // Another base is another document: the ETag changes with the $id.
      const other = await (
        await app('https://elsewhere.example/s/', dir)
      ).inject({
        method: 'GET',
        url: '/schemas/a.schema.json',
        headers: { 'if-none-match': first.headers.etag as string },
      });
      expect(other.statusCode).toBe(200);
      expect(other.json()).toEqual({ $id: 'https://elsewhere.example/s/a.schema.json', type: 'object' });
    });

    it('lists what it serves, and nothing else of the directory', async () => {
      const res = await (await app(undefined, dir)).inject({ method: 'GET', url: '/schemas' });
      expect(res.json()).toEqual({
        schemas: [
          { name: 'a.schema.json', url: 'https://vault.example/schemas/a.schema.json' },
          { name: 'vault-context-v1.jsonld', url: 'https://vault.example/schemas/vault-context-v1.jsonld' },
        ],
      });
    });

    it.each([
      'api.graphql',
      '..%2Fpackage.json',
      '..%2F..%2Fetc%2Fpasswd',
      '%2Fetc%2Fpasswd',
      'a.schema.json%00',
      'A.SCHEMA.JSON',
    ])('answers 404 for %s: a name is never a path', async (name) => {
      const res = await (await app(undefined, dir)).inject({ method: 'GET', url: `/schemas/${name}` });
      expect([res.statusCode, res.json().code]).toEqual([404, 'NOT_FOUND']);
    });
  });
});
