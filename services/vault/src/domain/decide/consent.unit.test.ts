import { describe, it } from 'vitest';

import { ACTOR, consentGivenEvent, given, notice, recorded, registered, S } from '../../testing/givenSubject.js';
import { keyIdFor } from '../subject.js';

describe('giving and withdrawing consent', () => {
  it('records a consent with what was consented to, through which notice and channel, and who collected it', () => {
    given(registered)
      .when({
        type: 'GiveConsent',
        purpose: 'marketing',
        noticeId: 'https://example.test/privacy#marketing',
        noticeVersion: 'v3.2',
        channel: 'paper',
      })
      .then([
        {
          type: 'ConsentGiven',
          data: {
            purpose: 'marketing',
            noticeId: 'https://example.test/privacy#marketing',
            noticeVersion: 'v3.2',
            channel: 'paper',
            collectedBy: ACTOR,
          },
        },
      ]);
    given(registered)
      .when({ type: 'GiveConsent', ...notice('marketing'), noticeVersion: 'version of 3 May, Ann signed' })
      .thenFails('BAD_USER_INPUT', 'noticeVersion');
    given(registered)
      .when({ type: 'GiveConsent', ...notice('marketing'), channel: 'fax' })
      .thenFails('BAD_USER_INPUT', 'channel');
  });
  it('shreds marketing data at once, and an email kept only on that consent, when it is withdrawn', () => {
    given(
      registered,
      recorded('marketing', 'interests', 1, 'marketing', 'consent'),
      recorded('contact', 'email', 1, 'marketing', 'consent'),
    )
      .when({ type: 'WithdrawConsent', purpose: 'marketing' })
      .then([
        { type: 'ConsentWithdrawn', data: { purpose: 'marketing', collectedBy: ACTOR } },
        {
          type: 'CategoryShredded',
          data: { category: 'marketing', keyIds: [keyIdFor(S, 'marketing', 1)], reason: 'withdrawal' },
        },
        // contact's only value rested on the marketing consent alone (Art. 17(1)(b)).
        {
          type: 'CategoryShredded',
          data: { category: 'contact', keyIds: [keyIdFor(S, 'contact', 1)], reason: 'withdrawal' },
        },
      ]);
  });
  it('keeps how a withdrawal came and who took it, and refuses a channel that is not a code, changing nothing', () => {
    given(registered, consentGivenEvent('marketing'))
      .when({ type: 'WithdrawConsent', purpose: 'marketing', channel: 'phone' })
      .then([{ type: 'ConsentWithdrawn', data: { purpose: 'marketing', channel: 'phone', collectedBy: ACTOR } }]);
    given(registered, consentGivenEvent('marketing'))
      .when({ type: 'WithdrawConsent', purpose: 'marketing', channel: 'a call from +47 912 34 567' })
      .thenFails('BAD_USER_INPUT', 'channel');
    // Refused even where the consent is withdrawn already and nothing would be recorded.
    given(registered, consentGivenEvent('marketing'), { type: 'ConsentWithdrawn', data: { purpose: 'marketing' } })
      .when({ type: 'WithdrawConsent', purpose: 'marketing', channel: 'fax' })
      .thenFails('BAD_USER_INPUT', 'channel');
  });
});
