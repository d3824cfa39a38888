import type { Command } from 'commander';

import { loadConfig } from '../../config/loadConfig.js';
import { openKekProvider, openStores } from '../../config/openStores.js';
import { auditErasure } from '../auditErasure.js';

/** Exit code when anything erased can be opened again. */
export const AUDIT_FAILED_EXIT = 3;

export function addAuditErasureCommand(program: Command): void {
  program
    .command('audit-erasure')
    .description(
      'Carve every byte of the data directory (and --path files or directories: PostgreSQL relation files, WAL, ' +
        'backups) ' +
        'for copies of destroyed keys, with the key-encryption keys; exit 3 if anything erased can be opened',
    )
    .option('--path <path...>', 'more files or directories to carve (default: only the data directory)')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { path?: string[]; json?: boolean }) => {
      const config = loadConfig();
      const stores = await openStores(config);
      const kek = await openKekProvider(config, { allowGenerate: false, warn: () => {} });
      try {
        const report = await auditErasure({ keys: stores.keys, kek, paths: [config.dataDir, ...(opts.path ?? [])] });
        if (opts.json) console.log(JSON.stringify(report, null, 2));
        else {
          for (const k of report.recoveredKeys)
            console.log(`RECOVERED\t${k.keyId}\tepoch ${k.epoch}\t${k.file}@${k.offset}`);
          console.log(
            `carved ${report.files} files (${report.bytes} bytes) for ${report.destroyedKeys} destroyed keys: ` +
              `${report.recoveredKeys.length} recovered, ${report.recoveredValues} sealed values opened`,
          );
        }
        if (report.recoveredKeys.length > 0) process.exitCode = AUDIT_FAILED_EXIT;
      } finally {
        await kek.close();
        await Promise.allSettled([
          stores.log.close(),
          stores.keys.close(),
          stores.views.close(),
          stores.access?.close(),
        ]);
      }
    });
}
