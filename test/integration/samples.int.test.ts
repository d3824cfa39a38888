import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { schemaErrors } from '../support/rightsSchemas.js';

/**
 * The sample documents in docs/samples/ (written by scripts/rights-samples.mjs) stay what the vault
 * writes: each validates under the strict schemas, and the readable pages carry the report they show.
 */
const sample = (name: string) => readFileSync(new URL(`../../docs/samples/${name}`, import.meta.url), 'utf8');

describe('the samples in docs/samples', () => {
  it.each([
    ['access-report.json', 'access-report.schema.json'],
    ['portability-export.json', 'portability-export.schema.json'],
  ])('%s validates under %s', (file, schema) => {
    expect(schemaErrors(schema, JSON.parse(sample(file)))).toEqual([]);
  });

  it.each(['en', 'nb', 'da'])('the readable report in %s carries the sample report it shows', (language) => {
    const html = sample(`access-report.${language}.html`);
    const href = /href="data:application\/json;base64,([A-Za-z0-9+/=]+)"/.exec(html)![1]!;
    const carried = JSON.parse(Buffer.from(href, 'base64').toString('utf8')) as unknown;
    expect(carried).toEqual(JSON.parse(sample('access-report.json')));
    expect(html).toContain(`<html lang="${language}">`);
    // The shipped register's texts are all translated: nothing quoted in English on a Norwegian or Danish page.
    if (language !== 'en') expect(html).not.toContain('lang="en"');
  });
});
