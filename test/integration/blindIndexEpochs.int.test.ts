import { createHmac } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  epochOfHash,
  getPostgresKeyStore,
  getPostgresViewStore,
  getSqliteEventLog,
  isVaultError,
  lookupForm,
  type Vault,
} from '@pdv/vault';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

import { startCliProcess } from '../support/cliProcess.js';
import { dropSchema, freshSchema, probePostgres, TEST_POSTGRES_URL } from '../support/postgres.js';
import { dataItem, tempVault } from '../support/tempVault.js';

/**
 * The blind index has one key per key epoch: a rotation re-computes every stored hash under the
 * new epoch's key (from the sealed values in the read models) and deletes the old key before the
 * old KEK goes, so a hash in a copy of views.db from before an erasure can no longer be tested.
 */

const actor = { actor: 'test' };
const SUBJECTS = 300;
const email = (i: number) => `p${i}@example.com`;
const phone = (i: number) => `+31 6 ${String(10_000_000 + i)}`;
const cleanups: (() => Promise<void>)[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function open(options: Parameters<typeof tempVault>[0] = {}) {
  const t = await tempVault(options);
  cleanups.push(t.cleanup);
  return t;
}

/** Records subjects with a contact email and phone (both lookup fields), 20 at a time. */
async function recordSubjects(vault: Vault, from: number, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let start = from; start < from + n; start += 20) {
    const chunk = Array.from({ length: Math.min(20, from + n - start) }, (_, k) => start + k);
    ids.push(
      ...(await Promise.all(
        chunk.map(async (i) => {
          const { subjectId } = await vault.commands.registerSubject(actor);
          await vault.execute(
            subjectId,
            {
              type: 'RecordPersonalData',
              items: [
                dataItem('contact', 'email', email(i), 'contract', 'contract'),
                dataItem('contact', 'phone', phone(i), 'contract', 'contract'),
              ],
            },
            actor,
          );
          return subjectId;
        }),
      )),
    );
  }
  return ids;
}

/** What `findSubjects` does: the value's hash under every index key alive, then the stored entries. */
async function find(vault: Vault, type: 'email' | 'phone', value: string): Promise<string[]> {
  const hashes = await vault.blindIndex.candidates(lookupForm(type, value)!);
  return [...new Set((await vault.stores.views.findByBlindIndex(hashes)).map((e) => e.subjectId))];
}

/** Every subject (the i-th has the i-th email and phone; undefined: left out) is found by both, and only it. */
async function expectLookups(
  vault: Vault,
  ids: readonly (string | undefined)[],
  label: string,
  emailOf = email,
): Promise<void> {
  const misses: string[] = [];
  for (const [i, s] of ids.entries()) {
    if (s === undefined) continue;
    if ((await find(vault, 'email', emailOf(i))).join() !== s) misses.push(`email of ${i}`);
    if ((await find(vault, 'phone', phone(i))).join() !== s) misses.push(`phone of ${i}`);
  }
  expect(misses, label).toEqual([]);
}

/** The epochs of every stored blind-index hash, with their counts. */
async function epochsOfIndex(vault: Vault): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (const e of await vault.stores.views.listIndexOlderThan(1_000_000, { limit: 100_000 }))
    counts.set(epochOfHash(e.hash), (counts.get(epochOfHash(e.hash)) ?? 0) + 1);
  return counts;
}

describe('the blind index under key epochs', () => {
  it('finds every subject before, during and after a rotation, with writes from two processes meanwhile', async () => {
    const a = await open();
    const ids = await recordSubjects(a.vault, 0, SUBJECTS);
    expect(await epochsOfIndex(a.vault)).toEqual(new Map([[1, SUBJECTS * 2]]));
    await expectLookups(a.vault, ids, 'before the rotation');
    // A second process on the same data directory: it learns of the new epoch from custody.
    const b = await open({ dataDir: a.config.dataDir, masterKey: a.config.masterKey });

    const rectified = new Set<number>();
    const added: string[] = [];
    let paused = false;
    const r = await a.vault.rotateEpoch({
      pageSize: 50,
      onIndexPage: async (done) => {
        if (paused || done < 200) return;
        paused = true;
        // Half-way: both epochs' hashes are stored, and lookups in either process find both.
        const mixed = await epochsOfIndex(a.vault);
        expect(mixed.get(1)).toBeGreaterThan(0);
        expect(mixed.get(2)).toBeGreaterThan(0);
        await expectLookups(b.vault, ids, 'in another process, during the rotation');
        // Writes meanwhile, in both processes: rectified emails and new subjects.
        for (let i = 0; i < 40; i += 1) {
          const v = i % 2 === 0 ? a.vault : b.vault;
          await v.execute(
            ids[i * 7]!,
            {
              type: 'RectifyPersonalData',
              items: [dataItem('contact', 'email', `q${i * 7}@example.com`, 'contract', 'contract')],
            },
            actor,
          );
          rectified.add(i * 7);
        }
        added.push(...(await recordSubjects(b.vault, SUBJECTS, 20)));
      },
    });
    expect(paused, 'the rotation paused between pages').toBe(true);
    expect(r).toMatchObject({ from: [1], to: 2, destroyed: [1] });
    // Less the entries the writes meanwhile had already rewritten under the new epoch.
    expect(r.reindexed).toBeGreaterThan(SUBJECTS * 2 - 40);

    // The other process writes under the new epoch from now on, and its subjects are found here.
    added.push(...(await recordSubjects(b.vault, SUBJECTS + 20, 10)));
    const emailNow = (i: number) => (rectified.has(i) ? `q${i}@example.com` : email(i));
    for (const v of [a.vault, b.vault]) {
      // Every stored hash is of the new epoch: the writes of both processes were re-indexed or made under it.
      await v.projector.catchUp();
      expect(await epochsOfIndex(v)).toEqual(new Map([[2, (SUBJECTS + 30) * 2]]));
      await expectLookups(v, [...ids, ...added], `after the rotation, ${v === a.vault ? 'here' : 'elsewhere'}`, (i) =>
        emailNow(i),
      );
      expect(await find(v, 'email', email(7)), 'a rectified email is found no more').toEqual([]);
    }
    expect(await a.vault.stores.keys.getMeta('blind-index-key@1'), 'the old index key is gone').toBeUndefined();
    expect(await a.vault.stores.keys.getMeta('blind-index-key@2')).toBeDefined();
    expect(await a.vault.keyRing.kek.epochs()).toEqual([2]);
  });

  it('leaves a copy of views.db from before an erasure with hashes no key the vault still has can test', async () => {
    const t = await open();
    const ids = await recordSubjects(t.vault, 0, SUBJECTS);
    const victim = 123;
    await t.vault.close();
    // The attacker's copy of the read models, taken before the erasure.
    const copy = mkdtempSync(join(tmpdir(), 'pdv-views-copy-'));
    dirs.push(copy);
    for (const suffix of ['', '-wal']) {
      const f = join(t.config.dataDir, `views.db${suffix}`);
      if (existsSync(f)) copyFileSync(f, join(copy, `views.db${suffix}`));
    }
    const stolen = new Database(join(copy, 'views.db'), { readonly: true });
    const row = stolen
      .prepare<[string], { hash: string }>(
        "SELECT hash FROM blind_index WHERE subject_id = ? AND category = 'contact' AND field = 'phone'",
      )
      .get(ids[victim]!);
    stolen.close();
    const oldHash = row!.hash;
    const form = lookupForm('phone', phone(victim).replace(/ /g, ''))!;

    const live = await open({ dataDir: t.config.dataDir, masterKey: t.config.masterKey });
    await live.vault.erase(ids[victim]!, { actor: 'dpo:test', reason: 'subjectRequest' });
    expect(await find(live.vault, 'phone', phone(victim)), 'erased from the live index').toEqual([]);
    // Before the epoch ends, today's keys still test the copy's hash: the attack works (so this test can fail).
    expect(await testable(live.vault, t.config.dataDir, form, oldHash)).toBe(true);

    await live.vault.rotateEpoch();
    await live.vault.close();
    // Today's key store and master key: every secret it holds, under every KEK custody still has.
    const today = await open({ dataDir: t.config.dataDir, masterKey: t.config.masterKey });
    expect(await testable(today.vault, t.config.dataDir, form, oldHash), 'the old hash is untestable').toBe(false);
    await expectLookups(
      today.vault,
      ids.map((s, i) => (i === victim ? undefined : s)),
      'the others are still found',
    );
  });

  it('takes over the one index key of a store from before epochs, and deletes it at the first rotation', async () => {
    const t = await open();
    const ids = await recordSubjects(t.vault, 0, 40);
    // The store as the previous version left it: one global key `blind-index-key`, hashes without an epoch.
    const legacy = await t.vault.keyRing.secret('blind-index-key', 32);
    const stored = await t.vault.stores.views.listIndexOlderThan(2);
    const forms = new Map<string, string>(ids.map((s, i) => [`${s}/email`, `email:${email(i)}`]));
    for (const [i, s] of ids.entries()) forms.set(`${s}/phone`, lookupForm('phone', phone(i))!);
    const hmac = (form: string) => createHmac('sha256', legacy).update(form).digest('hex');
    expect(
      await t.vault.stores.views.replaceIndexHashes(
        stored.map((e) => ({ ...e, from: e.hash, to: hmac(forms.get(`${e.subjectId}/${e.field}`)!) })),
      ),
    ).toBe(80);
    expect(await epochsOfIndex(t.vault)).toEqual(new Map([[0, 80]]));
    await expectLookups(t.vault, ids, 'with the legacy key');

    const r = await t.vault.rotateEpoch();
    expect(r.reindexed).toBe(80);
    expect(await epochsOfIndex(t.vault)).toEqual(new Map([[2, 80]]));
    expect(await t.vault.stores.keys.getMeta('blind-index-key'), 'the legacy key is gone').toBeUndefined();
    await expectLookups(t.vault, ids, 'after the rotation');
  });

  it('finishes a re-index that failed half-way at the next rotation, lookups working throughout', async () => {
    const t = await open();
    const ids = await recordSubjects(t.vault, 0, SUBJECTS);
    const failed = await t.vault
      .rotateEpoch({
        pageSize: 40,
        onIndexPage: (done) => {
          if (done >= 120) throw new Error('the process died here');
        },
      })
      .catch((e: unknown) => e);
    expect((failed as Error).message).toBe('the process died here');
    expect(await t.vault.keyRing.kek.epochs(), 'both epochs are alive').toEqual([1, 2]);
    const mixed = await epochsOfIndex(t.vault);
    expect([mixed.get(1), mixed.get(2)]).toEqual([SUBJECTS * 2 - 120, 120]);
    await expectLookups(t.vault, ids, 'between the failure and the next rotation');

    const r = await t.vault.rotateEpoch();
    expect(r).toMatchObject({ from: [1, 2], to: 2, keys: 0, destroyed: [1], reindexed: SUBJECTS * 2 - 120 });
    expect(await epochsOfIndex(t.vault)).toEqual(new Map([[2, SUBJECTS * 2]]));
    expect(await t.vault.stores.keys.getMeta('blind-index-key@1')).toBeUndefined();
    await expectLookups(t.vault, ids, 'after the finishing rotation');
  });

  it('finishes a re-index whose process was killed half-way, at the next rotation', async () => {
    const t = await open();
    const ids = await recordSubjects(t.vault, 0, SUBJECTS);
    await t.vault.close();
    const env = {
      ...process.env,
      VAULT_DATA_DIR: t.config.dataDir,
      VAULT_MASTER_KEY: t.config.masterKey,
      VAULT_LOG_LEVEL: 'silent',
    };
    const child = startCliProcess(['rotate-epoch', '--page-size', '2'], env);
    // Killed once the re-index has begun: some hashes of the new epoch are stored.
    const views = new Database(join(t.config.dataDir, 'views.db'), { readonly: true });
    const newer = views.prepare("SELECT count(*) AS n FROM blind_index WHERE hash LIKE '2:%'").pluck();
    const deadline = Date.now() + 60_000;
    while ((newer.get() as number) < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    views.close();

    const again = await open({ dataDir: t.config.dataDir, masterKey: t.config.masterKey });
    const mixed = await epochsOfIndex(again.vault);
    expect(mixed.get(1), 'the kill left hashes of the old epoch').toBeGreaterThan(0);
    expect(mixed.get(2), 'and of the new one').toBeGreaterThan(0);
    await expectLookups(again.vault, ids, 'after the kill');
    const r = await again.vault.rotateEpoch();
    expect(r).toMatchObject({ from: [1, 2], to: 2, destroyed: [1] });
    expect(await epochsOfIndex(again.vault)).toEqual(new Map([[2, SUBJECTS * 2]]));
    await expectLookups(again.vault, ids, 'after the finishing rotation');
  });
});

const probe = await probePostgres();
const onPostgres = probe.ok ? describe : describe.skip;
onPostgres(`the blind index under key epochs on PostgreSQL${probe.ok ? '' : ` (skipped: ${probe.reason})`}`, () => {
  it('re-indexes the PostgreSQL read models, a failed rotation finished by the next', async () => {
    const schema = freshSchema();
    cleanups.push(() => dropSchema(schema));
    const dir = mkdtempSync(join(tmpdir(), 'pdv-pg-index-'));
    dirs.push(dir);
    const connection = { connectionString: TEST_POSTGRES_URL, schema };
    const stores = {
      log: getSqliteEventLog({ path: join(dir, 'events.db') }),
      keys: await getPostgresKeyStore(connection),
      views: await getPostgresViewStore(connection),
    };
    const t = await open({ dataDir: dir, stores });
    const ids = await recordSubjects(t.vault, 0, 100);
    const failed = await t.vault
      .rotateEpoch({ pageSize: 30, onIndexPage: (done) => Promise.reject(new Error(`died after ${done}`)) })
      .catch((e: unknown) => e);
    expect((failed as Error).message).toBe('died after 30');
    expect(await epochsOfIndex(t.vault)).toEqual(
      new Map([
        [1, 170],
        [2, 30],
      ]),
    );
    await expectLookups(t.vault, ids, 'between the failure and the next rotation');
    const r = await t.vault.rotateEpoch({ pageSize: 30 });
    expect(r).toMatchObject({ from: [1, 2], to: 2, destroyed: [1], reindexed: 170 });
    expect(await epochsOfIndex(t.vault)).toEqual(new Map([[2, 200]]));
    expect(await t.vault.stores.keys.getMeta('blind-index-key@1')).toBeUndefined();
    await expectLookups(t.vault, ids, 'after the rotation');
  });
});

/**
 * The attack: HMAC the known value under every secret today's key store holds that today's
 * custody opens (index keys of every epoch, the legacy key, the signing seed: all of them), and
 * compare with the copied hash.
 */
async function testable(vault: Vault, dataDir: string, form: string, stolen: string): Promise<boolean> {
  const hex = stolen.slice(stolen.indexOf(':') + 1);
  const names = new Set(['blind-index-key', 'signing-seed']);
  for (let e = 0; e <= 5; e += 1) names.add(`blind-index-key@${e}`);
  const keys = new Database(join(dataDir, 'keys.db'), { readonly: true });
  try {
    for (const r of keys.prepare<[], { name: string }>('SELECT name FROM secrets').all()) names.add(r.name);
  } finally {
    keys.close();
  }
  for (const name of names) {
    const secret = await vault.keyRing.existingSecret(name).catch((e: unknown) => {
      if (isVaultError(e, 'KEK_UNAVAILABLE')) return undefined;
      throw e;
    });
    if (secret && createHmac('sha256', secret).update(form).digest('hex') === hex) return true;
  }
  return false;
}
