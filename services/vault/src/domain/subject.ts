import type { DomainEvent, Sealed } from './events.js';
import { evolve } from './evolve/index.js';
import type { SubjectState } from './state.js';

/**
 * One subject's aggregate, as a decider: its state and initial state (state.ts), `decide` (one
 * small decider per command, decide/), `evolve` (one small function per event type, evolve/), and
 * `fold` over a stored stream. The rest of the service imports them from here.
 */

export {
  type Command,
  type DataItemInput,
  decide,
  type DecideContext,
  type Decision,
  type Writer,
} from './decide/index.js';
export { evolve } from './evolve/index.js';
export { type CategoryState, type FieldState, initialState, keyIdFor, type SubjectState } from './state.js';

/** A stored event as `fold` needs it (the event log's record, structurally). */
export interface StoredEvent {
  id: string;
  type: string;
  data: unknown;
  revision: number;
  metadata: { at: string; actor?: string };
}

/**
 * Folds stored events of one stream into a state, tracking the stream revision. Each event is
 * passed as a new object of five fields, never a spread of the stored record (which copies its
 * every field and gives evolve objects of many shapes).
 */
export function fold(state: SubjectState, events: readonly StoredEvent[]): SubjectState {
  for (const e of events) {
    const { type, data } = e as unknown as DomainEvent<Sealed>;
    const applied = { type, data, id: e.id, at: e.metadata.at, actor: e.metadata.actor };
    evolve(state, applied as DomainEvent<Sealed> & typeof applied);
    state.revision = e.revision;
  }
  return state;
}
