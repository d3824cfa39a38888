import { describe, expect, it } from 'vitest';

import { fixtureRegister } from '../../testing/fixtureRegister.js';
import { ACTOR, given, item, recorded, register, registered, T0 } from '../../testing/givenSubject.js';
import { accessDecision } from '../access.js';
import type { DomainEvent, Sealed } from '../events.js';
import { shredCause } from '../retention.js';
import { decide, evolve } from '../subject.js';

describe('objecting to processing', () => {
  it('shreds marketing data at once on an objection to direct marketing', () => {
    const events = given(registered, recorded('marketing', 'interests', 1, 'marketing', 'consent'))
      .when({ type: 'ObjectToProcessing', purpose: 'marketing' })
      .events();
    expect(events.map((e) => e.type)).toEqual(['ObjectionRaised', 'CategoryShredded']);
  });
  it('takes an objection only where one lies (marketing, legitimate interests, public task), each once', () => {
    // Contract processing on contract alone: nothing an objection lies against.
    const strict = fixtureRegister();
    for (const c of Object.values(strict.categories))
      c.legalBasis = c.legalBasis.filter((b) => b !== 'legitimateInterest');
    const state = given(registered, recorded('contact', 'email')).state;
    expect(() =>
      decide(
        structuredClone(state),
        { type: 'ObjectToProcessing', purpose: 'contract' },
        { register: strict, now: T0, actor: ACTOR },
      ),
    ).toThrow(expect.objectContaining({ code: 'FORBIDDEN', path: 'purpose' }));
    expect(
      decide(
        structuredClone(state),
        { type: 'ObjectToProcessing', purpose: 'marketing' },
        { register: strict, now: T0, actor: ACTOR },
      ).map((e) => e.type),
    ).toEqual(['ObjectionRaised']);
    // Saying the same no twice records nothing new; lifting what is not restricted neither.
    given(registered, { type: 'ObjectionRaised', data: { purpose: 'marketing' } })
      .when({ type: 'ObjectToProcessing', purpose: 'marketing' })
      .then([]);
    given(
      registered,
      { type: 'ConsentGiven', data: { purpose: 'marketing' } },
      { type: 'ConsentWithdrawn', data: { purpose: 'marketing' } },
    )
      .when({ type: 'WithdrawConsent', purpose: 'marketing' })
      .then([]);
    given(registered)
      .when({ type: 'LiftRestriction', categories: ['contact'] })
      .then([]);
    given(registered, { type: 'ProcessingRestricted', data: { categories: ['contact'], reason: 'other' } })
      .when({ type: 'LiftRestriction', categories: ['contact', 'accounting'] })
      .then([{ type: 'RestrictionLifted', data: { categories: ['contact'] } }]);
  });
  it('lets an objection reach only what it lies against, and every direct-marketing purpose at once', () => {
    // Two direct-marketing purposes over the marketing category; accounting on contract and law only.
    const reg = fixtureRegister();
    reg.purposes.newsletter = { ...reg.purposes.marketing!, name: 'newsletter' };
    reg.categories.marketing!.purposes.push('newsletter');
    reg.categories.contact!.legalBasis = ['contract', 'legitimateInterest'];
    const objected = given(
      registered,
      { type: 'ObjectionRaised', data: { purpose: 'billing' } },
      { type: 'ObjectionRaised', data: { purpose: 'marketing' } },
    ).state;
    expect(accessDecision(objected, reg, 'contact', 'billing', 'all')).toEqual({ allowed: false, reason: 'OBJECTED' });
    expect(accessDecision(objected, reg, 'accounting', 'billing', 'all')).toEqual({ allowed: true });
    const record = (category: string, field: string, purpose: string, legalBasis: string) => () =>
      decide(
        structuredClone(objected),
        { type: 'RecordPersonalData', items: [item(category, field, 'x', purpose, legalBasis)] },
        { register: reg, now: T0, actor: ACTOR },
      );
    expect(record('marketing', 'interests', 'newsletter', 'consent')).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN' }),
    );
    expect(record('accounting', 'iban', 'billing', 'contract')().map((e) => e.type)).toEqual(['PersonalDataRecorded']);
  });
  it('lets the DPO override an objection on compelling grounds, never one to direct marketing', () => {
    const billingObjection: DomainEvent<Sealed> = { type: 'ObjectionRaised', data: { purpose: 'billing' } };
    const objected = given(registered, recorded('contact', 'email'), billingObjection, {
      type: 'ObjectionRaised',
      data: { purpose: 'marketing' },
    });
    expect(accessDecision(objected.state, register, 'contact', 'billing', 'all')).toEqual({
      allowed: false,
      reason: 'OBJECTED',
    });
    objected
      .when({ type: 'OverrideObjection', purpose: 'billing', grounds: 'outstanding invoices: legal claims' })
      .then([
        {
          type: 'ObjectionOverridden',
          data: { purpose: 'billing', grounds: { plain: 'outstanding invoices: legal claims' } },
        },
      ]);
    objected
      .when({ type: 'OverrideObjection', purpose: 'marketing', grounds: 'we would rather keep mailing' })
      .thenFails('FORBIDDEN', 'purpose');
    objected
      .when({ type: 'OverrideObjection', purpose: 'contract', grounds: 'no objection stands' })
      .thenFails('NOT_FOUND', 'purpose');
    objected
      .when({ type: 'OverrideObjection', purpose: 'billing', grounds: '  ' })
      .thenFails('BAD_USER_INPUT', 'grounds');
    objected.when({ type: 'OverrideObjection', purpose: 'nope', grounds: 'x' }).thenFails('BAD_USER_INPUT', 'purpose');

    const overridden = given(registered, recorded('contact', 'email'), billingObjection, {
      type: 'ObjectionOverridden',
      data: { purpose: 'billing', grounds: 'sealed' },
    });
    expect(accessDecision(overridden.state, register, 'contact', 'billing', 'all')).toEqual({ allowed: true });
    expect(overridden.state.objections).toEqual({});
    expect(overridden.state.overriddenObjections).toEqual({
      billing: { objectedAt: T0, at: T0, grounds: { sealed: 'sealed', eventId: 'e3' } },
    });
    expect(
      overridden
        .when({ type: 'RecordPersonalData', items: [item('contact', 'phone', '+31 20 123 4567', 'billing')] })
        .events(),
    ).toHaveLength(1);
    // Nothing stands to override twice; a new objection stands again.
    overridden
      .when({ type: 'OverrideObjection', purpose: 'billing', grounds: 'again' })
      .thenFails('NOT_FOUND', 'purpose');
    overridden
      .when({ type: 'ObjectToProcessing', purpose: 'billing' })
      .then([{ type: 'ObjectionRaised', data: { purpose: 'billing' } }]);
    const again = given(
      registered,
      recorded('contact', 'email'),
      billingObjection,
      { type: 'ObjectionOverridden', data: { purpose: 'billing', grounds: 'sealed' } },
      billingObjection,
    );
    expect(accessDecision(again.state, register, 'contact', 'billing', 'all')).toEqual({
      allowed: false,
      reason: 'OBJECTED',
    });
    expect(again.state.overriddenObjections).toEqual({});
  });
  it('drops the shred a hold deferred for an objection once the objection is overridden', () => {
    const reg = fixtureRegister();
    reg.categories.contact!.onObjection = 'shred';
    const hold: DomainEvent<Sealed> = {
      type: 'LegalHoldPlaced',
      data: { category: 'contact', basis: 'litigation', until: '2027-01-01T00:00:00.000Z' },
    };
    const objected = given(registered, recorded('contact', 'email'), hold, {
      type: 'ObjectionRaised',
      data: { purpose: 'billing' },
    }).state;
    expect(shredCause(objected, reg, 'contact')).toMatchObject({ reason: 'objection', rule: 'objection to billing' });
    const overridden = evolve(structuredClone(objected), {
      type: 'ObjectionOverridden',
      data: { purpose: 'billing', grounds: 'sealed' },
      id: 'e9',
      at: T0,
    });
    expect(shredCause(overridden, reg, 'contact')).toBeUndefined();
  });
});
