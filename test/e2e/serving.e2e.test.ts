import { afterEach, expect, it } from 'vitest';
import { DPO, SERVICE, startApi, type Api } from './apiHarness.js';

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
  expect(await res.json()).toEqual({ errors: [{ message: expect.any(String), extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
});

it('rate-limits per principal once its token verified, and per address before, with 429 RATE_LIMITED', async () => {
  api = await startApi({ server: { rateLimitPerMinute: 3 } });
  const a = await api.token(SERVICE);
  const statuses = [];
  // The first request counts against the client address (the token is not verified yet), the rest against the service.
  for (let i = 0; i < 5; i++) statuses.push((await api.gql(a, '{ me { role } }')).status);
  expect(statuses).toEqual([200, 200, 200, 200, 429]);
  const limited = await api.gql(a, '{ me { role } }');
  expect(limited.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  expect((await api.gql(await api.token(DPO), '{ me { role } }')).status).toBe(200); // address: 2 of 3
  // Made-up tokens do not get fresh buckets: they all count against the address.
  const madeUp = [];
  for (let i = 0; i < 2; i++) madeUp.push((await api.gql(`made.up.${i}`, '{ me { role } }')).status);
  expect(madeUp).toEqual([401, 429]);
  for (let i = 0; i < 5; i++) expect((await fetch(`${api.server.url}/healthz`)).status).toBe(200);
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
