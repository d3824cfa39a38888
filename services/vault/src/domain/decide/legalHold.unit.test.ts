import { describe, expect, it } from 'vitest';

import { given, recorded, registered } from '../../testing/givenSubject.js';
import type { DomainEvent, Sealed } from '../events.js';

describe('legal holds', () => {
  it('places a hold only with a future end date and releases only an existing hold', () => {
    const g = given(registered, recorded('contact', 'email'));
    g.when({ type: 'PlaceLegalHold', category: 'contact', basis: 'litigation', until: '2020-01-01' }).thenFails(
      'BAD_USER_INPUT',
      'until',
    );
    g.when({ type: 'ReleaseLegalHold', category: 'contact' }).thenFails('NOT_FOUND');
    expect(
      g.when({ type: 'PlaceLegalHold', category: 'contact', basis: 'litigation', until: '2030-01-01' }).events(),
    ).toEqual([
      {
        type: 'LegalHoldPlaced',
        data: { category: 'contact', basis: 'litigation', until: '2030-01-01T00:00:00.000Z' },
      },
    ]);
  });
  it('lets a second hold on a category extend the first, never shorten it unnoticed', () => {
    const held: DomainEvent<Sealed> = {
      type: 'LegalHoldPlaced',
      data: { category: 'contact', basis: 'litigation', until: '2027-06-01T00:00:00.000Z' },
    };
    const g = given(registered, recorded('contact', 'email'), held);
    g.when({ type: 'PlaceLegalHold', category: 'contact', basis: 'insuranceClaim', until: '2027-01-10' }).thenFails(
      'CONFLICT',
      'until',
    );
    g.when({ type: 'PlaceLegalHold', category: 'contact', basis: 'litigation', until: '2027-06-01' }).then([]);
    g.when({ type: 'PlaceLegalHold', category: 'contact', basis: 'insuranceClaim', until: '2028-01-01' }).then([
      {
        type: 'LegalHoldPlaced',
        data: { category: 'contact', basis: 'insuranceClaim', until: '2028-01-01T00:00:00.000Z' },
      },
    ]);
    // Shortening on purpose: release, then place the shorter hold.
    const released = given(registered, recorded('contact', 'email'), held, {
      type: 'LegalHoldReleased',
      data: { category: 'contact' },
    });
    expect(
      released
        .when({ type: 'PlaceLegalHold', category: 'contact', basis: 'insuranceClaim', until: '2027-01-10' })
        .events(),
    ).toHaveLength(1);
  });
});
