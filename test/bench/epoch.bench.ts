import { contextTag, open, seal } from '@pdv/vault';
import nacl from 'tweetnacl';

import { tempVault } from '../support/tempVault.js';

/**
 * The cost of ending an epoch on the embedded default: `rotateEpoch` over N live data keys
 * (read from the slot file, unwrapped, wrapped under the new KEK, written back in place, a
 * transaction per page), against the bare secretbox open-and-seal of the same N keys in the same
 * run. The ratio is rotation keys a second over bare keys a second (target at least 0.25).
 */
export async function epochBench(n = 100_000): Promise<Record<string, number>> {
  const { vault, cleanup } = await tempVault();
  try {
    const ids = Array.from({ length: n }, (_, i) => `bench-${i}/contact/1`);
    for (let i = 0; i < n; i += 10_000) await vault.keyRing.ensure(ids.slice(i, i + 10_000));

    // Bare: the same number of 32-byte keys, opened and sealed again with a context tag each.
    const kek = nacl.randomBytes(32);
    const next = nacl.randomBytes(32);
    const wrapped = ids.map((id) => seal(kek, nacl.randomBytes(32), contextTag('bench', [id])));
    let t = performance.now();
    for (let i = 0; i < n; i++)
      seal(next, open(kek, wrapped[i]!, contextTag('bench', [ids[i]!])), contextTag('bench', [ids[i]!]));
    const bareMs = performance.now() - t;

    t = performance.now();
    const r = await vault.keyRing.rotateEpoch();
    const rotateMs = performance.now() - t;
    if (r.keys !== n) throw new Error(`rotation re-wrapped ${r.keys} keys, expected ${n}`);
    return {
      epoch_rotation_keys: n,
      epoch_rotation_ms: rotateMs,
      epoch_bare_open_seal_ms: bareMs,
      epoch_rotation_keys_per_s: (n / rotateMs) * 1000,
      epoch_rotation_ratio_vs_bare: bareMs / rotateMs,
    };
  } finally {
    await cleanup();
  }
}
