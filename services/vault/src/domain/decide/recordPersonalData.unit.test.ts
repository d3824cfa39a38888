import { describe, expect, it } from 'vitest';

import { fixtureRegister } from '../../testing/fixtureRegister.js';
import {
  ACTOR,
  consentGivenEvent,
  given,
  item,
  notice,
  recorded,
  register,
  registered,
  S,
  T0,
} from '../../testing/givenSubject.js';
import { accessDecision } from '../access.js';
import type { DomainEvent, Unsealed } from '../events.js';
import { decide, keyIdFor } from '../subject.js';

describe('recording personal data', () => {
  it('records validated, normalised values under the category key of the first generation', () => {
    given(registered)
      .when({
        type: 'RecordPersonalData',
        items: [item('contact', 'email', '  Ada@Example.COM '), item('contact', 'phone', '0031 20 123 4567')],
      })
      .then([
        {
          type: 'PersonalDataRecorded',
          data: {
            category: 'contact',
            field: 'email',
            keyId: keyIdFor(S, 'contact', 1),
            value: { plain: 'ada@example.com' },
            purpose: 'contract',
            legalBasis: 'contract',
            source: 'subject',
          },
        },
        {
          type: 'PersonalDataRecorded',
          data: {
            category: 'contact',
            field: 'phone',
            keyId: keyIdFor(S, 'contact', 1),
            value: { plain: '+31201234567' },
            purpose: 'contract',
            legalBasis: 'contract',
            source: 'subject',
          },
        },
      ]);
  });
  it('rejects a malformed email with the path of the bad item', () => {
    given(registered)
      .when({
        type: 'RecordPersonalData',
        items: [item('contact', 'name', 'Ada'), item('contact', 'email', 'not-an-email')],
      })
      .thenFails('BAD_USER_INPUT', 'items[1].value');
  });
  it('rejects an unknown category, field, purpose or legal basis', () => {
    const g = given(registered);
    g.when({ type: 'RecordPersonalData', items: [item('nope', 'email', 'a@b.cd')] }).thenFails(
      'BAD_USER_INPUT',
      'items[0].category',
    );
    g.when({ type: 'RecordPersonalData', items: [item('contact', 'nope', 'x')] }).thenFails(
      'BAD_USER_INPUT',
      'items[0].field',
    );
    g.when({ type: 'RecordPersonalData', items: [item('contact', 'name', 'x', 'spying')] }).thenFails(
      'BAD_USER_INPUT',
      'items[0].purpose',
    );
    g.when({ type: 'RecordPersonalData', items: [item('accounting', 'iban', 'x', 'contract')] }).thenFails(
      'BAD_USER_INPUT',
      'items[0].purpose',
    );
    g.when({
      type: 'RecordPersonalData',
      items: [item('marketing', 'interests', 'x', 'marketing', 'contract')],
    }).thenFails('BAD_USER_INPUT', 'items[0].legalBasis');
  });
  it('writes under a new key generation after the category was shredded', () => {
    const events = given(
      registered,
      consentGivenEvent('marketing'),
      recorded('marketing', 'interests', 1, 'marketing', 'consent'),
      {
        type: 'CategoryShredded',
        data: { category: 'marketing', keyIds: [keyIdFor(S, 'marketing', 1)], reason: 'retention' },
      },
    )
      .when({ type: 'RecordPersonalData', items: [item('marketing', 'interests', 'sailing', 'marketing', 'consent')] })
      .events();
    expect(events[0]).toMatchObject({ data: { keyId: keyIdFor(S, 'marketing', 2) } });
  });
  it('refuses new data for an erased subject', () => {
    given(registered, { type: 'SubjectErased', data: { reason: 'subjectRequest', shredded: [], retained: [] } })
      .when({ type: 'RecordPersonalData', items: [item('contact', 'name', 'Ada')] })
      .thenFails('SUBJECT_ERASED');
  });
  it('rectifies only what was recorded', () => {
    given(registered)
      .when({ type: 'RectifyPersonalData', items: [item('contact', 'name', 'Ada')] })
      .thenFails('NOT_FOUND');
    expect(
      given(registered, recorded('contact', 'name'))
        .when({ type: 'RectifyPersonalData', items: [item('contact', 'name', 'Ada L.')] })
        .events()[0]!.type,
    ).toBe('PersonalDataRectified');
    // A correction of the value, not of what it is processed for or on what basis.
    const g = given(registered, recorded('contact', 'name'));
    g.when({
      type: 'RectifyPersonalData',
      items: [item('contact', 'name', 'Ada L.', 'contract', 'legalObligation')],
    }).thenFails('BAD_USER_INPUT', 'items[0].legalBasis');
    g.when({
      type: 'RectifyPersonalData',
      items: [item('contact', 'name', 'Ada L.', 'marketing', 'contract')],
    }).thenFails('BAD_USER_INPUT', 'items[0].purpose');
    expect(
      g
        .when({
          type: 'RectifyPersonalData',
          items: [{ ...item('contact', 'name', 'Ada L.'), source: 'publicRegister' }],
        })
        .events(),
    ).toHaveLength(1);
  });
});

describe('recording on consent (storing is processing)', () => {
  const interests = item('marketing', 'interests', 'sailing', 'marketing', 'consent');
  const dataEvent = (purpose = 'marketing'): DomainEvent<Unsealed> => ({
    type: 'PersonalDataRecorded',
    data: {
      category: 'marketing',
      field: 'interests',
      keyId: keyIdFor(S, 'marketing', 1),
      value: { plain: 'sailing' },
      purpose,
      legalBasis: 'consent',
      source: 'subject',
    },
  });

  it('refuses a value stored on consent when the subject never gave it', () => {
    given(registered)
      .when({ type: 'RecordPersonalData', items: [interests] })
      .thenFails('CONSENT_REQUIRED', 'items[0].legalBasis');
  });
  it('refuses it after the consent was withdrawn, and refuses a rectification of it too', () => {
    const withdrawn = given(
      registered,
      consentGivenEvent('marketing'),
      recorded('marketing', 'interests', 1, 'marketing', 'consent'),
      { type: 'ConsentWithdrawn', data: { purpose: 'marketing' } },
    );
    withdrawn
      .when({ type: 'RecordPersonalData', items: [interests] })
      .thenFails('CONSENT_REQUIRED', 'items[0].legalBasis');
    withdrawn
      .when({ type: 'RectifyPersonalData', items: [interests] })
      .thenFails('CONSENT_REQUIRED', 'items[0].legalBasis');
  });
  it('refuses it once the consent is past the validity the register gives it, until it is given again', () => {
    const reg = fixtureRegister();
    reg.purposes.marketing!.consentValidFor = 'P2Y';
    const consented = given(registered, consentGivenEvent('marketing'));
    consented
      .when({ type: 'RecordPersonalData', items: [interests] }, '2028-01-10T09:59:59.000Z', undefined, reg)
      .events();
    consented
      .when({ type: 'RecordPersonalData', items: [interests] }, '2028-01-10T10:00:00.000Z', undefined, reg)
      .thenFails('CONSENT_EXPIRED', 'items[0].legalBasis');
    const again = { purpose: 'marketing', noticeId: 'privacy-notice', noticeVersion: '2028-01', channel: 'app' };
    const events = consented
      .when(
        { type: 'RecordPersonalData', items: [interests], consents: [again] },
        '2028-02-01T00:00:00.000Z',
        undefined,
        reg,
      )
      .events();
    expect(events.map((e) => e.type)).toEqual(['ConsentGiven', 'PersonalDataRecorded']);
  });
  it('refuses a value for a purpose that needs consent, whatever basis the item names', () => {
    // contact is kept for the contract too, but this email is recorded for marketing: that purpose must be lawful.
    given(registered)
      .when({ type: 'RecordPersonalData', items: [item('contact', 'email', 'a@b.cd', 'marketing', 'contract')] })
      .thenFails('CONSENT_REQUIRED', 'items[0].purpose');
    // The same email for the contract needs no consent.
    expect(
      given(registered)
        .when({ type: 'RecordPersonalData', items: [item('contact', 'email', 'a@b.cd', 'contract', 'contract')] })
        .events(),
    ).toHaveLength(1);
  });
  it('accepts it while consent to the purpose stands', () => {
    given(registered, consentGivenEvent('marketing'))
      .when({ type: 'RecordPersonalData', items: [interests] })
      .then([dataEvent()]);
    // A consent recorded before proofs were kept (only its purpose) stands all the same.
    given(registered, { type: 'ConsentGiven', data: { purpose: 'marketing' } })
      .when({ type: 'RecordPersonalData', items: [interests] })
      .then([dataEvent()]);
  });
  it('needs the consent of the item’s own purpose, not of another purpose of the category', () => {
    const reg = fixtureRegister();
    reg.purposes.newsletter = { ...reg.purposes.marketing!, name: 'newsletter' };
    reg.categories.marketing!.purposes.push('newsletter');
    const state = given(registered, consentGivenEvent('marketing')).state;
    const record = (purpose: string) => () =>
      decide(
        structuredClone(state),
        { type: 'RecordPersonalData', items: [{ ...interests, purpose }] },
        { register: reg, now: T0, actor: ACTOR },
      );
    expect(record('newsletter')).toThrow(
      expect.objectContaining({ code: 'CONSENT_REQUIRED', path: 'items[0].legalBasis' }),
    );
    expect(record('marketing')()).toHaveLength(1);
  });
  it('accepts it with the consent given in the same call: ConsentGiven with its proof, then the data event', () => {
    given(registered)
      .when({ type: 'RecordPersonalData', items: [interests], consents: [notice('marketing')] })
      .then([
        {
          type: 'ConsentGiven',
          data: {
            purpose: 'marketing',
            noticeId: 'privacy-notice',
            noticeVersion: '2026-01',
            channel: 'webForm',
            collectedBy: ACTOR,
          },
        },
        dataEvent(),
      ]);
    // After a withdrawal too: the subject says yes again.
    const withdrawn = given(registered, consentGivenEvent('marketing'), {
      type: 'ConsentWithdrawn',
      data: { purpose: 'marketing' },
    });
    expect(
      withdrawn
        .when({ type: 'RecordPersonalData', items: [interests], consents: [notice('marketing')] })
        .events()
        .map((e) => e.type),
    ).toEqual(['ConsentGiven', 'PersonalDataRecorded']);
  });
  it('writes nothing when the command is refused, not even the consent it gave', () => {
    const g = given(registered);
    const before = structuredClone(g.state);
    // The consent is for marketing; the second item is malformed: all or nothing.
    g.when({
      type: 'RecordPersonalData',
      items: [interests, item('contact', 'email', 'not-an-email')],
      consents: [notice('marketing')],
    }).thenFails('BAD_USER_INPUT', 'items[1].value');
    // A consent for another purpose does not make this one lawful.
    g.when({ type: 'RecordPersonalData', items: [interests], consents: [notice('billing')] }).thenFails(
      'CONSENT_REQUIRED',
      'items[0].legalBasis',
    );
    // Nor does a consent whose proof is not a code.
    g.when({
      type: 'RecordPersonalData',
      items: [interests],
      consents: [{ ...notice('marketing'), noticeId: 'ann@example.com' }],
    }).thenFails('BAD_USER_INPUT', 'consents[0].noticeId');
    g.when({
      type: 'RecordPersonalData',
      items: [interests],
      consents: [{ ...notice('marketing'), channel: 'a chat with Ann' }],
    }).thenFails('BAD_USER_INPUT', 'consents[0].channel');
    g.when({
      type: 'RecordPersonalData',
      items: [interests],
      consents: [notice('marketing'), notice('marketing')],
    }).thenFails('BAD_USER_INPUT', 'consents[1].purpose');
    expect(g.state).toEqual(before);
    expect(accessDecision(g.state, register, 'marketing', 'marketing', 'all')).toEqual({
      allowed: false,
      reason: 'NO_CONSENT',
    });
  });
  it('records nothing more on withdrawn consent, nor for a purpose objected to, until a new yes', () => {
    const withdrawn = given(
      registered,
      { type: 'ConsentGiven', data: { purpose: 'marketing' } },
      { type: 'ConsentWithdrawn', data: { purpose: 'marketing' } },
    );
    withdrawn
      .when({
        type: 'RecordPersonalData',
        items: [item('marketing', 'interests', 'kayaking', 'marketing', 'consent')],
      })
      .thenFails('CONSENT_REQUIRED', 'items[0].legalBasis');
    const regiven = given(
      registered,
      { type: 'ConsentGiven', data: { purpose: 'marketing' } },
      { type: 'ConsentWithdrawn', data: { purpose: 'marketing' } },
      { type: 'ConsentGiven', data: { purpose: 'marketing' } },
    );
    expect(
      regiven
        .when({
          type: 'RecordPersonalData',
          items: [item('marketing', 'interests', 'kayaking', 'marketing', 'consent')],
        })
        .events(),
    ).toHaveLength(1);
    const objected = given(registered, { type: 'ObjectionRaised', data: { purpose: 'marketing' } });
    objected
      .when({
        type: 'RecordPersonalData',
        items: [item('marketing', 'interests', 'kayaking', 'marketing', 'consent')],
      })
      .thenFails('FORBIDDEN', 'items[0].purpose');
    // Other purposes are untouched.
    expect(
      objected.when({ type: 'RecordPersonalData', items: [item('contact', 'email', 'a@b.cd')] }).events(),
    ).toHaveLength(1);
  });
});
