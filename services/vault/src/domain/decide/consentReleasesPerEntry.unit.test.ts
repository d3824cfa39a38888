import { describe, expect, it } from 'vitest';

import {
  ACTOR,
  consentGivenEvent,
  given,
  item,
  register as fixture,
  registered,
  S,
} from '../../testing/givenSubject.js';
import { withEndedPurposes } from '../endedPurposes.js';
import type { DomainEvent, Sealed, Unsealed } from '../events.js';
import type { ProcessingRegister } from '../register.js';
import { holdsOf, retentionOf } from '../retention.js';
import { entryKeyIdFor } from '../state.js';

// Consent reaches an entry's values as it reaches the category's own (issue 23): a debtor's value
// recorded under a case on consent alone is erased when that consent is withdrawn or expires, by
// re-keying the case's key around what stays, or shredding it when nothing of the case is left.

const debtor = structuredClone(fixture.categories['contact']!);
debtor.name = 'debtor';
debtor.retention = { ...debtor.retention, duration: 'P3Y', trigger: { kind: 'lifecycle', event: 'caseClosed' } };
const register: ProcessingRegister = { ...structuredClone(fixture), categories: { ...fixture.categories, debtor } };
const expiring: ProcessingRegister = structuredClone(register);
expiring.purposes['marketing']!.consentValidFor = 'P2Y';
const EXPIRES = '2028-01-10T10:00:00.000Z';
const NOW = '2026-02-01T00:00:00.000Z';

const caseKey = (entry: string, generation = 1) => entryKeyIdFor(S, 'debtor', entry, generation);
const inCase = (entry: string, field: string, purpose = 'contract', basis: 'contract' | 'consent' = 'contract') =>
  ({
    type: 'PersonalDataRecorded',
    data: {
      category: 'debtor',
      field,
      keyId: caseKey(entry),
      value: `sealed-${field}`,
      purpose,
      legalBasis: basis,
      source: 'subject',
      entry,
    },
  }) satisfies DomainEvent<Sealed>;
const onConsent = (entry: string, field: string) => inCase(entry, field, 'marketing', 'consent');
const withdraw = { type: 'WithdrawConsent' as const, purpose: 'marketing' };
const withdrawn: DomainEvent<Unsealed> = {
  type: 'ConsentWithdrawn',
  data: { purpose: 'marketing', collectedBy: ACTOR },
};

describe('withdrawing consent reaches the values of a case', () => {
  it('erases a case’s value kept on that consent alone and re-keys the case around the rest', () => {
    given(registered, consentGivenEvent('marketing'), onConsent('A-1', 'email'), inCase('A-1', 'name'))
      .when({ ...withdraw, remaining: { 'debtor.name@A-1': 'Ann' } }, NOW, undefined, register)
      .then([
        withdrawn,
        {
          type: 'PersonalDataErased',
          data: { category: 'debtor', field: 'email', reason: 'withdrawal', entry: 'A-1' },
        },
        {
          type: 'CategoryRekeyed',
          data: {
            category: 'debtor',
            oldKeyIds: [caseKey('A-1')],
            newKeyId: caseKey('A-1', 2),
            values: [{ field: 'name', value: { plain: 'Ann' } }],
            reason: 'withdrawal',
            entry: 'A-1',
          },
        },
      ]);
  });

  it('shreds the key of a case nothing is left of, and leaves the other case as it is', () => {
    given(registered, consentGivenEvent('marketing'), onConsent('A-1', 'email'), inCase('B-2', 'email'))
      .when(withdraw, NOW, undefined, register)
      .then([
        withdrawn,
        {
          type: 'CategoryShredded',
          data: { category: 'debtor', keyIds: [caseKey('A-1')], reason: 'withdrawal', entry: 'A-1' },
        },
      ]);
  });

  it('refuses the erasure without the case’s values to carry over, changing nothing', () => {
    given(registered, consentGivenEvent('marketing'), onConsent('A-1', 'email'), inCase('A-1', 'name'))
      .when({ ...withdraw, remaining: { 'debtor.name': 'Ann' } }, NOW, undefined, register)
      .thenFails('CONFLICT');
  });

  it('leaves a case’s values under a DPO hold on the category as they are', () => {
    const hold: DomainEvent<Sealed> = {
      type: 'LegalHoldPlaced',
      data: { category: 'debtor', basis: 'litigation', until: '2030-01-01T00:00:00.000Z' },
    };
    given(registered, consentGivenEvent('marketing'), onConsent('A-1', 'email'), hold)
      .when(withdraw, NOW, undefined, register)
      .then([withdrawn]);
  });

  it('folds the erasure into the case alone: its key moves on, its value goes, the category’s own stay', () => {
    const after = given(
      registered,
      consentGivenEvent('marketing'),
      onConsent('A-1', 'email'),
      inCase('A-1', 'name'),
      {
        type: 'PersonalDataRecorded',
        data: { ...inCase('A-1', 'phone').data, entry: undefined, keyId: `${S}/debtor/1` },
      },
      { type: 'PersonalDataErased', data: { category: 'debtor', field: 'email', reason: 'withdrawal', entry: 'A-1' } },
      {
        type: 'CategoryRekeyed',
        data: {
          category: 'debtor',
          oldKeyIds: [caseKey('A-1')],
          newKeyId: caseKey('A-1', 2),
          values: [{ field: 'name', value: 'resealed-name' }],
          reason: 'withdrawal',
          entry: 'A-1',
        },
      },
    );
    const c = after.state.categories['debtor']!;
    expect(Object.keys(c.fields)).toEqual(['phone']);
    expect(c.keyId).toBe(`${S}/debtor/1`);
    const e = c.entries!['A-1']!;
    expect([e.keyId, e.generation, Object.keys(e.fields)]).toEqual([caseKey('A-1', 2), 2, ['name']]);
    expect(e.fields['name']!.value).toBe('resealed-name');
    // The case's next write goes under its new key, as the category's would after a re-key.
    const write = {
      type: 'RecordPersonalData' as const,
      items: [{ ...item('debtor', 'email', 'a@b.example'), entry: 'A-1' }],
    };
    const [next] = after.when(write, NOW, undefined, register).events();
    expect((next!.data as { keyId: string }).keyId).toBe(caseKey('A-1', 2));
  });
});

describe('a consent past its validity reaches the values of a case', () => {
  const subject = given(registered, consentGivenEvent('marketing'), onConsent('A-1', 'email'), inCase('B-2', 'name'));

  it('makes the category due at the expiry for a case’s value resting on it', () => {
    const { state } = subject;
    const holds = holdsOf(state, expiring);
    expect(withEndedPurposes(retentionOf(state, expiring, holds), state, expiring, holds)).toContainEqual({
      subjectId: S,
      category: 'debtor',
      dueAt: EXPIRES,
      rule: 'consent for marketing expired (P2Y after given)',
    });
  });

  it('shreds the case’s key once the consent has expired, and nothing before', () => {
    const release = { type: 'ReleaseEndedPurposes' as const, category: 'debtor' };
    subject.when(release, '2028-01-10T09:59:59.000Z', undefined, expiring).then([]);
    subject.when(release, EXPIRES, undefined, expiring).then([
      {
        type: 'CategoryShredded',
        data: { category: 'debtor', keyIds: [caseKey('A-1')], reason: 'consentExpired', entry: 'A-1' },
      },
    ]);
  });
});
