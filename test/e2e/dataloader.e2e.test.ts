import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  createLogger,
  fixtureRegister,
  mintDevToken,
  openStores,
  openVault,
  type RunningServer,
  startServer,
  type Vault,
  type VaultConfig,
} from '@pdv/vault';
import nacl from 'tweetnacl';
import { afterAll, beforeAll, expect, it } from 'vitest';

/** Wraps a store so that every call of every method is counted: one call is one round trip. */
function counting<T extends object>(store: T, counts: Map<string, number>, prefix: string): T {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        const name = `${prefix}.${String(prop)}`;
        counts.set(name, (counts.get(name) ?? 0) + 1);
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

const N = 100;
let dataDir: string;
let config: VaultConfig;
let vault: Vault;
let server: RunningServer;
let token: string;
const ids: string[] = [];
const counts = new Map<string, number>();

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'pdv-dl-'));
  config = {
    dataDir,
    masterKey: Buffer.from(nacl.randomBytes(32)).toString('base64'),
    synchronous: 'NORMAL',
    port: 0,
    logLevel: 'silent',
  };
  const register = fixtureRegister();
  const writer = await openVault(config, { register, warn: () => {} });
  await Promise.all(
    Array.from({ length: N }, async (_, i) => {
      const id = `dl-${i}`;
      ids.push(id);
      await writer.commands.execute(id, { type: 'RegisterSubject' }, { actor: 'test' });
      await writer.commands.execute(
        id,
        {
          type: 'RecordPersonalData',
          items: [
            {
              category: 'contact',
              field: 'email',
              value: `p${i}@example.com`,
              purpose: 'contract',
              legalBasis: 'contract',
              source: 'subject',
            },
            {
              category: 'contact',
              field: 'name',
              value: `Person ${i}`,
              purpose: 'contract',
              legalBasis: 'contract',
              source: 'subject',
            },
            {
              category: 'accounting',
              field: 'iban',
              value: `NL00TEST${i}`,
              purpose: 'billing',
              legalBasis: 'contract',
              source: 'subject',
            },
          ],
        },
        { actor: 'test' },
      );
    }),
  );
  await writer.projector.catchUp();
  await writer.close();

  // A fresh vault (cold key cache) over counting proxies of the same files.
  const stores = await openStores(config);
  vault = await openVault(config, {
    register,
    warn: () => {},
    stores: {
      log: stores.log,
      keys: counting(stores.keys, counts, 'keys'),
      views: counting(stores.views, counts, 'views'),
    },
  });
  // Room for N aliased subject fields in one query (past the default alias and field limits): the batching is what is
  // measured here.
  server = await startServer(vault, {
    port: 0,
    logger: createLogger({ level: 'silent' }),
    rateLimitPerMinute: 0,
    limits: { maxAliases: N, maxFields: 10 * N, maxQueryBytes: 65_536 },
  });
  token = await mintDevToken(config, { role: 'service', name: 'crm', purposes: ['contract', 'billing'] });
});

afterAll(async () => {
  await server?.close();
  await vault?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function roundTrips(
  query: string,
  variables: Record<string, unknown>,
  bearer = token,
): Promise<{ views: number; keys: number; data: any }> {
  counts.clear();
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data: any; errors?: unknown };
  expect(body.errors).toBeUndefined();
  const sum = (prefix: string) => [...counts].filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + v, 0);
  return { views: sum('views.'), keys: sum('keys.'), data: body.data };
}

const ITEMS = 'id items { status ... on PersonalDataValue { value } }';

it(
  `a query for ${N} subjects makes two view queries and one key batch, and one view query once the snapshots are ` +
    `kept`,
  async () => {
    const query = `query($ids: [ID!]!) { subjects(ids: $ids, purpose: "contract") { ${ITEMS} } }`;
    const cold = await roundTrips(query, { ids });
    expect(cold.data.subjects).toHaveLength(N);
    expect(
      cold.data.subjects.every((s: { items: { status: string }[] }) => s.items.some((i) => i.status === 'VALUE')),
    ).toBe(true);
    // Which snapshots are current, then the ones the reader does not hold yet.
    expect(counts.get('views.subjectPositions')).toBe(1);
    expect(counts.get('views.getSubjects')).toBe(1);
    expect(counts.get('keys.getByIds')).toBe(1);
    expect(cold.views + cold.keys).toBe(3);

    const warm = await roundTrips(query, { ids });
    expect(warm.data).toEqual(cold.data);
    expect(counts.get('views.subjectPositions')).toBe(1);
    expect(counts.get('views.getSubjects')).toBeUndefined();
    expect(warm.views + warm.keys).toBe(1);
  },
);

it(`${N} separate subject fields in one query are batched into the same constant number of round trips`, async () => {
  const aliases = ids.map((id, i) => `s${i}: subject(id: "${id}", purpose: "billing") { ${ITEMS} }`).join(' ');
  // Whether or not an earlier test left the snapshots kept: one position check for all N fields,
  // at most one load of the snapshots not kept, at most one key batch.
  const many = await roundTrips(`{ ${aliases} }`, {});
  expect(Object.keys(many.data)).toHaveLength(N);
  expect(
    Object.values(many.data).every((s) =>
      (s as { items: { status: string }[] }).items.some((i) => i.status === 'VALUE'),
    ),
  ).toBe(true);
  expect(counts.get('views.subjectPositions')).toBe(1);
  expect(counts.get('views.getSubjects') ?? 0).toBeLessThanOrEqual(1);
  expect(many.views).toBeLessThanOrEqual(2);
  expect(many.keys).toBeLessThanOrEqual(1);
  // And once they are kept: the position check alone.
  const again = await roundTrips(`{ ${aliases} }`, {});
  expect(again.data).toEqual(many.data);
  expect(counts.get('views.subjectPositions')).toBe(1);
  expect(again.views).toBe(1);
  expect(again.keys).toBeLessThanOrEqual(1);
});

it('two purposes in one request cost one view query, not one per subject or per purpose', async () => {
  const half = ids.slice(0, 50);
  const r = await roundTrips(
    `query($ids: [ID!]!) { a: subjects(ids: $ids, purpose: "contract") { id } b: subjects(ids: $ids, purpose: ` +
      `"billing") { id } }`,
    { ids: half },
  );
  expect(r.data.a).toHaveLength(50);
  // One reader call per purpose, and their position checks go out together.
  expect(r.views).toBe(1);
});

it('reads that reach the reader in the same turn check their snapshots with one view query between them', async () => {
  const request = { purpose: 'contract', callerPurposes: ['contract'] };
  await vault.reader.read(ids.slice(0, 20), request); // every snapshot kept
  counts.clear();
  // Twenty separate requests' reads, each started from a callback of its own in one turn of the
  // event loop, as the requests of sockets that became readable together are.
  const reads = await Promise.all(
    ids
      .slice(0, 20)
      .map(
        (id) =>
          new Promise<Awaited<ReturnType<Vault['reader']['read']>>>((resolve, reject) =>
            setImmediate(() => void vault.reader.read([id], request).then(resolve, reject)),
          ),
      ),
  );
  expect(reads.map((r) => [...r.keys()])).toEqual(ids.slice(0, 20).map((id) => [id]));
  expect(counts.get('views.subjectPositions')).toBe(1);
  expect(counts.get('views.getSubjects')).toBeUndefined();
  // Each later read asks again: a write committed in between is seen.
  await vault.commands.execute(
    ids[0]!,
    {
      type: 'RectifyPersonalData',
      items: [
        {
          category: 'contact',
          field: 'name',
          value: 'Renamed',
          purpose: 'contract',
          legalBasis: 'contract',
          source: 'subject',
        },
      ],
    },
    { actor: 'test' },
  );
  await vault.projector.catchUp();
  const name = (await vault.reader.read([ids[0]!], request)).get(ids[0]!)!.items.find((i) => i.field === 'name');
  expect(name?.status === 'VALUE' ? name.value : name).toBe('Renamed');
  expect(counts.get('views.subjectPositions')).toBe(2);
});

it('the DPO lists refused requests with reasons in one view query and one key batch', async () => {
  const dpo = { actor: 'dpo:test' };
  const refused = ids.slice(0, 20);
  for (const [i, id] of refused.entries()) {
    const requestId = await vault.rights.openRequest(
      id,
      { requestType: 'ACCESS', receivedAt: vault.now(), channel: 'email' },
      dpo,
    );
    await vault.rights.step(requestId, { type: 'RefuseRequest', requestId, reason: `reason ${i}` }, dpo);
  }
  const bearer = await mintDevToken(config, { role: 'dpo', name: 'dpo-1' });
  const listed = await roundTrips('{ requests(status: REFUSED) { subjectId refusalReason } }', {}, bearer);
  expect(listed.data.requests).toHaveLength(20);
  expect(
    new Set(
      listed.data.requests.map(
        (q: { subjectId: string; refusalReason: string }) => `${ids.indexOf(q.subjectId)}:${q.refusalReason}`,
      ),
    ),
  ).toEqual(new Set(refused.map((_, i) => `${i}:reason ${i}`)));
  // The listing itself, then every subject's snapshot at once, and their keys in one batch.
  expect(counts.get('views.listTracked')).toBe(1);
  expect(counts.get('views.getSubjects')).toBe(1);
  expect(listed.keys).toBeLessThanOrEqual(1);
  // Without the reasons, no subject is loaded.
  await roundTrips('{ requests(status: REFUSED) { id extensions { reason } } }', {}, bearer);
  expect(counts.get('views.getSubjects')).toBeUndefined();
});
