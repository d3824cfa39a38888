#!/usr/bin/env node
// Removes last run's vitest and lint reports so the summary can never count a stale one.
import { rmSync } from 'node:fs';

for (const ws of ['services/vault', 'test']) {
  for (const report of ['test-results.json', 'lint-results.json'])
    rmSync(new URL(`../${ws}/${report}`, import.meta.url), { force: true });
}
