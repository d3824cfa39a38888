#!/usr/bin/env node
// Prints one line, `N passed, N failed, N skipped`, from the vitest JSON reports (and lint reports) of every
// workspace, after listing skipped tests with their reasons (in their names, or the note of `ctx.skip`) and failed
// tests with the first line of their failure.
// Exits non-zero on any failure, or when a workspace with tests left no report (it crashed before reporting).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { root, workspaces as allWorkspaces } from './workspaces.mjs';

// Every workspace with a `test` script leaves a vitest report; every one with a `lint` script a lint report.
const workspaces = allWorkspaces()
  .filter((w) => w.scripts.test)
  .map((w) => w.dir);
const linted = allWorkspaces()
  .filter((w) => w.scripts.lint)
  .map((w) => w.dir);
let passed = 0;
let failed = 0;
let skipped = 0;
let missing = false;

for (const ws of workspaces) {
  const file = join(root, ws, 'test-results.json');
  if (!existsSync(file)) {
    console.log(`no test report from ${ws}: its test run did not finish`);
    missing = true;
    continue;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  // The notes tests were skipped with (`ctx.skip(note)`), which vitest's JSON report leaves out.
  const skipsFile = join(root, ws, 'test-skips.json');
  const notes = new Map(
    (existsSync(skipsFile) ? JSON.parse(readFileSync(skipsFile, 'utf8')) : []).map((s) => [s.name, s.note]),
  );
  for (const suite of report.testResults ?? []) {
    if (suite.status === 'failed' && (suite.assertionResults ?? []).length === 0) {
      console.log(
        `suite failed to run: ${suite.name.replace(root, '')}: ${String(suite.message ?? '').split('\n')[0]}`,
      );
      failed += 1;
    }
    for (const t of suite.assertionResults ?? []) {
      if (t.status === 'passed') passed += 1;
      else if (t.status === 'failed') {
        failed += 1;
        // Named here, just above the total, so the last lines of a CI log say which test failed and why.
        const name = [...(t.ancestorTitles ?? []), t.title].join(' > ');
        const why = String(t.failureMessages?.[0] ?? '')
          .split('\n')[0]
          .slice(0, 200);
        console.log(`failed: ${suite.name.replace(root, '').replace(/^\//, '')} > ${name}${why ? `: ${why}` : ''}`);
      } else {
        skipped += 1;
        const name = [...(t.ancestorTitles ?? []), t.title].join(' > ');
        const note = notes.get(name);
        console.log(`skipped: ${name}${note ? ` (${note})` : ''}`);
      }
    }
  }
}

// Lint runs beside the tests (`turbo run test lint`): a workspace whose lint found problems, or
// left no report, counts as one failure, so CI fails on a lint error as on a failed test.
for (const ws of linted) {
  const file = join(root, ws, 'lint-results.json');
  if (!existsSync(file)) {
    console.log(`lint failed: ${ws} left no lint report (a type error, or codegen out of date: npm run lint -w ${ws})`);
    failed += 1;
    continue;
  }
  const lint = JSON.parse(readFileSync(file, 'utf8'));
  if (lint.problems > 0) {
    console.log(`lint failed: ${lint.problems} problems in ${ws} (npm run lint -w ${ws})`);
    failed += 1;
  }
}

console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || missing ? 1 : 0);
