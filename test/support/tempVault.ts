import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { openVault, type OpenVaultOptions, type Vault, type VaultConfig } from '@pdv/vault';

/** A vault on the embedded default in a fresh temporary data directory. */
export async function tempVault(options: OpenVaultOptions & { dataDir?: string; masterKey?: string } = {}): Promise<{ vault: Vault; config: VaultConfig; cleanup(): Promise<void> }> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'pdv-'));
  const config: VaultConfig = {
    dataDir,
    masterKey: options.masterKey ?? Buffer.from(nacl.randomBytes(32)).toString('base64'),
    synchronous: 'FULL',
    port: 0,
    logLevel: 'silent',
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
