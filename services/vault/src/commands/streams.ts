import type { DomainEvent } from '../domain/events.js';
import { evolve, type SubjectState } from '../domain/subject.js';
import type { RecordedEvent } from '../ports/EventLog.js';

export const STREAM_PREFIX = 'subject-';
export const streamOf = (subjectId: string): string => `${STREAM_PREFIX}${subjectId}`;
export const subjectOf = (streamId: string): string | undefined =>
  streamId.startsWith(STREAM_PREFIX) ? streamId.slice(STREAM_PREFIX.length) : undefined;

/** Folds recorded events into a state, tracking the stream revision. */
export function fold(state: SubjectState, events: readonly RecordedEvent[]): SubjectState {
  for (const e of events) {
    evolve(state, { ...(e as unknown as DomainEvent), id: e.id, at: e.metadata.at });
    state.revision = e.revision;
  }
  return state;
}
