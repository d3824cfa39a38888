import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Reporter, TestModule, Vitest } from 'vitest/node';

/**
 * Writes `test-skips.json`: every skipped test by name, with the note it was skipped with
 * (`ctx.skip(note)`). Vitest's JSON report leaves the note out, and the run's last line
 * (scripts/test-summary.mjs) prints each skip with its reason.
 */
export default class SkipNotesReporter implements Reporter {
  private root = process.cwd();

  onInit(vitest: Vitest): void {
    this.root = vitest.config.root;
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const skipped: { name: string; note?: string }[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests('skipped')) {
        const result = test.result();
        skipped.push({ name: test.fullName, note: result.state === 'skipped' ? result.note : undefined });
      }
    }
    writeFileSync(join(this.root, 'test-skips.json'), `${JSON.stringify(skipped, null, 2)}\n`);
  }
}
