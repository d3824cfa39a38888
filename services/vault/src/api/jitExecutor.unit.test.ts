import { Module } from 'node:module';

import { ApolloServer } from '@apollo/server';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { describe, expect, it, vi } from 'vitest';

import { jitGateway } from './jitExecutor.js';

const schema = makeExecutableSchema({
  typeDefs: 'type Query { hello(name: String!): String }',
  resolvers: { Query: { hello: (_: unknown, a: { name: string }) => `hello ${a.name}` } },
});

describe('jitGateway', () => {
  it('runs operations compiled by graphql-jit, refusing variables that do not coerce as BAD_USER_INPUT', async () => {
    const server = new ApolloServer({ gateway: jitGateway(schema) });
    await server.start();
    try {
      const ok = await server.executeOperation({
        query: 'query($n: String!) { hello(name: $n) }',
        variables: { n: 'x' },
      });
      expect(ok.body.kind === 'single' && ok.body.singleResult).toMatchObject({ data: { hello: 'hello x' } });
      const bad = await server.executeOperation({
        query: 'query($n: String!) { hello(name: $n) }',
        variables: { n: 5 },
      });
      expect(bad.http.status).toBe(400);
      expect(bad.body.kind === 'single' && bad.body.singleResult.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    } finally {
      await server.stop();
    }
  });

  it('says which variable, and where in it, a value does not coerce, as graphql-js does', async () => {
    const nested = makeExecutableSchema({
      typeDefs: 'input J { e: E! n: Int } enum E { A B } input I { a: String! j: J } type Query { f(x: [I!]!): Int }',
      resolvers: { Query: { f: (_: unknown, a: { x: unknown[] }) => a.x.length } },
    });
    const server = new ApolloServer({ gateway: jitGateway(nested) });
    await server.start();
    try {
      const run = async (x: unknown) => {
        const r = await server.executeOperation({ query: 'query($x: [I!]!) { f(x: $x) }', variables: { x } });
        return r.body.kind === 'single' ? r.body.singleResult : undefined;
      };
      expect((await run([{ a: 'ok', j: { e: 'A', n: 1 } }]))?.data).toEqual({ f: 1 });
      const cases: [unknown, string][] = [
        [
          [{ a: 123 }],
          'Variable "$x" got invalid value 123 at "x[0].a"; String cannot represent a non string value: 123',
        ],
        [
          [{ a: 'ok' }, { a: 'ok', j: { e: 'C' } }],
          'Variable "$x" got invalid value "C" at "x[1].j.e"; Value "C" does not exist in "E" enum. Did you mean ' +
            'the ' +
            'enum value "A" or "B"?',
        ],
        [
          [{ a: 'ok', j: { e: 'A', n: 'ann' } }],
          'Variable "$x" got invalid value "ann" at "x[0].j.n"; Int cannot represent non-integer value: "ann"',
        ],
      ];
      for (const [x, message] of cases) {
        const r = await run(x);
        expect(r?.errors?.map((e) => [e.message, e.extensions?.code])).toEqual([[message, 'BAD_USER_INPUT']]);
      }
    } finally {
      await server.stop();
    }
  });

  it('hashes each query for Apollo without a require of crypto per request (patched)', async () => {
    // Unpatched, @apollo/utils.createhash calls module.require("crypto") for every request's query hash: on Node 24
    // a walk of the module resolution each time (patches/README.md).
    const server = new ApolloServer({ gateway: jitGateway(schema) });
    await server.start();
    const require = vi.spyOn(Module.prototype, 'require');
    try {
      for (const name of ['a', 'b', 'c']) {
        const res = await server.executeOperation({ query: `{ hello(name: "${name}") }` });
        expect(res.body.kind === 'single' && res.body.singleResult.data).toEqual({ hello: `hello ${name}` });
      }
      expect(require.mock.calls.filter(([id]) => id === 'crypto')).toEqual([]);
    } finally {
      require.mockRestore();
      await server.stop();
    }
  });

  it('gets an Apollo request context whose response status is a prototype accessor (patched)', async () => {
    // Unpatched, Apollo builds the gateway's response.http as an object literal with get/set
    // status: V8 allocates that accessor pair in the old generation on every request, and the
    // pair keeps the whole request alive through every scavenge until a full GC (scavenges of
    // 10-15 ms instead of 2-4 in the API benchmark). `npm ci` applies the patch (postinstall).
    let seen: GatewayGraphQLRequestContext | undefined;
    const inner = jitGateway(schema);
    const server = new ApolloServer({
      gateway: {
        ...inner,
        load: async (options) => {
          const { executor } = await inner.load(options);
          if (!executor) throw new Error('jitGateway loaded no executor');
          return {
            executor: async (rc) => {
              seen = rc;
              rc.response!.http!.status = 299;
              return executor(rc);
            },
          };
        },
      },
    });
    await server.start();
    try {
      const res = await server.executeOperation({ query: '{ hello(name: "y") }' });
      expect(res.http.status).toBe(299);
      expect(seen).toBeDefined();
      expect(Object.getOwnPropertyDescriptor(seen!.response!.http!, 'status')).toBeUndefined();
      expect(seen!.response!.http!.status).toBe(299);
    } finally {
      await server.stop();
    }
  });
});
