import type { CategorySpec, FieldSpec, ProcessingRegister, PurposeSpec } from '../domain/register.js';

/** A small register for tests that must not depend on the shipped example. */
const field = (type: FieldSpec['type'], lookup = false): FieldSpec => ({ type, lookup, providedBySubject: true });
const purpose = (name: string, extra: Partial<PurposeSpec> = {}): PurposeSpec => ({
  name,
  description: name,
  dpv: 'dpv:ServiceProvision',
  directMarketing: false,
  requiresConsent: false,
  ...extra,
});
const category = (
  name: string,
  spec: Partial<CategorySpec> & Pick<CategorySpec, 'fields' | 'purposes'>,
): CategorySpec => ({
  name,
  description: name,
  dpv: 'dpv:PersonalData',
  legalBasis: ['contract', 'consent', 'legalObligation', 'legitimateInterest'],
  retention: { duration: 'P5Y', trigger: { kind: 'recorded' } },
  recipients: [],
  transfers: [],
  specialCategory: false,
  erasure: { mode: 'shred' },
  sources: ['subject'],
  automatedDecisionMaking: null,
  onConsentWithdrawn: 'stop',
  onObjection: 'stop',
  ...spec,
});

export const fixtureRegister = (): ProcessingRegister => ({
  version: 1,
  controller: { name: 'Example BV', contact: 'privacy@example.test' },
  dpo: { name: 'DPO', contact: 'dpo@example.test' },
  supervisoryAuthority: { name: 'Authority', contact: 'info@authority.test' },
  lifecycleEvents: ['relationshipEnded', 'caseClosed'],
  purposes: {
    contract: purpose('contract'),
    billing: purpose('billing', { dpv: 'dpv:PaymentManagement' }),
    marketing: purpose('marketing', { directMarketing: true, requiresConsent: true, dpv: 'dpv:DirectMarketing' }),
  },
  categories: {
    contact: category('contact', {
      fields: {
        email: field('email', true),
        phone: field('phone', true),
        name: field('string'),
        address: field('address'),
      },
      purposes: ['contract', 'billing', 'marketing'],
      retention: { duration: 'P8Y', trigger: { kind: 'lifecycle', event: 'relationshipEnded' } },
    }),
    marketing: category('marketing', {
      fields: { interests: field('freeText'), newsletter: field('boolean') },
      purposes: ['marketing'],
      legalBasis: ['consent'],
      retention: { duration: 'P3Y', trigger: { kind: 'lastActivity' } },
      onConsentWithdrawn: 'shred',
      onObjection: 'shred',
    }),
    accounting: category('accounting', {
      fields: { iban: field('string'), invoiceTotal: field('number') },
      purposes: ['billing'],
      legalBasis: ['contract', 'legalObligation'],
      retention: { duration: 'P10Y', trigger: { kind: 'recorded' } },
      erasure: {
        mode: 'keep',
        law: 'Bookkeeping law: 10 years',
        retention: { duration: 'P10Y', trigger: { kind: 'recorded' } },
      },
    }),
    callRecordings: category('callRecordings', {
      fields: { recording: field('document') },
      purposes: ['contract'],
      retention: { duration: 'P30D', trigger: { kind: 'recorded' } },
    }),
  },
});
