import type { Command } from 'commander';
import { openCliVault } from '../openCliVault.js';

export function registerRebuild(program: Command): void {
  program
    .command('rebuild')
    .description('Drop the read models and project them again from the event log')
    .action(async () => {
      const vault = await openCliVault();
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
