// Resolver types from the SDL in /schema, with graphql-codegen's core and plugins (no CLI: its
// loaders for URLs, GitHub and Apollo Studio pulled in packages that refuse Node 20, for nothing
// this repository uses). The configuration is codegen.yml.
//
//   node scripts/codegen.mjs          writes every output
//   node scripts/codegen.mjs --check  writes nothing; exits 1 when a committed output differs
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as add from '@graphql-codegen/add';
import { codegen } from '@graphql-codegen/core';
import * as typescript from '@graphql-codegen/typescript';
import * as typescriptResolvers from '@graphql-codegen/typescript-resolvers';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { lexicographicSortSchema, parse, printSchema } from 'graphql';
import YAML from 'yaml';

import { writeOrCheck } from '../../../scripts/generatedFile.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pluginMap = { add, typescript, 'typescript-resolvers': typescriptResolvers };

const config = YAML.parse(readFileSync(join(root, 'codegen.yml'), 'utf8'));
// `schema` is one directory glob of SDL files (`dir/*.graphql`), read in name order.
if (typeof config.schema !== 'string' || !config.schema.endsWith('/*.graphql')) {
  throw new Error('codegen.yml: schema must be one `<dir>/*.graphql` pattern (what this script reads)');
}
const schemaDir = resolve(root, dirname(config.schema));
const sdl = readdirSync(schemaDir)
  .filter((f) => f.endsWith('.graphql'))
  .sort()
  .map((f) => readFileSync(join(schemaDir, f), 'utf8'));
// Merged as the server merges them (api/schema.ts), then sorted by name, types and fields, as
// graphql-codegen's CLI does by default.
const schemaAst = lexicographicSortSchema(makeExecutableSchema({ typeDefs: sdl }));
const schema = parse(printSchema(schemaAst));

const check = process.argv.includes('--check');
let stale = 0;
for (const [filename, output] of Object.entries(config.generates)) {
  const plugins = output.plugins.map((p) => (typeof p === 'string' ? { [p]: {} } : p));
  const text = await codegen({
    filename,
    schema,
    schemaAst,
    documents: [],
    plugins,
    pluginMap,
    config: output.config ?? {},
  });
  const hint =
    `${filename} differs from what schema/*.graphql generates: ` + 'run `npm run codegen` and commit the result';
  if (writeOrCheck(join(root, filename), text, { check, label: filename, stale: hint })) stale++;
}
if (stale > 0) process.exitCode = 1;
else if (check) console.log('generated files are up to date');
