import { readFileSync } from 'node:fs';

import type { Command } from 'commander';

import { loadConfig } from '../../config/loadConfig.js';
import { VaultError } from '../../domain/errors.js';
import { openCliVault } from '../openCliVault.js';

export function addRotateMasterKeyCommand(program: Command): void {
  program
    .command('rotate-master-key')
    .description(
      'Re-seal the epoch keys of the local KEK custody under the newest master key ' +
        '(VAULT_MASTER_KEY=v2:<new>,v1:<old>)',
    )
    .action(async () => {
      const config = loadConfig();
      if ((config.kekProvider ?? 'local') !== 'local')
        throw new VaultError(
          'CONFIG_INVALID',
          'rotate-master-key applies to VAULT_KEK_PROVIDER=local; an HSM rotates its own keys (vault rotate-epoch)',
        );
      // Two versions configured (`v2:…,v1:…`), in the variable or in the file.
      const configured = config.masterKey ?? (config.masterKeyFile ? readIfThere(config.masterKeyFile) : '');
      const versions = typeof configured === 'string' ? configured.includes(',') : configured.includes(0x2c);
      if (typeof configured !== 'string' && configured !== config.masterKey) configured.fill(0);
      if (!versions) {
        throw new VaultError(
          'CONFIG_INVALID',
          'Configure the new key next to the old one first: VAULT_MASTER_KEY=v2:<new base64>,v1:<old base64> (or ' +
            'the same in VAULT_MASTER_KEY_FILE)',
        );
      }
      const vault = await openCliVault(config);
      try {
        const resealed = await vault.keyRing.resealKeks();
        console.log(`re-sealed ${resealed} epoch keys under the newest master key version`);
        console.log('older master key versions can be removed from the configuration');
      } finally {
        await vault.close();
      }
    });
}

/** A file's bytes, or nothing when it cannot be read (opening the vault then names the problem). */
function readIfThere(path: string): Buffer | string {
  try {
    return readFileSync(path);
  } catch {
    return '';
  }
}
