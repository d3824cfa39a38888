import {
  createPrometheusMetrics,
  fixtureRegister,
  type NotificationRecipient,
  type RunningServer,
  startServer,
} from '@pdv/vault';
import nacl from 'tweetnacl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { eventually, type Reply, startReceiver } from '../integration/propagationReceivers.js';
import { dropSchema, freshSchema, probePostgres, TEST_POSTGRES_URL } from '../support/postgres.js';
import { promtool, promtoolMissing } from '../support/promtool.js';
import { type Api, DPO, SERVICE, startApi } from './apiHarness.js';

/**
 * Issue 28: a scripted flow (record, read, a refused write, requests opened and overdue, an
 * erasure, a retention sweep, an epoch rotation) and then a scrape of /metrics: the counters moved
 * as they should, nothing written (values, subject ids, request ids) appears in it, and promtool
 * accepts it. The flow runs on the embedded stores and, where the test database answers, on PostgreSQL's.
 */

const T0 = '2026-03-01T08:00:00.000Z';
const VALUES = ['Mirjam Metriek', 'mirjam.metriek@example.org', 'NL91ABNA0417164300', 'gesprek-7f3a.ogg'];

const RECORD =
  'mutation Record($id: ID!, $items: [PersonalDataInput!]!) { recordPersonalData(subjectId: $id, items: $items) ' +
  '{ revision } }';
const READ =
  'query Read($id: ID!) { subject(id: $id, purpose: "contract") { items { status ... on ' +
  'PersonalDataValue { value } } } }';
const OPEN =
  'mutation Open($id: ID!, $type: RequestType!, $at: DateTime!) { openRequest(subjectId: $id, type: $type, ' +
  'receivedAt: $at, channel: email) { id } }';
const ERASE =
  'mutation Erase($id: ID!) { eraseSubject(subjectId: $id, reason: subjectRequest) { certificate { subjectId } } }';

const item = (category: string, field: string, value: unknown, purpose = 'contract') => ({
  category,
  field,
  value,
  purpose,
  legalBasis: 'contract',
  source: 'subject',
});

/** The value of one sample, `name{labels}` exactly as exposed (labels in the order the registry writes them). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function get(url: string, token?: string): Promise<Response> {
  return fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
}

/** One vault's scripted flow: what it wrote (for the leak check), its clock and the DPO's token. */
interface Flow {
  api: Api;
  clock: { now: string };
  written: string[];
  dpo: string;
}

async function flow({ api, clock, written }: Omit<Flow, 'dpo'>): Promise<string> {
  const service = await api.token(SERVICE);
  const dpo = await api.token(DPO);
  const register = async () => {
    const id = (await api.gql(service, 'mutation { registerSubject { subjectId } }')).data!.registerSubject
      .subjectId as string;
    written.push(id);
    return id;
  };
  const kept = await register();
  const erased = await register();
  for (const id of [kept, erased]) {
    const r = await api.gql(service, RECORD, {
      id,
      items: [item('contact', 'name', VALUES[0]), item('contact', 'email', VALUES[1])],
    });
    expect(r.errors).toBeUndefined();
  }
  await api.vault.execute(
    kept,
    {
      type: 'RecordPersonalData',
      items: [
        item('callRecordings', 'recording', { name: VALUES[3], mediaType: 'audio/ogg', contentBase64: 'AAAA' }),
        item('accounting', 'iban', VALUES[2], 'billing'),
      ],
    } as never,
    { actor: 'service:crm' },
  );
  expect((await api.gql(service, READ, { id: kept })).errors).toBeUndefined();
  // A refused write: its outcome code is counted, nothing of it is stored.
  expect((await api.gql(service, RECORD, { id: kept, items: [item('nope', 'x', 'y')] })).errors).toBeDefined();

  // Forty days on: the recording is due, one request is overdue, another due within the week.
  clock.now = '2026-04-10T08:00:00.000Z';
  const late = await api.gql(dpo, OPEN, { id: kept, type: 'ACCESS', at: '2026-03-02T08:00:00.000Z' });
  const soon = await api.gql(dpo, OPEN, { id: kept, type: 'ERASURE', at: '2026-03-14T08:00:00.000Z' });
  expect(late.errors).toBeUndefined();
  expect(soon.errors).toBeUndefined();
  written.push(late.data!.openRequest.id as string, soon.data!.openRequest.id as string);
  expect((await api.gql(dpo, ERASE, { id: erased })).errors).toBeUndefined();

  const dueBefore = await api.vault.sweepRetention({ dryRun: true });
  expect(dueBefore.items.map((i) => i.category)).toContain('callRecordings');
  // Scraped once before the sweep: the due entry shows.
  const before = await (await get(`${api.server.url}/metrics`, dpo)).text();
  expect(sample(before, 'vault_retention_due')).toBeGreaterThanOrEqual(1);
  expect((await api.vault.sweepRetention()).shredded).toBeGreaterThanOrEqual(1);
  await api.vault.rotateEpoch();
  await api.server.flushAccessLog();
  return dpo;
}

/** A vault on `stores`, the flow run on it and /metrics scraped; stopped (and its schema dropped) after the suite. */
function scriptedFlow(stores: 'sqlite' | 'postgres'): { flow: () => Flow; scrape: () => string } {
  let run: Flow | undefined;
  let scraped = '';
  const schema = freshSchema('pdv_metrics');
  beforeAll(async () => {
    const clock = { now: T0 };
    const api = await startApi({
      vault: {
        now: () => clock.now,
        metrics: createPrometheusMetrics({ retentionIntervalSeconds: 3600 }),
        ...(stores === 'postgres'
          ? {
              config: {
                eventStore: 'postgres',
                stateStore: 'postgres',
                postgresUrl: TEST_POSTGRES_URL,
                postgresSchema: schema,
              },
            }
          : {}),
      },
    });
    const written = [...VALUES];
    run = { api, clock, written, dpo: '' };
    run.dpo = await flow(run);
    const res = await get(`${api.server.url}/metrics`, run.dpo);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    scraped = await res.text();
  }, 120_000);
  afterAll(async () => {
    await run?.api.stop();
    if (stores === 'postgres') await dropSchema(schema);
  });
  return { flow: () => run!, scrape: () => scraped };
}

const postgres = await probePostgres();

describeScrape('sqlite');
if (postgres.ok) describeScrape('postgres');
else {
  describe('/metrics after a scripted flow on postgres', () => {
    it('counts, times and shows the same series on the PostgreSQL stores', (ctx) => ctx.skip(postgres.reason));
  });
}

function describeScrape(stores: 'sqlite' | 'postgres'): void {
  describe(`/metrics after a scripted flow on ${stores}`, () => {
    const got = scriptedFlow(stores);
    scrapeChecks(stores, got.scrape, got.flow);
  });
}

function scrapeChecks(stores: 'sqlite' | 'postgres', scrapeOf: () => string, flowOf: () => Flow): void {
  it('counts GraphQL operations by name, type and outcome code', () => {
    const ok = 'vault_graphql_operation_duration_seconds_count{operation="Record",type="mutation",code="OK"}';
    expect(sample(scrapeOf(), ok)).toBe(2);
    const refused = 'vault_graphql_operation_duration_seconds_count{operation="Record",type="mutation",code=';
    expect(
      scrapeOf()
        .split('\n')
        .some((l) => l.startsWith(refused) && !l.includes('code="OK"')),
    ).toBe(true);
    expect(
      sample(scrapeOf(), 'vault_graphql_operation_duration_seconds_count{operation="Read",type="query",code="OK"}'),
    ).toBe(1);
    expect(sample(scrapeOf(), 'vault_http_responses_total{route="/graphql",status="200"}')).toBeGreaterThanOrEqual(6);
  });

  it('times store calls per store, adapter and operation', () => {
    for (const [store, operation] of [
      ['eventLog', 'append'],
      ['keyStore', 'shred'],
      ['viewStore', 'apply'],
      ['accessLog', 'append'],
    ]) {
      const labels = `store="${store}",adapter="${stores}",operation="${operation}"`;
      const series = `vault_store_call_duration_seconds_count{${labels}}`;
      expect(sample(scrapeOf(), series), series).toBeGreaterThan(0);
    }
  });

  it('counts the erasure, the keys shredded by reason, and the sweep with what it shredded', () => {
    expect(sample(scrapeOf(), 'vault_erasures_total{outcome="completed"}')).toBe(1);
    expect(sample(scrapeOf(), 'vault_keys_shredded_total{reason="erasure"}')).toBeGreaterThanOrEqual(1);
    expect(sample(scrapeOf(), 'vault_keys_shredded_total{reason="retention"}')).toBe(1);
    expect(sample(scrapeOf(), 'vault_retention_sweeps_total{outcome="completed"}')).toBe(1);
    expect(sample(scrapeOf(), 'vault_retention_shredded_total')).toBe(1);
    expect(sample(scrapeOf(), 'vault_retention_due')).toBe(0);
    expect(sample(scrapeOf(), 'vault_retention_last_sweep_timestamp_seconds')).toBe(
      Date.parse(flowOf().clock.now) / 1000,
    );
    expect(sample(scrapeOf(), 'vault_retention_sweep_interval_seconds')).toBe(3600);
  });

  it('shows requests open, overdue and due within 7 days by kind', () => {
    expect(sample(scrapeOf(), 'vault_requests_open{kind="ACCESS"}')).toBe(1);
    expect(sample(scrapeOf(), 'vault_requests_overdue{kind="ACCESS"}')).toBe(1);
    expect(sample(scrapeOf(), 'vault_requests_open{kind="ERASURE"}')).toBe(1);
    expect(sample(scrapeOf(), 'vault_requests_overdue{kind="ERASURE"}')).toBe(0);
    expect(sample(scrapeOf(), 'vault_requests_due_within_7d{kind="ERASURE"}')).toBe(1);
    expect(sample(scrapeOf(), 'vault_requests_open{kind="PORTABILITY"}')).toBe(0);
  });

  it('shows the projection caught up, the epoch rotated, the queues and the process', () => {
    expect(sample(scrapeOf(), 'vault_projection_lag_events')).toBe(0);
    expect(sample(scrapeOf(), 'vault_projection_lag_seconds')).toBe(0);
    expect(sample(scrapeOf(), 'vault_key_epoch')).toBe(2);
    expect(sample(scrapeOf(), 'vault_key_epochs_alive')).toBe(1);
    expect(sample(scrapeOf(), 'vault_key_epoch_rotations_total{outcome="completed"}')).toBe(1);
    expect(sample(scrapeOf(), 'vault_key_epoch_rewrapped_keys_total')).toBeGreaterThan(0);
    expect(sample(scrapeOf(), 'vault_key_epoch_rotation_running')).toBe(0);
    expect(sample(scrapeOf(), 'vault_queue_depth{queue="accessLogBuffer"}')).toBe(0);
    // The embedded stores' writer threads; PostgreSQL's adapters write through a pool and show no writer queue.
    expect(sample(scrapeOf(), 'vault_queue_depth{queue="eventLogWriter"}')).toBe(stores === 'sqlite' ? 0 : undefined);
    expect(scrapeOf()).toMatch(/^process_cpu_user_seconds_total /m);
    expect(scrapeOf()).toMatch(/^nodejs_eventloop_lag_p99_seconds /m);
  });

  it('holds no value, subject id or request id that the flow wrote', () => {
    const { written } = flowOf();
    expect(written.length).toBe(VALUES.length + 4);
    const lower = scrapeOf().toLowerCase();
    for (const w of written) expect(lower, w).not.toContain(w.toLowerCase());
  });

  it('passes promtool check metrics', (ctx) => {
    const missing = promtoolMissing();
    if (missing) return ctx.skip(missing);
    const r = promtool(['check', 'metrics'], scrapeOf());
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });
}

describe('who may scrape', () => {
  const TOKEN = 'scrape-token-of-at-least-32-characters';
  let api: Api;
  let dpo: string;
  beforeAll(async () => {
    api = await startApi({ vault: { metrics: createPrometheusMetrics({ retentionIntervalSeconds: 3600 }) } });
    dpo = await api.token(DPO);
  });
  afterAll(async () => api?.stop());

  /** A second server on the same vault, started with these metrics settings. */
  async function serverWith(settings: NonNullable<Api['vault']['config']['metrics']>): Promise<RunningServer> {
    const saved = api.vault.config.metrics;
    api.vault.config.metrics = settings;
    try {
      return await startServer(api.vault, { port: 0 });
    } finally {
      api.vault.config.metrics = saved;
    }
  }

  it('on the API port: a DPO token or the scrape token, nobody else', async () => {
    expect((await get(`${api.server.url}/metrics`)).status).toBe(401);
    expect((await get(`${api.server.url}/metrics`, await api.token(SERVICE))).status).toBe(401);
    expect((await get(`${api.server.url}/metrics`, 'not-a-token')).status).toBe(401);
    const server = await serverWith({ enabled: true, token: TOKEN });
    try {
      expect((await get(`${server.url}/metrics`, TOKEN)).status).toBe(200);
      expect((await get(`${server.url}/metrics`, dpo)).status).toBe(200);
      expect((await get(`${server.url}/metrics`, `${TOKEN}x`)).status).toBe(401);
    } finally {
      await server.close();
    }
  });

  it('with the metrics off (no metrics option, VAULT_METRICS=off in serve): no /metrics', async () => {
    const off = await startApi();
    try {
      expect(off.vault.metrics.enabled).toBe(false);
      expect((await get(`${off.server.url}/metrics`, await off.token(DPO))).status).toBe(404);
    } finally {
      await off.stop();
    }
  });

  it('with VAULT_METRICS_PORT: on that port only, with the scrape token when one is set', async () => {
    const server = await serverWith({ enabled: true, port: 0, token: TOKEN });
    try {
      expect(server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await get(`${server.url}/metrics`, dpo)).status).toBe(404);
      expect((await get(`${server.metricsUrl}/metrics`)).status).toBe(401);
      expect((await get(`${server.metricsUrl}/metrics`, dpo)).status).toBe(401);
      const ok = await get(`${server.metricsUrl}/metrics`, TOKEN);
      expect(ok.status).toBe(200);
      expect(await ok.text()).toMatch(/^vault_projection_lag_events /m);
    } finally {
      await server.close();
    }
    // Closed with the server.
    await expect(get(`${server.metricsUrl}/metrics`, TOKEN)).rejects.toThrow();
  });
});

describe('notification gauges after deliveries, failures and dead letters', () => {
  const closing: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of closing.reverse()) await c();
  });

  const webhook = async (
    name: string,
    acknowledgement: NotificationRecipient['acknowledgement'],
    reply: (id: string, attempt: number) => Reply,
  ): Promise<NotificationRecipient> => {
    const r = await startReceiver(reply);
    closing.push(() => r.close());
    const delivery = { kind: 'webhook' as const, url: r.url, secret: { env: 'UNUSED' } };
    return { name, categories: ['contact'], delivery, acknowledgement, acknowledgeWithin: 'P7D' };
  };

  it('equal the outbox counts by recipient and status after every kind of transition', async () => {
    let billingUp = false;
    const recipients: Record<string, NotificationRecipient> = {
      // Delivered, waiting for a callback; down until a retry (dead letters); a failure, then the acknowledging 2xx.
      crm: await webhook('crm', 'callback', () => ({ status: 204 })),
      billing: await webhook('billing', 'response', () => ({ status: billingUp ? 204 : 503 })),
      ledger: await webhook('ledger', 'response', (_id, attempt) => ({ status: attempt === 1 ? 500 : 204 })),
      // Pulls its feed and has not: pending.
      archive: {
        name: 'archive',
        service: 'archive',
        delivery: { kind: 'pull' },
        acknowledgement: 'callback',
        acknowledgeWithin: 'P7D',
      },
    };
    const secret = (n: string) =>
      `whsec_${Buffer.from(nacl.hash(Buffer.from(`metrics-test:${n}`)).subarray(0, 32)).toString('base64')}`;
    const api = await startApi({
      vault: {
        register: { ...fixtureRegister(), recipients },
        live: true,
        metrics: createPrometheusMetrics({ processMetrics: false }),
        propagation: {
          secrets: new Map(Object.keys(recipients).map((n) => [n, secret(n)])),
          maxAttempts: 2,
          backoffBaseMs: 10,
          backoffMaxMs: 20,
        },
      },
    });
    closing.push(() => api.stop());
    const actor = { actor: 'test' };
    for (let i = 0; i < 3; i++) {
      const { subjectId } = await api.vault.commands.registerSubject(actor);
      const items = [item('contact', 'email', `gauge${i}@example.test`)];
      await api.vault.execute(subjectId, { type: 'RecordPersonalData', items } as never, actor);
      const at = new Date().toISOString();
      await api.vault.accessLog.append([
        { actor: 'service:archive', purpose: 'contract', subjectId, categories: ['contact'], at },
      ]);
      await api.vault.erase(subjectId, { ...actor, reason: 'subjectRequest' });
    }
    const propagation = api.vault.propagation!;
    const count = (recipient: string, status: string) =>
      propagation.list({ recipient, status: status as never }).length;
    const settled = () =>
      count('crm', 'delivered') === 3 &&
      count('billing', 'deadLettered') === 3 &&
      count('ledger', 'acknowledged') === 3;
    await eventually(settled, 20_000, () => JSON.stringify(propagation.list().map((n) => n.status)));
    // A dead letter retried by the DPO once billing is back: deadLettered, pending, then acknowledged.
    billingUp = true;
    const [dead] = propagation.list({ recipient: 'billing', status: 'deadLettered' });
    await propagation.retry(dead!.due.notificationId);
    await eventually(
      () => count('billing', 'acknowledged') === 1,
      10_000,
      () => 'the retried dead letter was not acknowledged',
    );

    const text = await (await get(`${api.server.url}/metrics`, await api.token(DPO))).text();
    const expected: Record<string, Record<string, number>> = {
      crm: { pending: 0, delivered: 3, acknowledged: 0, deadLettered: 0 },
      billing: { pending: 0, delivered: 0, acknowledged: 1, deadLettered: 2 },
      ledger: { pending: 0, delivered: 0, acknowledged: 3, deadLettered: 0 },
      archive: { pending: 3, delivered: 0, acknowledged: 0, deadLettered: 0 },
    };
    for (const [recipient, byStatus] of Object.entries(expected)) {
      for (const [status, n] of Object.entries(byStatus)) {
        const series = `vault_notifications{recipient="${recipient}",status="${status}"}`;
        expect(count(recipient, status), series).toBe(n);
        expect(sample(text, series), series).toBe(n);
      }
      const dead = `vault_notifications_dead_lettered{recipient="${recipient}"}`;
      expect(sample(text, dead), dead).toBe(byStatus.deadLettered);
    }
  }, 60_000);
});
