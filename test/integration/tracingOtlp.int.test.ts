import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadConfig, mintDevToken } from '@pdv/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startServeProcess } from '../support/cliProcess.js';
import { dropSchema, freshSchema, probePostgres, TEST_POSTGRES_URL } from '../support/postgres.js';

/**
 * `vault serve` as operators run it, with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a receiver this test starts: the
 * spans really leave the process by OTLP/HTTP (JSON here, so the test reads them without protobuf), from the
 * instrumentations the CLI starts before the modules they patch load (HTTP, graphql, pg), beneath the vault's own
 * server span and beside its own spans. On PostgreSQL when it answers, so the pg spans of its adapters are there too.
 */

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: Record<string, unknown> }[];
}

const postgres = await probePostgres();
const EMAIL = 'otlp.ann@example.com';
const NAME = 'Ann Otlpsend';

async function freePort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

let receiver: Server;
const bodies: string[] = [];
const spans = () =>
  bodies.flatMap((b) =>
    (JSON.parse(b) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] }).resourceSpans.flatMap((r) =>
      r.scopeSpans.flatMap((s) => s.spans),
    ),
  );

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') bodies.push(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
});

afterAll(async () => {
  await new Promise((r) => receiver.close(r));
});

const where = postgres.ok ? 'on PostgreSQL' : `on SQLite: ${postgres.reason}`;

describe(`vault serve with an OTLP endpoint (${where})`, () => {
  it('sends one trace per GraphQL request to the endpoint, with no written value in it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pdv-otlp-'));
    const schema = freshSchema('pdv_otlp');
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      VAULT_DATA_DIR: dataDir,
      VAULT_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
      PORT: String(port),
      VAULT_RETENTION_INTERVAL_MINUTES: '0',
      VAULT_LOG_LEVEL: 'warn',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      ...(postgres.ok
        ? {
            VAULT_EVENT_STORE: 'postgres',
            VAULT_STATE_STORE: 'postgres',
            VAULT_POSTGRES_URL: TEST_POSTGRES_URL,
            VAULT_POSTGRES_SCHEMA: schema,
          }
        : {}),
    };
    const { child, stderr } = await startServeProcess(env);
    try {
      const token = await mintDevToken(loadConfig({ ...env }), {
        role: 'service',
        name: 'crm',
        purposes: ['contract'],
      });
      const gql = async (query: string, variables?: Record<string, unknown>) => {
        const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query, variables }),
        });
        const body = (await res.json()) as { data?: Record<string, { subjectId: string }>; errors?: unknown };
        expect(body.errors, stderr()).toBeUndefined();
        return body.data!;
      };
      const id = (await gql('mutation Register { registerSubject { subjectId } }')).registerSubject!.subjectId;
      const items = [
        { category: 'contact', field: 'email', value: EMAIL },
        { category: 'contact', field: 'name', value: NAME },
      ].map((i) => ({ ...i, purpose: 'contract', legalBasis: 'contract', source: 'subject' }));
      await gql(
        'mutation Record($id: ID!, $items: [PersonalDataInput!]!) { ' +
          'recordPersonalData(subjectId: $id, items: $items) { revision } }',
        { id, items },
      );
      await gql('query Read($id: ID!) { subject(id: $id, purpose: "contract") { items { status } } }', { id });
      // A health probe makes no trace.
      await fetch(`http://127.0.0.1:${port}/healthz`);

      // SIGTERM: serve closes, and the SDK exports what it still holds before the process ends.
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;

      const all = spans();
      const servers = all.filter((s) => s.kind === 2 && s.name.startsWith('POST'));
      expect(servers.map((s) => s.name)).toEqual(['POST /graphql', 'POST /graphql', 'POST /graphql']);
      expect(new Set(servers.map((s) => s.traceId)).size).toBe(3);
      const byId = new Map(all.map((s) => [s.spanId, s]));
      const chain = (s: OtlpSpan) => {
        const out: string[] = [];
        for (let p = s.parentSpanId; p && byId.has(p); p = byId.get(p)!.parentSpanId) out.push(byId.get(p)!.name);
        return out;
      };
      const record = all.find((s) => s.name === 'command RecordPersonalData')!;
      expect(chain(record)).toEqual(expect.arrayContaining(['graphql.execute mutation Record', 'POST /graphql']));
      const append = all.find((s) => s.name === 'eventLog.append' && s.traceId === record.traceId)!;
      expect(chain(append)).toContain('command RecordPersonalData');
      expect(all.some((s) => s.name === 'graphql.parse')).toBe(true);
      // The server span is the vault's own, and the root of its trace.
      for (const s of servers) expect(s.parentSpanId ?? '').toBe('');
      if (postgres.ok) {
        // The adapter's queries, beneath the store call that made them.
        const queries = all.filter((s) => s.name.startsWith('pg.query') && s.traceId === record.traceId);
        expect(queries.length).toBeGreaterThan(0);
        expect(queries.some((q) => chain(q).includes('eventLog.append'))).toBe(true);
      }
      for (const secret of [EMAIL, NAME, id, token, 'Otlpsend'])
        for (const b of bodies) expect(b.includes(secret), 'an exported span carries a written value').toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
      if (postgres.ok) await dropSchema(schema);
    }
    // A process to start and load on a busy machine.
  }, 120_000);
});
