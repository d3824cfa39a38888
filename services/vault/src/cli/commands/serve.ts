import type { Command } from 'commander';
import { loadConfig } from '../../config/loadConfig.js';
import { openVault } from '../../vault.js';

/** Placeholder until the HTTP API lands: opens the stores, projects, reports readiness, closes on SIGTERM. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Start the vault')
    .action(async () => {
      const config = loadConfig();
      const vault = await openVault(config, { live: true, warn: (m) => console.error(`warning: ${m}`) });
      console.log(`vault ready: data in ${config.dataDir}, signing key ${vault.signer.publicJwk.kid}`);
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      await vault.close();
    });
}
