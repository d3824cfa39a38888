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
export function strictAjv(schemas: Record<string, Record<string, unknown>> = RIGHTS_SCHEMAS): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  for (const schema of Object.values(schemas)) ajv.addSchema(schema);
  return ajv;
}

interface TermList {
  version: string;
  namespaces: Record<string, { classes: string[] }>;
}

/** The vendored DPV term list (`schema/dpv-<version>-terms.json`, generated from the DPV release files). */
export function dpvTermList(): TermList {
  const file = readdirSync(SCHEMA_DIR).find((f) => /^dpv-[0-9.]+-terms\.json$/.test(f));
  if (!file) throw new Error('no vendored DPV term list under schema/');
  return JSON.parse(readFileSync(new URL(file, SCHEMA_DIR), 'utf8')) as TermList;
}

/** Which namespaces of the list each kind of term the schemas mark may come from. */
export const TERM_NAMESPACES: Record<string, (prefix: string) => boolean> = {
  personalDataTerm: (p) => p === 'pd' || p === 'dpv',
  purposeTerm: (p) => p === 'dpv' || p.startsWith('sector-'),
  legalBasisTerm: (p) => p === 'dpv' || p === 'eu-gdpr',
  rightTerm: (p) => p === 'dpv' || p === 'eu-gdpr',
  safeguardTerm: (p) => p === 'dpv' || p === 'eu-gdpr',
};

/**
 * The schemas with each kind of term (`$defs/personalDataTerm`, `purposeTerm`, …, a pattern in the
 * published schemas) replaced by an enum of the live classes of its namespaces in the vendored
 * list: where the published schema checks that a value is shaped like a term, this checks that
 * DPV defines it, at exactly the places the schemas say a term goes.
 */
export function termCheckedSchemas(list: TermList = dpvTermList()): Record<string, Record<string, unknown>> {
  const schemas = structuredClone(RIGHTS_SCHEMAS);
  const defs = schemas['portability-export.schema.json']!.$defs as Record<string, Record<string, unknown>>;
  for (const [def, allowed] of Object.entries(TERM_NAMESPACES)) {
    if (!defs[def]) throw new Error(`portability-export.schema.json has no $defs/${def}`);
    const terms = Object.entries(list.namespaces)
      .filter(([prefix]) => allowed(prefix))
      .flatMap(([prefix, ns]) => ns.classes.map((c) => `${prefix}:${c}`))
      .filter((t) => new RegExp(defs[def]!.pattern as string, 'u').test(t));
    defs[def] = {
      type: 'string',
      description: `${String(defs[def].description)} (DPV ${list.version} classes)`,
      enum: terms.sort(),
    };
  }
  return schemas;
}

const shared = strictAjv();
/** The key an `additionalProperties` refusal is about, in brackets; else nothing. */
const extraKey = (e: ErrorObject) =>
  e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : '';
const errorText = (e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? e.keyword}${extraKey(e)}`;

/** The errors of `doc` against the named schema (`access-report.schema.json`, …); none when it conforms. */
export function schemaErrors(name: string, doc: unknown): string[] {
  const validate = shared.getSchema(name);
  if (!validate) throw new Error(`no schema ${name} under schema/`);
  return validate(doc) ? [] : (validate.errors ?? []).map(errorText);
}
