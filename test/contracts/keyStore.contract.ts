import { randomBytes } from 'node:crypto';

import type { KeyStore, StoredKey } from '@pdv/vault';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

export interface KeyStoreFixture {
  store: KeyStore;
  cleanup(): Promise<void>;
}

/** A stored key with random "wrapped" bytes: the contract never needs a real key ring. */
export const testKey = (subjectId: string, category: string, generation = 1, bytes = 72): StoredKey => ({
  keyId: `${subjectId}/${category}/${generation}`,
  subjectId,
  category,
  wrapped: new Uint8Array(randomBytes(bytes)),
  kekVersion: 1,
  createdAt: '2024-01-01T00:00:00.000Z',
});

/**
 * The KeyStore contract, run unchanged against every adapter. `create` must return an empty store
 * of its own; `cleanup` closes it and removes whatever it created.
 */
export function keyStoreContract(name: string, create: () => Promise<KeyStoreFixture>): void {
  describe(`KeyStore contract: ${name}`, () => {
    let fx: KeyStoreFixture;
    let store: KeyStore;
    beforeEach(async () => {
      fx = await create();
      store = fx.store;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('creates keys and loads many of them in one call, leaving missing ids absent', async () => {
      const keys = Array.from({ length: 1200 }, (_, i) => testKey(`subj-${i}`, 'contact'));
      const created = await store.createIfAbsent(keys);
      expect(created.size).toBe(1200);
      const ids = [...keys.map((k) => k.keyId), 'subj-x/contact/1', 'subj-y/contact/9'];
      const loaded = await store.getByIds(ids);
      expect(loaded.size).toBe(1200);
      for (const k of keys) expect(loaded.get(k.keyId)).toEqual(k);
      expect(loaded.has('subj-x/contact/1')).toBe(false);
      expect(await store.getByIds([])).toEqual(new Map());
    });

    it('lists the ids of one subject’s keys in key-id order, shredded ones and other subjects’ left out', async () => {
      const mine = [
        testKey('subj-list', 'contact', 2),
        testKey('subj-list', 'contact'),
        testKey('subj-list', 'debtor~A-1'),
        testKey('subj-list', 'debtor~B-2'),
      ];
      await store.createIfAbsent([...mine, testKey('subj-list-2', 'contact'), testKey('subj-lis', 'contact')]);
      await store.shred(['subj-list/debtor~B-2/1'], 'erasure', '2024-02-01T00:00:00.000Z');
      expect(await store.listKeyIds('subj-list')).toEqual([
        'subj-list/contact/1',
        'subj-list/contact/2',
        'subj-list/debtor~A-1/1',
      ]);
      expect(await store.listKeyIds('subj-none')).toEqual([]);
    });

    it('returns the wrapped bytes exactly as stored, as a Uint8Array', async () => {
      const k = testKey('subj-bytes', 'contact');
      await store.createIfAbsent([k]);
      const got = (await store.getByIds([k.keyId])).get(k.keyId)!;
      expect(got.wrapped).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(got.wrapped).equals(Buffer.from(k.wrapped))).toBe(true);
    });

    it('keeps the first key when an id is created twice and returns that winner', async () => {
      const first = testKey('subj-race', 'contact');
      const second = { ...testKey('subj-race', 'contact'), kekVersion: 2 };
      const [a, b] = await Promise.all([store.createIfAbsent([first]), store.createIfAbsent([second])]);
      const winner = a.get(first.keyId)!;
      expect(b.get(first.keyId)).toEqual(winner);
      expect([first, second]).toContainEqual(winner);
      expect((await store.getByIds([first.keyId])).get(first.keyId)).toEqual(winner);
    });

    it('returns existing and new keys together from one createIfAbsent call', async () => {
      const existing = testKey('subj-mix', 'contact');
      await store.createIfAbsent([existing]);
      const fresh = testKey('subj-mix', 'billing');
      const result = await store.createIfAbsent([{ ...existing, wrapped: new Uint8Array(8) }, fresh]);
      expect(result.get(existing.keyId)).toEqual(existing);
      expect(result.get(fresh.keyId)).toEqual(fresh);
    });

    it('shreds keys once, leaving tombstones that hold no key material', async () => {
      const a = testKey('subj-shred', 'contact');
      const b = testKey('subj-shred', 'billing');
      await store.createIfAbsent([a, b]);
      const destroyed = await store.shred([a.keyId, b.keyId, 'never/existed/1'], 'erasure', '2024-02-01T00:00:00.000Z');
      expect(destroyed.sort()).toEqual([a.keyId, b.keyId].sort());
      expect(await store.shred([a.keyId, b.keyId], 'erasure', '2024-03-01T00:00:00.000Z')).toEqual([]);
      expect((await store.getByIds([a.keyId, b.keyId])).size).toBe(0);

      const tombstones = await store.listTombstones({ subjectId: 'subj-shred' });
      expect(tombstones).toHaveLength(2);
      for (const t of tombstones) {
        expect(Object.keys(t).sort()).toEqual(['category', 'keyId', 'reason', 'shreddedAt', 'subjectId']);
        expect(t.shreddedAt).toBe('2024-02-01T00:00:00.000Z');
        expect(t.reason).toBe('erasure');
      }
      expect(tombstones.find((t) => t.keyId === a.keyId)).toEqual({
        keyId: a.keyId,
        subjectId: 'subj-shred',
        category: 'contact',
        shreddedAt: '2024-02-01T00:00:00.000Z',
        reason: 'erasure',
      });
    });

    it('never creates a shredded key id again', async () => {
      const k = testKey('subj-dead', 'contact');
      await store.createIfAbsent([k]);
      await store.shred([k.keyId], 'retention', '2024-02-01T00:00:00.000Z');
      const again = await store.createIfAbsent([testKey('subj-dead', 'contact')]);
      expect(again.has(k.keyId)).toBe(false);
      expect((await store.getByIds([k.keyId])).has(k.keyId)).toBe(false);
      const next = testKey('subj-dead', 'contact', 2);
      expect((await store.createIfAbsent([next])).get(next.keyId)).toEqual(next);
    });

    it('filters tombstones by subject and by key ids', async () => {
      const keys = [testKey('subj-t1', 'contact'), testKey('subj-t1', 'billing'), testKey('subj-t2', 'contact')];
      await store.createIfAbsent(keys);
      await store.shred(
        keys.map((k) => k.keyId),
        'withdrawal',
        '2024-02-01T00:00:00.000Z',
      );
      expect((await store.listTombstones()).map((t) => t.keyId).sort()).toEqual(keys.map((k) => k.keyId).sort());
      expect((await store.listTombstones({ subjectId: 'subj-t1' })).map((t) => t.keyId).sort()).toEqual([
        'subj-t1/billing/1',
        'subj-t1/contact/1',
      ]);
      expect((await store.listTombstones({ keyIds: ['subj-t2/contact/1', 'nope/x/1'] })).map((t) => t.keyId)).toEqual([
        'subj-t2/contact/1',
      ]);
      expect(await store.listTombstones({ subjectId: 'subj-t1', keyIds: ['subj-t2/contact/1'] })).toEqual([]);
      expect(await store.listTombstones({ subjectId: 'subj-none' })).toEqual([]);
    });

    it('stores a meta value only if absent and returns the stored one', async () => {
      expect(await store.getMeta('signing-seed')).toBeUndefined();
      const first = new Uint8Array([1, 2, 3]);
      const [a, b] = await Promise.all([
        store.putMetaIfAbsent('signing-seed', first),
        store.putMetaIfAbsent('signing-seed', new Uint8Array([9])),
      ]);
      expect(a).toEqual(b);
      const stored = await store.getMeta('signing-seed');
      expect(stored).toEqual(a);
      expect(await store.putMetaIfAbsent('signing-seed', new Uint8Array([7, 7]))).toEqual(stored);
      expect(await store.putMetaIfAbsent('other', first)).toEqual(first);
    });

    it(
      'lists keys wrapped by other master-key versions in pages and re-wraps each only from its old ' + 'version',
      async () => {
        const keys = ['a', 'b', 'c'].map((id, i) => ({
          ...testKey(`subj-${id}`, 'contact'),
          kekVersion: i === 2 ? 2 : 1,
        }));
        await store.createIfAbsent(keys);
        const page1 = await store.listWrappedOtherThan(2, { limit: 1 });
        expect(page1.map((k) => k.keyId)).toEqual(['subj-a/contact/1']);
        expect((await store.listWrappedOtherThan(2, { afterKeyId: 'subj-a/contact/1' })).map((k) => k.keyId)).toEqual([
          'subj-b/contact/1',
        ]);
        const fresh = new Uint8Array([9, 9, 9]);
        expect(
          await store.rewrap([
            { keyId: 'subj-a/contact/1', wrapped: fresh, kekVersion: 2, fromVersion: 1 },
            { keyId: 'subj-c/contact/1', wrapped: fresh, kekVersion: 2, fromVersion: 1 },
          ]),
        ).toBe(1);
        const a = (await store.getByIds(['subj-a/contact/1'])).get('subj-a/contact/1')!;
        expect([...a.wrapped]).toEqual([9, 9, 9]);
        expect(a.kekVersion).toBe(2);
        expect((await store.listWrappedOtherThan(2)).map((k) => k.keyId)).toEqual(['subj-b/contact/1']);
        await store.shred(['subj-b/contact/1'], 'erasure', '2024-01-01T00:00:00.000Z');
        expect(
          await store.rewrap([{ keyId: 'subj-b/contact/1', wrapped: fresh, kekVersion: 2, fromVersion: 1 }]),
          'a shredded key is not brought back',
        ).toBe(0);
        expect(await store.getByIds(['subj-b/contact/1'])).toEqual(new Map());
      },
    );

    it('replaces a vault secret in place', async () => {
      await store.putMetaIfAbsent('secret', new Uint8Array([1]));
      await store.replaceMeta('secret', new Uint8Array([2, 3]));
      expect([...(await store.getMeta('secret'))!]).toEqual([2, 3]);
    });
  });
}
