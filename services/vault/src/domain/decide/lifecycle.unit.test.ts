import { describe, it } from 'vitest';

import { given, registered } from '../../testing/givenSubject.js';

describe('lifecycle events', () => {
  it('records a lifecycle event the register knows, naming the categories whose clocks it starts', () => {
    given(registered)
      .when({ type: 'RecordLifecycleEvent', event: 'relationshipEnded' })
      .then([{ type: 'LifecycleEventRecorded', data: { event: 'relationshipEnded', categories: ['contact'] } }]);
    given(registered).when({ type: 'RecordLifecycleEvent', event: 'wedding' }).thenFails('BAD_USER_INPUT', 'event');
  });
});
