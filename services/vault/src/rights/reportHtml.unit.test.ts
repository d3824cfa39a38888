import { describe, expect, it } from 'vitest';

import { fixtureRegister } from '../testing/fixtureRegister.js';
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
