import type { Command } from 'commander';
import { loadConfig } from '../../config/loadConfig.js';
import { openVault } from '../../vault.js';

export function registerRebuild(program: Command): void {
  program
    .command('rebuild')
    .description('Drop the read models and project them again from the event log')
    .action(async () => {
      const vault = await openVault(loadConfig(), { warn: (m) => console.error(`warning: ${m}`) });
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
