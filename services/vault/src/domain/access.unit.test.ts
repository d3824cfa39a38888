import { describe, expect, it } from 'vitest';

import { given, recorded, register, registered } from '../testing/givenSubject.js';
import { accessDecision } from './access.js';

describe('reading for a purpose', () => {
  it('denies reads for each reason in order', () => {
    const base = given(registered, recorded('contact', 'email')).state;
    expect(accessDecision(base, register, 'contact', 'contract', ['contract'])).toEqual({ allowed: true });
    expect(accessDecision(base, register, 'contact', 'contract', ['billing'])).toEqual({
      allowed: false,
      reason: 'PURPOSE_NOT_ALLOWED',
    });
    expect(accessDecision(base, register, 'accounting', 'contract', ['contract'])).toEqual({
      allowed: false,
      reason: 'PURPOSE_NOT_ALLOWED',
    });
    expect(accessDecision(base, register, 'contact', 'marketing', ['marketing'])).toEqual({
      allowed: false,
      reason: 'NO_CONSENT',
    });
    const restricted = given(registered, {
      type: 'ProcessingRestricted',
      data: { categories: ['contact'], reason: 'other' },
    }).state;
    expect(accessDecision(restricted, register, 'contact', 'contract', ['contract'])).toEqual({
      allowed: false,
      reason: 'RESTRICTED',
    });
    const objected = given(
      registered,
      { type: 'ConsentGiven', data: { purpose: 'marketing' } },
      { type: 'ObjectionRaised', data: { purpose: 'marketing' } },
    ).state;
    expect(accessDecision(objected, register, 'contact', 'marketing', ['marketing'])).toEqual({
      allowed: false,
      reason: 'OBJECTED',
    });
    const withdrawn = given(
      registered,
      { type: 'ConsentGiven', data: { purpose: 'marketing' } },
      { type: 'ConsentWithdrawn', data: { purpose: 'marketing' } },
    ).state;
    expect(accessDecision(withdrawn, register, 'contact', 'marketing', ['marketing'])).toEqual({
      allowed: false,
      reason: 'CONSENT_WITHDRAWN',
    });
    // A consent past the validity the register gives its purpose no longer permits processing.
    const consented = given(registered, { type: 'ConsentGiven', data: { purpose: 'marketing' } }).state;
    const reg = structuredClone(register);
    reg.purposes.marketing!.consentValidFor = 'P2Y';
    expect(accessDecision(consented, reg, 'contact', 'marketing', ['marketing'], '2028-01-10T09:00:00.000Z')).toEqual({
      allowed: true,
    });
    expect(accessDecision(consented, reg, 'contact', 'marketing', ['marketing'], '2028-01-10T10:00:00.000Z')).toEqual({
      allowed: false,
      reason: 'CONSENT_EXPIRED',
    });
  });
});
