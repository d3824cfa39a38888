import { describe, expect, it } from 'vitest';

import { fixtureRegister } from '../../testing/fixtureRegister.js';
import { given, item, registered, S, T0 } from '../../testing/givenSubject.js';
import { accessDecision, contestedFor } from '../access.js';
import type { DomainEvent, Sealed } from '../events.js';
import type { ProcessingRegister, Source } from '../register.js';
import { evolve, keyIdFor, type SubjectState, type Writer } from '../subject.js';

/** Case 9 of issue 23: the subject rectifies directly only what it provided; the rest goes to the DPO. */

const subject: Writer = { role: 'subject' };
const dpo: Writer = { role: 'dpo' };
const NOW = '2026-02-01T00:00:00.000Z';

/** The fixture register with the controller's and third parties' assessments of a debtor. */
function assessments(): ProcessingRegister {
  const r = fixtureRegister();
  const base = r.categories.contact!;
  const assessed = (name: string, field: string, type: 'number' | 'string', purpose: string) => {
    r.purposes[purpose] = { ...r.purposes.contract!, name: purpose, description: purpose };
    r.categories[name] = {
      ...base,
      name,
      description: name,
      purposes: [purpose],
      fields: { [field]: { type, lookup: false, providedBySubject: false } },
      sources: ['creditAgency', 'internal', 'subject'],
    };
  };
  assessed('credit', 'score', 'number', 'creditCheck');
  assessed('aml', 'riskRating', 'string', 'amlCompliance');
  assessed('debtCase', 'status', 'string', 'debtCollection');
  return r;
}
const reg = assessments();

const recordedBy = (category: string, field: string, purpose: string, source: Source): DomainEvent<Sealed> => ({
  type: 'PersonalDataRecorded',
  data: {
    category,
    field,
    keyId: keyIdFor(S, category, 1),
    value: `sealed-${field}`,
    purpose,
    legalBasis: 'contract',
    source,
  },
});
const score = recordedBy('credit', 'score', 'creditCheck', 'creditAgency');
const rating = recordedBy('aml', 'riskRating', 'amlCompliance', 'internal');
const caseStatus = recordedBy('debtCase', 'status', 'debtCollection', 'internal');

const rectify = (category: string, field: string, value: unknown, purpose: string) => ({
  type: 'RectifyPersonalData' as const,
  items: [{ ...item(category, field, value, purpose), source: 'subject' }],
  requestId: 'r-1',
});

/** The state after the subject's rectification, as the log would hold it (the proposal sealed). */
function afterProposal(...history: DomainEvent<Sealed>[]): SubjectState {
  const g = given(registered, ...history);
  const events = g.when(rectify('credit', 'score', 999, 'creditCheck'), NOW, subject, reg).events();
  return events.reduce<SubjectState>(
    (s, e, i) => evolve(s, { ...(e as unknown as DomainEvent<Sealed>), id: `p${i}`, at: NOW, actor: `subject:${S}` }),
    structuredClone(g.state),
  );
}

describe("a subject's rectification of what it did not provide", () => {
  it('turns a credit score of 312 -> 999 into a verified rectification request with the value proposed', () => {
    given(registered, score)
      .when(rectify('credit', 'score', 999, 'creditCheck'), NOW, subject, reg)
      .then([
        {
          type: 'RequestOpened',
          data: {
            requestId: 'r-1',
            requestType: 'RECTIFICATION',
            receivedAt: NOW,
            channel: 'app',
            dueAt: expect.any(String) as string,
          } as never,
        },
        { type: 'IdentityVerified', data: { requestId: 'r-1', method: 'accountLogin' } },
        {
          type: 'RectificationRequested',
          data: {
            requestId: 'r-1',
            category: 'credit',
            field: 'score',
            keyId: keyIdFor(S, 'credit', 1),
            value: { plain: 999 },
          },
        },
      ]);
  });
  it('does the same for an anti-money-laundering risk rating and a debt case status', () => {
    const g = given(registered, rating, caseStatus);
    for (const [c, f, v, p] of [
      ['aml', 'riskRating', 'LOW', 'amlCompliance'],
      ['debtCase', 'status', 'closed: paid in full', 'debtCollection'],
    ] as const) {
      const types = g
        .when(rectify(c, f, v, p), NOW, subject, reg)
        .events()
        .map((e) => e.type);
      expect(types).toEqual(['RequestOpened', 'IdentityVerified', 'RectificationRequested']);
    }
  });
  it('marks the score contested: services read it as denied (CONTESTED), the DPO and the subject still see it', () => {
    const state = afterProposal(score);
    expect(state.categories.credit!.fields.score!.contested).toMatchObject({ requestId: 'r-1', at: NOW });
    expect(state.rights.requests['r-1']).toMatchObject({ requestType: 'RECTIFICATION', status: 'OPEN' });
    expect(accessDecision(state, reg, 'credit', 'creditCheck', ['creditCheck'])).toEqual({ allowed: true });
    expect(contestedFor(state, 'credit', 'score', ['creditCheck'])).toBe(true);
    expect(contestedFor(state, 'credit', 'score', 'all')).toBe(false);
  });
  it('refuses a second proposal while the first waits for the DPO', () => {
    const state = afterProposal(score);
    const again = { ...rectify('credit', 'score', 998, 'creditCheck'), requestId: 'r-2' };
    const g = given(registered, score);
    Object.assign(g.state, structuredClone(state));
    g.when(again, NOW, subject, reg).thenFails('CONFLICT', 'items[0].field');
  });
  it('rectifies directly what the subject provided itself', () => {
    const own = recordedBy('credit', 'score', 'creditCheck', 'subject');
    const types = given(registered, own)
      .when(rectify('credit', 'score', 999, 'creditCheck'), NOW, subject, reg)
      .events()
      .map((e) => e.type);
    expect(types).toEqual(['PersonalDataRectified']);
  });
  it('lets the DPO rectify the score directly', () => {
    const types = given(registered, score)
      .when(rectify('credit', 'score', 400, 'creditCheck'), NOW, dpo, reg)
      .events()
      .map((e) => e.type);
    expect(types).toEqual(['PersonalDataRectified']);
  });
});

describe("the DPO's decision on a rectification request", () => {
  it('on completion rectifies the score to the value proposed, keeping its source, and lifts the mark', () => {
    const g = given(registered, score);
    Object.assign(g.state, afterProposal(score));
    const events = g
      .when({ type: 'CompleteRequest', requestId: 'r-1', proposals: { 'credit.score': 999 } }, NOW, dpo, reg)
      .events();
    expect(events).toEqual([
      {
        type: 'PersonalDataRectified',
        data: {
          category: 'credit',
          field: 'score',
          keyId: keyIdFor(S, 'credit', 1),
          value: { plain: 999 },
          purpose: 'creditCheck',
          legalBasis: 'contract',
          source: 'creditAgency',
        },
      },
      { type: 'RequestCompleted', data: { requestId: 'r-1' } },
    ]);
    const after = events.reduce<SubjectState>(
      (s, e, i) => evolve(s, { ...(e as unknown as DomainEvent<Sealed>), id: `c${i}`, at: NOW, actor: 'dpo:dana' }),
      structuredClone(g.state),
    );
    const f = after.categories.credit!.fields.score!;
    expect(f.contested).toBeUndefined();
    expect(f.source).toBe('creditAgency');
    expect(f.rectified).toEqual({ by: 'dpo:dana', at: NOW });
  });
  it('on refusal leaves the score as it was and lifts the mark', () => {
    const state = afterProposal(score);
    const refused: DomainEvent<Sealed> = { type: 'RequestRefused', data: { requestId: 'r-1', reason: 'sealed' } };
    const after = evolve(structuredClone(state), { ...refused, id: 'x', at: NOW });
    expect(after.categories.credit!.fields.score!.contested).toBeUndefined();
    expect(after.categories.credit!.fields.score!.value).toBe('sealed-score');
  });
  it('refuses to complete when the proposal can no longer be opened', () => {
    const g = given(registered, score);
    Object.assign(g.state, afterProposal(score));
    g.when({ type: 'CompleteRequest', requestId: 'r-1' }, NOW, dpo, reg).thenFails('CONFLICT');
  });
  it('completes other requests as before', () => {
    const opened: DomainEvent<Sealed> = {
      type: 'RequestOpened',
      data: { requestId: 'a', requestType: 'ACCESS', receivedAt: T0, channel: 'email', dueAt: NOW },
    };
    const verified: DomainEvent<Sealed> = { type: 'IdentityVerified', data: { requestId: 'a', method: 'idDocument' } };
    given(registered, opened, verified)
      .when({ type: 'CompleteRequest', requestId: 'a' }, NOW, dpo, reg)
      .then([{ type: 'RequestCompleted', data: { requestId: 'a' } }]);
  });
});
