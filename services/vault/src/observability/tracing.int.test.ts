import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import nacl from 'tweetnacl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunningServer } from '../api/server.js';
import type { VaultConfig } from '../config/loadConfig.js';
import { fixtureRegister } from '../testing/fixtureRegister.js';
import type { Vault } from '../vault.js';
import { tracingEnabled } from './tracing.js';
import { type RunningTracing, startTracing } from './tracingSdk.js';

const exporter = new InMemorySpanExporter();
let tracing: RunningTracing;
let dataDir: string;
let vault: Vault;
let server: RunningServer;
let token: string;

// Values written through the API: none may appear in any span attribute, event or status.
const EMAIL = 'ann.tracewell@example.com';
const NAME = 'Ann Tracewell';
const LITERAL = 'Zebediah Literalson';
const IBAN = 'NL91TRACE0417164300';

async function gql(query: string, variables?: Record<string, unknown>) {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  expect(body.errors).toBeUndefined();
  return body.data!;
}

const serverSpans = () =>
  exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER && s.name === 'POST /graphql');

/** Waits until `n` GraphQL requests' server spans have ended (a span ends just after its response is sent). */
async function settled(n: number) {
  const deadline = Date.now() + 5000;
  while (serverSpans().length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  expect(serverSpans()).toHaveLength(n);
}

/** The chain of parents of `span` inside its trace, nearest first. */
function ancestors(span: ReadableSpan, spans: readonly ReadableSpan[]): ReadableSpan[] {
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  const out: ReadableSpan[] = [];
  for (let p = span.parentSpanContext?.spanId; p !== undefined;) {
    const parent = byId.get(p);
    if (!parent) break;
    out.push(parent);
    p = parent.parentSpanContext?.spanId;
  }
  return out;
}

beforeAll(async () => {
  tracing = startTracing({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  // Loaded after the start, as `vault serve` loads them after tracingPreload.ts: graphql is patched as Apollo loads it.
  const [{ openVault }, { startServer }, { mintDevToken }, { createLogger }] = await Promise.all([
    import('../vault.js'),
    import('../api/server.js'),
    import('../auth/tokens.js'),
    import('../support/logger.js'),
  ]);
  dataDir = mkdtempSync(join(tmpdir(), 'pdv-trace-'));
  const config: VaultConfig = {
    dataDir,
    masterKey: Buffer.from(nacl.randomBytes(32)).toString('base64'),
    synchronous: 'NORMAL',
    port: 0,
    logLevel: 'silent',
  };
  vault = await openVault(config, { register: fixtureRegister(), warn: () => {} });
  server = await startServer(vault, { port: 0, logger: createLogger({ level: 'silent' }), rateLimitPerMinute: 0 });
  token = await mintDevToken(config, { role: 'service', name: 'crm', purposes: ['contract', 'billing'] });
  exporter.reset();
  // Loading the SDK and the whole service on a busy machine.
}, 120_000);

afterAll(async () => {
  await server?.close();
  await vault?.close();
  await tracing?.shutdown();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('traces of the GraphQL API', () => {
  it('make one trace per request, with the command, the projection and the store calls beneath it', async () => {
    expect(tracingEnabled()).toBe(true);
    const registered = await gql('mutation Register { registerSubject { subjectId } }');
    const id = (registered.registerSubject as { subjectId: string }).subjectId;
    const items = [
      { category: 'contact', field: 'email', value: EMAIL, purpose: 'contract', legalBasis: 'contract' },
      { category: 'contact', field: 'name', value: NAME, purpose: 'contract', legalBasis: 'contract' },
      { category: 'accounting', field: 'iban', value: IBAN, purpose: 'billing', legalBasis: 'contract' },
    ].map((i) => ({ ...i, source: 'subject' }));
    await gql(
      'mutation Record($id: ID!, $items: [PersonalDataInput!]!) { recordPersonalData(subjectId: $id, items: $items) ' +
        '{ revision } }',
      { id, items },
    );
    // A value written as a literal in the query's text, not as a variable.
    await gql(
      `mutation Rectify { rectifyPersonalData(subjectId: "${id}", items: [{ category: "contact", field: "name", ` +
        `value: "${LITERAL}", purpose: "contract", legalBasis: "contract", source: "subject" }]) { revision } }`,
    );
    const read = await gql(
      'query Read($id: ID!) { subject(id: $id, purpose: "contract") { items { status ... on PersonalDataValue ' +
        '{ value } } } }',
      { id },
    );
    expect(JSON.stringify(read)).toContain(LITERAL);
    await settled(4);

    const spans = exporter.getFinishedSpans();
    const servers = serverSpans();
    // One trace per request: four server spans in four traces, each the root of its own.
    expect(new Set(servers.map((s) => s.spanContext().traceId)).size).toBe(4);
    for (const s of servers) expect(s.parentSpanContext).toBeUndefined();
    const inTrace = (root: ReadableSpan) => spans.filter((s) => s.spanContext().traceId === root.spanContext().traceId);
    const named = (trace: ReadableSpan[], name: string) => trace.filter((s) => s.name === name);

    for (const root of servers) {
      const trace = inTrace(root);
      // Every span of the trace hangs under its request's server span.
      for (const s of trace) if (s !== root) expect(ancestors(s, trace)).toContain(root);
      // The server span is the vault's own (sampled at the root); graphql's parse span is beneath it.
      expect(root.instrumentationScope.name).toBe('@pdv/vault');
      expect(root.attributes).toEqual({
        'http.request.method': 'POST',
        'http.route': '/graphql',
        'url.path': '/graphql',
        'http.response.status_code': 200,
      });
      expect(named(trace, 'graphql.parse').length).toBeGreaterThan(0);
    }

    const [register, record, rectify, readTrace] = servers
      .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1])
      .map(inTrace);
    for (const [trace, operation, command] of [
      [register!, 'Register', 'command RegisterSubject'],
      [record!, 'Record', 'command RecordPersonalData'],
      [rectify!, 'Rectify', 'command RectifyPersonalData'],
    ] as const) {
      const [cmd] = named(trace, command);
      expect(cmd, command).toBeDefined();
      expect(ancestors(cmd!, trace).map((s) => s.name)).toContain(`graphql.execute mutation ${operation}`);
      // The append, under the command.
      const [append] = named(trace, 'eventLog.append');
      expect(ancestors(append!, trace)).toContain(cmd);
      // Read-your-writes: the batch that projects the command, and its view-store write, in the same trace.
      const [batch] = named(trace, 'projection batch');
      expect(batch).toBeDefined();
      expect(ancestors(named(trace, 'viewStore.apply')[0]!, trace)).toContain(batch);
    }
    // The record's data keys are created under its command.
    const recordCmd = named(record!, 'command RecordPersonalData')[0]!;
    expect(ancestors(named(record!, 'keyStore.createIfAbsent')[0]!, record!)).toContain(recordCmd);
    // The read: the subject's view under the operation (its keys are still in the key ring's cache from the writes).
    const [execute] = named(readTrace!, 'graphql.execute query Read');
    expect(execute?.attributes).toEqual({ 'graphql.operation.type': 'query', 'graphql.operation.name': 'Read' });
    expect(ancestors(named(readTrace!, 'viewStore.getSubjects')[0]!, readTrace!)).toContain(execute);
  });

  it('never carry a value written, a subject id or the token in an attribute, event or status', async () => {
    const spans = exporter.getFinishedSpans();
    expect(spans.length).toBeGreaterThan(40);
    const subjects = await subjectIds();
    expect(subjects.length).toBeGreaterThan(0);
    const secrets = [EMAIL, NAME, LITERAL, IBAN, token, ...subjects, 'tracewell', 'Literalson', 'TRACE0417'];
    const told = spans.map((s) =>
      JSON.stringify({ name: s.name, attributes: s.attributes, events: s.events, status: s.status, links: s.links }),
    );
    for (const secret of secrets)
      for (const t of told)
        expect(t.toLowerCase(), 'a span carries a written value').not.toContain(secret.toLowerCase());
    // The literal's place in graphql's copy of the query text is masked.
    expect(told.some((t) => t.includes('value: \\"*\\"') || t.includes('value:\\"*\\"'))).toBe(true);
  });

  it('never carry a query string on /graphql, where a caller may have put an identifier', async () => {
    const before = serverSpans().length;
    const post = (query: string) =>
      fetch(`${server.url}/graphql${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
    // Both are traced as the route they reach; the path is the route's, without the query string.
    expect((await post(`?${new URLSearchParams({ email: EMAIL }).toString()}`)).status).toBe(200);
    expect((await post('')).status).toBe(200);
    await settled(before + 2);
    for (const s of serverSpans().slice(before)) expect(s.attributes['url.path']).toBe('/graphql');
    for (const s of exporter.getFinishedSpans())
      expect(JSON.stringify(s.attributes).toLowerCase(), s.name).not.toContain('tracewell');
  });
});

/** Every subject the vault holds (one here): their ids must not be in any span either. */
async function subjectIds(): Promise<string[]> {
  const streams = (await vault.stores.log.readAll({ maxCount: 1000 })).map((e) => e.streamId);
  return [...new Set(streams.map((s) => s.replace(/^subject-/, '')))];
}
