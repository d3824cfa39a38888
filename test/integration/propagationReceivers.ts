import type { IncomingHttpHeaders } from 'node:http';

import Fastify, { type FastifyInstance } from 'fastify';

/** What one attempt gets: an answer (a failing status too), a hang past the vault's timeout, or a dropped socket. */
export type Reply = { status: number; delayMs?: number } | 'hang' | 'destroy';

/** One request as the receiver got it: the raw body and headers, exactly as they arrived. */
export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** Requests that were answered 2xx, by `webhook-id`. */
  delivered: Map<string, Received[]>;
  /** The most requests it was handling at one time. */
  maxInFlight: number;
  close(): Promise<void>;
  /** Listens again on the same port (a receiver that went down and came back). */
  restart(): Promise<void>;
}

/**
 * A real HTTP receiver on the loopback interface: `reply(id, attempt)` decides what the attempt'th request
 * for one notification (`webhook-id`) gets. It keeps every byte it received, for the signature and leak checks.
 */
export async function startReceiver(reply: (id: string, attempt: number) => Reply, port = 0): Promise<Receiver> {
  const received: Received[] = [];
  const delivered = new Map<string, Received[]>();
  const attempts = new Map<string, number>();
  const counts = { now: 0, max: 0 };
  let app: FastifyInstance;
  const listen = async (p: number) => {
    app = Fastify({ logger: false, forceCloseConnections: true });
    app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    app.post('/hook', async (req, res) => {
      const r: Received = { headers: req.headers, body: req.body as string, at: Date.now() };
      received.push(r);
      const id = String(req.headers['webhook-id']);
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      const what = reply(id, attempt);
      counts.max = Math.max(counts.max, ++counts.now);
      res.raw.once('close', () => counts.now--);
      if (what === 'hang') return new Promise(() => {});
      if (what === 'destroy') {
        req.raw.socket.destroy();
        return res;
      }
      if (what.delayMs) await new Promise((resolve) => setTimeout(resolve, what.delayMs));
      if (what.status >= 200 && what.status < 300) {
        const list = delivered.get(id) ?? [];
        list.push(r);
        delivered.set(id, list);
      }
      return res.code(what.status).send();
    });
    await app.listen({ port: p, host: '127.0.0.1' });
    return (app.server.address() as { port: number }).port;
  };
  const bound = await listen(port);
  return {
    url: `http://127.0.0.1:${bound}/hook`,
    port: bound,
    received,
    delivered,
    get maxInFlight() {
      return counts.max;
    },
    close: () => app.close(),
    restart: async () => {
      await listen(bound);
    },
  };
}

/** Resolves once `done()` holds, polling; fails after `timeoutMs` with `what` in the message. */
export async function eventually(done: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > until) throw new Error(`timed out: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A contact value recorded for `contract`, as the propagation suites record their subjects' data. */
export const contactItem = (field: string, value: string) => ({
  category: 'contact',
  field,
  value,
  purpose: 'contract',
  legalBasis: 'contract',
  source: 'subject',
});

/** Runs `work(i)` for i < n, `width` at a time. */
export async function inParallel(n: number, width: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let i = next++; i < n; i = next++) await work(i);
    }),
  );
}
