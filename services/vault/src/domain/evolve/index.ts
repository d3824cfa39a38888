import { evolveConsentGiven, evolveConsentWithdrawn } from '../consent.js';
import type { DomainEvent, EventType, Sealed } from '../events.js';
import { evolveRights } from '../requests.js';
import { initialRights, type SubjectState } from '../state.js';
import { contestSettled, rectificationRequested } from './contest.js';
import type { Evolver } from './evolver.js';
import { legalHoldPlaced, legalHoldReleased } from './legalHold.js';
import { objectionOverridden, objectionRaised } from './objection.js';
import { categoryRekeyed, categoryShredded, dataWritten, fieldErased } from './personalData.js';
import { processingRestricted, restrictionLifted } from './restriction.js';

export type { Applied, Evolver } from './evolver.js';

/**
 * One evolver per event type of the subject's own state. Requests, the duty to inform and export
 * links are applied by evolveRights (domain/requests.ts), which sees every event first.
 */
const evolvers: { [K in EventType]?: Evolver<K> } = {
  SubjectRegistered: (state, { at }) => {
    state.registeredAt = at;
  },
  PersonalDataRecorded: dataWritten,
  PersonalDataRectified: dataWritten,
  RectificationRequested: rectificationRequested,
  RequestCompleted: contestSettled,
  RequestRefused: contestSettled,
  PersonalDataErased: fieldErased,
  CategoryRekeyed: categoryRekeyed,
  CategoryShredded: categoryShredded,
  ConsentGiven: (state, event) => evolveConsentGiven(state.consents, event),
  ConsentWithdrawn: (state, { data, at }) => evolveConsentWithdrawn(state.consents, data.purpose, at),
  ProcessingRestricted: processingRestricted,
  RestrictionLifted: restrictionLifted,
  ObjectionRaised: objectionRaised,
  ObjectionOverridden: objectionOverridden,
  LegalHoldPlaced: legalHoldPlaced,
  LegalHoldReleased: legalHoldReleased,
  LifecycleEventRecorded: (state, { data, at }) => {
    state.lifecycle[data.event] = at;
  },
  SubjectErased: (state, { at }) => {
    state.erasedAt = at;
  },
};

/** Applies one event. Mutates and returns `state` (callers own their copy), for speed on long streams. */
export function evolve(
  state: SubjectState,
  event: DomainEvent<Sealed> & { id: string; at: string; actor?: string },
): SubjectState {
  evolveRights((state.rights ??= initialRights()), event);
  // An event type this version does not know changes nothing here (own keys only: never Object's own methods).
  const evolver = Object.hasOwn(evolvers, event.type) ? (evolvers[event.type] as Evolver<EventType>) : undefined;
  evolver?.(state, event);
  return state;
}
