import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The SDL under the repository's `schema/`, read at start. The directory sits four levels above
 * this module both in `src/api` and in `dist/api`; `VAULT_SCHEMA_DIR` overrides it for a deployment
 * that ships the files elsewhere.
 */
export function loadTypeDefs(
  dir: string = process.env.VAULT_SCHEMA_DIR ?? fileURLToPath(new URL('../../../../schema/', import.meta.url)),
): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .sort()
    .map((f) => readFileSync(`${dir.replace(/\/$/, '')}/${f}`, 'utf8'));
}
