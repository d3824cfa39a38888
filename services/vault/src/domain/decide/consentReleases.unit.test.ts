import { describe, expect, it } from 'vitest';

import { ACTOR, given, recorded, registered, S } from '../../testing/givenSubject.js';
import type { DomainEvent, Sealed } from '../events.js';
import { evolve, keyIdFor } from '../subject.js';

/**
 * Case 7 of issue 23: storage limited by each value's purposes. A value stays while a purpose with
 * a standing basis keeps it; withdrawing the consent its last purpose rested on erases it.
 */

const consent: DomainEvent<Sealed> = { type: 'ConsentGiven', data: { purpose: 'marketing' } };
const heldForMarketing: DomainEvent<Sealed> = {
  type: 'PersonalDataHeld',
  data: { category: 'contact', field: 'email', purpose: 'marketing', legalBasis: 'consent' },
};
const withdraw = { type: 'WithdrawConsent' as const, purpose: 'marketing' };

describe('withdrawing consent, per value', () => {
  it('releases the purpose from an email the contract keeps too, and erases nothing', () => {
    given(registered, consent, recorded('contact', 'email'), heldForMarketing)
      .when(withdraw)
      .then([
        { type: 'ConsentWithdrawn', data: { purpose: 'marketing', collectedBy: ACTOR } },
        { type: 'PersonalDataReleased', data: { category: 'contact', field: 'email', purpose: 'marketing' } },
      ]);
  });

  it('erases an email kept on that consent alone and re-keys its category around the rest', () => {
    given(
      registered,
      consent,
      recorded('contact', 'email', 1, 'marketing', 'consent'),
      recorded('contact', 'name', 1, 'contract', 'contract'),
    )
      .when({ ...withdraw, remaining: { 'contact.name': 'Ada' } })
      .then([
        { type: 'ConsentWithdrawn', data: { purpose: 'marketing', collectedBy: ACTOR } },
        { type: 'PersonalDataErased', data: { category: 'contact', field: 'email', reason: 'withdrawal' } },
        {
          type: 'CategoryRekeyed',
          data: {
            category: 'contact',
            oldKeyIds: [keyIdFor(S, 'contact', 1)],
            newKeyId: keyIdFor(S, 'contact', 2),
            values: [{ field: 'name', value: { plain: 'Ada' } }],
            reason: 'withdrawal',
          },
        },
      ]);
  });

  it('refuses the erasure without the values to carry over, changing nothing', () => {
    given(registered, consent, recorded('contact', 'email', 1, 'marketing', 'consent'), recorded('contact', 'name'))
      .when(withdraw)
      .thenFails('CONFLICT');
  });

  it('leaves a value under a DPO hold as it is', () => {
    const hold: DomainEvent<Sealed> = {
      type: 'LegalHoldPlaced',
      data: { category: 'contact', basis: 'litigation', until: '2030-01-01T00:00:00.000Z' },
    };
    given(
      registered,
      consent,
      recorded('contact', 'email', 1, 'marketing', 'consent'),
      recorded('contact', 'name'),
      hold,
    )
      .when(withdraw)
      .then([{ type: 'ConsentWithdrawn', data: { purpose: 'marketing', collectedBy: ACTOR } }]);
  });

  it('makes the purpose still keeping a value its first when the first is released', () => {
    const heldForContract: DomainEvent<Sealed> = {
      type: 'PersonalDataHeld',
      data: { category: 'contact', field: 'email', purpose: 'contract', legalBasis: 'contract' },
    };
    const start = given(registered, consent, recorded('contact', 'email', 1, 'marketing', 'consent'), heldForContract);
    expect(start.state.categories['contact']?.fields['email']).toMatchObject({
      purpose: 'marketing',
      alsoHeldFor: [{ purpose: 'contract', legalBasis: 'contract' }],
    });
    const events = start.when(withdraw).events();
    expect(events.map((e) => e.type)).toEqual(['ConsentWithdrawn', 'PersonalDataReleased']);
    const after = events.reduce(
      (s, e, i) => evolve(s, { ...(e as DomainEvent<Sealed>), id: `w${i}`, at: '2026-03-01T00:00:00.000Z' }),
      structuredClone(start.state),
    );
    const email = after.categories['contact']?.fields['email'];
    expect(email).toMatchObject({ purpose: 'contract', legalBasis: 'contract' });
    expect(email?.alsoHeldFor).toBeUndefined();
  });
});

describe('objecting to direct marketing, per value (Art. 17(1)(c), 21(3))', () => {
  const object = { type: 'ObjectToProcessing' as const, purpose: 'marketing' };

  it('erases an email kept for marketing alone, whatever its basis, and re-keys around the contract’s name', () => {
    given(
      registered,
      consent,
      recorded('contact', 'email', 1, 'marketing', 'consent'),
      recorded('contact', 'name', 1, 'contract', 'contract'),
    )
      .when({ ...object, remaining: { 'contact.name': 'Ada' } })
      .then([
        { type: 'ObjectionRaised', data: { purpose: 'marketing' } },
        { type: 'PersonalDataErased', data: { category: 'contact', field: 'email', reason: 'objection' } },
        {
          type: 'CategoryRekeyed',
          data: {
            category: 'contact',
            oldKeyIds: [keyIdFor(S, 'contact', 1)],
            newKeyId: keyIdFor(S, 'contact', 2),
            values: [{ field: 'name', value: { plain: 'Ada' } }],
            reason: 'objection',
          },
        },
      ]);
  });

  it('releases marketing from an email the contract keeps too, and erases nothing', () => {
    given(registered, consent, recorded('contact', 'email'), heldForMarketing)
      .when(object)
      .then([
        { type: 'ObjectionRaised', data: { purpose: 'marketing' } },
        { type: 'PersonalDataReleased', data: { category: 'contact', field: 'email', purpose: 'marketing' } },
      ]);
  });

  it('erases nothing on an objection to processing on legitimate interests: the DPO may still override it', () => {
    const legitimate: DomainEvent<Sealed> = {
      type: 'PersonalDataHeld',
      data: { category: 'contact', field: 'phone', purpose: 'billing', legalBasis: 'contract' },
    };
    const events = given(registered, recorded('contact', 'email', 1, 'contract', 'contract'), legitimate)
      .when({ type: 'ObjectToProcessing', purpose: 'contract' })
      .events();
    expect(events.filter((e) => e.type !== 'ObjectionRaised')).toEqual([]);
  });
});
