import { createRequire } from 'node:module';

import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // One graphql for the source under test and the packages around it (Apollo, graphql-tools,
    // graphql-jit), as under plain Node: Vite would otherwise hand the source graphql's ESM build
    // while the packages load its CommonJS one, and graphql refuses schemas that mix them. The bare
    // name only: a path inside the package (`graphql/language/parser.js`) resolves as it is.
    alias: [{ find: /^graphql$/, replacement: createRequire(import.meta.url).resolve('graphql') }],
  },
  test: {
    include: ['src/**/*.test.ts'],
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
