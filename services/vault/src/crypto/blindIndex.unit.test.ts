import { createHmac } from 'node:crypto';

import { afterEach, describe, expect, it, vi } from 'vitest';

import { VaultError } from '../domain/errors.js';
import { BlindIndex, epochOfHash } from './blindIndex.js';
import type { KeyRing } from './keyRing.js';

/** The part of a key ring the blind index uses: custody's epochs and the secrets in the key store. */
function fakeRing(epochs: number[], options: { legacy?: Uint8Array } = {}) {
  const secrets = new Map<string, Uint8Array>();
  const calls: { name: string; epoch: number; create: boolean }[] = [];
  const ring = {
    kekVersion: Math.max(...epochs),
    kek: { epochs: () => Promise.resolve([...epochs]) },
    epochSecret: (name: string, epoch: number, length: number, o: { create?: boolean } = {}) => {
      calls.push({ name, epoch, create: o.create ?? false });
      if (!epochs.includes(epoch)) return Promise.reject(new VaultError('KEK_UNAVAILABLE', 'gone'));
      const stored = `${name}@${epoch}`;
      if (!secrets.has(stored) && o.create) secrets.set(stored, new Uint8Array(length).fill(epoch));
      // A copy, as an unwrap returns.
      const s = secrets.get(stored);
      return Promise.resolve(s && new Uint8Array(s));
    },
    existingSecret: (name: string) =>
      Promise.resolve(name === 'blind-index-key' && options.legacy ? new Uint8Array(options.legacy) : undefined),
  };
  return { ring, secrets, calls, setEpochs: (e: number[]) => epochs.splice(0, epochs.length, ...e) };
}

const hmac = (key: Uint8Array, form: string) => createHmac('sha256', key).update(form).digest('hex');
const FORM = 'phone:+31612345678';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('BlindIndex', () => {
  it('stores hashes as <epoch>:<hex> under the newest epoch, and reads the epoch back (none: 0)', async () => {
    const f = fakeRing([1, 2]);
    const index = new BlindIndex(f.ring as unknown as KeyRing);
    const hash = await index.hash(FORM);
    expect(hash).toBe(`2:${hmac(new Uint8Array(32).fill(2), FORM)}`);
    expect(epochOfHash(hash)).toBe(2);
    expect(epochOfHash('12:ab')).toBe(12);
    expect(epochOfHash(hmac(new Uint8Array(32), FORM))).toBe(0);
  });

  it('looks up under every index key alive, the legacy one too, and never creates an older epoch key', async () => {
    const legacy = new Uint8Array(32).fill(9);
    const f = fakeRing([1, 2], { legacy });
    f.secrets.set('blind-index-key@1', new Uint8Array(32).fill(1));
    const index = new BlindIndex(f.ring as unknown as KeyRing);
    expect(await index.candidates(FORM)).toEqual([
      hmac(legacy, FORM),
      `1:${hmac(new Uint8Array(32).fill(1), FORM)}`,
      `2:${hmac(new Uint8Array(32).fill(2), FORM)}`,
    ]);
    expect(f.calls.filter((c) => c.create).map((c) => c.epoch)).toEqual([2]);
  });

  it("follows custody's epochs within refreshMs, and zeroes the key of an epoch that ended", async () => {
    let now = 1_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    const f = fakeRing([1]);
    const index = new BlindIndex(f.ring as unknown as KeyRing, { refreshMs: 1000 });
    const first = await index.writer();
    expect(first.epoch).toBe(1);
    const keyOf1 = await (index as unknown as { keys: Map<number, Promise<Uint8Array | null>> }).keys.get(1)!;

    // Another process starts epoch 2: seen once refreshMs has passed.
    f.setEpochs([1, 2]);
    now += 500;
    expect((await index.writer()).epoch).toBe(1);
    now += 600;
    expect((await index.writer()).epoch).toBe(2);
    expect(await index.candidates(FORM)).toHaveLength(2);

    // It ends epoch 1: its key leaves memory, zeroed, and lookups no longer use it.
    f.setEpochs([2]);
    now += 1100;
    expect(await index.candidates(FORM)).toEqual([`2:${hmac(new Uint8Array(32).fill(2), FORM)}`]);
    await Promise.resolve();
    expect(keyOf1!.every((b) => b === 0)).toBe(true);
  });
});
