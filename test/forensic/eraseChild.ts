import { readFileSync } from 'node:fs';

// The source, as the CLI suites run it: a child process has no vitest alias for the package.
import { loadConfig, openVault } from '../../services/vault/src/index.js';

/**
 * A process that erases the subjects listed in the file `process.argv[2]`, one line of output per
 * acknowledged certificate, for tests that kill it mid-way (a crash between erasures, or inside one).
 */
const ids = readFileSync(process.argv[2]!, 'utf8').split('\n').filter(Boolean);
const vault = await openVault(loadConfig(), { warn: () => {} });
await Promise.all(
  Array.from({ length: 4 }, async (_, w) => {
    for (let i = w; i < ids.length; i += 4) {
      await vault.erase(ids[i]!, { actor: 'dpo:crash', reason: 'subjectRequest' });
      process.stdout.write(`erased ${i}\n`);
    }
  }),
);
await vault.close();
