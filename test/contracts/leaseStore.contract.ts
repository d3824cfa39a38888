import type { AcquiredLease, LeaseStore } from '@pdv/vault';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

export interface LeaseStoreFixture {
  store: LeaseStore;
  /** Another connection to the same store, as another replica has (closed by `cleanup`). */
  other(): Promise<LeaseStore>;
  cleanup(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The keys of the leases taken, sorted. */
const names = (leases: readonly AcquiredLease[]) => leases.map((l) => l.key).sort();
const keys = (n: number, prefix = 'n') =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(4, '0')}`);

/**
 * The LeaseStore contract, run unchanged against every adapter. `create` returns an empty store of its own and a
 * way to open a second connection to it (a second replica); `cleanup` closes both and removes what it created.
 */
export function leaseStoreContract(name: string, create: () => Promise<LeaseStoreFixture>): void {
  describe(`LeaseStore contract: ${name}`, () => {
    let fx: LeaseStoreFixture;
    let a: LeaseStore;
    let b: LeaseStore;
    beforeEach(async () => {
      fx = await create();
      a = fx.store;
      b = await fx.other();
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('gives a free key to the first holder only, across connections, until it is released', async () => {
      expect(names(await a.acquire(['k1', 'k2'], 'replica-a', 60_000))).toEqual(['k1', 'k2']);
      expect(names(await b.acquire(['k1', 'k2', 'k3'], 'replica-b', 60_000))).toEqual(['k3']);
      // The holder renews its own; a release by someone else does nothing.
      expect(names(await a.acquire(['k1'], 'replica-a', 60_000))).toEqual(['k1']);
      await b.release(['k1'], 'replica-b');
      expect(await b.acquire(['k1'], 'replica-b', 60_000)).toEqual([]);
      await a.release(['k1'], 'replica-a');
      expect(names(await b.acquire(['k1', 'k2'], 'replica-b', 60_000))).toEqual(['k1']);
      expect(await a.acquire([], 'replica-a', 60_000)).toEqual([]);
      await a.release([], 'replica-a');
    });

    it('says whether a key was ever held before: first only for a key no holder had', async () => {
      expect(await a.acquire(['k1'], 'replica-a', 60_000)).toEqual([{ key: 'k1', first: true }]);
      // Renewed, released and taken again, by the same holder or another: not first any more.
      expect(await a.acquire(['k1'], 'replica-a', 60_000)).toEqual([{ key: 'k1', first: false }]);
      await a.release(['k1'], 'replica-a');
      const again = await b.acquire(['k1', 'k2'], 'replica-b', 60_000);
      expect([...again].sort((x, y) => x.key.localeCompare(y.key))).toEqual([
        { key: 'k1', first: false },
        { key: 'k2', first: true },
      ]);
    });

    it('lets another holder take a lease once it has expired, and the old holder cannot release it then', async () => {
      expect(names(await a.acquire(['k1'], 'replica-a', 150))).toEqual(['k1']);
      expect(await b.acquire(['k1'], 'replica-b', 150)).toEqual([]);
      await sleep(400);
      expect(await b.acquire(['k1'], 'replica-b', 60_000)).toEqual([{ key: 'k1', first: false }]);
      await a.release(['k1'], 'replica-a');
      expect(await a.acquire(['k1'], 'replica-a', 60_000)).toEqual([]);
    });

    it('gives each key to exactly one of several holders racing for overlapping batches', async () => {
      const all = keys(300);
      const stores = [a, b, await fx.other(), await fx.other()];
      // Each takes its own order of the same keys, in batches that overlap the others'.
      const won = await Promise.all(
        stores.map(async (store, i) => {
          const mine: string[] = [];
          const order = i % 2 ? [...all].reverse() : all;
          for (let at = 0; at < order.length; at += 50)
            mine.push(...names(await store.acquire(order.slice(at, at + 75), `replica-${i}`, 60_000)));
          return new Set(mine);
        }),
      );
      const counted = new Map<string, number>();
      for (const set of won) for (const k of set) counted.set(k, (counted.get(k) ?? 0) + 1);
      expect(counted.size).toBe(all.length);
      expect([...counted.values()].every((n) => n === 1)).toBe(true);
    });

    it('lists the holders of live leases by prefix, and ends all of a dead holder’s leases at once', async () => {
      await a.acquire(['k1', 'k2'], 'propagation@h/1/x', 60_000);
      await b.acquire(['k3'], 'propagation@h/2/y', 60_000);
      await b.acquire(['k4'], 'other@h/3/z', 60_000);
      await a.acquire(['k5'], 'propagation@h/4/w', 100);
      await a.acquire(['k6'], 'propagation@h/5/v', 60_000);
      await a.release(['k6'], 'propagation@h/5/v');
      await sleep(300);
      // Expired and ended leases have no holder any more; another prefix is not listed.
      expect((await b.holders('propagation@h/')).sort()).toEqual(['propagation@h/1/x', 'propagation@h/2/y']);
      expect(await b.holders('propagation@elsewhere/')).toEqual([]);

      expect(await b.releaseAll('propagation@h/1/x')).toBe(2);
      expect(await b.holders('propagation@h/')).toEqual(['propagation@h/2/y']);
      // Another holder takes them at once, as keys someone held before; the other holders keep theirs.
      const taken = await b.acquire(['k1', 'k2', 'k3', 'k4'], 'replica-b', 60_000);
      expect([...taken].sort((x, y) => x.key.localeCompare(y.key))).toEqual([
        { key: 'k1', first: false },
        { key: 'k2', first: false },
      ]);
      expect(await a.releaseAll('propagation@h/1/x')).toBe(0);
      expect(await a.releaseAll('nobody')).toBe(0);
      await expect(a.holders('')).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
      await expect(a.releaseAll('')).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    });

    it('refuses bad arguments with BAD_USER_INPUT and takes nothing', async () => {
      for (const bad of [
        () => a.acquire(['k1'], 'replica-a', 0),
        () => a.acquire(['k1'], 'replica-a', 1.5),
        () => a.acquire(['k1'], '', 1000),
        () => a.acquire([''], 'replica-a', 1000),
        () => a.acquire(keys(1001), 'replica-a', 1000),
        () => a.release(keys(1001), 'replica-a'),
      ])
        await expect(bad()).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
      expect(names(await b.acquire(['k1'], 'replica-b', 60_000))).toEqual(['k1']);
    });

    it('refuses calls once closed with STORE_UNAVAILABLE', async () => {
      await b.close();
      await expect(b.acquire(['k1'], 'replica-b', 1000)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    });
  });
}
