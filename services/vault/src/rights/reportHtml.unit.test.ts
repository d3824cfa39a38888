import { describe, expect, it } from 'vitest';

import type { ProcessingRegister } from '../domain/register.js';
import { loadRegister } from '../register/loadRegister.js';
import { fixtureRegister } from '../testing/fixtureRegister.js';
import { caseRegister } from '../testing/givenCases.js';
import { type AccessReportDoc, esc, renderAccessReportHtml } from './reportHtml.js';
import { REPORT_WORDS } from './reportLanguages.js';

const party = { name: 'Example Ltd', contact: 'privacy@example.test' };
const proof = {
  type: 'dpv:ConsentRecord',
  provenance: 'recorded',
  notice: { id: 'privacy-notice', version: '2026-01' },
  channel: 'webForm',
  collectedBy: 'service:crm',
};
const report: AccessReportDoc = {
  subjectId: 's-1',
  generatedAt: '2028-03-01T00:00:00.000Z',
  controller: party,
  dpo: party,
  supervisoryAuthority: party,
  rights: [],
  items: [],
  consents: [
    {
      purpose: 'marketing',
      given: false,
      dpvStatus: 'dpv:ConsentExpired',
      dataCategories: [],
      proofs: [
        {
          ...proof,
          dpvStatus: 'dpv:ConsentExpired',
          givenAt: '2026-01-10T00:00:00.000Z',
          expiresAt: '2028-01-10T00:00:00.000Z',
          withdrawnAt: null,
          withdrawal: null,
        },
      ],
    },
    {
      purpose: 'billing',
      given: false,
      dpvStatus: 'dpv:ConsentWithdrawn',
      dataCategories: [],
      proofs: [
        {
          ...proof,
          dpvStatus: 'dpv:ConsentWithdrawn',
          givenAt: '2026-01-10T00:00:00.000Z',
          expiresAt: null,
          withdrawnAt: '2026-02-10T00:00:00.000Z',
          withdrawal: { channel: 'phone', collectedBy: 'dpo:anna' },
        },
      ],
    },
  ],
  restrictions: [],
  objections: [],
  requests: [],
  transmissions: [
    {
      receiver: 'acme',
      receiverName: 'Acme Energy AS',
      requestedBy: 'subject:s-1',
      requestedAt: '2028-02-01T00:00:00.000Z',
      outcome: 'delivered',
      attempts: [
        { at: '2028-02-01T00:00:00.000Z', status: 503 },
        { at: '2028-02-01T00:00:02.000Z', status: 202 },
      ],
    },
  ],
  history: [],
  automatedDecisions: [],
  disclosures: { total: 0, listed: 0, entries: [] },
};
const signed = { text: '{}', sha256: '0'.repeat(64), jws: 'a.b.c', keyUrl: 'http://localhost/.well-known/jwks.json' };

describe('the readable access report: expired consents, withdrawals and transmissions', () => {
  it.each(['en', 'nb', 'da'] as const)(
    'says in %s that a consent expired, how one was withdrawn, and each transmission',
    (lang) => {
      const w = REPORT_WORDS[lang];
      const html = renderAccessReportHtml(report, fixtureRegister(), lang, signed);
      expect(html).toContain(w.consentExpired);
      expect(html).toContain('dpo:anna');
      expect(html).toContain(w.transmissions);
      expect(html).toContain('Acme Energy AS');
      expect(html).toContain(w.transmissionOutcomes.delivered);
      expect(html).toContain(w.attempts(2));
    },
  );
});

describe('the readable access report: values of a case', () => {
  const value = (field: string, entry: string | undefined, status: AccessReportDoc['items'][number]['status']) => ({
    category: 'debtor',
    dpvCategory: 'pd:Contact',
    field,
    ...(entry === undefined ? {} : { entry }),
    value: `${field} of ${entry ?? 'the debtor'}`,
    recordedAt: '2026-01-10T00:00:00.000Z',
    updatedAt: '2026-01-10T00:00:00.000Z',
    purpose: 'contract',
    legalBasis: 'contract',
    source: 'thirdParty',
    purposes: [{ purpose: 'contract' }],
    recipients: { actual: [] },
    retention: {
      rule: 'P3Y',
      duration: 'P3Y',
      endsAt: entry === 'B-2' ? '2031-05-01T00:00:00.000Z' : entry === undefined ? null : '2032-01-01T00:00:00.000Z',
    },
    status,
  });
  const cases: AccessReportDoc = {
    ...report,
    items: [
      value('name', undefined, { state: 'ACTIVE' }),
      value('name', 'A-1', { state: 'RETAINED', basis: 'litigation', until: '2032-01-01T00:00:00.000Z' }),
      value('email', 'B-2', { state: 'ACTIVE' }),
      {
        category: 'debtor',
        dpvCategory: 'pd:Contact',
        field: 'phone',
        entry: 'B-2',
        recipients: { actual: [] },
        status: { state: 'ERASED', at: '2027-01-01T00:00:00.000Z', reason: 'subjectRequest' },
      },
    ],
    history: [
      {
        category: 'debtor',
        field: 'name',
        entry: 'A-1',
        value: 'an earlier name',
        recordedAt: '2026-01-01T00:00:00.000Z',
        purpose: 'contract',
        source: 'thirdParty',
      },
    ],
  };

  it.each(['en', 'nb', 'da'] as const)('names in %s each value’s case, its end and its hold', (lang) => {
    const w = REPORT_WORDS[lang];
    const html = renderAccessReportHtml(cases, caseRegister, lang, signed);
    const rows = html.split('<tr>');
    const row = (text: string) => rows.find((r) => r.includes(text)) ?? '';
    expect(html).toContain(`<th>${w.entry}</th>`);
    expect(row('name of A-1')).toContain('<span class="code">A-1</span>');
    expect(row('name of A-1')).toContain('litigation');
    expect(row('email of B-2')).toContain('<span class="code">B-2</span>');
    expect(row('email of B-2')).not.toContain('litigation');
    expect(row('name of the debtor')).toContain('<td>name</td><td></td>');
    // The case's field erased on its own, and its earlier value, name the case too.
    expect(html).toContain(`phone (${w.entry}: B-2)`);
    expect(row('an earlier name')).toContain('<span class="code">A-1</span>');
  });

  it('adds no case column where no value belongs to a case', () => {
    const html = renderAccessReportHtml(
      { ...cases, items: [cases.items[0]!], history: [] },
      caseRegister,
      'en',
      signed,
    );
    expect(html).not.toContain(`<th>${REPORT_WORDS.en.entry}</th>`);
  });
});

/**
 * A value of every category of `register`, as `reports.ts` writes it: the register's recipients, transfers, retention
 * rule and automated decision quoted in English, and a category the law keeps held under its law.
 */
function everyCategory(register: ProcessingRegister): AccessReportDoc['items'] {
  return Object.entries(register.categories).map(([category, spec]) => ({
    category,
    dpvCategory: spec.dpv,
    field: Object.keys(spec.fields)[0]!,
    value: 'a value',
    recordedAt: '2026-01-10T00:00:00.000Z',
    updatedAt: '2026-01-10T00:00:00.000Z',
    purpose: spec.purposes[0]!,
    legalBasis: spec.legalBasis[0]!,
    source: spec.sources[0]!,
    purposes: spec.purposes.map((purpose) => ({ purpose })),
    recipients: { categories: spec.recipients.map(({ purposeTranslations: _, ...r }) => r), actual: [] },
    retention: { rule: spec.retention.description ?? '', duration: spec.retention.duration, endsAt: null },
    transfers: spec.transfers.map(({ safeguardTranslations: _, ...t }) => t),
    automatedDecisionMaking: spec.automatedDecisionMaking,
    status:
      spec.erasure.mode === 'keep'
        ? { state: 'RETAINED', basis: spec.erasure.law, until: '2036-01-10T00:00:00.000Z' }
        : { state: 'ACTIVE' },
  }));
}

describe('the readable access report: the register’s own texts', () => {
  it.each(['nb', 'da'] as const)('quotes every text of the shipped register in %s, none in English', async (lang) => {
    const register = await loadRegister();
    const items = everyCategory(register);
    const html = renderAccessReportHtml({ ...report, items }, register, lang, signed);
    // Each kind of register text is there, in the page's language.
    const accounting = register.categories['accounting']!;
    const credit = register.categories['creditInformation']!;
    const transfer = register.categories['contact']!.transfers[0]!;
    const erasure = accounting.erasure.mode === 'keep' ? accounting.erasure : undefined;
    for (const text of [
      credit.automatedDecisionMakingTranslations?.[lang],
      transfer.safeguardTranslations?.[lang],
      erasure?.lawTranslations?.[lang],
      accounting.recipients[0]!.purposeTranslations?.[lang],
      register.categories['debtor']!.retention.descriptions?.[lang],
      register.categories['antiMoneyLaundering']!.descriptions?.[lang],
    ])
      expect(html).toContain(esc(text));
    expect(items.length).toBe(Object.keys(register.categories).length);
    expect(html).not.toContain(REPORT_WORDS[lang].englishOnly);
    expect(html).not.toContain('lang="en"');
  });

  it('marks a text the register does not translate as English, and one it says in other words now', async () => {
    const register = await loadRegister();
    const { automatedDecisionMakingTranslations: translations, ...credit } = register.categories['creditInformation']!;
    const items = everyCategory(register).filter((i) => i.category === 'creditInformation');
    const untranslated = { ...register, categories: { ...register.categories, creditInformation: credit } };
    const page = (r: ProcessingRegister, doc = { ...report, items }) => renderAccessReportHtml(doc, r, 'nb', signed);
    expect(page(register)).toContain(esc(translations?.nb));
    expect(page(untranslated)).not.toContain(esc(translations?.nb));
    expect(page(untranslated)).toContain(`<span lang="en"><span class="code">${REPORT_WORDS.nb.englishOnly}</span>`);
    // A report made under earlier words quotes them as they were, in English, marked so.
    const earlier = items.map((i) => ({ ...i, automatedDecisionMaking: 'An earlier logic.' }));
    expect(page(register, { ...report, items: earlier })).toContain('An earlier logic.');
    expect(page(register, { ...report, items: earlier })).not.toContain(esc(translations?.nb));
  });

  it("shows a DPO's hold on a category the law keeps as written, not as an untranslated register text", async () => {
    const register = await loadRegister();
    const [accounting] = everyCategory(register).filter((i) => i.category === 'accounting');
    const held = { ...accounting!, status: { state: 'RETAINED' as const, basis: 'tvist', until: 'open' } };
    const html = renderAccessReportHtml({ ...report, items: [held] }, register, 'nb', signed);
    expect(html).toContain(esc(REPORT_WORDS.nb.retainedOpen('tvist')));
    expect(html).not.toContain('lang="en"');
  });
});
