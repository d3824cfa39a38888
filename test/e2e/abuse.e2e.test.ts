import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadConfig, mintDevToken, type Principal } from '@pdv/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startServeProcess } from '../support/cliProcess.js';

/**
 * The requests a hostile client with a valid token sends to make the vault do unbounded work,
 * against `vault serve` in its own process, with `/healthz` polled from another connection all
 * along: each is refused with its code before anything runs, nothing is written, and the probe is
 * answered within 50 ms throughout.
 */

const SERVICE: Principal = { role: 'service', name: 'crm', purposes: ['contract', 'customerService', 'marketing'] };
const DPO: Principal = { role: 'dpo', name: 'dpo-1' };

let dir: string;
let base: string;
let stop: () => void;
let serverPid: number;
let tokens: Record<'service' | 'dpo' | 'subject', string>;
let subjectId: string;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.once('error', reject);
  });
}

interface Answer {
  status: number;
  codes: string[];
  limits: unknown[];
  data?: Record<string, unknown> | null;
}

async function gql(token: string, query: string, variables?: Record<string, unknown>): Promise<Answer> {
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as {
    data?: Record<string, unknown> | null;
    errors?: { extensions?: { code?: string; limit?: unknown } }[];
  };
  return {
    status: res.status,
    codes: (body.errors ?? []).map((e) => e.extensions?.code ?? ''),
    limits: (body.errors ?? []).map((e) => e.extensions?.limit),
    data: body.data,
  };
}

/** The log's head position, as an operator's `/readyz` tells it: what any write would move. */
async function position(): Promise<number> {
  const res = await fetch(`${base}/readyz`, { headers: { authorization: `Bearer ${tokens.dpo}` } });
  return ((await res.json()) as { position: number }).position;
}

/**
 * CPU time the server process has used (user + system), in ms, from /proc: what its work costs whatever else the
 * machine runs.
 */
function serverCpuMs(): number {
  const fields = readFileSync(`/proc/${serverPid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S;
}
const TICKS_PER_S = 100;

/**
 * Polls `/healthz` on a connection of its own while `work` runs, and again for as long with
 * nothing else going on. The probe's slowest answer during the work, less its slowest answer
 * alone, is how long the work held the server up: on a shared machine a round trip alone can
 * take tens of milliseconds, which says nothing about the vault. Also the server's CPU time.
 */
async function probeDuring(
  work: () => Promise<unknown>,
): Promise<{ heldMs: number; probes: number; cpuMs: number; result: unknown }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(`${base}/healthz`);
  const probe = () =>
    new Promise<number>((resolve, reject) => {
      const t = performance.now();
      const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, agent }, (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(performance.now() - t)
            : reject(new Error(`healthz answered ${res.statusCode}`)),
        );
      });
      req.on('error', reject);
      req.end();
    });
  const poll = async (until: () => boolean) => {
    let slowest = 0;
    let probes = 0;
    while (!until()) {
      slowest = Math.max(slowest, await probe());
      probes++;
    }
    return { slowest, probes };
  };
  await probe(); // the connection is open before the work starts
  let done = false;
  const started = performance.now();
  const cpuBefore = serverCpuMs();
  const during = poll(() => done);
  let result: unknown;
  try {
    result = await work();
  } finally {
    done = true;
  }
  const { slowest, probes } = await during;
  const cpuMs = serverCpuMs() - cpuBefore;
  const took = performance.now() - started;
  const alone = await poll(() => performance.now() - started > 2 * took);
  agent.destroy();
  return { heldMs: slowest - alone.slowest, probes, cpuMs, result };
}

/** Fragment `i` of twelve: each spreads the next twice, so the fields double at every level. */
const doubling = (i: number) =>
  `fragment F${i} on Query { ${i === 11 ? 'me { role }' : `...F${i + 1} x${i}: me { role } ...F${i + 1}`} }`;

/** `n` aliases of `field`, named `<prefix><i>` (a prefix per round makes a text the server has not seen). */
const aliases = (n: number, field: string, prefix = 'a') =>
  Array.from({ length: n }, (_, i) => `${prefix}${i}: ${field}`).join(' ');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vault-abuse-'));
  const env = {
    ...process.env,
    VAULT_DATA_DIR: dir,
    PORT: String(await freePort()),
    HOST: '127.0.0.1',
    VAULT_JWT_SECRET: 'abuse-suite-secret-abuse-suite-secret',
    VAULT_LOG_LEVEL: 'warn',
    VAULT_RETENTION_INTERVAL_MINUTES: '0',
    VAULT_COMMANDS_PER_MINUTE: '40',
    VAULT_ITEMS_PER_MINUTE: '100000',
    VAULT_RATE_LIMIT_PER_MINUTE: '100000',
  };
  const { child } = await startServeProcess(env);
  stop = () => child.kill('SIGKILL');
  serverPid = child.pid!;
  base = `http://127.0.0.1:${env.PORT}`;
  const config = loadConfig(env);
  tokens = { service: await mintDevToken(config, SERVICE), dpo: await mintDevToken(config, DPO), subject: '' };
  const registered = await gql(tokens.service, 'mutation { registerSubject { subjectId } }');
  subjectId = (registered.data!.registerSubject as { subjectId: string }).subjectId;
  tokens.subject = await mintDevToken(config, { role: 'subject', subjectId });
}, 60_000);

afterAll(() => {
  stop?.();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs `attempt` (fresh texts each time: a refusal must not lean on a cache) up to six times and
 * keeps the round that held the server least. A request that stalls the event loop stalls it in
 * every round; a slow round on a shared machine (another process took the core) says nothing
 * about the vault, and the best of six filters it out (under a full CI run on 2 cores, three
 * rounds in a row once came in at 57 ms and more).
 */
async function leastHeld(
  attempt: (round: number) => Promise<unknown>,
): Promise<{ heldMs: number; cpuMs: number; results: unknown[] }> {
  let best: { heldMs: number; cpuMs: number } | undefined;
  const results: unknown[] = [];
  for (let round = 0; round < 6; round++) {
    const r = await probeDuring(() => attempt(round));
    expect(r.probes).toBeGreaterThan(0);
    results.push(r.result);
    if (!best || r.heldMs < best.heldMs) best = r;
    if (best.heldMs < 50) break;
  }
  return { ...best!, results };
}

describe('requests that would hold the event loop are refused before they run', () => {
  const queries = (round: number): [string, string, string][] => [
    // The case: 10,000 aliases, 189 KB.
    ['10,000 aliases of me', `{ ${aliases(10_000, 'me { name }', `r${round}a`)} }`, 'maxQueryBytes'],
    // Under the byte limit, over the token limit.
    ['2,000 compact aliases', `{r${round}:me{role} ${aliases(2_000, 'me{name}')}}`, 'maxTokens'],
    // Under the token limit, over the field limit.
    ['600 fields', `{r${round}:me{role} ${aliases(300, 'me{name}')}}`, 'maxFields'],
    ['40 aliases', `{r${round}:me{role} ${aliases(40, 'me{role}')}}`, 'maxAliases'],
    // Fragments that spread each other: small text, a field count that doubles at each level.
    [
      'fragments doubling',
      `{ r${round}: me { role } ...F0 } ${Array.from({ length: 12 }, (_, i) => doubling(i)).join(' ')}`,
      'maxFields',
    ],
  ];

  for (const role of ['subject', 'service', 'dpo'] as const) {
    it(
      `from a ${role} token: each refused with QUERY_TOO_COMPLEX naming its limit, /healthz within 50 ms ` +
        `throughout`,
      async () => {
        const { heldMs, cpuMs, results } = await leastHeld((round) =>
          Promise.all(queries(round).map(([, q]) => gql(tokens[role], q))),
        );
        for (const answers of results as Answer[][]) {
          expect(answers.map((a, i) => [queries(0)[i]![0], a.status, a.codes, a.limits])).toEqual(
            queries(0).map(([name, , limit]) => [name, 400, ['QUERY_TOO_COMPLEX'], [limit]]),
          );
        }
        expect(heldMs).toBeLessThan(50);
        // Five refusals and the probes: tens of ms of CPU in all, where the 10,000 aliases alone took seconds
        // before the limits.
        expect(cpuMs).toBeLessThan(250);
      },
    );
  }

  it('the largest query the limits admit runs, and /healthz stays within 50 ms', async () => {
    // 30 aliases and 150 fields (60 under aliases, 90 under the one key `me`), padded with a comment to the byte limit.
    const largest = (round: number, alias: string) => {
      const merged = Array.from({ length: 22 }, () => 'me { role name purposes }').join(' ');
      const body = `${aliases(30, 'me { role }', `${alias}${round}x`)} ${merged} me { role }`;
      const text = `{ ${body} }`;
      return `${text}\n#${'x'.repeat(32_768 - Buffer.byteLength(text) - 3)}`;
    };
    expect(Buffer.byteLength(largest(0, 'a'))).toBeLessThanOrEqual(32_768);
    const { heldMs, results } = await leastHeld((round) =>
      Promise.all([gql(tokens.dpo, largest(round, 'a')), gql(tokens.service, largest(round, 'b'))]),
    );
    for (const answers of results as Answer[][]) {
      expect(answers.map((a) => [a.status, a.codes])).toEqual([
        [200, []],
        [200, []],
      ]);
    }
    expect(heldMs).toBeLessThan(50);
  });
});

describe('writes are bounded per request and per principal, and a refused request writes nothing', () => {
  it('refuses 1,000 aliases of recordPersonalData and 10,000 of registerSubject, writing nothing', async () => {
    const before = await position();
    const items = Array.from({ length: 10 }, (_, i) => ({
      category: 'customer',
      field: 'customerNumber',
      value: `C-${i}`,
      purpose: 'contract',
      legalBasis: 'contract',
      source: 'subject',
    }));
    const record = (round: number) =>
      `mutation($id: ID!, $items: [PersonalDataInput!]!) { ${aliases(
        1_000,
        'recordPersonalData(subjectId: $id, items: $items) { revision }',
        `r${round}a`,
      )} }`;
    const register = (round: number) =>
      `mutation { ${aliases(10_000, 'registerSubject { subjectId }', `r${round}a`)} }`;
    const { heldMs, cpuMs, results } = await leastHeld((round) =>
      Promise.all([
        gql(tokens.service, record(round), { id: subjectId, items }),
        gql(tokens.service, register(round)),
        gql(tokens.dpo, register(round)),
        gql(tokens.subject, record(round), { id: subjectId, items }),
      ]),
    );
    for (const answers of results as Answer[][])
      for (const a of answers) expect([a.status, a.codes, a.data ?? null]).toEqual([400, ['QUERY_TOO_COMPLEX'], null]);
    expect(heldMs).toBeLessThan(50);
    expect(cpuMs).toBeLessThan(250);
    expect(await position()).toBe(before);
  });

  it('refuses more commands or items than one request may hold, before the first write', async () => {
    const before = await position();
    const many = await gql(tokens.service, `mutation { ${aliases(11, 'registerSubject { subjectId }')} }`);
    expect([many.status, many.codes, many.limits]).toEqual([400, ['WRITE_LIMIT_EXCEEDED'], ['maxCommandsPerRequest']]);
    const items = Array.from({ length: 100 }, () => ({
      category: 'customer',
      field: 'customerNumber',
      value: 'C-1',
      purpose: 'contract',
      legalBasis: 'contract',
      source: 'subject',
    }));
    const big = await gql(
      tokens.service,
      `mutation($id: ID!, $items: [PersonalDataInput!]!) { ${aliases(
        6,
        'recordPersonalData(subjectId: $id, items: $items) { revision }',
      )} }`,
      { id: subjectId, items },
    );
    expect([big.status, big.codes, big.limits]).toEqual([400, ['WRITE_LIMIT_EXCEEDED'], ['maxItemsPerRequest']]);
    // A fragment spread on Mutation counts its commands as execution runs them.
    const spread = await gql(
      tokens.dpo,
      `mutation { ...M ...M } fragment M on Mutation { ${aliases(11, 'registerSubject { subjectId }')} }`,
    );
    expect([spread.status, spread.codes]).toEqual([400, ['WRITE_LIMIT_EXCEEDED']]);
    expect(await position()).toBe(before);
  });

  it("spends a principal's minute of commands, refuses the next request whole with 429, leaves others", async () => {
    // Each request holds 10 commands; the budget is 40 a minute (less what the suite spent already).
    const statuses: number[] = [];
    let refusedAt = -1;
    for (let i = 0; i < 6; i++) {
      const before = await position();
      const a = await gql(tokens.dpo, `mutation { ${aliases(10, 'registerSubject { subjectId }')} }`);
      statuses.push(a.status);
      if (a.status === 429) {
        expect(a.codes).toEqual(['RATE_LIMITED']);
        expect(await position()).toBe(before);
        refusedAt = i;
        break;
      }
    }
    expect(statuses.slice(0, -1).every((s) => s === 200)).toBe(true);
    expect(refusedAt).toBeGreaterThan(0);
    expect(refusedAt).toBeLessThanOrEqual(4);
    const other = await gql(tokens.service, 'mutation { registerSubject { subjectId } }');
    expect(other.status).toBe(200);
  });
});
