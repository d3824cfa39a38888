import { readFile, writeFile } from 'node:fs/promises';

import { makeExecutableSchema } from '@graphql-tools/schema';
import type { Command } from 'commander';

import { DEFAULT_LIMITS } from '../../api/limits.js';
import { loadTypeDefs } from '../../api/schema.js';
import { buildManifest } from '../../api/trustedDocuments.js';
import { loadApiSettings } from '../../config/apiSettings.js';

/**
 * `vault trusted-documents <files…>`: the manifest `VAULT_TRUSTED_DOCUMENTS` reads, from a service's `.graphql` files.
 */
export function addTrustedDocumentsCommand(program: Command): void {
  program
    .command('trusted-documents')
    .argument('<files...>', "a service's GraphQL operations and fragments (.graphql files); every operation named")
    .option('--out <file>', 'where to write the manifest; default: standard output')
    .description(
      "Write the trusted-documents manifest (Apollo's persisted-query format) of a " +
        "service's operations, checked against the schema and this vault's limits",
    )
    .action(async (files: string[], opts: { out?: string }) => {
      const sources = await Promise.all(files.map(async (name) => ({ name, text: await readFile(name, 'utf8') })));
      const schema = makeExecutableSchema({ typeDefs: loadTypeDefs() });
      const manifest = buildManifest(sources, schema, { ...DEFAULT_LIMITS, ...loadApiSettings(process.env).limits });
      const json = `${JSON.stringify(manifest, null, 2)}\n`;
      if (opts.out) {
        await writeFile(opts.out, json);
        console.error(`${manifest.operations.length} operations written to ${opts.out}`);
      } else process.stdout.write(json);
    });
}
