import type { DomainEvent } from '../domain/events.js';
import { evolve, type SubjectState } from '../domain/subject.js';
import type { RecordedEvent } from '../ports/EventLog.js';

export { STREAM_PREFIX, streamOf, subjectOf } from '../domain/events.js';

/** Folds recorded events into a state, tracking the stream revision. */
export function fold(state: SubjectState, events: readonly RecordedEvent[]): SubjectState {
  for (const e of events) {
    evolve(state, { ...(e as unknown as DomainEvent), id: e.id, at: e.metadata.at });
    state.revision = e.revision;
  }
  return state;
}
