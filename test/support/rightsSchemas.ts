import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/** The repository's schema/ directory. */
export const SCHEMA_DIR = new URL('../../schema/', import.meta.url);

/** The JSON Schemas of the rights documents, by file name (`access-report.schema.json`, …). */
export const RIGHTS_SCHEMAS: Record<string, Record<string, unknown>> = Object.fromEntries(
  readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith('.schema.json'))
    .sort()
    .map((f) => [f, JSON.parse(readFileSync(new URL(f, SCHEMA_DIR), 'utf8')) as Record<string, unknown>]),
);

/**
 * Ajv in strict mode (every keyword known, every `required` name declared, types given wherever a
 * keyword needs one) with the formats checked: a schema that is loose or wrong fails to compile
 * here, before any document is judged by it.
 */
export function strictAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  for (const schema of Object.values(RIGHTS_SCHEMAS)) ajv.addSchema(schema);
  return ajv;
}

const shared = strictAjv();
const errorText = (e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? e.keyword}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`;

/** The errors of `doc` against the named schema (`access-report.schema.json`, …); none when it conforms. */
export function schemaErrors(name: string, doc: unknown): string[] {
  const validate = shared.getSchema(name);
  if (!validate) throw new Error(`no schema ${name} under schema/`);
  return validate(doc) ? [] : (validate.errors ?? []).map(errorText);
}
