import type { EventOf, EventType, Sealed } from '../events.js';
import type { SubjectState } from '../state.js';

/**
 * An event as evolve applies it: its id and time beside its type and data, and who acted where the
 * caller has the event's metadata (events folded before actors were passed have none).
 */
export type Applied<K extends EventType = EventType> = EventOf<K, Sealed> & { id: string; at: string; actor?: string };

/** Applies one event type to the state, in place (callers own their copy). */
export type Evolver<K extends EventType> = (state: SubjectState, event: Applied<K>) => void;
