import { describe, it } from 'vitest';

import { given, notice, registered, S } from '../../testing/givenSubject.js';

describe('registering a subject', () => {
  it('registers a new subject', () => {
    given()
      .when({ type: 'RegisterSubject' })
      .then([{ type: 'SubjectRegistered', data: { subjectId: S } }]);
  });
  it('refuses to register the same subject twice', () => {
    given(registered).when({ type: 'RegisterSubject' }).thenFails('CONFLICT');
  });
  it('refuses commands for an unknown subject', () => {
    given()
      .when({ type: 'GiveConsent', ...notice('marketing') })
      .thenFails('NOT_FOUND');
  });
});
