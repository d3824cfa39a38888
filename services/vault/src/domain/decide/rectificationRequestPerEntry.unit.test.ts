import { describe, expect, it } from 'vitest';

import { given, item, register as fixture, registered, S } from '../../testing/givenSubject.js';
import { contestedFor } from '../access.js';
import type { DomainEvent, Sealed } from '../events.js';
import type { ProcessingRegister } from '../register.js';
import { entryKeyIdFor } from '../state.js';
import { evolve, type SubjectState, type Writer } from '../subject.js';

// A subject's rectification of a case's value (issue 23, case 9 with retention per case): a debtor's
// details came from the creditor with a debt-collection case, so the debtor's correction becomes a
// rectification request the DPO decides, and the case's value is contested meanwhile, as for any
// value the subject did not provide.

const debtor = structuredClone(fixture.categories['contact']!);
debtor.name = 'debtor';
debtor.retention = { ...debtor.retention, duration: 'P3Y', trigger: { kind: 'lifecycle', event: 'caseClosed' } };
const register: ProcessingRegister = { ...fixture, categories: { ...fixture.categories, debtor } };
const subject: Writer = { role: 'subject' };
const dpo: Writer = { role: 'dpo' };
const NOW = '2026-02-01T00:00:00.000Z';

const caseKey = (entry: string, generation = 1) => entryKeyIdFor(S, 'debtor', entry, generation);
const inCase = (entry: string): DomainEvent<Sealed> => ({
  type: 'PersonalDataRecorded',
  data: {
    category: 'debtor',
    field: 'name',
    keyId: caseKey(entry),
    value: `sealed-name-${entry}`,
    purpose: 'contract',
    legalBasis: 'contract',
    source: 'thirdParty',
    entry,
  },
});
const rectify = (entry: string, value: string, requestId = 'r-1') => ({
  type: 'RectifyPersonalData' as const,
  items: [{ ...item('debtor', 'name', value), entry }],
  requestId,
});
const history = [registered, inCase('A-1'), inCase('B-2')];

/** Folds decided events into the state as the log would hold them (values stand in as their plain form). */
const fold = (state: SubjectState, events: readonly unknown[], actor: string) =>
  events.reduce<SubjectState>(
    (s, e, i) => evolve(s, { ...(e as DomainEvent<Sealed>), id: `${actor}-${i}`, at: NOW, actor }),
    structuredClone(state),
  );

/** The state after the debtor proposed a correction of case A-1's name. */
function afterProposal() {
  const g = given(...history);
  return { g, state: fold(g.state, g.when(rectify('A-1', 'Ann Corrected'), NOW, subject, register).events(), 'subj') };
}

describe("a subject's rectification of a case's value", () => {
  it('becomes a verified rectification request with the value proposed under the case’s key', () => {
    const events = given(...history)
      .when(rectify('A-1', 'Ann Corrected'), NOW, subject, register)
      .events();
    expect(events.map((e) => e.type)).toEqual(['RequestOpened', 'IdentityVerified', 'RectificationRequested']);
    expect(events[2]).toEqual({
      type: 'RectificationRequested',
      data: {
        requestId: 'r-1',
        category: 'debtor',
        field: 'name',
        keyId: caseKey('A-1'),
        value: { plain: 'Ann Corrected' },
        entry: 'A-1',
      },
    });
  });

  it('marks that case’s value contested, not the other’s: services read it as denied, the DPO still sees it', () => {
    const { state } = afterProposal();
    const entries = state.categories['debtor']!.entries!;
    expect(entries['A-1']!.fields['name']!.contested).toMatchObject({
      requestId: 'r-1',
      at: NOW,
      keyId: caseKey('A-1'),
    });
    expect(entries['B-2']!.fields['name']!.contested).toBeUndefined();
    expect(state.rights.requests['r-1']).toMatchObject({ requestType: 'RECTIFICATION', status: 'OPEN' });
    expect(contestedFor(state, 'debtor', 'name', ['contract'], 'A-1')).toBe(true);
    expect(contestedFor(state, 'debtor', 'name', ['contract'], 'B-2')).toBe(false);
    expect(contestedFor(state, 'debtor', 'name', 'all', 'A-1')).toBe(false);
  });

  it('refuses a second proposal for the case’s value while the first waits for the DPO', () => {
    const { g, state } = afterProposal();
    Object.assign(g.state, state);
    g.when(rectify('A-1', 'Ann Again', 'r-2'), NOW, subject, register).thenFails('CONFLICT', 'items[0].field');
  });
});

describe("the DPO's decision on a case's contested value", () => {
  it('on completion rectifies the case’s value under its key, keeping its source, and lifts the mark', () => {
    const { g, state } = afterProposal();
    Object.assign(g.state, state);
    const complete = { type: 'CompleteRequest' as const, requestId: 'r-1', proposals: { 'debtor.name@A-1': 'Ann C' } };
    const events = g.when(complete, NOW, dpo, register).events();
    expect(events).toEqual([
      {
        type: 'PersonalDataRectified',
        data: {
          category: 'debtor',
          field: 'name',
          keyId: caseKey('A-1'),
          value: { plain: 'Ann C' },
          purpose: 'contract',
          legalBasis: 'contract',
          source: 'thirdParty',
          entry: 'A-1',
        },
      },
      { type: 'RequestCompleted', data: { requestId: 'r-1' } },
    ]);
    const f = fold(state, events, 'dpo:dana').categories['debtor']!.entries!['A-1']!.fields['name']!;
    expect([f.contested, f.source, f.rectified]).toEqual([undefined, 'thirdParty', { by: 'dpo:dana', at: NOW }]);
  });

  it('refuses to complete without the proposal opened under the case’s name, changing nothing', () => {
    const { g, state } = afterProposal();
    Object.assign(g.state, state);
    const complete = { type: 'CompleteRequest' as const, requestId: 'r-1', proposals: { 'debtor.name': 'Ann C' } };
    g.when(complete, NOW, dpo, register).thenFails('CONFLICT');
  });

  it('on refusal leaves the case’s value as it was and lifts the mark', () => {
    const { state } = afterProposal();
    const refused: DomainEvent<Sealed> = { type: 'RequestRefused', data: { requestId: 'r-1', reason: 'sealed' } };
    const f = evolve(structuredClone(state), { ...refused, id: 'x', at: NOW }).categories['debtor']!.entries!['A-1']!
      .fields['name']!;
    expect([f.contested, f.value]).toEqual([undefined, 'sealed-name-A-1']);
  });
});
