#!/usr/bin/env node
// Types the pages' GraphQL documents from the SDL in /schema with graphql-codegen's client preset, run through its core
// (no CLI: every release of the CLI depends on loaders for URLs, GitHub and Apollo Studio whose current releases refuse
// Node 20, for nothing this repository uses; services/vault/scripts/codegen.mjs does the same for the resolvers).
// Documents are the `graphql(`...`)` calls of src/ (outside src/gql/), in file order; the output is committed.
//
//   node scripts/codegen.mjs          writes src/gql/
//   node scripts/codegen.mjs --check  writes nothing; exits 1 when a committed file differs
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { preset } from '@graphql-codegen/client-preset';
import { codegen } from '@graphql-codegen/core';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { lexicographicSortSchema, parse, printSchema } from 'graphql';

import { writeOrCheck } from '../../../scripts/generatedFile.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const schemaDir = resolve(root, '../../schema');
const src = join(root, 'src');
const OUT = 'src/gql/';

/** What codegen.ts configured for the CLI. */
const config = {
  enumsAsTypes: true,
  useTypeImports: true,
  scalars: { DateTime: 'string', JSON: 'unknown', ID: 'string' },
};
const presetConfig = { fragmentMasking: false };

const sdl = readdirSync(schemaDir)
  .filter((f) => f.endsWith('.graphql'))
  .sort()
  .map((f) => readFileSync(join(schemaDir, f), 'utf8'));
// Merged as the server merges them (api/schema.ts), then sorted by name, as the CLI does by default.
const schemaAst = lexicographicSortSchema(makeExecutableSchema({ typeDefs: sdl }));
const schema = parse(printSchema(schemaAst));

/** The .ts and .tsx files under a directory, src/gql/ left out, in path order. */
function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return path === join(src, 'gql') ? [] : sourceFiles(path);
      return /\.tsx?$/.test(e.name) ? [path] : [];
    });
}

// A document is the template of a `graphql(` call, exactly as written (the key gql.ts maps it by).
const CALL = /\bgraphql\(\s*`([^`]*)`\s*\)/g;
const documents = sourceFiles(src).flatMap((file) =>
  [...readFileSync(file, 'utf8').matchAll(CALL)].map(([, rawSDL]) => ({
    location: relative(root, file),
    rawSDL,
    document: parse(rawSDL),
  })),
);

const outputs = await preset.buildGeneratesSection({
  baseOutputDir: OUT,
  schema,
  schemaAst,
  documents,
  config,
  presetConfig,
  plugins: [],
  pluginMap: {},
  documentTransforms: [],
});

const check = process.argv.includes('--check');
let stale = 0;
for (const output of outputs) {
  // core's codegen checks the documents against the schema, as the CLI did.
  const text = await codegen({ ...output, schemaAst });
  const label = output.filename;
  const hint = `${label} is stale: run npm run codegen -w services/console`;
  if (writeOrCheck(join(root, label), text, { check, label, stale: hint })) stale++;
}
if (stale > 0) process.exit(1);
