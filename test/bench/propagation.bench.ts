import { createServer, type Server } from 'node:http';

import {
  cloudEventBody,
  getWebhookTransport,
  type NotificationPayload,
  type NotificationRecipient,
  type NotificationTransport,
  type ProcessingRegister,
  type Vault,
} from '@pdv/vault';
import { Webhook } from 'standardwebhooks';
import nacl from 'tweetnacl';

import { tempVault } from '../support/tempVault.js';
import { benchRegister, load, setupApiBench } from './api.bench.js';

/**
 * Propagation (issue 26): delivery throughput against a bare loop of signed POSTs to the same receiver in the same
 * run, the lag from an erasure to its delivery to a healthy receiver, and the API's record throughput with delivery
 * running against the same API without recipients.
 */
const NOTIFICATIONS = Number(process.env.BENCH_PROPAGATION_NOTIFICATIONS ?? 2000);
const CONCURRENCY = 4;
const SECRET = `whsec_${Buffer.from(nacl.randomBytes(32)).toString('base64')}`;

/** A bare receiver: reads the body and answers 204, noting when each notification's subject arrived. */
async function startSink(): Promise<{
  url: string;
  server: Server;
  arrivals: Map<string, number>;
  count: () => number;
}> {
  const arrivals = new Map<string, number>();
  let count = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      count++;
      const subject = /"subject":"([^"]+)"/.exec(Buffer.concat(chunks).toString())?.[1];
      if (subject && !arrivals.has(subject)) arrivals.set(subject, performance.now());
      res.statusCode = 204;
      res.end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/hook`, server, arrivals, count: () => count };
}

const payload = (i: number): NotificationPayload => ({
  notificationId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  recipient: 'sink',
  subjectId: `subject-${i}`,
  action: 'erasure',
  categories: ['contact'],
  fields: [],
  occurredAt: new Date().toISOString(),
});

/** The baseline: CONCURRENCY loops, each building, signing and POSTing one CloudEvent after another. */
async function bareLoop(url: string, n: number): Promise<number> {
  const wh = new Webhook(SECRET);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < n; i = next++) {
        const p = payload(i);
        const body = cloudEventBody(p, 'urn:pdv:vault');
        const at = new Date();
        const res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/cloudevents+json; charset=utf-8',
            'webhook-id': p.notificationId,
            'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
            'webhook-signature': wh.sign(p.notificationId, at, body),
          },
          body,
        });
        await res.arrayBuffer();
        if (res.status !== 204) throw new Error(`bare loop got ${res.status}`);
      }
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

function registerFor(url: string, base: ProcessingRegister = benchRegister()): ProcessingRegister {
  const sink: NotificationRecipient = {
    name: 'sink',
    categories: Object.keys(base.categories),
    delivery: { kind: 'webhook', url, secret: { env: 'UNUSED' } },
    acknowledgement: 'response',
    acknowledgeWithin: 'P7D',
  };
  return { ...base, recipients: { sink } };
}

/** A transport that holds every delivery until `open()`: the dues pile up first, then delivery alone is timed. */
function gated(inner: NotificationTransport): NotificationTransport & { open(): void } {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  return {
    verify: (...a) => inner.verify(...a),
    deliver: async (...a) => {
      await gate;
      return inner.deliver(...a);
    },
    close: () => inner.close(),
    open,
  };
}

async function erasedSubjects(vault: Vault, n: number, concurrency = 20): Promise<void> {
  const actor = { actor: 'bench' };
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) {
        const { subjectId } = await vault.commands.registerSubject(actor);
        const items = [{ category: 'contact', field: 'email', value: `p${i}@example.test`, purpose: 'contract' }].map(
          (x) => ({ ...x, legalBasis: 'contract', source: 'subject' }),
        );
        await vault.execute(subjectId, { type: 'RecordPersonalData', items }, actor);
        await vault.erase(subjectId, { ...actor, reason: 'subjectRequest' });
      }
    }),
  );
}

/** Delivery of NOTIFICATIONS due notifications, timed from the gate's opening until the outbox is idle. */
async function deliveryRate(url: string): Promise<number> {
  const transport = gated(getWebhookTransport());
  const { vault, cleanup } = await tempVault({
    register: registerFor(url),
    live: true,
    propagation: { transport, secrets: new Map([['sink', SECRET]]), concurrency: CONCURRENCY },
  });
  try {
    await erasedSubjects(vault, NOTIFICATIONS);
    const p = vault.propagation!;
    await p.waitFor(await vault.stores.log.headPosition(), 120_000);
    if (p.list().length !== NOTIFICATIONS) throw new Error(`${p.list().length} notifications due`);
    const t0 = performance.now();
    transport.open();
    await p.idle();
    return NOTIFICATIONS / ((performance.now() - t0) / 1000);
  } finally {
    await cleanup();
  }
}

/** ms from each erasure's call to its notification's arrival, erasures one at a time, 20 a second. */
async function erasureLag(sink: Awaited<ReturnType<typeof startSink>>, n = 200): Promise<number[]> {
  const { vault, cleanup } = await tempVault({
    register: registerFor(sink.url),
    live: true,
    propagation: { secrets: new Map([['sink', SECRET]]), concurrency: CONCURRENCY },
  });
  const actor = { actor: 'bench' };
  const lags: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const { subjectId } = await vault.commands.registerSubject(actor);
      const items = [{ category: 'contact', field: 'email', value: `lag${i}@example.test`, purpose: 'contract' }];
      const full = items.map((x) => ({ ...x, legalBasis: 'contract', source: 'subject' }));
      await vault.execute(subjectId, { type: 'RecordPersonalData', items: full }, actor);
      const t0 = performance.now();
      await vault.erase(subjectId, { ...actor, reason: 'subjectRequest' });
      while (!sink.arrivals.has(subjectId)) await new Promise((resolve) => setTimeout(resolve, 1));
      lags.push(sink.arrivals.get(subjectId)! - t0);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await cleanup();
  }
  return lags.sort((a, b) => a - b);
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const median = (xs: number[]) =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

/**
 * Record throughput of the API with delivery running (every record after the first rectifies, so each request makes a
 * notification to deliver) against the same API with no recipients, in alternating rounds; the median of the ratios.
 */
async function apiWithDelivery(url: string): Promise<{ ratio: number; on: number; off: number }> {
  const seconds = Number(process.env.BENCH_API_SECONDS ?? 2);
  const rounds = Number(process.env.BENCH_PROPAGATION_API_ROUNDS ?? 5);
  const on = await setupApiBench(undefined, {
    register: registerFor(url),
    propagation: { secrets: new Map([['sink', SECRET]]), concurrency: CONCURRENCY },
  });
  const off = await setupApiBench();
  try {
    for (const s of [on, off]) await load(s.url, s.token, 'record', s.writers, seconds);
    const ratios: number[] = [];
    const rps = { on: [] as number[], off: [] as number[] };
    for (let i = 0; i < rounds; i++) {
      const a = await load(on.url, on.token, 'record', on.writers, seconds);
      // The backlog is delivered before the other API's round, so it does not slow that one.
      await Promise.race([on.vault.propagation!.idle(), new Promise((resolve) => setTimeout(resolve, 30_000))]);
      const b = await load(off.url, off.token, 'record', off.writers, seconds);
      rps.on.push(a.rps);
      rps.off.push(b.rps);
      ratios.push(a.rps / b.rps);
    }
    return { ratio: median(ratios), on: median(rps.on), off: median(rps.off) };
  } finally {
    await on.close();
    await off.close();
  }
}

export async function propagationBench(): Promise<Record<string, number>> {
  const sink = await startSink();
  try {
    await bareLoop(sink.url, 500); // warm-up: connections, JIT
    const bare = await bareLoop(sink.url, NOTIFICATIONS);
    const delivered = await deliveryRate(sink.url);
    const bareAfter = await bareLoop(sink.url, NOTIFICATIONS);
    const lags = await erasureLag(sink);
    const api = await apiWithDelivery(sink.url);
    const baseline = (bare + bareAfter) / 2;
    return {
      propagation_notifications: NOTIFICATIONS,
      propagation_bare_signed_posts_per_s: baseline,
      propagation_delivered_per_s: delivered,
      propagation_delivery_ratio_vs_bare: delivered / baseline,
      propagation_erasure_to_delivery_p50_ms: quantile(lags, 0.5),
      propagation_erasure_to_delivery_p99_ms: quantile(lags, 0.99),
      propagation_api_record_rps_with_delivery: api.on,
      propagation_api_record_rps_without: api.off,
      propagation_api_record_ratio_with_delivery: api.ratio,
    };
  } finally {
    await new Promise((resolve) => sink.server.close(resolve));
  }
}
