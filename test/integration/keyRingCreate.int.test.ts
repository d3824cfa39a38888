import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import nacl from 'tweetnacl';
import { afterAll, describe, expect, it } from 'vitest';

import { getLocalKekProvider } from '../../services/vault/src/adapters/localKek/index.js';
import { getSqliteKeyStore } from '../../services/vault/src/adapters/sqlite/index.js';
import { KeyRing } from '../../services/vault/src/crypto/keyRing.js';
import { parseMasterKeys } from '../../services/vault/src/crypto/masterKey.js';
import type { KekProvider } from '../../services/vault/src/ports/KekProvider.js';

/**
 * A key the ring creates is handed out without asking the KEK custody to unwrap the wrapping it has
 * just made, but only when the store kept that wrapping: where another writer's key was stored
 * first (another process, or a run that crashed after creating it), the stored one is unwrapped and
 * handed out, so that everything is sealed under the key the store holds.
 */
const dir = await mkdtemp(join(tmpdir(), 'pdv-keycreate-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The custody with its unwraps counted. */
function counted(kek: KekProvider): { kek: KekProvider; unwraps: () => number } {
  let n = 0;
  const wrapper = Object.create(kek) as KekProvider;
  wrapper.unwrap = (epoch, items) => {
    n += items.length;
    return kek.unwrap(epoch, items);
  };
  return { kek: wrapper, unwraps: () => n };
}

describe('keys created by the key ring', () => {
  it('hands out the key the store kept: its own without an unwrap, another writer’s unwrapped', async () => {
    const master = parseMasterKeys(Buffer.from(nacl.randomBytes(32)).toString('base64'), 'test');
    const kek = getLocalKekProvider({ path: join(dir, 'kek.slots'), master });
    const store = getSqliteKeyStore({ path: join(dir, 'keys.db') });
    const first = counted(kek);
    const second = counted(kek);
    const a = await KeyRing.open(store, first.kek);
    const b = await KeyRing.open(store, second.kek);
    try {
      const ids = Array.from({ length: 50 }, (_, i) => `s-${i}/contact/1`);
      const mine = await a.ensure(ids);
      expect(first.unwraps()).toBe(0);
      // What the store holds, opened afresh, is what was handed out.
      const stored = await a.get(ids, { fresh: true });
      expect(ids.filter((id) => !Buffer.from(stored.get(id)!).equals(mine.get(id)!))).toEqual([]);

      // A second ring (another process) asks for the same ids and five new ones: it wraps keys of its
      // own, the store keeps the first ones, and the second ring hands out those.
      const more = [...ids, ...Array.from({ length: 5 }, (_, i) => `t-${i}/contact/1`)];
      const theirs = await b.ensure(more);
      expect(ids.filter((id) => !Buffer.from(theirs.get(id)!).equals(mine.get(id)!))).toEqual([]);
      expect(second.unwraps()).toBe(ids.length);
      const after = await b.get(more, { fresh: true });
      expect(more.filter((id) => !Buffer.from(after.get(id)!).equals(theirs.get(id)!))).toEqual([]);
    } finally {
      await store.close();
      await kek.close();
    }
  });

  it('refuses a shredded id with KEY_SHREDDED and creates nothing in its place', async () => {
    const master = parseMasterKeys(Buffer.from(nacl.randomBytes(32)).toString('base64'), 'test');
    const kek = getLocalKekProvider({ path: join(dir, 'kek-shred.slots'), master });
    const store = getSqliteKeyStore({ path: join(dir, 'keys-shred.db') });
    const ring = await KeyRing.open(store, kek);
    try {
      await ring.ensure(['gone/contact/1']);
      await ring.shred(['gone/contact/1'], 'erasure', '2026-12-06T00:00:00.000Z');
      const error = await ring.ensure(['gone/contact/1', 'kept/contact/1']).catch((e: unknown) => e);
      expect((error as { code?: string }).code).toBe('KEY_SHREDDED');
      expect([...(await store.getByIds(['gone/contact/1'])).keys()]).toEqual([]);
    } finally {
      await store.close();
      await kek.close();
    }
  });
});
