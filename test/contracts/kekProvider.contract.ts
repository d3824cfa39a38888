import { randomBytes } from 'node:crypto';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { KekProvider } from '../../services/vault/src/ports/KekProvider.js';

export interface KekProviderFixture {
  /** A provider over custody of its own that holds no KEK yet. */
  provider: KekProvider;
  /**
   * A new provider over the same custody. The contract closes the previous provider first, so
   * a fixture that can reopen must survive that; without `reopen` the persistence case is skipped.
   */
  reopen?: () => Promise<KekProvider>;
  /** Closes the provider opened last (`close` is idempotent) and removes whatever the fixture made. */
  cleanup(): Promise<void>;
}

const key = () => new Uint8Array(randomBytes(32));
const aadOf = (i: number) => new TextEncoder().encode(`subject-${i}/contact/1`);
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
const code = (c: string) => expect.objectContaining({ code: c });
const INVALID = code('CIPHERTEXT_INVALID');

/** Keys with aads of their own, wrapped under `epoch`. */
async function wrapped(provider: KekProvider, epoch: number, n: number) {
  const items = Array.from({ length: n }, (_, i) => ({ key: key(), aad: aadOf(i) }));
  const out = await provider.wrap(epoch, items);
  return items.map((item, i) => ({ ...item, wrapped: out[i]! }));
}

/**
 * The KekProvider contract, run unchanged against every adapter (the local key file, an HSM):
 * behaviour only, nothing about how an adapter lays its bytes out.
 */
export function describeKekProviderContract(name: string, open: () => Promise<KekProviderFixture>): void {
  describe(`KekProvider contract: ${name}`, () => {
    let fx: KekProviderFixture;
    let provider: KekProvider;
    beforeEach(async () => {
      fx = await open();
      provider = fx.provider;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('wraps many 32-byte keys in one call and unwraps each under its own aad', async () => {
      expect(await provider.epochs()).toEqual([]);
      await provider.create(1);
      const items = await wrapped(provider, 1, 500);
      for (const item of items) {
        expect(item.wrapped).toBeInstanceOf(Uint8Array);
        expect(Buffer.from(item.wrapped).includes(Buffer.from(item.key)), 'no key in the clear').toBe(false);
      }
      const keys = await provider.unwrap(1, items);
      expect(keys).toHaveLength(500);
      keys.forEach((k, i) => expect(same(k, items[i]!.key)).toBe(true));
      expect(await provider.wrap(1, [])).toEqual([]);
      expect(await provider.unwrap(1, [])).toEqual([]);
    });

    it('refuses a wrapped key opened under another aad or another epoch with CIPHERTEXT_INVALID', async () => {
      await provider.create(1);
      await provider.create(2);
      const [item] = await wrapped(provider, 1, 1);
      await expect(provider.unwrap(1, [{ wrapped: item!.wrapped, aad: aadOf(999) }])).rejects.toEqual(INVALID);
      await expect(provider.unwrap(1, [{ wrapped: item!.wrapped, aad: new Uint8Array() }])).rejects.toEqual(INVALID);
      await expect(provider.unwrap(2, [item!])).rejects.toEqual(INVALID);
      expect(same((await provider.unwrap(1, [item!]))[0]!, item!.key)).toBe(true);
    });

    it('refuses a wrapped key with any one byte changed, or cut short, with CIPHERTEXT_INVALID', async () => {
      await provider.create(1);
      const [item] = await wrapped(provider, 1, 1);
      const bytes = item!.wrapped;
      for (let at = 0; at < bytes.length; at++) {
        const tampered = Uint8Array.from(bytes);
        tampered[at]! ^= 0x01;
        const opening = provider.unwrap(1, [{ wrapped: tampered, aad: item!.aad }]);
        await expect(opening, `byte ${at}`).rejects.toEqual(INVALID);
      }
      for (const length of [0, 1, bytes.length - 1]) {
        const cut = { wrapped: bytes.slice(0, length), aad: item!.aad };
        await expect(provider.unwrap(1, [cut]), `${length} bytes`).rejects.toEqual(INVALID);
      }
      // A batch with one bad item fails whole: no caller can mistake a partial result for all of it.
      const good = await wrapped(provider, 1, 3);
      const flipped = Uint8Array.from(good[1]!.wrapped);
      flipped[flipped.length - 1]! ^= 0x80;
      const mixed = [good[0]!, { ...good[1]!, wrapped: flipped }, good[2]!];
      await expect(provider.unwrap(1, mixed)).rejects.toEqual(INVALID);
      expect(await provider.unwrap(1, good)).toHaveLength(3);
    });

    it('wraps the same key under the same aad to different bytes every time (a fresh nonce each)', async () => {
      await provider.create(1);
      const k = key();
      const aad = aadOf(1);
      const [a] = await provider.wrap(1, [{ key: k, aad }]);
      const [b] = await provider.wrap(1, [{ key: k, aad }]);
      expect(same(a!, b!)).toBe(false);
      const batch = await provider.wrap(
        1,
        Array.from({ length: 200 }, () => ({ key: k, aad })),
      );
      expect(new Set([a!, b!, ...batch].map((w) => Buffer.from(w).toString('hex'))).size).toBe(202);
      const opened = await provider.unwrap(
        1,
        [a!, b!, ...batch].map((w) => ({ wrapped: w, aad })),
      );
      for (const k2 of opened) expect(same(k2, k)).toBe(true);
    });

    it('creates each epoch once however often create is called, and lists epochs ascending', async () => {
      await provider.create(3);
      await provider.create(1);
      const [item] = await wrapped(provider, 1, 1);
      await Promise.all([provider.create(1), provider.create(2), provider.create(3), provider.create(1)]);
      await provider.create(10);
      expect(await provider.epochs()).toEqual([1, 2, 3, 10]);
      const [again] = await provider.unwrap(1, [item!]);
      expect(same(again!, item!.key), 'a second create keeps the first KEK').toBe(true);
    });

    it('after destroy(e) refuses e with KEK_UNAVAILABLE while e+1 still works, and destroys idempotently', async () => {
      await provider.create(1);
      await provider.create(2);
      const old = await wrapped(provider, 1, 10);
      const current = await wrapped(provider, 2, 10);
      await provider.destroy(1);
      await provider.destroy(1);
      await provider.destroy(7);
      expect(await provider.epochs()).toEqual([2]);
      await expect(provider.unwrap(1, old)).rejects.toEqual(code('KEK_UNAVAILABLE'));
      await expect(provider.wrap(1, [{ key: key(), aad: aadOf(1) }])).rejects.toEqual(code('KEK_UNAVAILABLE'));
      const keys = await provider.unwrap(2, current);
      keys.forEach((k, i) => expect(same(k, current[i]!.key)).toBe(true));
    });

    it('refuses to wrap or unwrap under an epoch that was never created with KEK_UNAVAILABLE', async () => {
      await provider.create(1);
      const [item] = await wrapped(provider, 1, 1);
      await expect(provider.wrap(5, [{ key: key(), aad: aadOf(1) }])).rejects.toEqual(code('KEK_UNAVAILABLE'));
      await expect(provider.unwrap(5, [item!])).rejects.toEqual(code('KEK_UNAVAILABLE'));
    });

    it('keeps its KEKs across a reopen, and keeps destroyed ones destroyed', async (ctx) => {
      if (!fx.reopen) return ctx.skip('this fixture cannot reopen its custody');
      const reopen = fx.reopen;
      await provider.create(1);
      await provider.create(2);
      await provider.create(3);
      const one = await wrapped(provider, 1, 20);
      const two = await wrapped(provider, 2, 1);
      const three = await wrapped(provider, 3, 20);
      await provider.destroy(2);
      await provider.close();
      provider = await reopen();
      expect(await provider.epochs()).toEqual([1, 3]);
      (await provider.unwrap(1, one)).forEach((k, i) => expect(same(k, one[i]!.key)).toBe(true));
      (await provider.unwrap(3, three)).forEach((k, i) => expect(same(k, three[i]!.key)).toBe(true));
      await expect(provider.unwrap(2, two)).rejects.toEqual(code('KEK_UNAVAILABLE'));
      await provider.destroy(1);
      await provider.close();
      provider = await reopen();
      expect(await provider.epochs()).toEqual([3]);
      await expect(provider.unwrap(1, one)).rejects.toEqual(code('KEK_UNAVAILABLE'));
    });

    it('unwraps every key of 50 concurrent wrap batches', async () => {
      await provider.create(1);
      await provider.create(2);
      const batches = await Promise.all(Array.from({ length: 50 }, (_, b) => wrapped(provider, 1 + (b % 2), 20)));
      const unwrapped = await Promise.all(batches.map((batch, b) => provider.unwrap(1 + (b % 2), batch)));
      unwrapped.forEach((keys, b) => keys.forEach((k, i) => expect(same(k, batches[b]![i]!.key)).toBe(true)));
      const all = batches.flat().map((item) => Buffer.from(item.wrapped).toString('hex'));
      expect(new Set(all).size).toBe(1000);
    });
  });
}
