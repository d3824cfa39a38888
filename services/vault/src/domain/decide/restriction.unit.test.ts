import { describe, expect, it } from 'vitest';

import { given, item, recorded, registered } from '../../testing/givenSubject.js';

describe('restricting processing', () => {
  it('refuses new recordings into a restricted category but allows rectification', () => {
    const g = given(registered, recorded('contact', 'name'), {
      type: 'ProcessingRestricted',
      data: { categories: ['contact'], reason: 'accuracyContested' },
    });
    g.when({ type: 'RecordPersonalData', items: [item('contact', 'email', 'a@b.cd')] }).thenFails('FORBIDDEN');
    expect(g.when({ type: 'RectifyPersonalData', items: [item('contact', 'name', 'Ada')] }).events()).toHaveLength(1);
  });
});
