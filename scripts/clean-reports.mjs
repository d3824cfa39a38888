#!/usr/bin/env node
// Removes last run's vitest and lint reports so the summary can never count a stale one.
import { rmSync } from 'node:fs';
import { join } from 'node:path';

import { root, workspaces } from './workspaces.mjs';

for (const { dir } of workspaces()) {
  for (const report of ['test-results.json', 'test-skips.json', 'lint-results.json'])
    rmSync(join(root, dir, report), { force: true });
}
