import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { contextTag, type KekProvider, open, openKekProvider, seal } from '@pdv/vault';
import nacl from 'tweetnacl';

import { tempVault } from '../support/tempVault.js';

/**
 * The cost of ending an epoch on the embedded default: `rotateEpoch` over N live data keys
 * (read from the slot file, unwrapped, wrapped under the new KEK, written back in place, a
 * transaction per page), against the bare secretbox open-and-seal of the same N keys in the same
 * run. The ratio is rotation keys a second over bare keys a second (target at least 0.25).
 * SoftHSM2's figures follow, as `epoch_softhsm_*`.
 */
export async function epochBench(n = 100_000): Promise<Record<string, number>> {
  return { ...(await rotationBench('epoch', n)), ...(await softHsmBench(10_000)) };
}

/**
 * The same on SoftHSM2 (`VAULT_KEK_PROVIDER=pkcs11`, a token made for the run), over fewer keys:
 * every unwrap and wrap is a PKCS#11 call into the token. Reported, no target; absent (and said
 * so) where SoftHSM2 is not installed (`node scripts/softhsm.mjs ensure`).
 */
async function softHsmBench(n: number): Promise<Record<string, number>> {
  const MODULE = '/usr/lib/softhsm/libsofthsm2.so';
  if (!existsSync(MODULE)) {
    console.log(`  (no SoftHSM2 figure: ${MODULE} is missing)`);
    return {};
  }
  let root = new URL('..', import.meta.url);
  while (!existsSync(new URL('turbo.json', root))) root = new URL('..', root);
  const helper = (await import(new URL('scripts/softhsm.mjs', root).href)) as {
    initToken(dir: string): { conf: string; label: string; pin: string };
  };
  const dir = mkdtempSync(join(tmpdir(), 'pdv-bench-hsm-'));
  try {
    const token = helper.initToken(dir);
    process.env.SOFTHSM2_CONF = token.conf;
    const config = { kekProvider: 'pkcs11', pkcs11: { module: MODULE, slot: token.label, pin: token.pin } } as const;
    const kek = await openKekProvider(
      { dataDir: dir, synchronous: 'FULL', port: 0, logLevel: 'silent', ...config },
      {
        allowGenerate: false,
        warn: () => {},
      },
    );
    return await rotationBench('epoch_softhsm', n, kek);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function rotationBench(prefix: string, n: number, kek?: KekProvider): Promise<Record<string, number>> {
  const { vault, cleanup } = await tempVault(kek ? { kek } : {});
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
      [`${prefix}_rotation_keys`]: n,
      [`${prefix}_rotation_ms`]: rotateMs,
      [`${prefix}_bare_open_seal_ms`]: bareMs,
      [`${prefix}_rotation_keys_per_s`]: (n / rotateMs) * 1000,
      [`${prefix}_rotation_ratio_vs_bare`]: bareMs / rotateMs,
    };
  } finally {
    await cleanup();
  }
}
