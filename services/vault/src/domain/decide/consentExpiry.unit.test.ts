import { describe, expect, it } from 'vitest';

import { fixtureRegister } from '../../testing/fixtureRegister.js';
import { consentGivenEvent, given, recorded, registered } from '../../testing/givenSubject.js';
import { withEndedPurposes } from '../endedPurposes.js';
import { holdsOf, retentionOf } from '../retention.js';
import { evolve, keyIdFor } from '../subject.js';

const reg = fixtureRegister();
reg.purposes.marketing!.consentValidFor = 'P2Y';
const expiresAt = '2028-01-10T10:00:00.000Z';
const subject = given(
  registered,
  consentGivenEvent('marketing'),
  recorded('marketing', 'interests', 1, 'marketing', 'consent'),
  recorded('marketing', 'newsletter', 1, 'marketing', 'consent'),
);

describe('a consent past its validity (consentValidFor)', () => {
  it('makes the categories resting on it due at its expiry, in the retention schedule', () => {
    const { state } = subject;
    const holds = holdsOf(state, reg);
    expect(withEndedPurposes(retentionOf(state, reg, holds), state, reg, holds)).toContainEqual({
      subjectId: state.subjectId,
      category: 'marketing',
      dueAt: expiresAt,
      rule: 'consent for marketing expired (P2Y after given)',
    });
    // Without a validity in the register, nothing is due for consent.
    const plain = fixtureRegister();
    expect(withEndedPurposes([], state, plain, holdsOf(state, plain))).toEqual([]);
  });

  it('erases what rested on it alone once it has expired, and nothing before', () => {
    subject
      .when({ type: 'ReleaseEndedPurposes', category: 'marketing' }, '2028-01-10T09:59:59.000Z', undefined, reg)
      .then([]);
    subject.when({ type: 'ReleaseEndedPurposes', category: 'marketing' }, expiresAt, undefined, reg).then([
      {
        type: 'CategoryShredded',
        data: { category: 'marketing', keyIds: [keyIdFor('subject-1', 'marketing', 1)], reason: 'consentExpired' },
      },
    ]);
  });

  it('shreds a category the register shreds for a withdrawal whole, values on other purposes too', () => {
    // Marketing data also kept for the contract: a withdrawal would shred the category, so its expiry does.
    const both = fixtureRegister();
    both.purposes.marketing!.consentValidFor = 'P2Y';
    both.categories.marketing!.purposes = ['marketing', 'contract'];
    both.categories.marketing!.legalBasis = ['consent', 'contract'];
    const mixed = given(
      registered,
      consentGivenEvent('marketing'),
      recorded('marketing', 'interests', 1, 'marketing', 'consent'),
      recorded('marketing', 'newsletter', 1, 'contract', 'contract'),
    );
    mixed.when({ type: 'ReleaseEndedPurposes', category: 'marketing' }, expiresAt, undefined, both).then([
      {
        type: 'CategoryShredded',
        data: { category: 'marketing', keyIds: [keyIdFor('subject-1', 'marketing', 1)], reason: 'consentExpired' },
      },
    ]);
    // Due at the expiry even with no value on the consent: the category is the consent's to shred.
    const contractOnly = given(
      registered,
      consentGivenEvent('marketing'),
      recorded('marketing', 'newsletter', 1, 'contract', 'contract'),
    );
    const holds = holdsOf(contractOnly.state, both);
    expect(withEndedPurposes([], contractOnly.state, both, holds)).toEqual([
      {
        subjectId: 'subject-1',
        category: 'marketing',
        dueAt: expiresAt,
        rule: 'consent for marketing expired (P2Y after given)',
      },
    ]);
    contractOnly.when({ type: 'ReleaseEndedPurposes', category: 'marketing' }, expiresAt, undefined, both).then([
      {
        type: 'CategoryShredded',
        data: { category: 'marketing', keyIds: [keyIdFor('subject-1', 'marketing', 1)], reason: 'consentExpired' },
      },
    ]);
  });

  it('erases value by value where the register only stops processing, with the reason consentExpired', () => {
    // contact: onConsentWithdrawn stop. The email rests on the marketing consent alone, the name on the contract.
    const contact = given(
      registered,
      consentGivenEvent('marketing'),
      recorded('contact', 'email', 1, 'marketing', 'consent'),
      recorded('contact', 'name', 1, 'contract', 'contract'),
    );
    contact
      .when(
        { type: 'ReleaseEndedPurposes', category: 'contact', remaining: { 'contact.name': 'Ann' } },
        expiresAt,
        undefined,
        reg,
      )
      .then([
        { type: 'PersonalDataErased', data: { category: 'contact', field: 'email', reason: 'consentExpired' } },
        {
          type: 'CategoryRekeyed',
          data: {
            category: 'contact',
            oldKeyIds: [keyIdFor('subject-1', 'contact', 1)],
            newKeyId: keyIdFor('subject-1', 'contact', 2),
            values: [{ field: 'name', value: { plain: 'Ann' } }],
            reason: 'consentExpired',
          },
        },
      ]);
  });

  it('leaves a category the register shreds alone where its data came after the consent expired', () => {
    const late = given(registered, consentGivenEvent('marketing'));
    // The consent (given at T0) expired two years on; the contract's data recorded later is not the consent's.
    const after = evolve(late.state, {
      ...recorded('marketing', 'newsletter', 1, 'contract', 'contract'),
      id: 'late',
      at: '2028-06-01T00:00:00.000Z',
    });
    const both = fixtureRegister();
    both.purposes.marketing!.consentValidFor = 'P2Y';
    both.categories.marketing!.purposes = ['marketing', 'contract'];
    both.categories.marketing!.legalBasis = ['consent', 'contract'];
    expect(withEndedPurposes([], after, both, holdsOf(after, both))).toEqual([]);
  });

  it('refuses a category the register does not know, changing nothing', () => {
    subject
      .when({ type: 'ReleaseEndedPurposes', category: 'horoscope' }, expiresAt, undefined, reg)
      .thenFails('BAD_USER_INPUT', 'category');
  });
});
