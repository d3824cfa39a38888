import type { Command } from 'commander';

import { instantInput } from '../../domain/time.js';
import { openCliVault } from '../openCliVault.js';

export function addRetentionCommand(program: Command): void {
  program
    .command('retention')
    .description('Shred every (subject, category) whose retention has ended and that no legal hold covers')
    .option('--as-of <date>', 'sweep as of this ISO 8601 date (a future date only with --dry-run)')
    .option('--dry-run', 'list what would be shredded and why, changing nothing')
    .option('--json', 'print the full report as JSON')
    .action(async (opts: { asOf?: string; dryRun?: boolean; json?: boolean }) => {
      // Checked before the stores open, and named as the option.
      const asOf = opts.asOf === undefined ? undefined : instantInput(opts.asOf, '--as-of');
      const vault = await openCliVault();
      try {
        const report = await vault.sweepRetention({ ...(asOf ? { asOf } : {}), dryRun: opts.dryRun ?? false });
        if (opts.json) {
          console.log(JSON.stringify(report, null, 2));
          return;
        }
        for (const item of report.items) {
          const entries = item.entries ? `\tentries ${item.entries.join(',')}` : '';
          console.log(
            `${item.outcome}\t${item.subjectId}\t${item.category}\tdue ${item.dueAt}\t${item.rule}${entries}`,
          );
        }
        const verb = report.dryRun ? 'would shred' : 'shredded';
        console.log(
          `as of ${report.asOf}: ${report.examined} due, ${verb} ` +
            `${report.dryRun ? report.items.filter((i) => i.outcome === 'wouldShred').length : report.shredded}`,
        );
      } finally {
        await vault.close();
      }
    });
}
