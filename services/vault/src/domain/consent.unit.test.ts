import { describe, expect, it } from 'vitest';

import { ACTOR, consentGivenEvent, notice, register, registered, S } from '../testing/givenSubject.js';
import { consentExpiresAt, consentStands, consentStatus } from './consent.js';
import type { DomainEvent, Sealed } from './events.js';
import { evolve, initialState, type SubjectState } from './subject.js';

describe('consent proofs', () => {
  it('keeps the proof of every consent, closes it on withdrawal, and reads older consents as unknown', () => {
    const at = (day: number) => `2026-01-${String(day).padStart(2, '0')}T00:00:00.000Z`;
    const events: [DomainEvent<Sealed>, string][] = [
      [registered, at(1)],
      [{ type: 'ConsentGiven', data: { purpose: 'billing' } }, at(1)],
      [consentGivenEvent('marketing'), at(2)],
      [{ type: 'ConsentWithdrawn', data: { purpose: 'marketing' } }, at(3)],
      [{ type: 'ConsentGiven', data: { ...notice('marketing'), channel: 'phone', collectedBy: 'dpo:dpo-1' } }, at(4)],
    ];
    const state = events.reduce<SubjectState>(
      (st, [e, when], i) => evolve(st, { ...e, id: `e${i}`, at: when }),
      initialState(S),
    );
    expect(state.consents.billing).toEqual({
      given: true,
      at: at(1),
      proofs: [
        {
          eventId: 'e1',
          givenAt: at(1),
          noticeId: null,
          noticeVersion: null,
          channel: null,
          collectedBy: null,
          withdrawnAt: null,
        },
      ],
    });
    expect(state.consents.marketing).toEqual({
      given: true,
      at: at(4),
      proofs: [
        {
          eventId: 'e2',
          givenAt: at(2),
          noticeId: 'privacy-notice',
          noticeVersion: '2026-01',
          channel: 'webForm',
          collectedBy: ACTOR,
          withdrawnAt: at(3),
        },
        {
          eventId: 'e4',
          givenAt: at(4),
          noticeId: 'privacy-notice',
          noticeVersion: '2026-01',
          channel: 'phone',
          collectedBy: 'dpo:dpo-1',
          withdrawnAt: null,
        },
      ],
    });
    // A snapshot from before proofs were kept: its consent is withdrawn with its unknown provenance kept.
    const old = {
      ...initialState(S),
      registeredAt: at(1),
      consents: { marketing: { given: true, at: at(1) } },
    } as SubjectState;
    evolve(old, { type: 'ConsentWithdrawn', data: { purpose: 'marketing' }, id: 'e9', at: at(5) });
    expect(old.consents.marketing).toEqual({
      given: false,
      at: at(5),
      proofs: [
        {
          eventId: null,
          givenAt: at(1),
          noticeId: null,
          noticeVersion: null,
          channel: null,
          collectedBy: null,
          withdrawnAt: at(5),
        },
      ],
    });
  });
  it("closes a consent with its withdrawal's channel and collector; reads older withdrawals without them", () => {
    const at = (day: number) => `2026-02-${String(day).padStart(2, '0')}T00:00:00.000Z`;
    let state = initialState(S);
    const events: DomainEvent<Sealed>[] = [
      registered,
      consentGivenEvent('marketing'),
      { type: 'ConsentWithdrawn', data: { purpose: 'marketing', channel: 'email', collectedBy: 'dpo:dpo-1' } },
      consentGivenEvent('marketing'),
      { type: 'ConsentWithdrawn', data: { purpose: 'marketing' } },
    ];
    events.forEach((e, i) => (state = evolve(state, { ...e, id: `e${i}`, at: at(i + 1) })));
    const [first, second] = state.consents.marketing!.proofs!;
    expect(first).toMatchObject({ withdrawnAt: at(3), withdrawalChannel: 'email', withdrawnBy: 'dpo:dpo-1' });
    expect(second!.withdrawnAt).toBe(at(5));
    expect(second).not.toHaveProperty('withdrawalChannel');
    expect(second).not.toHaveProperty('withdrawnBy');
  });
  it('a consent lasts the validity the register gives its purpose, and giving it again starts it anew', () => {
    const withValidity = structuredClone(register);
    withValidity.purposes.marketing!.consentValidFor = 'P2Y';
    const given = (at: string) => evolve(initialState(S), { ...consentGivenEvent('marketing'), id: 'g', at });
    const state = given('2026-01-10T00:00:00.000Z');
    const c = state.consents.marketing!;
    expect(consentExpiresAt(withValidity, 'marketing', c.at)).toBe('2028-01-10T00:00:00.000Z');
    expect(consentStatus(withValidity, 'marketing', c, '2028-01-09T23:59:59.999Z')).toBe('given');
    expect(consentStatus(withValidity, 'marketing', c, '2028-01-10T00:00:00.000Z')).toBe('expired');
    expect(consentStands(state.consents, 'marketing', withValidity, '2028-01-10T00:00:00.000Z')).toBe(false);
    // Without a validity in the register, a consent stands until withdrawn.
    expect(consentStands(state.consents, 'marketing', register, '2099-01-01T00:00:00.000Z')).toBe(true);
    const renewed = evolve(structuredClone(state), {
      ...consentGivenEvent('marketing'),
      id: 'g2',
      at: '2028-02-01T00:00:00.000Z',
    });
    expect(consentStatus(withValidity, 'marketing', renewed.consents.marketing!, '2029-01-01T00:00:00.000Z')).toBe(
      'given',
    );
  });
});
