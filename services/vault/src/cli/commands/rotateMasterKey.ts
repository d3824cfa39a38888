import type { Command } from 'commander';
import { loadConfig } from '../../config/loadConfig.js';
import { VaultError } from '../../domain/errors.js';
import { openCliVault } from '../openCliVault.js';

export function registerRotateMasterKey(program: Command): void {
  program
    .command('rotate-master-key')
    .description('Re-wrap every data key and vault secret under the newest master key (VAULT_MASTER_KEY=v2:<new>,v1:<old>)')
    .action(async () => {
      const config = loadConfig();
      const vault = await openCliVault(config);
      try {
        const current = vault.keyRing.kekVersion;
        if (current <= 1 && !(config.masterKey ?? '').includes(',')) {
          throw new VaultError('CONFIG_INVALID', 'Configure the new key next to the old one first: VAULT_MASTER_KEY=v2:<new base64>,v1:<old base64>');
        }
        const { keys, secrets } = await vault.keyRing.rotate();
        console.log(`re-wrapped ${keys} data keys and ${secrets} vault secrets under master key version ${current}`);
        console.log(`every key is now wrapped by version ${current}: older versions can be removed from the configuration`);
      } finally {
        await vault.close();
      }
    });
}
