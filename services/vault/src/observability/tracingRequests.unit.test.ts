import { request } from 'node:http';
import type { AddressInfo } from 'node:net';

import { context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { inSpan } from './tracing.js';
import { traceRequests } from './tracingRequests.js';
import { type RunningTracing, startTracing } from './tracingSdk.js';

// A new one with each SDK: shutting the SDK down stops its exporter for good.
let exporter = new InMemorySpanExporter();
let running: RunningTracing | undefined;
let app: FastifyInstance | undefined;
const saved = { sampler: process.env.OTEL_TRACES_SAMPLER, arg: process.env.OTEL_TRACES_SAMPLER_ARG };

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const traceparent = (sampled: boolean) => `00-${TRACE_ID}-${CALLER_SPAN}-0${sampled ? 1 : 0}`;

/** What the handler saw: the span active in it and in a command it ran, for each request. */
const seen: { handler: Span | undefined; command: Span | undefined }[] = [];

/** A Fastify app with the route traced as the GraphQL route is, and an untraced one beside it. */
async function serve(sampler: string, arg: string): Promise<FastifyInstance> {
  process.env.OTEL_TRACES_SAMPLER = sampler;
  process.env.OTEL_TRACES_SAMPLER_ARG = arg;
  exporter = new InMemorySpanExporter();
  running = startTracing({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const server = Fastify();
  traceRequests(server, '/graphql');
  server.post('/graphql', async (request) => {
    const handler = trace.getSpan(context.active());
    const command = await inSpan('command Test', {}, async () => {
      await new Promise((r) => setTimeout(r, Number(request.headers['x-test-delay-ms'] ?? 1)));
      return trace.getSpan(context.active());
    });
    seen.push({ handler, command });
    return { ok: true };
  });
  server.get('/healthz', async () => ({ ok: true }));
  await server.ready();
  app = server;
  return server;
}

afterEach(async () => {
  await app?.close();
  await running?.shutdown();
  app = undefined;
  running = undefined;
  exporter.reset();
  seen.length = 0;
  for (const [key, value] of [
    ['OTEL_TRACES_SAMPLER', saved.sampler],
    ['OTEL_TRACES_SAMPLER_ARG', saved.arg],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

const post = (server: FastifyInstance, headers: Record<string, string> = {}, url = '/graphql') =>
  server.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, payload: '{}' });

describe('the GraphQL route’s server span, sampled at the root', () => {
  it('makes one trace per request, the handler’s spans beneath it, with its route and status only', async () => {
    const server = await serve('parentbased_always_on', '1');
    const email = 'ann.routewell@example.com';
    for (const url of ['/graphql', `/graphql?${new URLSearchParams({ email }).toString()}`])
      expect((await post(server, {}, url)).statusCode).toBe(200);
    expect((await server.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    await vi.waitFor(() => expect(exporter.getFinishedSpans()).toHaveLength(4), { timeout: 5000 });
    const spans = exporter.getFinishedSpans();
    const servers = spans.filter((s) => s.kind === SpanKind.SERVER);
    expect(servers.map((s) => s.name)).toEqual(['POST /graphql', 'POST /graphql']);
    for (const root of servers) {
      expect(root.parentSpanContext).toBeUndefined();
      expect(root.instrumentationScope.name).toBe('@pdv/vault');
      // The query string, where a caller may have put an identifier, is in no attribute.
      expect(root.attributes).toEqual({
        'http.request.method': 'POST',
        'http.route': '/graphql',
        'url.path': '/graphql',
        'http.response.status_code': 200,
      });
      const [command] = spans.filter((s) => s.spanContext().traceId === root.spanContext().traceId && s !== root);
      expect(command?.name).toBe('command Test');
      expect(command?.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    }
    expect(new Set(servers.map((s) => s.spanContext().traceId)).size).toBe(2);
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain('routewell');
  });

  it('makes no span and enters no context for the requests the sampler drops', async () => {
    const server = await serve('parentbased_traceidratio', '0');
    const answers = await Promise.all(Array.from({ length: 300 }, () => post(server)));
    expect(answers.every((a) => a.statusCode === 200)).toBe(true);
    expect(seen).toHaveLength(300);
    // Not a non-recording span either: nothing was active in the handler or in the command it ran.
    for (const s of seen) expect(s).toEqual({ handler: undefined, command: undefined });
    await new Promise((r) => setTimeout(r, 300));
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('ends the span of a request whose caller went away before the answer as ABORTED, once', async () => {
    const server = await serve('parentbased_always_on', '1');
    await server.listen({ port: 0, host: '127.0.0.1' });
    const { port } = server.server.address() as AddressInfo;
    const body = '{}';
    const headers = { 'content-type': 'application/json', 'content-length': body.length, 'x-test-delay-ms': 300 };
    const gone = request({ host: '127.0.0.1', port, method: 'POST', path: '/graphql', headers });
    gone.on('error', () => {});
    gone.end(body);
    setTimeout(() => gone.destroy(), 50);
    await vi.waitFor(() => expect(exporter.getFinishedSpans()).toHaveLength(2), { timeout: 5000 });
    await new Promise((r) => setTimeout(r, 300));
    const servers = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);
    expect(servers).toHaveLength(1);
    expect(servers[0]!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'ABORTED' });
    expect(servers[0]!.attributes['error.type']).toBe('ABORTED');
  });

  it('follows a caller’s traceparent: a sampled trace continued at any ratio, a dropped one dropped', async () => {
    const server = await serve('parentbased_traceidratio', '0');
    expect((await post(server, { traceparent: traceparent(true) })).statusCode).toBe(200);
    await vi.waitFor(() => expect(exporter.getFinishedSpans()).toHaveLength(2), { timeout: 5000 });
    const root = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER)!;
    expect(root.spanContext().traceId).toBe(TRACE_ID);
    expect(root.parentSpanContext?.spanId).toBe(CALLER_SPAN);
    expect(root.parentSpanContext?.isRemote).toBe(true);
    expect(seen[0]!.command?.spanContext().traceId).toBe(TRACE_ID);

    await app!.close();
    await running!.shutdown();
    exporter.reset();
    seen.length = 0;
    const always = await serve('parentbased_always_on', '1');
    expect((await post(always, { traceparent: traceparent(false) })).statusCode).toBe(200);
    expect(seen[0]).toEqual({ handler: undefined, command: undefined });
    await new Promise((r) => setTimeout(r, 300));
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });
});
