import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { isVaultError } from '../domain/errors.js';
import { fixtureRegister } from '../testing/fixtureRegister.js';
import { DPV_VERSION, loadDpvTerms } from './dpvTerms.js';
import { loadRegister, parseRegister, type RegisterIssue } from './index.js';

const terms = loadDpvTerms();
const SHIPPED = readFileSync(new URL('../../register/default-register.yaml', import.meta.url), 'utf8');

function issuesOf(text: string): RegisterIssue[] {
  try {
    parseRegister(text, 'register.yaml');
  } catch (e) {
    if (!isVaultError(e, 'REGISTER_INVALID')) throw e;
    return e.details?.['issues'] as RegisterIssue[];
  }
  throw new Error('expected the register to be rejected');
}

describe('the vendored DPV term list', () => {
  it(`is DPV ${DPV_VERSION}, generated from the release files, with the namespaces the vault uses`, () => {
    expect(terms.version).toBe(DPV_VERSION);
    expect(terms.prefixes).toMatchObject({
      dpv: 'https://w3id.org/dpv#',
      pd: 'https://w3id.org/dpv/pd#',
      'eu-gdpr': 'https://w3id.org/dpv/legal/eu/gdpr#',
      loc: 'https://w3id.org/dpv/loc#',
      'sector-finance': 'https://w3id.org/dpv/sector/finance#',
    });
  });

  it('holds the terms DPV 2.3 defines and none that the old register invented or DPV moved, renamed or retired', () => {
    for (const t of [
      'eu-gdpr:A15',
      'eu-gdpr:A7-3',
      'eu-gdpr:A22',
      'eu-gdpr:A77',
      'dpv:DataSubjectRight',
      'sector-finance:CreditChecking',
      'pd:BrowsingBehaviour',
      'loc:US',
      'dpv:hasPurpose',
    ]) {
      expect(terms.has(t), t).toBe(true);
    }
    for (const t of [
      'dpv:RightToAccess',
      'dpv:RightToComplaint',
      'dpv:CreditChecking',
      'pd:BrowsingBehavior',
      'dpv:PublicTask',
      'dpv-pd:Contact',
      'dpv:LegalAgreement',
    ]) {
      expect(terms.has(t), t).toBe(false);
    }
  });

  it('says why a term is refused and names the term DPV has instead', () => {
    expect(terms.problem('dpv:CreditChecking')).toMatch(/did you mean sector-finance:CreditChecking/);
    expect(terms.problem('pd:BrowsingBehavior')).toMatch(/did you mean pd:BrowsingBehaviour/);
    expect(terms.problem('dpv-pd:Contact')).toMatch(/renamed the prefix dpv-pd to pd: write pd:Contact/);
    expect(terms.problem('dpv:LegalAgreement')).toMatch(/sunset/);
    expect(terms.problem('foaf:Person')).toMatch(/no prefix the vault knows/);
    expect(terms.iri('eu-gdpr:A15')).toBe('https://w3id.org/dpv/legal/eu/gdpr#A15');
  });
});

describe('register terms are checked at start', () => {
  it('accepts the shipped register and the test fixture: each of their terms is in the list', async () => {
    const shipped = await loadRegister();
    for (const register of [shipped, fixtureRegister()]) {
      const used = [
        ...Object.values(register.purposes).map((p) => p.dpv),
        ...Object.values(register.categories).flatMap((c) => [c.dpv, ...c.transfers.map((t) => t.dpv)]),
      ];
      expect(used.filter((t) => !terms.has(t))).toEqual([]);
    }
  });

  it('tells marketing and the newsletter apart, and applies no term the issue found misapplied', async () => {
    const { purposes, categories } = await loadRegister();
    expect(purposes['marketing']!.dpv).not.toBe(purposes['newsletter']!.dpv);
    expect(purposes['debtCollection']!.dpv).not.toBe('dpv:DisputeManagement');
    expect(categories['antiMoneyLaundering']!.dpv).not.toBe('pd:Transactional');
  });

  it('refuses an invented term with REGISTER_INVALID naming its path and line', () => {
    const text = SHIPPED.replace('dpv: dpv:ServiceUsageAnalytics', 'dpv: dpv:WebsiteHappiness');
    const issues = issuesOf(text);
    expect(issues).toEqual([
      {
        path: 'purposes.analytics.dpv',
        line: text.split('\n').findIndex((l) => l.includes('dpv:WebsiteHappiness')) + 1,
        column: 10,
        message: 'dpv:WebsiteHappiness is not a DPV 2.3 term',
      },
    ]);
  });

  it('refuses the terms of before DPV 2 and the retired ones, each with its fix', () => {
    const text = SHIPPED.replace('dpv: pd:BrowsingBehaviour', 'dpv: dpv-pd:BrowsingBehavior')
      .replace('dpv: dpv:CustomerSolvencyMonitoring', 'dpv: dpv:CreditChecking')
      .replace('dpv: dpv:CustomerCare', 'dpv: dpv:LegalAgreement');
    expect(issuesOf(text).map((i) => `${i.path}: ${i.message}`)).toEqual([
      'purposes.customerService.dpv: dpv:LegalAgreement is deprecated (sunset) in DPV 2.3: choose a current term',
      'purposes.creditCheck.dpv: dpv:CreditChecking is not a DPV 2.3 term; did you mean sector-finance:CreditChecking?',
      'categories.webAnalytics.dpv: DPV 2 renamed the prefix dpv-pd to pd: write pd:BrowsingBehavior (and ' +
        'pd:BrowsingBehavior is not a DPV 2.3 term either)',
    ]);
  });

  it('refuses a real term in the wrong place: a personal-data term as a purpose, a purpose as a safeguard', () => {
    const text = SHIPPED.replace('dpv: dpv:CustomerCare', 'dpv: pd:Contact').replace(
      'dpv: eu-gdpr:A46-2-c',
      'dpv: dpv:DirectMarketing',
    );
    expect(issuesOf(text).map((i) => i.path)).toEqual([
      'purposes.customerService.dpv',
      'categories.contact.transfers[0].dpv',
    ]);
  });

  it('requires a transfer to name its safeguard as a term', () => {
    const text = SHIPPED.replace(/\n\s*dpv: eu-gdpr:A46-2-c[^\n]*/, '');
    expect(issuesOf(text).map((i) => `${i.path}: ${i.message}`)).toEqual([
      'categories.contact.transfers[0].dpv: required (text)',
    ]);
  });
});
