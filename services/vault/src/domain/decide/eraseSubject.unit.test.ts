import { describe, expect, it } from 'vitest';

import { given, recorded, registered, S, T0 } from '../../testing/givenSubject.js';
import type { DomainEvent, Sealed } from '../events.js';
import { keyIdFor } from '../subject.js';

describe('erasing a subject', () => {
  it('shreds every category no hold covers and retains held ones with basis and end date', () => {
    const request: DomainEvent<Sealed> = {
      type: 'RequestOpened',
      data: {
        requestId: 'r1',
        requestType: 'ERASURE',
        receivedAt: T0,
        channel: 'email',
        dueAt: '2026-02-10T10:00:00.000Z',
      },
    };
    given(registered, recorded('contact', 'email'), recorded('accounting', 'iban', 1, 'billing'), request)
      .when({ type: 'EraseSubject', reason: 'subjectRequest', requestId: 'r1' })
      .then([
        {
          type: 'CategoryShredded',
          data: { category: 'contact', keyIds: [keyIdFor(S, 'contact', 1)], reason: 'erasure' },
        },
        {
          type: 'SubjectErased',
          data: {
            reason: 'subjectRequest',
            requestId: 'r1',
            shredded: ['contact'],
            retained: [
              {
                category: 'accounting',
                basis: 'Bookkeeping law: 10 years',
                until: '2036-01-10T10:00:00.000Z',
                // Kept per entry: each value's own end beside the category's.
                entries: [{ field: 'iban', until: '2036-01-10T10:00:00.000Z' }],
              },
            ],
          },
        },
      ]);
  });
  it("destroys the stray keys it is given, if they are this subject's and no category holds them", () => {
    const stray = keyIdFor(S, 'marketing', 1);
    given(registered, recorded('contact', 'email'))
      .when({ type: 'EraseSubject', reason: 'subjectRequest', strayKeyIds: [stray] })
      .then([
        {
          type: 'CategoryShredded',
          data: { category: 'contact', keyIds: [keyIdFor(S, 'contact', 1)], reason: 'erasure' },
        },
        {
          type: 'SubjectErased',
          data: { reason: 'subjectRequest', shredded: ['contact'], retained: [], strayKeyIds: [stray] },
        },
      ]);
    for (const wrong of [keyIdFor('someone-else', 'marketing', 1), keyIdFor(S, 'contact', 1)]) {
      given(registered, recorded('contact', 'email'))
        .when({ type: 'EraseSubject', reason: 'subjectRequest', strayKeyIds: [wrong] })
        .thenFails('BAD_USER_INPUT', 'strayKeyIds');
    }
  });
  it('names only an open erasure request of this subject', () => {
    const opened = (requestType: 'ACCESS' | 'ERASURE', requestId = 'r1'): DomainEvent<Sealed> => ({
      type: 'RequestOpened',
      data: { requestId, requestType, receivedAt: T0, channel: 'email', dueAt: '2026-02-10T10:00:00.000Z' },
    });
    given(registered, recorded('contact', 'email'), opened('ACCESS'))
      .when({ type: 'EraseSubject', reason: 'subjectRequest', requestId: 'r1' })
      .thenFails('BAD_USER_INPUT', 'requestId');
    given(registered, recorded('contact', 'email'))
      .when({ type: 'EraseSubject', reason: 'subjectRequest', requestId: 'constructor' })
      .thenFails('NOT_FOUND', 'requestId');
    const refused = given(registered, recorded('contact', 'email'), opened('ERASURE'), {
      type: 'RequestRefused',
      data: { requestId: 'r1', reason: 'sealed' },
    });
    refused
      .when({ type: 'EraseSubject', reason: 'subjectRequest', requestId: 'r1' })
      .thenFails('CONFLICT', 'requestId');
  });
  it('shreds a category whose legal period is over', () => {
    const events = given(registered, recorded('accounting', 'iban', 1, 'billing'))
      .when({ type: 'EraseSubject', reason: 'subjectRequest' }, '2036-02-01T00:00:00.000Z')
      .events();
    expect(events.map((e) => e.type)).toEqual(['CategoryShredded', 'SubjectErased']);
  });
  it('states each entry of a per-entry category kept to the later of its own end and a DPO hold', () => {
    const events = given(registered, recorded('accounting', 'iban', 1, 'billing'), {
      type: 'LegalHoldPlaced',
      data: { category: 'accounting', basis: 'audit', until: '2040-01-01T00:00:00.000Z' },
    })
      .when({ type: 'EraseSubject', reason: 'subjectRequest' })
      .events();
    expect(events).toEqual([
      expect.objectContaining({
        type: 'SubjectErased',
        data: expect.objectContaining({
          retained: [
            {
              category: 'accounting',
              basis: 'audit',
              until: '2040-01-01T00:00:00.000Z',
              entries: [{ field: 'iban', until: '2040-01-01T00:00:00.000Z' }],
            },
          ],
        }),
      }),
    ]);
  });
  it('keeps a category under a DPO hold until its end date', () => {
    const events = given(registered, recorded('contact', 'email'), {
      type: 'LegalHoldPlaced',
      data: { category: 'contact', basis: 'litigation', until: '2027-01-01T00:00:00.000Z' },
    })
      .when({ type: 'EraseSubject', reason: 'subjectRequest' })
      .events();
    expect(events).toEqual([
      {
        type: 'SubjectErased',
        data: {
          reason: 'subjectRequest',
          shredded: [],
          retained: [{ category: 'contact', basis: 'litigation', until: '2027-01-01T00:00:00.000Z' }],
        },
      },
    ]);
  });
  it('accepts as request id only one of the subject’s requests, never free text', () => {
    given(registered, recorded('contact', 'email'))
      .when({ type: 'EraseSubject', reason: 'subjectRequest', requestId: 'Ann phoned on Monday' })
      .thenFails('NOT_FOUND', 'requestId');
  });

  it('decides nothing when the subject is already erased', () => {
    given(registered, { type: 'SubjectErased', data: { reason: 'subjectRequest', shredded: [], retained: [] } })
      .when({ type: 'EraseSubject', reason: 'subjectRequest' })
      .then([]);
  });
});
