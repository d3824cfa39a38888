import { type AccessLog, openMemoryAccessLog, VaultError } from '@pdv/vault';
import { afterEach, expect, it } from 'vitest';

import { type Api, DPO, SERVICE, startApi } from './apiHarness.js';

let api: Api | undefined;
afterEach(async () => {
  await api?.stop();
  api = undefined;
});

it('refuses a body over the limit with 413 PAYLOAD_TOO_LARGE', async () => {
  api = await startApi({ server: { bodyLimitBytes: 2048 } });
  const res = await fetch(`${api.server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await api.token(DPO)}` },
    body: JSON.stringify({ query: `{ me { role } } # ${'x'.repeat(4096)}` }),
  });
  expect(res.status).toBe(413);
  expect(await res.json()).toEqual({
    errors: [{ message: expect.any(String), extensions: { code: 'PAYLOAD_TOO_LARGE' } }],
  });
});

it('rate-limits per principal, checking the token before choosing its bucket, however it is spelt', async () => {
  api = await startApi({ server: { rateLimitPerMinute: 3, unauthenticatedPerMinute: 2 } });
  const a = await api.token(SERVICE);
  const statuses = [];
  for (let i = 0; i < 5; i++) statuses.push((await api.gql(a, '{ me { role } }')).status);
  expect(statuses).toEqual([200, 200, 200, 429, 429]);
  const limited = await api.gql(a, '{ me { role } }');
  expect(limited.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  // Spellings authentication accepts are the same token to the limiter: still spent, not moved to the address's
  // bucket.
  for (const header of [`Bearer  ${a}`, `bearer\t${a} `, `BEARER ${a}\t`]) {
    const res = await fetch(`${api.server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: header },
      body: '{"query":"{ me { role } }"}',
    });
    expect([header.length, res.status]).toEqual([header.length, 429]);
  }
  expect((await api.gql(await api.token(DPO), '{ me { role } }')).status).toBe(200);
  for (let i = 0; i < 5; i++) expect((await fetch(`${api.server.url}/healthz`)).status).toBe(200);
});

it('counts requests without a valid token per address apart, so junk cannot lock a token out', async () => {
  api = await startApi({ server: { rateLimitPerMinute: 100, unauthenticatedPerMinute: 30 } });
  const junk = [];
  for (let i = 0; i < 32; i++) junk.push((await api.gql(`made.up.${i}`, '{ me { role } }')).status);
  expect(junk.slice(0, 30).every((s) => s === 401)).toBe(true);
  expect(junk.slice(30)).toEqual([429, 429]);
  // No token at all is the same budget (download links, probes aside).
  expect((await api.gql(undefined, '{ me { role } }')).status).toBe(429);
  expect((await fetch(`${api.server.url}/exports/${'x'.repeat(43)}`)).status).toBe(429);
  // A token minted just now, from the same address, is served: its signature is checked first.
  const fresh = await api.token({ role: 'service', name: 'billing', purposes: ['billing'] });
  expect((await api.gql(fresh, '{ me { role } }')).status).toBe(200);
  expect((await api.gql(await api.token(DPO), '{ me { role } }')).status).toBe(200);
});

it('rejects malformed JSON without quoting the body', async () => {
  api = await startApi();
  const res = await fetch(`${api.server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await api.token(DPO)}` },
    body: '{"query": "{ me { role } }", "variables": {"email": "ann@example.com"',
  });
  expect(res.status).toBe(400);
  expect(await res.text()).not.toContain('ann@example.com');
  // The request's own line, through its request logger (made when it writes), with the request id.
  const lines = api.logLines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === 'request completed');
  expect(lines).toEqual([
    expect.objectContaining({
      reqId: expect.any(String),
      req: expect.objectContaining({ method: 'POST', path: '/graphql' }),
      res: { statusCode: 400 },
    }),
  ]);
});

it('shuts down gracefully: an in-flight request finishes, then the server stops accepting connections', async () => {
  api = await startApi();
  const token = await api.token(DPO);
  const id = (await api.gql(token, 'mutation { registerSubject { subjectId } }')).data!.registerSubject.subjectId;
  const read = api.vault.reader.read.bind(api.vault.reader);
  let entered!: () => void;
  const inside = new Promise<void>((r) => (entered = r));
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  api.vault.reader.read = async (...args) => {
    entered();
    await held;
    return read(...args);
  };
  const inFlight = api.gql(token, 'query($id: ID!) { subject(id: $id, purpose: "contract") { id } }', { id });
  await inside; // the request is being served
  const closing = api.server.close();
  setTimeout(release, 100);
  const res = await inFlight;
  expect(res.status).toBe(200);
  expect(res.data!.subject.id).toBe(id);
  await closing;
  await expect(fetch(`${api.server.url}/healthz`)).rejects.toThrow();
});

it('answers a GraphQL request that does not finish in time with 503, and still shuts down', async () => {
  api = await startApi({ server: { requestTimeoutMs: 2_000 } });
  const token = await api.token(DPO);
  // Registered directly: a first request on a busy machine may itself take longer than the deadline.
  const id = (await api.vault.commands.registerSubject({ actor: 'dpo:dpo-1' })).subjectId;
  // A store that never answers.
  api.vault.reader.read = () => new Promise(() => {});
  const started = Date.now();
  const res = await api.gql(token, 'query($id: ID!) { subject(id: $id, purpose: "contract") { id } }', { id });
  expect(res.status).toBe(503);
  expect(res.errors).toEqual([{ message: expect.any(String), extensions: { code: 'SERVICE_UNAVAILABLE' } }]);
  expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(
    api.logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request timed out'),
  ).toEqual([expect.objectContaining({ reqId: expect.any(String), ms: 2_000 })]);
  // Other requests are served meanwhile, and close() does not wait for the one that never ends.
  expect((await api.gql(token, '{ me { role } }')).data).toEqual({ me: { role: 'DPO' } });
  await api.server.close();
  await expect(fetch(`${api.server.url}/healthz`)).rejects.toThrow();
});

it('answers a store failure met while resolving with 200 and SERVICE_UNAVAILABLE', async () => {
  api = await startApi();
  const token = await api.token(DPO);
  const id = (await api.vault.commands.registerSubject({ actor: 'dpo:dpo-1' })).subjectId;
  api.vault.reader.read = () =>
    Promise.reject(new VaultError('STORE_UNAVAILABLE', 'The view store did not answer in time'));
  for (const accept of ['application/json', 'application/graphql-response+json']) {
    const res = await fetch(`${api.server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept, authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: 'query($id: ID!) { me { role } subject(id: $id, purpose: "contract") { id } }',
        variables: { id },
      }),
    });
    expect([accept, res.status, res.headers.get('content-type')]).toEqual([
      accept,
      200,
      expect.stringContaining(accept),
    ]);
    // `subject` is non-null, so its failure nulls the whole data: still an executed operation (2xx), not a request
    // error.
    expect(await res.json()).toEqual({
      data: null,
      errors: [
        expect.objectContaining({
          path: ['subject'],
          extensions: { code: 'SERVICE_UNAVAILABLE', reason: 'STORE_UNAVAILABLE' },
        }),
      ],
    });
  }
});

/** `/readyz` as an operator (a DPO's token) sees it: with the reason it is not ready. */
async function readyz(): Promise<{ status: number; body: { status: string } }> {
  const res = await fetch(`${api!.server.url}/readyz`, {
    headers: { authorization: `Bearer ${await api!.token(DPO)}` },
  });
  return { status: res.status, body: (await res.json()) as { status: string } };
}

/** An access log that fails every append while `down` is set. */
function flakyAccessLog(): { accessLog: AccessLog; store: AccessLog; setDown: (down: boolean) => void } {
  const store = openMemoryAccessLog();
  let down = false;
  return {
    store,
    setDown: (d) => (down = d),
    accessLog: {
      append: (entries) =>
        down ? Promise.reject(new VaultError('STORE_UNAVAILABLE', 'access log down')) : store.append(entries),
      listBySubject: (id, o) => store.listBySubject(id, o),
      recipientsOf: (id, until) => store.recipientsOf(id, until),
      countBySubject: (id, until) => store.countBySubject(id, until),
      close: () => store.close(),
    },
  };
}

const READ_VALUES =
  'query($id: ID!) { subject(id: $id, purpose: "contract") { items { status ... on PersonalDataValue { value } } } }';

/** A subject with one email recorded, readable for `contract`. */
async function subjectWithEmail(token: string): Promise<string> {
  const id = (await api!.gql(token, 'mutation { registerSubject { subjectId } }')).data!.registerSubject.subjectId;
  const items = [
    {
      category: 'contact',
      field: 'email',
      value: 'ann@example.com',
      purpose: 'contract',
      legalBasis: 'contract',
      source: 'subject',
    },
  ];
  expect(
    (
      await api!.gql(
        token,
        'mutation($id: ID!, $items: [PersonalDataInput!]!) { recordPersonalData(subjectId: $id, items: $items) { ' +
          'revision } }',
        { id, items },
      )
    ).errors,
  ).toBeUndefined();
  await api!.vault.projector.catchUp();
  return id;
}

it('is not ready while access-log writes fail, ready again once they succeed, and loses no entry', async () => {
  const { accessLog, store, setDown } = flakyAccessLog();
  api = await startApi({ vault: { accessLog }, server: { accessLog: { flushIntervalMs: 20 } } });
  const token = await api.token(SERVICE);
  const id = await subjectWithEmail(token);
  expect((await readyz()).status).toBe(200);

  setDown(true);
  const read = await api.gql(token, READ_VALUES, { id });
  expect(read.data!.subject.items).toContainEqual({ status: 'VALUE', value: 'ann@example.com' });
  await api.server.flushAccessLog();
  expect(await readyz()).toEqual({ status: 503, body: { status: 'access log failing' } });
  // Anyone else learns only that it is not ready.
  expect(await (await fetch(`${api.server.url}/readyz`)).json()).toEqual({ status: 'not ready' });

  setDown(false);
  // The recorder retries on its own timer; readiness comes back with the write.
  const deadline = Date.now() + 5000;
  while ((await readyz()).status !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect((await readyz()).status).toBe(200);
  expect(await store.listBySubject(id)).toEqual([
    expect.objectContaining({ actor: 'service:crm', subjectId: id, categories: ['contact'] }),
  ]);
});

it('refuses reads of personal data, rather than serve them unlogged, when the access log lags', async () => {
  const { accessLog, store, setDown } = flakyAccessLog();
  api = await startApi({ vault: { accessLog }, server: { accessLog: { flushIntervalMs: 20, maxBuffered: 2 } } });
  const token = await api.token(SERVICE);
  const id = await subjectWithEmail(token);
  setDown(true);
  for (let i = 0; i < 2; i++)
    expect((await api.gql(token, READ_VALUES, { id })).data!.subject.items).toContainEqual({
      status: 'VALUE',
      value: 'ann@example.com',
    });
  await api.server.flushAccessLog();

  const refused = await api.gql(token, READ_VALUES, { id });
  expect(refused.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
  expect(JSON.stringify(refused)).not.toContain('ann@example.com');

  setDown(false);
  const deadline = Date.now() + 5000;
  while ((await readyz()).status !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  // The two reads served are logged; the refused one disclosed nothing. Reads are served again.
  expect(await store.listBySubject(id)).toHaveLength(2);
  expect((await api.gql(token, READ_VALUES, { id })).data!.subject.items).toContainEqual({
    status: 'VALUE',
    value: 'ann@example.com',
  });
});

it.each(['log', 'keys'] as const)(
  'is neither ready nor live once the %s store can no longer write (a stopped writer thread)',
  async (store) => {
    api = await startApi();
    expect((await readyz()).status).toBe(200);
    // What the embedded store reports once its writer thread has stopped (the thread itself is tested with the
    // adapter).
    Object.defineProperty(api.vault.stores[store], 'failure', {
      get: () => new VaultError('STORE_UNAVAILABLE', 'writer thread stopped'),
      configurable: true,
    });
    expect(await readyz()).toEqual({ status: 503, body: { status: 'stores unavailable' } });
    // Only a restart brings a stopped writer thread back: the liveness probe says so too.
    expect((await fetch(`${api.server.url}/healthz`)).status).toBe(503);
  },
);

it('refuses a port in use or a host it cannot listen on with CONFIG_INVALID naming the variable', async () => {
  api = await startApi();
  const port = Number(new URL(api.server.url).port);
  const { startServer, createLogger } = await import('@pdv/vault');
  const quiet = createLogger({ level: 'silent' });
  await expect(startServer(api.vault, { port, logger: quiet })).rejects.toMatchObject({
    code: 'CONFIG_INVALID',
    message: expect.stringContaining(`PORT ${port}`),
  });
  await expect(startServer(api.vault, { port: 0, host: 'no-such-host.invalid', logger: quiet })).rejects.toMatchObject({
    code: 'CONFIG_INVALID',
    message: expect.stringContaining('HOST'),
  });
  // The first server still answers.
  expect((await fetch(`${api.server.url}/healthz`)).status).toBe(200);
});

it('refuses a JSON body that is not UTF-8 with 400, instead of storing U+FFFD in place of the bytes sent', async () => {
  api = await startApi();
  const id = (
    (await api.gql(await api.token(SERVICE), 'mutation { registerSubject { subjectId } }')).data as {
      registerSubject: { subjectId: string };
    }
  ).registerSubject.subjectId;
  const query =
    'mutation($id: ID!) { recordPersonalData(subjectId: $id, items: [{ category: "contact", field: "name", value: ' +
    '"NAME", purpose: "contract", legalBasis: "contract", source: "subject" }]) { revision } }';
  const [before, after] = JSON.stringify({ query, variables: { id } }).split('NAME');
  const body = Buffer.concat([
    Buffer.from(before!),
    Buffer.from([0x41, 0x6e, 0xff, 0xfe, 0xc0, 0x65]),
    Buffer.from(after!),
  ]);
  const res = await fetch(`${api.server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await api.token(SERVICE)}` },
    body,
  });
  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
  expect((await api.vault.commands.load(id)).categories.contact).toBeUndefined();
  // Valid UTF-8, multi-byte characters included, is read as sent.
  const ok = await api.gql(await api.token(SERVICE), query.replace('NAME', 'Zoë 👩‍👧'), { id });
  expect(ok.errors).toBeUndefined();
});
