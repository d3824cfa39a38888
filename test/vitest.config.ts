import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Suites exercise the service's source directly: no build step between an edit and a test run.
    alias: [
      { find: '@pdv/vault', replacement: fileURLToPath(new URL('../services/vault/src/index.ts', import.meta.url)) },
      // One graphql for the source under test and the packages around it (Apollo, graphql-tools,
      // graphql-jit), as under plain Node: Vite would otherwise hand the source graphql's ESM
      // build while the packages load its CommonJS one, and graphql refuses schemas that mix them.
      // The bare name only: a path inside the package (`graphql/language/parser.js`) resolves as it is.
      { find: /^graphql$/, replacement: createRequire(import.meta.url).resolve('graphql') },
    ],
  },
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'bench/**'],
    // Removes the SoftHSM2 tokens of TEST_KEK_PROVIDER=pkcs11 runs when the run ends.
    globalSetup: ['./support/hsmTokens.globalSetup.ts'],
    reporters: ['default', ['json', { outputFile: 'test-results.json' }], './support/skipNotesReporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
