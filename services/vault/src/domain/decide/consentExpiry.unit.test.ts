import { describe, expect, it } from 'vitest';

import { fixtureRegister } from '../../testing/fixtureRegister.js';
import { consentGivenEvent, given, recorded, registered } from '../../testing/givenSubject.js';
import { withConsentExpiry } from '../consentExpiry.js';
import { holdsOf, retentionOf } from '../retention.js';
import { keyIdFor } from '../subject.js';

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
    expect(withConsentExpiry(retentionOf(state, reg, holds), state, reg, holds)).toContainEqual({
      subjectId: state.subjectId,
      category: 'marketing',
      dueAt: expiresAt,
      rule: 'consent for marketing expired (P2Y after given)',
    });
    // Without a validity in the register, nothing is due for consent.
    const plain = fixtureRegister();
    expect(withConsentExpiry([], state, plain, holdsOf(state, plain))).toEqual([]);
  });

  it('erases what rested on it alone once it has expired, and nothing before', () => {
    subject
      .when({ type: 'ReleaseExpiredConsents', category: 'marketing' }, '2028-01-10T09:59:59.000Z', undefined, reg)
      .then([]);
    subject.when({ type: 'ReleaseExpiredConsents', category: 'marketing' }, expiresAt, undefined, reg).then([
      {
        type: 'CategoryShredded',
        data: { category: 'marketing', keyIds: [keyIdFor('subject-1', 'marketing', 1)], reason: 'withdrawal' },
      },
    ]);
  });

  it('refuses a category the register does not know, changing nothing', () => {
    subject
      .when({ type: 'ReleaseExpiredConsents', category: 'horoscope' }, expiresAt, undefined, reg)
      .thenFails('BAD_USER_INPUT', 'category');
  });
});
