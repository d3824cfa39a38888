import type { DomainEvent, Sealed } from './events.js';
import { evolveRights } from './requests.js';
import { generationOf, initialRights, type SubjectState } from './state.js';
import { evolveConsentGiven, evolveConsentWithdrawn } from './consent.js';

export { initialState, keyIdFor, type CategoryState, type FieldState, type SubjectState } from './state.js';
export { decide, type Command, type DataItemInput, type DecideContext, type Decision } from './decide/index.js';

/** Applies one event. Mutates and returns `state` (callers own their copy), for speed on long streams. */
export function evolve(state: SubjectState, event: DomainEvent<Sealed> & { id: string; at: string }): SubjectState {
  const at = event.at;
  evolveRights((state.rights ??= initialRights()), event);
  switch (event.type) {
    case 'SubjectRegistered':
      state.registeredAt = at;
      break;
    case 'PersonalDataRecorded':
    case 'PersonalDataRectified': {
      const d = event.data;
      let c = state.categories[d.category];
      const generation = generationOf(d.keyId);
      if (!c || c.shredded || c.keyId !== d.keyId) {
        c = { generation, keyId: d.keyId, fields: c && !c.shredded ? c.fields : {}, firstRecordedAt: c && !c.shredded ? c.firstRecordedAt : at, lastActivityAt: at, shredded: null };
        state.categories[d.category] = c;
      }
      if (c.erasedFields) delete c.erasedFields[d.field];
      const prev = c.fields[d.field];
      c.fields[d.field] = {
        value: d.value,
        eventId: event.id,
        recordedAt: prev?.recordedAt ?? at,
        updatedAt: at,
        purpose: d.purpose,
        legalBasis: d.legalBasis,
        source: d.source,
      };
      c.lastActivityAt = at;
      break;
    }
    case 'PersonalDataErased': {
      const c = state.categories[event.data.category];
      if (c) {
        delete c.fields[event.data.field];
        (c.erasedFields ??= {})[event.data.field] = { at, reason: event.data.reason };
        c.lastActivityAt = at;
      }
      break;
    }
    case 'CategoryRekeyed': {
      const c = state.categories[event.data.category];
      if (c) {
        c.keyId = event.data.newKeyId;
        c.generation = generationOf(event.data.newKeyId);
        for (const v of event.data.values) {
          const f = c.fields[v.field];
          if (f) {
            f.value = v.value;
            f.eventId = event.id;
          }
        }
      }
      break;
    }
    case 'ConsentGiven':
      evolveConsentGiven(state.consents, event);
      break;
    case 'ConsentWithdrawn':
      evolveConsentWithdrawn(state.consents, event.data.purpose, at);
      break;
    case 'ProcessingRestricted':
      for (const c of event.data.categories) state.restrictions[c] = { at, reason: event.data.reason };
      break;
    case 'RestrictionLifted':
      for (const c of event.data.categories) delete state.restrictions[c];
      break;
    case 'ObjectionRaised':
      state.objections[event.data.purpose] = { at };
      // A new objection after an override stands again (new circumstances, Art. 21(1)).
      if (state.overriddenObjections) delete state.overriddenObjections[event.data.purpose];
      break;
    case 'ObjectionOverridden': {
      const p = event.data.purpose;
      const objection = state.objections[p];
      delete state.objections[p];
      (state.overriddenObjections ??= {})[p] = { objectedAt: objection?.at ?? at, at, grounds: { sealed: event.data.grounds, eventId: event.id } };
      break;
    }
    case 'LegalHoldPlaced':
      state.holds[event.data.category] = { basis: event.data.basis, until: event.data.until, at };
      break;
    case 'LegalHoldReleased':
      delete state.holds[event.data.category];
      break;
    case 'LifecycleEventRecorded':
      state.lifecycle[event.data.event] = at;
      break;
    case 'CategoryShredded': {
      const c = state.categories[event.data.category];
      if (c) {
        c.fields = {};
        c.shredded = { at, reason: event.data.reason };
      }
      break;
    }
    case 'SubjectErased':
      state.erasedAt = at;
      break;
  }
  return state;
}

/** A stored event as `fold` needs it (the event log's record, structurally). */
export interface StoredEvent {
  id: string;
  type: string;
  data: unknown;
  revision: number;
  metadata: { at: string };
}

/** Folds stored events of one stream into a state, tracking the stream revision. */
export function fold(state: SubjectState, events: readonly StoredEvent[]): SubjectState {
  for (const e of events) {
    evolve(state, { ...(e as unknown as DomainEvent<Sealed>), id: e.id, at: e.metadata.at });
    state.revision = e.revision;
  }
  return state;
}

// ---------------------------------------------------------------------------------------------
// Commands
