import type { Command } from 'commander';

import { embeddedState, loadConfig } from '../../config/loadConfig.js';
import { openCliVault } from '../openCliVault.js';
import { assertNotServed } from '../serveMarker.js';

export function addRebuildCommand(program: Command): void {
  program
    .command('rebuild')
    .description('Drop the read models and project them again from the event log')
    .action(async () => {
      const config = loadConfig();
      // On the embedded store the rebuild replaces views.db under a running server's feet.
      if (embeddedState(config)) assertNotServed(config.dataDir, 'rebuilding the read models');
      const vault = await openCliVault(config);
      try {
        const started = performance.now();
        const count = await vault.projector.rebuild();
        const seconds = (performance.now() - started) / 1000;
        console.log(`rebuilt read models from ${count} events in ${seconds.toFixed(2)} s`);
      } finally {
        await vault.close();
      }
    });
}
