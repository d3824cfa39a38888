import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { openVault, type OpenVaultOptions, type Vault, type VaultConfig } from '@pdv/vault';
import nacl from 'tweetnacl';
import { afterEach } from 'vitest';

import { kekConfig } from './kekCustody.js';

/**
 * A vault on the embedded default in a fresh temporary data directory, its KEKs in this run's custody
 * (`TEST_KEK_PROVIDER`, see kekCustody.ts) unless `localKek` keeps them under the master key. `config` overrides
 * settings (the PostgreSQL stores, say).
 */
export async function tempVault(
  options: OpenVaultOptions & {
    dataDir?: string;
    masterKey?: string;
    localKek?: boolean;
    config?: Partial<Omit<VaultConfig, 'dataDir' | 'masterKey'>>;
  } = {},
): Promise<{ vault: Vault; config: VaultConfig & { masterKey: string }; cleanup: () => Promise<void> }> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'pdv-'));
  // A string, which the vault leaves as given (bytes it would consume): tests reopen with it.
  const config: VaultConfig & { masterKey: string } = {
    dataDir,
    masterKey: options.masterKey ?? Buffer.from(nacl.randomBytes(32)).toString('base64'),
    synchronous: 'FULL',
    port: 0,
    logLevel: 'silent',
    ...(options.localKek ? {} : kekConfig(dataDir)),
    ...options.config,
  };
  const vault = await openVault(config, { warn: () => {}, ...options });
  return {
    vault,
    config,
    cleanup: async () => {
      await vault.close().catch(() => {});
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Vaults a suite opens, each closed and removed after the test that opened it: every vault is closed before any data
 * directory is removed, since a test may open a later vault on an earlier one's directory, whose threads would still
 * be writing files into it while it is removed.
 */
export function useTempVaults() {
  const opened: Awaited<ReturnType<typeof tempVault>>[] = [];
  afterEach(async () => {
    const all = opened.splice(0);
    for (const t of [...all].reverse()) await t.vault.close().catch(() => {});
    for (const t of all) await t.cleanup();
  });
  const open = async (options: Parameters<typeof tempVault>[0] = {}) => {
    const t = await tempVault(options);
    opened.push(t);
    return t;
  };
  return {
    open,
    /** A vault whose clock the test moves (`clock.now`). */
    clocked: async (start: string) => {
      const clock = { now: start };
      const { vault } = await open({ now: () => clock.now });
      return { vault, clock };
    },
  };
}

/** One item of a RecordPersonalData command. */
export const dataItem = (
  category: string,
  field: string,
  value: unknown,
  purpose: string,
  legalBasis: string,
  source = 'subject',
) => ({
  category,
  field,
  value,
  purpose,
  legalBasis,
  source,
});
