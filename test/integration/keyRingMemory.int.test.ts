import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import nacl from 'tweetnacl';
import { afterAll, describe, expect, it } from 'vitest';

import { getLocalKekProvider } from '../../services/vault/src/adapters/localKek/index.js';
import { getSqliteKeyStore } from '../../services/vault/src/adapters/sqlite/index.js';
import { KeyRing } from '../../services/vault/src/crypto/keyRing.js';
import { parseMasterKeys } from '../../services/vault/src/crypto/masterKey.js';

/**
 * A destroyed key leaves the key cache with its shred: the bytes the cache held are zeroed, not only
 * dropped for the collector to reclaim some time later, while the keys that were not shredded stay
 * usable and the copies reads were given stay whole (a download holding one detects the shred itself).
 * Keys that leave the cache any other way (their time is up, newer keys need the room, the cache is
 * cleared, a key is loaded again) are zeroed as they go too.
 */
const dir = await mkdtemp(join(tmpdir(), 'pdv-keymem-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('key cache and shreds', () => {
  it('zeroes the cached bytes of every key it shreds, and only those', async () => {
    const master = parseMasterKeys(Buffer.from(nacl.randomBytes(32)).toString('base64'), 'test');
    const kek = getLocalKekProvider({ path: join(dir, 'kek.slots'), master });
    const store = getSqliteKeyStore({ path: join(dir, 'keys.db') });
    const ring = await KeyRing.open(store, kek);
    try {
      const ids = Array.from({ length: 200 }, (_, i) => `s-${i}/${['contact', 'customer'][i % 2]}/1`);
      await ring.ensure(ids);
      const handedOut = await ring.get(ids); // copies: a read keeps its own while a shred goes on
      // The cache's own arrays, which nothing outside the key ring holds.
      const cache = (ring as unknown as { cache: Map<string, { key: Uint8Array }> }).cache;
      const cached = new Map(ids.map((id) => [id, cache.get(id)!.key]));
      const shredded = ids.filter((_, i) => i % 3 === 0);
      const kept = ids.filter((_, i) => i % 3 !== 0);
      const isZero = (k: Uint8Array) => k.every((b) => b === 0);
      expect(ids.some((id) => isZero(cached.get(id)!))).toBe(false);
      expect(ids.every((id) => cached.get(id) !== handedOut.get(id))).toBe(true);

      await ring.shred(shredded, 'erasure', '2026-12-06T00:00:00.000Z');

      expect(shredded.filter((id) => !isZero(cached.get(id)!))).toEqual([]);
      expect(kept.filter((id) => isZero(cached.get(id)!))).toEqual([]);
      expect(shredded.filter((id) => cache.has(id))).toEqual([]);
      // A read that began before the shred still holds working bytes: it ends as it would have.
      expect(ids.filter((id) => isZero(handedOut.get(id)!))).toEqual([]);
      const again = await ring.get(ids, { fresh: true });
      expect(shredded.filter((id) => again.has(id))).toEqual([]);
      expect(kept.every((id) => Buffer.from(again.get(id)!).equals(Buffer.from(handedOut.get(id)!)))).toBe(true);
    } finally {
      await store.close();
      await kek.close();
    }
  });

  it('zeroes the bytes of keys that leave the cache by age, for room, on a reload or when it is cleared', async () => {
    const master = parseMasterKeys(Buffer.from(nacl.randomBytes(32)).toString('base64'), 'test');
    const kek = getLocalKekProvider({ path: join(dir, 'kek-evict.slots'), master });
    const store = getSqliteKeyStore({ path: join(dir, 'keys-evict.db') });
    const ring = await KeyRing.open(store, kek, { cacheSize: 100, cacheTtlMs: 300 });
    const cache = (ring as unknown as { cache: Map<string, { key: Uint8Array }> }).cache;
    const snapshot = (ids: string[]) => ids.map((id) => cache.get(id)!.key);
    const zeroed = (keys: Uint8Array[]) => keys.filter((k) => k.every((b) => b === 0)).length;
    try {
      const older = Array.from({ length: 100 }, (_, i) => `old-${i}/contact/1`);
      const newer = Array.from({ length: 60 }, (_, i) => `new-${i}/contact/1`);
      const opened = await ring.ensure(older);
      const olderCached = snapshot(older);
      expect(zeroed(olderCached)).toBe(0);

      // Room: 60 of the older keys go for the 60 newer ones, zeroed; the 40 still cached stay whole.
      await ring.ensure(newer);
      expect(zeroed(olderCached)).toBe(60);
      expect(older.filter((id, i) => cache.has(id) === zeroed([olderCached[i]!]) > 0)).toEqual([]);

      // Age: past the TTL, a read finds the cached copy stale, zeroes it and opens the key again.
      const newerCached = snapshot(newer);
      await new Promise((r) => setTimeout(r, 350));
      const reread = await ring.get(newer);
      expect(zeroed(newerCached)).toBe(60);
      expect(newer.every((id) => zeroed([reread.get(id)!]) === 0)).toBe(true);

      // Reload: a fresh read replaces the cached copies; the replaced ones are zeroed.
      const beforeReload = snapshot(newer);
      await ring.get(newer, { fresh: true });
      expect(zeroed(beforeReload)).toBe(60);

      // Cleared: everything it held is zeroed; what reads were given is not, and still opens the same keys.
      const all = [...cache.values()].map((e) => e.key);
      expect(all.length).toBeGreaterThan(0);
      ring.clearCache();
      expect(zeroed(all)).toBe(all.length);
      expect(cache.size).toBe(0);
      const again = await ring.get(older);
      expect(older.every((id) => Buffer.from(again.get(id)!).equals(Buffer.from(opened.get(id)!)))).toBe(true);
    } finally {
      await store.close();
      await kek.close();
    }
  });
});
