import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

describe('the generated resolver types', () => {
  it('are what graphql-codegen makes from schema/*.graphql today (run `npm run codegen` after an SDL change)', () => {
    const cwd = fileURLToPath(new URL('../..', import.meta.url));
    const run = spawnSync(process.execPath, ['scripts/codegen.mjs', '--check'], {
      cwd,
      encoding: 'utf8',
      timeout: 50_000,
      killSignal: 'SIGKILL',
    });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
  }, 60_000);
});
