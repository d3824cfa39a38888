import { VaultError, assertCode, badInput } from './errors.js';
import { ERASURE_REASONS, HOLD_BASES, type DomainEvent, type EventOf, type Sealed, type Unsealed } from './events.js';
import type { CategorySpec } from './register.js';
import { holdOn, retentionOf, holdsOf, shredCause } from './retention.js';
import { decideRights, evolveRights, requestOf } from './requests.js';
import { generationOf, initialRights, type SubjectState } from './state.js';
import { instantInput } from './time.js';
import { evolveConsentGiven, evolveConsentWithdrawn } from './consent.js';
import { unknownName } from './names.js';
import type { Command, DecideContext, Decision } from './decide/command.js';
import { assertNotHeld, categorySpec } from './decide/guards.js';
import { giveConsent, withdrawConsent } from './decide/consent.js';
import { objectToProcessing, overrideObjection } from './decide/objection.js';
import { liftRestriction, restrictProcessing } from './decide/restriction.js';
import { erasePersonalData } from './decide/erasePersonalData.js';
import { recordPersonalData, rectifyPersonalData } from './decide/recordPersonalData.js';
import { registerSubject } from './decide/registerSubject.js';

export { initialState, keyIdFor, type CategoryState, type FieldState, type SubjectState } from './state.js';

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

export type { Command, DataItemInput, DecideContext, Decision } from './decide/command.js';

export function decide(state: SubjectState, command: Command, ctx: DecideContext): Decision {
  if (command.type === 'RegisterSubject') return registerSubject(state, command, ctx);
  if (!state.registeredAt) throw new VaultError('NOT_FOUND', 'Subject not found', { path: 'subjectId', details: { subjectId: state.subjectId } });
  const { register, now } = ctx;

  switch (command.type) {
    case 'OpenRequest':
    case 'VerifyIdentity':
    case 'ExtendRequest':
    case 'CompleteRequest':
    case 'RefuseRequest':
    case 'MarkInformed':
    case 'CreateExportLink':
    case 'UseExportLink':
      return decideRights(state, command, now);

    case 'RecordPersonalData':
      return recordPersonalData(state, command, ctx);
    case 'RectifyPersonalData':
      return rectifyPersonalData(state, command, ctx);
    case 'ErasePersonalData':
      return erasePersonalData(state, command, ctx);

    case 'GiveConsent':
      return giveConsent(state, command, ctx);
    case 'WithdrawConsent':
      return withdrawConsent(state, command, ctx);
    case 'ObjectToProcessing':
      return objectToProcessing(state, command, ctx);
    case 'OverrideObjection':
      return overrideObjection(state, command, ctx);
    case 'RestrictProcessing':
      return restrictProcessing(state, command, ctx);
    case 'LiftRestriction':
      return liftRestriction(state, command, ctx);

    case 'PlaceLegalHold': {
      const spec = categorySpec(register, command.category, 'category');
      assertCode(HOLD_BASES, command.basis, 'basis');
      const until = instantInput(command.until, 'until');
      if (until <= now) throw badInput('until must be in the future', 'until');
      if (state.categories[command.category]?.shredded && !Object.keys(state.categories[command.category]!.fields).length) {
        throw new VaultError('KEY_SHREDDED', `Category ${spec.name} is already shredded; there is nothing left to hold`, { path: 'category' });
      }
      // One DPO hold a category: a second one may extend it, never shorten it unnoticed (litigation
      // evidence must not go early because an insurance claim ends first). Release it to shorten.
      const held = state.holds[command.category];
      if (held && held.until > until) {
        throw new VaultError('CONFLICT', `${spec.name} is already held until ${held.until} (${held.basis}); a hold ending sooner would shorten it: release that hold first`, { path: 'until' });
      }
      if (held && held.until === until && held.basis === command.basis) return [];
      return [{ type: 'LegalHoldPlaced', data: { category: command.category, basis: command.basis, until } }];
    }

    case 'ReleaseLegalHold': {
      const spec = categorySpec(register, command.category, 'category');
      if (!state.holds[command.category]) throw new VaultError('NOT_FOUND', `No legal hold on ${spec.name}`, { path: 'category' });
      return [{ type: 'LegalHoldReleased', data: { category: command.category } }];
    }

    case 'RecordLifecycleEvent': {
      if (!register.lifecycleEvents.includes(command.event)) {
        throw unknownName('lifecycle event', register.lifecycleEvents, 'event');
      }
      const categories = Object.values(register.categories)
        .filter((c) => triggers(c).some((t) => t.kind === 'lifecycle' && t.event === command.event))
        .map((c) => c.name);
      return [{ type: 'LifecycleEventRecorded', data: { event: command.event, categories } }];
    }

    case 'ShredCategory': {
      const spec = categorySpec(register, command.category, 'category');
      const c = state.categories[command.category];
      if (!c || c.shredded) return [];
      assertNotHeld(state, spec, command.category, now);
      return [{ type: 'CategoryShredded', data: { category: command.category, keyIds: [c.keyId], reason: command.reason, ...(command.rule ? { rule: command.rule } : {}) } }];
    }

    case 'ApplyRetention': {
      categorySpec(register, command.category, 'category');
      const c = state.categories[command.category];
      if (!c || c.shredded) return [];
      const due = retentionOf(state, register, holdsOf(state, register)).find((r) => r.category === command.category);
      if (!due || due.dueAt > now || holdOn(state, register.categories[command.category], command.category, now)) return [];
      // Shredded for what made it due: its retention period, or an erasure, withdrawal or objection a hold had deferred.
      const reason = shredCause(state, register, command.category)?.reason ?? 'retention';
      return [{ type: 'CategoryShredded', data: { category: command.category, keyIds: [c.keyId], reason, rule: due.rule } }];
    }

    case 'EraseSubject': {
      assertCode(ERASURE_REASONS, command.reason, 'reason');
      // A request id is a reference, never free text: it must name one of this subject's erasure requests, still open.
      if (command.requestId !== undefined) {
        const request = requestOf(state, command.requestId);
        if (!request) throw new VaultError('NOT_FOUND', 'No such request for this subject', { path: 'requestId' });
        if (request.requestType !== 'ERASURE') throw badInput(`Request is a ${request.requestType} request, not an erasure request`, 'requestId');
        if (request.status !== 'OPEN') throw new VaultError('CONFLICT', `Request is already ${request.status.toLowerCase()}`, { path: 'requestId' });
      }
      if (state.erasedAt) return [];
      // Only this subject's keys, and only ones no category of its state holds now.
      const current = new Set(Object.values(state.categories).map((c) => c.keyId));
      if (command.strayKeyIds?.some((id) => !id.startsWith(`${state.subjectId}/`) || current.has(id))) {
        throw new VaultError('BAD_USER_INPUT', 'strayKeyIds may name only keys of this subject that no category holds', { path: 'strayKeyIds' });
      }
      const shredded: DomainEvent<Unsealed>[] = [];
      const retained: { category: string; basis: string; until: string }[] = [];
      for (const [name, c] of Object.entries(state.categories)) {
        if (c.shredded) continue;
        const hold = holdOn(state, register.categories[name], name, now);
        if (hold) retained.push({ category: name, basis: hold.basis, until: hold.until });
        else shredded.push({ type: 'CategoryShredded', data: { category: name, keyIds: [c.keyId], reason: 'erasure' } });
      }
      return [
        ...shredded,
        {
          type: 'SubjectErased',
          data: {
            reason: command.reason,
            ...(command.requestId ? { requestId: command.requestId } : {}),
            shredded: shredded.map((e) => (e as EventOf<'CategoryShredded', Unsealed>).data.category),
            retained,
            ...(command.strayKeyIds?.length ? { strayKeyIds: command.strayKeyIds } : {}),
          },
        },
      ];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Rules shared by decide, the read path and retention

function triggers(c: CategorySpec) {
  return c.erasure.mode === 'keep' ? [c.retention.trigger, c.erasure.retention.trigger] : [c.retention.trigger];
}

