import { readFileSync } from 'node:fs';

import { loadRegister } from '@pdv/vault';
import jsonld from 'jsonld';
import { describe, expect, it } from 'vitest';

import { schemaErrors } from '../support/rightsSchemas.js';
import { dataItem as item, useTempVaults } from '../support/tempVault.js';

/**
 * Special categories (Art. 9) and automated decision-making (Art. 22) as DPV terms in the access
 * report (issue 24): an item of a category the register marks special carries
 * dpv:SpecialCategoryPersonalData, one the register declares automated decisions for carries
 * dpv:AutomatedDecisionMaking, and both reach the RDF; other items carry null and add no triple.
 */

const CONTEXT_FILE = 'rights-context-v1.jsonld';
const context = JSON.parse(readFileSync(new URL(`../../schema/${CONTEXT_FILE}`, import.meta.url), 'utf8')) as Record<
  string,
  unknown
>;
const documentLoader = async (url: string) => {
  if (!url.endsWith(`/schemas/${CONTEXT_FILE}`)) throw new Error(`no network in tests: ${url}`);
  return { contextUrl: null, documentUrl: url, document: context };
};
const DPV = 'https://w3id.org/dpv#';
const vaults = useTempVaults();
const crm = { actor: 'service:crm' };

describe('special categories and automated decisions as DPV terms', () => {
  it('mark the items of a special category and of automated decisions, in JSON and in RDF', async () => {
    const register = await loadRegister();
    register.categories.identity = { ...register.categories.identity!, specialCategory: true };
    const { vault } = await vaults.open({ register });
    const subjects: string[] = [];
    for (let n = 0; n < 20; n++) {
      const { subjectId: s } = await vault.commands.registerSubject(crm);
      await vault.execute(
        s,
        {
          type: 'RecordPersonalData',
          items: [
            item('identity', 'dateOfBirth', `19${50 + n}-01-31`, 'contract', 'contract'),
            item('contact', 'email', `p${n}@example.com`, 'contract', 'contract'),
            item('creditInformation', 'creditScore', 500 + n, 'creditCheck', 'legitimateInterest', 'creditAgency'),
          ],
        },
        crm,
      );
      subjects.push(s);
    }
    for (const s of subjects) {
      const report = (await vault.rights.report(s, 'ACCESS')).report as { items: Record<string, unknown>[] };
      expect(schemaErrors('access-report.schema.json', report)).toEqual([]);
      const byField = Object.fromEntries(report.items.map((i) => [i.field as string, i]));
      expect(byField['dateOfBirth']).toMatchObject({
        specialCategory: true,
        dpvSpecialCategory: 'dpv:SpecialCategoryPersonalData',
      });
      expect(byField['email']).toMatchObject({ dpvSpecialCategory: null, dpvAutomatedDecisionMaking: null });
      expect(byField['creditScore']).toMatchObject({ dpvAutomatedDecisionMaking: 'dpv:AutomatedDecisionMaking' });
    }
    const report = (await vault.rights.report(subjects[0]!, 'ACCESS')).report;
    const nquads = (await jsonld.toRDF(report, {
      format: 'application/n-quads',
      documentLoader,
      safe: true,
    } as unknown as jsonld.Options.ToRdf)) as unknown as string;
    const lines = nquads.split('\n');
    expect(lines.filter((l) => l.includes(`<${DPV}hasPersonalData> <${DPV}SpecialCategoryPersonalData>`))).toHaveLength(
      1,
    );
    expect(lines.filter((l) => l.includes(`<${DPV}hasProcessing> <${DPV}AutomatedDecisionMaking>`))).toHaveLength(1);
  });
});
