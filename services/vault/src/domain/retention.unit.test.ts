import { describe, expect, it } from 'vitest';

import { fixtureRegister } from '../testing/fixtureRegister.js';
import { recorded, registered, S } from '../testing/givenSubject.js';
import type { DomainEvent, Sealed } from './events.js';
import { holdsOf, retentionOf } from './retention.js';
import { evolve, initialState, keyIdFor, type SubjectState } from './subject.js';

describe('retention after a withdrawal', () => {
  it('carries a withdrawal past a hold only for the data it was said over, not for data recorded after it', () => {
    const reg = fixtureRegister();
    reg.purposes.newsletter = { ...reg.purposes.marketing!, name: 'newsletter' };
    reg.categories.marketing!.purposes.push('newsletter');
    const at = (day: number) => `2026-01-${String(day).padStart(2, '0')}T00:00:00.000Z`;
    const events: [DomainEvent<Sealed>, string][] = [
      [registered, at(1)],
      [{ type: 'ConsentGiven', data: { purpose: 'marketing' } }, at(1)],
      [{ type: 'ConsentGiven', data: { purpose: 'newsletter' } }, at(1)],
      [recorded('marketing', 'interests', 1, 'marketing', 'consent'), at(2)],
      [{ type: 'ConsentWithdrawn', data: { purpose: 'marketing' } }, at(3)],
      [
        {
          type: 'CategoryShredded',
          data: { category: 'marketing', keyIds: [keyIdFor(S, 'marketing', 1)], reason: 'withdrawal' },
        },
        at(3),
      ],
      [recorded('marketing', 'interests', 2, 'newsletter', 'consent'), at(4)],
    ];
    const state = events.reduce<SubjectState>(
      (st, [e, when], i) => evolve(st, { ...e, id: `e${i}`, at: when }),
      initialState(S),
    );
    const row = retentionOf(state, reg, holdsOf(state, reg)).find((r) => r.category === 'marketing')!;
    expect(row.rule).not.toContain('withdrawn');
    expect(row.dueAt > at(28)).toBe(true);
  });
});
