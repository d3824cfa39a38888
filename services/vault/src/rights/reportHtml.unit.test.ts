import { describe, expect, it } from 'vitest';

import { fixtureRegister } from '../testing/fixtureRegister.js';
import { caseRegister } from '../testing/givenCases.js';
import { type AccessReportDoc, renderAccessReportHtml } from './reportHtml.js';
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
