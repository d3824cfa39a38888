import { describe, expect, it } from 'vitest';

import { inCase, play, runAt as run, S, T1 } from '../../testing/givenCases.js';
import { ACTOR, notice } from '../../testing/givenSubject.js';
import { entryKeyIdFor } from '../state.js';
import type { Command, CommandOf, Writer } from './command.js';

// A case's value kept for more than one purpose (issue 23, case 7 per case): the same value written
// for a second purpose is held for it too, under the case, and stays while either purpose stands.
// Withdrawing the consent one purpose rested on, or objecting to direct marketing, then only takes
// that purpose from it; a case's value kept for that purpose alone is erased under the case's key.

const T2 = '2027-03-01T09:00:00.000Z';
const T3 = '2027-06-01T09:00:00.000Z';
const EMAIL = 'a@example.com';
const caseKey = (entry: string, generation = 1) => entryKeyIdFor(S, 'debtor', entry, generation);
const contractService: Writer = { role: 'service', purposes: ['contract'] };
const marketingService: Writer = { role: 'service', purposes: ['marketing'] };
const forContract = (entry: string, field = 'email', value: unknown = EMAIL): CommandOf<'RecordPersonalData'> => ({
  type: 'RecordPersonalData',
  items: [inCase(entry, field, value)],
});
const forMarketing = (entry: string, value: unknown = EMAIL, current: Record<string, unknown> = {}): Command => ({
  type: 'RecordPersonalData',
  items: [inCase(entry, 'email', value, 'marketing')],
  consents: [notice('marketing')],
  current,
});
const consentGiven = {
  type: 'ConsentGiven',
  data: {
    purpose: 'marketing',
    noticeId: 'privacy-notice',
    noticeVersion: '2026-01',
    channel: 'webForm',
    collectedBy: ACTOR,
  },
};
const held = {
  type: 'PersonalDataHeld',
  data: { category: 'debtor', field: 'email', purpose: 'marketing', legalBasis: 'consent', entry: 'A' },
};

describe('a case’s value held for a second purpose', () => {
  const state = play([T1, forContract('A'), contractService], [T1, forContract('B'), contractService]);
  const refused = (command: Command) => () => run(state, command, T2, marketingService);

  it('holds the same value for a second purpose under its case, as the command side opened the case’s value', () => {
    expect(run(state, forMarketing('A', EMAIL, { 'debtor.email@A': EMAIL }), T2, marketingService)).toEqual([
      consentGiven,
      held,
    ]);
  });

  it('refuses another value, and the same value opened for another case or for the category’s own', () => {
    const code = { code: 'VALUE_HELD', path: 'items[0].value' };
    expect(refused(forMarketing('A', 'b@example.com', { 'debtor.email@A': EMAIL }))).toThrow(
      expect.objectContaining(code),
    );
    expect(refused(forMarketing('A', EMAIL, { 'debtor.email@B': EMAIL }))).toThrow(expect.objectContaining(code));
    expect(refused(forMarketing('A', EMAIL, { 'debtor.email': EMAIL }))).toThrow(expect.objectContaining(code));
  });

  it('keeps the value for both purposes, and loses only the purpose whose consent is withdrawn', () => {
    const both = play(
      [T1, forContract('A'), contractService],
      [T2, forMarketing('A', EMAIL, { 'debtor.email@A': EMAIL }), marketingService],
    );
    expect(both.categories['debtor']!.entries!['A']!.fields['email']!.alsoHeldFor).toEqual([
      { purpose: 'marketing', legalBasis: 'consent' },
    ]);
    const withdraw: Command = { type: 'WithdrawConsent', purpose: 'marketing' };
    expect(run(both, withdraw, T3)).toEqual([
      expect.objectContaining({ type: 'ConsentWithdrawn' }),
      { type: 'PersonalDataReleased', data: { category: 'debtor', field: 'email', purpose: 'marketing', entry: 'A' } },
    ]);
    const after = play(
      [T1, forContract('A'), contractService],
      [T2, forMarketing('A', EMAIL, { 'debtor.email@A': EMAIL }), marketingService],
      [T3, withdraw],
    );
    const e = after.categories['debtor']!.entries!['A']!;
    expect([e.fields['email']!.purpose, e.fields['email']!.alsoHeldFor, e.keyId]).toEqual([
      'contract',
      undefined,
      caseKey('A'),
    ]);
  });

  it('hands the value to the purpose that still keeps it when the first one’s consent is withdrawn', () => {
    const state = play(
      [T1, forMarketing('A'), marketingService],
      [T2, { ...forContract('A'), current: { 'debtor.email@A': EMAIL } }, contractService],
      [T3, { type: 'WithdrawConsent', purpose: 'marketing' }],
    );
    const f = state.categories['debtor']!.entries!['A']!.fields['email']!;
    expect([f.purpose, f.legalBasis, f.alsoHeldFor]).toEqual(['contract', 'contract', undefined]);
  });
});

describe('an objection to direct marketing reaches a case’s values', () => {
  const object: Command = { type: 'ObjectToProcessing', purpose: 'marketing' };

  it('erases a case’s value kept for marketing alone, re-keying the case around the rest; others unchanged', () => {
    const state = play(
      [T1, forMarketing('A'), marketingService],
      [T1, forContract('A', 'name', 'Ann'), contractService],
      [T1, forContract('B', 'name', 'Bo'), contractService],
    );
    expect(run(state, { ...object, remaining: { 'debtor.name@A': 'Ann' } }, T2)).toEqual([
      { type: 'ObjectionRaised', data: { purpose: 'marketing' } },
      { type: 'PersonalDataErased', data: { category: 'debtor', field: 'email', reason: 'objection', entry: 'A' } },
      {
        type: 'CategoryRekeyed',
        data: {
          category: 'debtor',
          oldKeyIds: [caseKey('A')],
          newKeyId: caseKey('A', 2),
          values: [{ field: 'name', value: { plain: 'Ann' } }],
          reason: 'objection',
          entry: 'A',
        },
      },
    ]);
  });

  it('shreds the key of a case whose only value was kept for marketing alone', () => {
    const state = play(
      [T1, forMarketing('A'), marketingService],
      [T1, forContract('B', 'name', 'Bo'), contractService],
    );
    expect(run(state, object, T2)).toEqual([
      { type: 'ObjectionRaised', data: { purpose: 'marketing' } },
      {
        type: 'CategoryShredded',
        data: { category: 'debtor', keyIds: [caseKey('A')], reason: 'objection', entry: 'A' },
      },
    ]);
  });

  it('only takes the purpose from a case’s value the contract keeps too', () => {
    const state = play(
      [T1, forContract('A'), contractService],
      [T2, forMarketing('A', EMAIL, { 'debtor.email@A': EMAIL }), marketingService],
    );
    expect(run(state, object, T3)).toEqual([
      { type: 'ObjectionRaised', data: { purpose: 'marketing' } },
      { type: 'PersonalDataReleased', data: { category: 'debtor', field: 'email', purpose: 'marketing', entry: 'A' } },
    ]);
  });

  it('refuses the erasure without the case’s values to carry over, changing nothing', () => {
    const state = play(
      [T1, forMarketing('A'), marketingService],
      [T1, forContract('A', 'name', 'Ann'), contractService],
    );
    expect(() => run(state, { ...object, remaining: { 'debtor.name': 'Ann' } }, T2)).toThrow(
      expect.objectContaining({ code: 'CONFLICT' }),
    );
  });
});
