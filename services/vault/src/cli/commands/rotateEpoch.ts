import type { Command } from 'commander';

import { VaultError } from '../../domain/errors.js';
import { openCliVault } from '../openCliVault.js';

export function addRotateEpochCommand(program: Command): void {
  program
    .command('rotate-epoch')
    .description(
      'End the current key epoch now: re-wrap every live data key under a new key-encryption key, re-compute the ' +
        'blind index under the new epoch, and destroy the old key-encryption key',
    )
    .option(
      '--page-size <n>',
      'keys re-wrapped (and blind-index entries re-computed) per transaction ' +
        "(smaller pages hold a store's write lock for less time)",
      '500',
    )
    .action(async (opts: { pageSize: string }) => {
      const pageSize = Number(opts.pageSize);
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 10_000)
        throw new VaultError('BAD_USER_INPUT', '--page-size must be an integer from 1 to 10000');
      const vault = await openCliVault();
      try {
        const r = await vault.rotateEpoch({ pageSize });
        console.log(
          `epoch ${r.to}: re-wrapped ${r.keys} data keys and ${r.secrets} vault secrets; re-computed ${r.reindexed} ` +
            `blind-index entries; destroyed the key-encryption keys of epoch ${r.destroyed.join(', ') || '(none)'}`,
        );
      } finally {
        await vault.close();
      }
    });
}
