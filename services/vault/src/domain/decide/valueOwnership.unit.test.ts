import { describe, expect, it } from 'vitest';

import { given, item, recorded, registered, S } from '../../testing/givenSubject.js';
import type { DomainEvent, Sealed } from '../events.js';
import { evolve, initialState, keyIdFor, type Writer } from '../subject.js';

/** Case 10 of issue 23: a service replaces only a value held for a purpose its token carries. */

const contractService: Writer = { role: 'service', purposes: ['contract'] };
const newsletterService: Writer = { role: 'service', purposes: ['marketing'] };
const emailOnContract = recorded('contact', 'email');
const victim = 'victim@example.test';
const attacker = 'attacker@evil.example';

describe('who may replace a value', () => {
  it('refuses a newsletter-only service that records another email over the one the contract holds', () => {
    given(registered, emailOnContract)
      .when(
        {
          type: 'RecordPersonalData',
          items: [item('contact', 'email', attacker, 'marketing', 'consent')],
          current: { 'contact.email': victim },
        },
        undefined,
        newsletterService,
      )
      .thenFails('VALUE_HELD', 'items[0].value');
  });
  it('names the purpose that holds the value, and never the value', () => {
    const attempt = given(registered, emailOnContract).when(
      {
        type: 'RectifyPersonalData',
        items: [item('contact', 'email', attacker, 'marketing', 'consent')],
        current: { 'contact.email': victim },
      },
      undefined,
      newsletterService,
    );
    expect(attempt.events).toThrow(/held for purpose contract/);
    try {
      attempt.events();
    } catch (e) {
      expect((e as { details: unknown }).details).toEqual({ category: 'contact', field: 'email', purpose: 'contract' });
      expect(JSON.stringify(e)).not.toContain(victim);
      expect((e as Error).message).not.toContain(attacker);
    }
  });
  it('refuses it too when the command side could not open the value (not known to be the same)', () => {
    given(registered, emailOnContract)
      .when(
        { type: 'RecordPersonalData', items: [item('contact', 'email', victim, 'marketing', 'consent')] },
        undefined,
        newsletterService,
      )
      .thenFails('VALUE_HELD');
  });
  it('keeps the same value, written again normalised, for the second purpose too, writing nothing over it', () => {
    given(registered, emailOnContract, { type: 'ConsentGiven', data: { purpose: 'marketing' } })
      .when(
        {
          type: 'RecordPersonalData',
          items: [item('contact', 'email', ' Victim@Example.TEST ', 'marketing', 'consent')],
          current: { 'contact.email': victim },
        },
        undefined,
        newsletterService,
      )
      .then([
        {
          type: 'PersonalDataHeld',
          data: { category: 'contact', field: 'email', purpose: 'marketing', legalBasis: 'consent' },
        },
      ]);
  });
  it('lets the service holding the purpose replace the value', () => {
    const events = given(registered, emailOnContract)
      .when(
        { type: 'RectifyPersonalData', items: [item('contact', 'email', 'new@example.test')] },
        undefined,
        contractService,
      )
      .events();
    expect(events.map((e) => e.type)).toEqual(['PersonalDataRectified']);
  });
  it('lets the DPO rectify a value whatever purpose holds it', () => {
    const events = given(registered, emailOnContract)
      .when({ type: 'RectifyPersonalData', items: [item('contact', 'email', 'new@example.test')] }, undefined, {
        role: 'dpo',
      })
      .events();
    expect(events.map((e) => e.type)).toEqual(['PersonalDataRectified']);
  });
  it('lets a service record a field nobody holds yet, for its own purpose', () => {
    const events = given(registered, { type: 'ConsentGiven', data: { purpose: 'marketing' } })
      .when(
        { type: 'RecordPersonalData', items: [item('contact', 'phone', '+31201234567', 'marketing', 'consent')] },
        undefined,
        { role: 'service', purposes: ['marketing'] },
      )
      .events();
    expect(events).toHaveLength(1);
  });
  it('ignores current values a caller put in the command when the writer holds the purpose', () => {
    const events = given(registered, emailOnContract)
      .when(
        {
          type: 'RecordPersonalData',
          items: [item('contact', 'email', attacker)],
          current: { 'contact.email': attacker },
        },
        undefined,
        contractService,
      )
      .events();
    expect(events).toHaveLength(1);
  });
});

describe('provenance of a rectified value', () => {
  const at = '2026-03-01T00:00:00.000Z';
  const fold = (...events: (DomainEvent<Sealed> & { actor?: string })[]) =>
    events.reduce((s, e, i) => evolve(s, { ...e, id: `e${i}`, at }), initialState(S));
  const score = (source: 'creditAgency' | 'subject'): DomainEvent<Sealed> => ({
    type: 'PersonalDataRecorded',
    data: {
      category: 'contact',
      field: 'name',
      keyId: keyIdFor(S, 'contact', 1),
      value: 'sealed',
      purpose: 'contract',
      legalBasis: 'contract',
      source,
    },
  });

  it('keeps the source of the original recording and says who rectified it and when', () => {
    const rectified = { ...score('subject'), type: 'PersonalDataRectified' } as DomainEvent<Sealed>;
    const state = fold(registered, score('creditAgency'), { ...rectified, actor: 'dpo:dana' });
    const f = state.categories.contact!.fields.name!;
    expect(f.source).toBe('creditAgency');
    expect(f.rectified).toEqual({ by: 'dpo:dana', at });
  });
  it('takes the source of a new recording, which is no rectification', () => {
    const state = fold(registered, score('creditAgency'), score('subject'));
    const f = state.categories.contact!.fields.name!;
    expect(f.source).toBe('subject');
    expect(f.rectified).toBeUndefined();
  });
});
