import { evolveConsentGiven, evolveConsentWithdrawn } from '../consent.js';
import type { DomainEvent, Sealed } from '../events.js';
import { evolveRights } from '../requests.js';
import { initialRights, type SubjectState } from '../state.js';
import { contestSettled, rectificationRequested } from './contest.js';
import { legalHoldPlaced, legalHoldReleased } from './legalHold.js';
import { objectionOverridden, objectionRaised } from './objection.js';
import {
  categoryRekeyed,
  categoryShredded,
  dataHeld,
  dataReleased,
  dataWritten,
  fieldErased,
  lifecycleRecorded,
} from './personalData.js';
import { processingRestricted, restrictionLifted } from './restriction.js';

export type { Applied, Evolver } from './evolver.js';

/** Any event as evolve applies it (evolver.ts's Applied, as a union the switch below narrows). */
type AnyApplied = DomainEvent<Sealed> & { id: string; at: string; actor?: string };

/**
 * Applies one event. Mutates and returns `state` (callers own their copy), for speed on long streams.
 * Requests, the duty to inform and export links are applied by evolveRights (domain/requests.ts),
 * which sees every event first; the rest goes to one small function per event family (this folder).
 * A switch, not a map of evolvers: it is the hot loop of every fold and projection rebuild, and a
 * switch on the type costs a few compares where a lookup by a varying key goes the slow way.
 * An event type this version does not know changes nothing.
 */
export function evolve(state: SubjectState, event: AnyApplied): SubjectState {
  evolveRights((state.rights ??= initialRights()), event);
  switch (event.type) {
    case 'SubjectRegistered':
      state.registeredAt = event.at;
      break;
    case 'PersonalDataRecorded':
    case 'PersonalDataRectified':
      dataWritten(state, event);
      break;
    case 'RectificationRequested':
      rectificationRequested(state, event);
      break;
    case 'RequestCompleted':
    case 'RequestRefused':
      contestSettled(state, event);
      break;
    case 'PersonalDataErased':
      fieldErased(state, event);
      break;
    case 'PersonalDataHeld':
      dataHeld(state, event);
      break;
    case 'PersonalDataReleased':
      dataReleased(state, event);
      break;
    case 'CategoryRekeyed':
      categoryRekeyed(state, event);
      break;
    case 'CategoryShredded':
      categoryShredded(state, event);
      break;
    case 'ConsentGiven':
      evolveConsentGiven(state.consents, event);
      break;
    case 'ConsentWithdrawn':
      evolveConsentWithdrawn(state.consents, event);
      break;
    default:
      evolveProcessing(state, event);
  }
  return state;
}

/** What stops or keeps processing (restrictions, objections, holds) and the subject's lifecycle. */
function evolveProcessing(state: SubjectState, event: AnyApplied): void {
  switch (event.type) {
    case 'ProcessingRestricted':
      return processingRestricted(state, event);
    case 'RestrictionLifted':
      return restrictionLifted(state, event);
    case 'ObjectionRaised':
      return objectionRaised(state, event);
    case 'ObjectionOverridden':
      return objectionOverridden(state, event);
    case 'LegalHoldPlaced':
      return legalHoldPlaced(state, event);
    case 'LegalHoldReleased':
      return legalHoldReleased(state, event);
    case 'LifecycleEventRecorded':
      return lifecycleRecorded(state, event);
    case 'SubjectErased':
      state.erasedAt = event.at;
      return;
    default:
      return;
  }
}
