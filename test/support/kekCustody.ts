// Which custody the suites' vaults keep their key-encryption keys in. `TEST_KEK_PROVIDER=pkcs11` runs
// every vault the shared helpers open (tempVault, the API harness, the CLI processes) with its KEKs in
// a SoftHSM2 token instead of the master-key file, so the whole suite shows the HSM path holds.
// Suites that test the local custody itself (the master key, its file, carving with it) keep it.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { VaultConfig } from '@pdv/vault';

import { HSM_ROOT_ENV } from './hsmTokens.globalSetup.js';

export type KekMode = 'local' | 'pkcs11';

/** The custody asked for by `TEST_KEK_PROVIDER` (`local` when unset). */
export const KEK_MODE: KekMode = process.env.TEST_KEK_PROVIDER?.toLowerCase() === 'pkcs11' ? 'pkcs11' : 'local';

const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
type SoftHsmHelper = { initToken(dir: string): { conf: string; label: string; pin: string } };
// The script the test command runs to install SoftHSM2 also makes tokens (plain .mjs: loaded, not typed).
const softhsm: SoftHsmHelper | undefined =
  KEK_MODE === 'pkcs11'
    ? ((await import(fileURLToPath(new URL('../../scripts/softhsm.mjs', import.meta.url)))) as SoftHsmHelper)
    : undefined;

if (KEK_MODE === 'pkcs11' && !existsSync(SOFTHSM_MODULE))
  throw new Error(`TEST_KEK_PROVIDER=pkcs11, but ${SOFTHSM_MODULE} is missing (node scripts/softhsm.mjs ensure)`);

let token: { conf: string; label: string; pin: string } | undefined;
let localOnly = false;

/**
 * Keeps this test file's vaults under the master key whatever `TEST_KEK_PROVIDER` says: for the
 * suites that test that custody itself (its key, its file, carving with it). Each test file runs in
 * a module context of its own, so this holds for the calling file only.
 */
export function keepLocalKek(): void {
  localOnly = true;
}

/**
 * This test process's own SoftHSM2 token, made on first use: processes never share a token
 * directory, and the module reads `SOFTHSM2_CONF` when it is first initialised here, so it is set
 * before any vault opens. Child processes inherit it.
 */
function workerToken(): { conf: string; label: string; pin: string } {
  if (!token) {
    // Inside the run's directory, which the global set-up removes at the end (the temporary directory outside vitest).
    token = softhsm!.initToken(mkdtempSync(join(process.env[HSM_ROOT_ENV] ?? tmpdir(), 'pdv-hsm-')));
    process.env.SOFTHSM2_CONF = token.conf;
  }
  return token;
}

/** A KEK label prefix of the vault on `place` (its data directory): a vault reopened there finds its KEKs. */
const prefixFor = (place: string) => `pdv-${createHash('sha256').update(place).digest('hex').slice(0, 16)}-`;

/** The KEK settings of a vault on `dataDir` in this run's custody: nothing to add for `local`. */
export function kekConfig(dataDir: string): Pick<VaultConfig, 'kekProvider' | 'pkcs11'> {
  if (KEK_MODE === 'local' || localOnly) return {};
  const t = workerToken();
  return {
    kekProvider: 'pkcs11',
    pkcs11: { module: SOFTHSM_MODULE, slot: t.label, pin: t.pin, labelPrefix: prefixFor(dataDir) },
  };
}

/**
 * The environment of a `vault` process in this run's custody: `env` itself for `local`, or when it
 * chooses its custody already (`VAULT_KEK_PROVIDER`) or names no data directory.
 */
export function kekEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (KEK_MODE === 'local' || localOnly || env.VAULT_KEK_PROVIDER || !env.VAULT_DATA_DIR) return env;
  const t = workerToken();
  return {
    ...env,
    SOFTHSM2_CONF: t.conf,
    VAULT_KEK_PROVIDER: 'pkcs11',
    VAULT_PKCS11_MODULE: SOFTHSM_MODULE,
    VAULT_PKCS11_SLOT: t.label,
    VAULT_PKCS11_PIN: t.pin,
    // Replicas that share one epoch key file (one custody) share the token's keys the same way.
    VAULT_PKCS11_LABEL_PREFIX: prefixFor(env.VAULT_KEK_FILE ?? env.VAULT_DATA_DIR),
  };
}
