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
 * A destroyed key leaves the process's memory with its shred: the bytes the key cache held are
 * zeroed, not only dropped for the collector to reclaim some time later, while the keys that were
 * not shredded stay usable.
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
      const held = await ring.get(ids); // the cache's own arrays
      const shredded = ids.filter((_, i) => i % 3 === 0);
      const kept = ids.filter((_, i) => i % 3 !== 0);
      const isZero = (k: Uint8Array) => k.every((b) => b === 0);
      expect(ids.some((id) => isZero(held.get(id)!))).toBe(false);

      await ring.shred(shredded, 'erasure', '2026-12-06T00:00:00.000Z');

      expect(shredded.filter((id) => !isZero(held.get(id)!))).toEqual([]);
      expect(kept.filter((id) => isZero(held.get(id)!))).toEqual([]);
      const again = await ring.get(ids, { fresh: true });
      expect(shredded.filter((id) => again.has(id))).toEqual([]);
      expect(kept.every((id) => Buffer.from(again.get(id)!).equals(Buffer.from(held.get(id)!)))).toBe(true);
    } finally {
      await store.close();
      await kek.close();
    }
  });
});
