import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import nacl from 'tweetnacl';
import { afterAll, describe, expect, it } from 'vitest';

import { getLocalKekProvider } from '../../services/vault/src/adapters/localKek/index.js';
import { getPostgresKeyStore } from '../../services/vault/src/adapters/postgres/index.js';
import { openSlotFile } from '../../services/vault/src/adapters/slotFile/openSlotFile.js';
import { getSqliteKeyStore } from '../../services/vault/src/adapters/sqlite/index.js';
import { KeyRing } from '../../services/vault/src/crypto/keyRing.js';
import { parseMasterKeys } from '../../services/vault/src/crypto/masterKey.js';
import type { KekProvider } from '../../services/vault/src/ports/KekProvider.js';
import type { KeyStore } from '../../services/vault/src/ports/KeyStore.js';
import { dropSchema, freshSchema, probePostgres, TEST_POSTGRES_URL } from '../support/postgres.js';

/**
 * Creating an epoch's KEK is exclusive across processes: several processes sharing a key store
 * (CLI runs on one data directory, replicas on one PostgreSQL) end the epoch at the same moment,
 * and exactly one KEK exists per epoch afterwards, with every key still opening.
 */
const CHILD = fileURLToPath(new URL('../support/rotateKeyRingChild.ts', import.meta.url));
const PROCESSES = 4;
const KEYS = 300;
const probe = await probePostgres();

interface Setup {
  /** Environment of each child: which key store and custody, and their secrets. */
  env: NodeJS.ProcessEnv;
  openStore(): Promise<KeyStore>;
  openKek(): KekProvider;
  /** How many KEK objects (slots, token objects) exist for `epoch`. */
  kekCount(epoch: number): Promise<number>;
}

const keyIds = Array.from(
  { length: KEYS },
  (_, i) => `s-${String(i).padStart(4, '0')}/${['contact', 'customer'][i % 2]}/1`,
);

/** Starts the child on the setup's stores; `ready` resolves once it has opened them, `go()` starts its rotation. */
function child(env: NodeJS.ProcessEnv) {
  const p = spawn(process.execPath, ['--import', 'tsx', CHILD], { env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  const ready = new Promise<void>((resolve) =>
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.startsWith('ready')) resolve();
    }),
  );
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => p.kill('SIGKILL'), 90_000);
  const exited = new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    p.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    }),
  );
  return { ready: Promise.race([ready, exited]), go: () => p.stdin.write('go\n'), exited };
}

async function withRing<T>(setup: Setup, fn: (ring: KeyRing) => Promise<T>): Promise<T> {
  const store = await setup.openStore();
  const kek = setup.openKek();
  try {
    return await fn(await KeyRing.open(store, kek));
  } finally {
    await store.close();
    await kek.close();
  }
}

/** Seeds the keys, then has PROCESSES processes end the epoch at the same moment, twice; checks each round. */
async function rotateConcurrently(setup: Setup): Promise<void> {
  const before = await withRing(setup, async (ring) => {
    const keys = await ring.ensure(keyIds);
    return new Map([...keys].map(([id, k]) => [id, Buffer.from(k).toString('hex')]));
  });
  expect(await setup.kekCount(1)).toBe(1);
  for (const epoch of [2, 3]) {
    const children = Array.from({ length: PROCESSES }, () => child(setup.env));
    await Promise.all(children.map((c) => c.ready));
    for (const c of children) c.go();
    const runs = await Promise.all(children.map((c) => c.exited));
    for (const r of runs) expect(r.code, r.err).toBe(0);
    const rotations = runs.map((r) => JSON.parse(r.out.trim().split('\n').pop()!) as { to: number });
    expect(rotations.map((r) => r.to)).toEqual(Array(PROCESSES).fill(epoch));
    expect(await setup.kekCount(epoch), `KEKs of epoch ${epoch}`).toBe(1);
    expect(await setup.kekCount(epoch - 1), `KEKs of epoch ${epoch - 1}`).toBe(0);
    await withRing(setup, async (ring) => {
      expect(await ring.kek.epochs()).toEqual([epoch]);
      expect(await ring.store.epochsInUse()).toEqual([epoch]);
      const after = await ring.get(keyIds, { fresh: true });
      expect(after.size).toBe(KEYS);
      for (const [id, k] of after) expect(Buffer.from(k).toString('hex'), id).toBe(before.get(id));
      // This epoch's claim stays (a late process may still compare with it); the previous one's is cleared.
      expect(await ring.store.getMeta(`epoch-claim/${epoch}/0`)).toBeDefined();
      expect(await ring.store.getMeta(`epoch-claim/${epoch - 1}/0`)).toBeUndefined();
    });
  }
}

const localKekCount = (path: string) => async (epoch: number) => {
  const file = openSlotFile(path);
  try {
    return file.scan().filter((s) => s.slot.kind === 3 && s.slot.epoch === epoch).length;
  } finally {
    file.close();
  }
};

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
const tempDir = async (prefix: string) => {
  const d = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
const masterKey = () => Buffer.from(nacl.randomBytes(32)).toString('base64');

describe('epoch creation across processes', () => {
  it(`makes one KEK per epoch when ${PROCESSES} processes on one data directory end the epoch at once`, async () => {
    const dir = await tempDir('pdv-epoch-claim-');
    const key = masterKey();
    const keysPath = join(dir, 'keys.db');
    const kekPath = join(dir, 'kek.slots');
    await rotateConcurrently({
      env: { PDV_KEY_STORE: `sqlite:${keysPath}`, PDV_KEK: `local:${kekPath}`, VAULT_MASTER_KEY: key },
      openStore: async () => getSqliteKeyStore({ path: keysPath }),
      openKek: () => getLocalKekProvider({ path: kekPath, master: parseMasterKeys(key, 'test') }),
      kekCount: localKekCount(kekPath),
    });
  }, 240_000);
});

if (!probe.ok) {
  describe.skip(`epoch creation across processes on PostgreSQL (skipped: ${probe.reason})`, () => {
    it('makes one KEK per epoch when replicas on one PostgreSQL key store end the epoch at once', () => {});
  });
} else {
  describe('epoch creation across processes on PostgreSQL', () => {
    const schemas: string[] = [];
    afterAll(async () => {
      for (const s of schemas) await dropSchema(s);
    });
    const pgStore = (schema: string) => () => getPostgresKeyStore({ connectionString: TEST_POSTGRES_URL, schema });

    const title = `makes one KEK per epoch when ${PROCESSES} replicas on one PostgreSQL key store end the epoch`;
    it(`${title} at once`, async () => {
      const schema = freshSchema('pdv_epoch_claim');
      schemas.push(schema);
      const dir = await tempDir('pdv-epoch-claim-pg-');
      const key = masterKey();
      // Replicas on the local custody share its file (one machine); the key store is PostgreSQL's.
      const kekPath = join(dir, 'kek.slots');
      await rotateConcurrently({
        env: { PDV_KEY_STORE: `postgres:${schema}`, PDV_KEK: `local:${kekPath}`, VAULT_MASTER_KEY: key },
        openStore: pgStore(schema),
        openKek: () => getLocalKekProvider({ path: kekPath, master: parseMasterKeys(key, 'test') }),
        kekCount: localKekCount(kekPath),
      });
    }, 240_000);
  });
}
