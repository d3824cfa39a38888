import { describe, it } from 'vitest';

import { given, recorded, registered, S } from '../../testing/givenSubject.js';
import { keyIdFor } from '../subject.js';

describe('erasing one field', () => {
  it('re-keys the category so that past values of the field become unreadable', () => {
    given(registered, recorded('contact', 'email'), recorded('contact', 'name'))
      .when({
        type: 'ErasePersonalData',
        category: 'contact',
        field: 'email',
        reason: 'subjectRequest',
        remaining: { name: 'Ada' },
      })
      .then([
        { type: 'PersonalDataErased', data: { category: 'contact', field: 'email', reason: 'subjectRequest' } },
        {
          type: 'CategoryRekeyed',
          data: {
            category: 'contact',
            oldKeyIds: [keyIdFor(S, 'contact', 1)],
            newKeyId: keyIdFor(S, 'contact', 2),
            values: [{ field: 'name', value: { plain: 'Ada' } }],
          },
        },
      ]);
  });
  it('shreds the category key when the field was the last one', () => {
    given(registered, recorded('contact', 'email'))
      .when({ type: 'ErasePersonalData', category: 'contact', field: 'email', reason: 'subjectRequest', remaining: {} })
      .then([
        { type: 'PersonalDataErased', data: { category: 'contact', field: 'email', reason: 'subjectRequest' } },
        {
          type: 'CategoryShredded',
          data: { category: 'contact', keyIds: [keyIdFor(S, 'contact', 1)], reason: 'fieldErasure' },
        },
      ]);
  });
  it('refuses to erase a field of a held category', () => {
    given(registered, recorded('accounting', 'iban', 1, 'billing'))
      .when({
        type: 'ErasePersonalData',
        category: 'accounting',
        field: 'iban',
        reason: 'subjectRequest',
        remaining: {},
      })
      .thenFails('CATEGORY_HELD');
  });
});
