import type { CodegenConfig } from '@graphql-codegen/cli';

/** Types each GraphQL document of the pages from the vault's schema (`npm run codegen`; the output is committed). */
const config: CodegenConfig = {
  schema: '../../schema/*.graphql',
  documents: ['src/**/*.ts', 'src/**/*.tsx', '!src/gql/**'],
  generates: {
    'src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { DateTime: 'string', JSON: 'unknown', ID: 'string' },
      },
    },
  },
};

export default config;
